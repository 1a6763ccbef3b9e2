// "Forgot password": ask for a link by e-mail; the link (reset.html#token=...) brings the
// person back here to choose a new password. The token is in the fragment, so it never
// reaches a server log or a Referer header; it is removed from the address bar at once.
import {api, clearFieldErrors, errorText, saveSession, showFieldErrors, showMessage} from './api.js';

const token = new URLSearchParams(location.hash.slice(1)).get('token');
const notice = document.getElementById('reset-notice');
const requestForm = document.getElementById('request-form');
const confirmForm = document.getElementById('confirm-form');

if (token) {
  history.replaceState(null, '', location.pathname);
  confirmForm.hidden = false;
  confirmForm.password.focus();
} else {
  requestForm.hidden = false;
}

requestForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearFieldErrors(requestForm);
  const errorBox = document.getElementById('request-error');
  showMessage(errorBox, '');
  const email = requestForm.email.value.trim();
  if (showFieldErrors(!email ? [[requestForm.email, 'Enter your email address.']]
    : !requestForm.email.checkValidity() ? [[requestForm.email, 'This is not an email address (name@example.com).']] : [])) return;
  const button = document.getElementById('request-button');
  button.disabled = true;
  try {
    const answer = await api('/auth/password-reset', {method: 'POST', auth: false, body: {email}});
    showMessage(notice, `${answer.message} Check your inbox (and the spam folder).`, 'success');
    requestForm.hidden = true;
  } catch (error) {
    showMessage(errorBox, errorText(error));
  } finally {
    button.disabled = false;
  }
});

confirmForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearFieldErrors(confirmForm);
  const errorBox = document.getElementById('confirm-error');
  showMessage(errorBox, '');
  const password = confirmForm.password.value;
  const problems = [];
  if (!password) problems.push([confirmForm.password, 'Enter a new password.']);
  else if (confirmForm.again.value !== password) problems.push([confirmForm.again, 'The two passwords differ.']);
  if (showFieldErrors(problems)) return;
  const button = document.getElementById('confirm-button');
  button.disabled = true;
  try {
    const result = await api('/auth/password-reset/confirm', {method: 'POST', auth: false, body: {token, password}});
    saveSession(result.token, result.user);
    location.replace('/dashboard.html');
  } catch (error) {
    const passwordProblems = (error.details || []).filter((d) => d.field === 'password')
      .map((d) => [confirmForm.password, String(d.message).replace(/^Value error, /, '')]);
    if (!showFieldErrors(passwordProblems)) {
      showMessage(errorBox, errorText(error));
      if (error.code === 'invalid_reset_link') {
        confirmForm.hidden = true;
        requestForm.hidden = false;
        showMessage(notice, 'Ask for a new link below.', 'info');
      }
    }
  } finally {
    button.disabled = false;
  }
});
