// Self-registration on the sign-in page, offered only where the gateway allows it
// (GET /auth/methods "registration", REGISTRATION_ENABLED); elsewhere the page says that
// accounts come from an administrator. New accounts are students (the gateway's rule).
// The form is built when asked for, so the sign-in form stays the page's only form until then.
import {api, clearFieldErrors, el, errorText, saveSession, showFieldErrors, showMessage} from './api.js';

function field(id, label, attrs, hint) {
  const describedBy = [hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(' ');
  return el('div', {class: 'field'},
    el('label', {for: id}, label),
    el('input', {id, required: true, 'aria-describedby': describedBy, ...attrs}),
    hint ? el('p', {class: 'hint', id: `${id}-hint`}, hint) : null,
    el('p', {class: 'field-error', id: `${id}-error`}));
}

function registrationForm() {
  const errorBox = el('p', {id: 'register-error', class: 'alert alert-error', role: 'alert'});
  const button = el('button', {type: 'submit', class: 'btn', id: 'register-button'}, 'Create account and sign in');
  const form = el('form', {id: 'register-form', novalidate: true},
    field('register-name', 'Full name', {name: 'name', autocomplete: 'name'}),
    field('register-email', 'Email', {name: 'email', type: 'email', autocomplete: 'email'}),
    field('register-password', 'Choose a password', {name: 'password', type: 'password', autocomplete: 'new-password'},
      'At least 8 characters, not a common one.'),
    errorBox, button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showMessage(errorBox, '');
    clearFieldErrors(form);
    const body = {name: form.name.value.trim(), email: form.email.value.trim(), password: form.password.value};
    const missing = [];
    if (!body.name) missing.push([form.name, 'Enter your name.']);
    if (!body.email) missing.push([form.email, 'Enter your email address.']);
    else if (!form.email.checkValidity()) missing.push([form.email, 'This is not an email address (name@example.com).']);
    if (!body.password) missing.push([form.password, 'Choose a password.']);
    if (showFieldErrors(missing)) return;
    button.disabled = true;
    try {
      const result = await api('/auth/register', {method: 'POST', body, auth: false});
      saveSession(result.token, result.user);
      location.replace('/dashboard.html');
    } catch (error) {
      // The service's field errors (a taken address, a weak password) go next to their field.
      const fieldOf = {name: form.name, email: form.email, password: form.password};
      const problems = (error.details || []).filter((d) => fieldOf[d.field])
        .map((d) => [fieldOf[d.field], String(d.message).replace(/^Value error, /, '')]);
      if (!problems.length && error.code === 'email_taken') problems.push([form.email, errorText(error)]);
      if (!showFieldErrors(problems)) showMessage(errorBox, errorText(error));
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

export function offerRegistration(enabled) {
  document.getElementById('accounts-by-admin').hidden = enabled;
  const section = document.getElementById('register');
  section.hidden = !enabled;
  if (!enabled) return;
  const open = document.getElementById('register-open');
  let form = null;
  open.addEventListener('click', () => {
    if (!form) {
      form = registrationForm();
      form.hidden = true;
      section.append(form);
      open.setAttribute('aria-controls', form.id);
    }
    const opening = form.hidden;
    form.hidden = !opening;
    open.setAttribute('aria-expanded', String(opening));
    if (opening) form.name.focus();
  });
}
