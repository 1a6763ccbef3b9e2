import {api, clearFieldErrors, clearSession, el, errorText, hasLiveToken, saveSession, showFieldErrors, showMessage} from './api.js';

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
      required: true, 'aria-describedby': 'new-password-error'}),
    el('p', {class: 'field-error', id: 'new-password-error'})));
  button.textContent = 'Set new password and sign in';
  showMessage(document.getElementById('login-notice'),
    'This password was for one sign-in only. Choose a new password (at least 8 characters, not a common one).', 'info');
  form.newPassword.focus();
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  showMessage(errorBox, '');
  clearFieldErrors(form);
  const email = form.email.value.trim();
  const password = form.password.value;
  const newPassword = changingPassword ? form.newPassword.value : '';
  // Each problem next to its field; focus on the first.
  const missing = [];
  if (!email) missing.push([form.email, 'Enter your email address.']);
  else if (!form.email.checkValidity()) missing.push([form.email, 'This is not an email address (name@example.com).']);
  if (!password) missing.push([form.password, 'Enter your password.']);
  if (changingPassword && !newPassword) missing.push([form.newPassword, 'Enter a new password.']);
  if (showFieldErrors(missing)) return;
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
      // A field the service names (e.g. the new password is too common) gets its message;
      // anything else (wrong email or password, service down) is said under the form.
      const fieldOf = {email: form.email, current_password: form.password,
        password: changingPassword ? form.newPassword : form.password};
      const problems = (error.details || []).filter((d) => fieldOf[d.field])
        .map((d) => [fieldOf[d.field], String(d.message).replace(/^Value error, /, '')]);
      if (!showFieldErrors(problems)) {
        showMessage(errorBox, errorText(error));
        (changingPassword && error.status === 400 ? form.newPassword : form.password).select();
      }
    }
  } finally {
    button.disabled = false;
    button.textContent = changingPassword ? 'Set new password and sign in' : 'Sign in';
  }
});
