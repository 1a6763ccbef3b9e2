import {api, hasLiveToken, saveSession, showMessage, errorText, clearSession, el} from './api.js';

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
// Set when the password was for one sign-in only (login answered password_change_required):
// the form then asks for a new one and signs in with it.
let changingPassword = false;

function askForNewPassword() {
  changingPassword = true;
  errorBox.before(el('div', {class: 'field'},
    el('label', {for: 'new-password'}, 'New password'),
    el('input', {id: 'new-password', name: 'newPassword', type: 'password', autocomplete: 'new-password',
      required: true})));
  button.textContent = 'Set new password and sign in';
  showMessage(document.getElementById('login-notice'),
    'This password was for one sign-in only. Choose a new password (at least 8 characters, not a common one).', 'info');
  form.newPassword.focus();
}

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
  const newPassword = changingPassword ? form.newPassword.value : '';
  if (changingPassword && !newPassword) {
    showMessage(errorBox, 'Enter a new password.');
    form.newPassword.focus();
    return;
  }
  button.disabled = true;
  button.textContent = 'Signing in…';
  try {
    const result = changingPassword
      ? await api('/auth/change-password', {method: 'POST', auth: false,
        body: {email, current_password: password, password: newPassword}})
      : await api('/auth/login', {method: 'POST', body: {email, password}, auth: false});
    saveSession(result.token, result.user);
    location.replace(target);
  } catch (error) {
    if (!changingPassword && error.code === 'password_change_required') {
      askForNewPassword();
    } else {
      showMessage(errorBox, errorText(error));
      (changingPassword && error.status === 400 ? form.newPassword : form.password).select();
    }
  } finally {
    button.disabled = false;
    button.textContent = changingPassword ? 'Set new password and sign in' : 'Sign in';
  }
});
