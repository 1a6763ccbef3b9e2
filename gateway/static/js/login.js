import {api, hasLiveToken, saveSession, showMessage, errorText, clearSession} from './api.js';

const params = new URLSearchParams(location.search);
const next = params.get('next');
// Only ever go on to a page of this site.
const target = next && /^\/[a-z-]+\.html(\?.*)?$/.test(next) ? next : '/dashboard.html';

if (hasLiveToken()) {
  location.replace(target);
} else {
  clearSession();
  const notices = {
    expired: 'Your session has ended. Please sign in again.',
    signedout: 'You have signed out.',
    signin: 'Please sign in to continue.',
  };
  showMessage(document.getElementById('login-notice'), notices[params.get('reason')] || '', 'info');
}

const form = document.getElementById('login-form');
const errorBox = document.getElementById('login-error');
const button = document.getElementById('login-button');

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  showMessage(errorBox, '');
  const email = form.email.value.trim();
  const password = form.password.value;
  if (!email || !password) {
    showMessage(errorBox, 'Enter your email and password.');
    (email ? form.password : form.email).focus();
    return;
  }
  button.disabled = true;
  button.textContent = 'Signing in…';
  try {
    const result = await api('/auth/login', {method: 'POST', body: {email, password}, auth: false});
    saveSession(result.token, result.user);
    location.replace(target);
  } catch (error) {
    showMessage(errorBox, errorText(error));
    form.password.select();
  } finally {
    button.disabled = false;
    button.textContent = 'Sign in';
  }
});
