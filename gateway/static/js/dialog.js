// One modal dialog for questions a page asks before it acts ("Book Room 101 at 10 AM?",
// "Cancel this booking?"): the native <dialog>, so focus moves into it, Tab stays inside,
// Escape closes it and the page behind is inert. The action runs inside the dialog: when
// it fails, the dialog stays open with the service's message next to the field at fault.
import {el, errorText, showMessage} from './api.js';

let counter = 0;

function fieldFor(spec, prefix) {
  const id = `${prefix}-${spec.name}`;
  const errorId = `${id}-error`;
  const common = {id, name: spec.name, required: spec.required || null, 'aria-describedby': errorId};
  let input;
  if (spec.type === 'select') {
    input = el('select', common, (spec.options || []).map(([value, label]) => el('option', {value}, label)));
  } else if (spec.type === 'textarea') {
    input = el('textarea', {...common, maxlength: spec.maxlength || null, rows: 3});
  } else {
    input = el('input', {...common, type: spec.type || 'text', maxlength: spec.maxlength || null,
      placeholder: spec.placeholder || null, autocomplete: 'off'});
  }
  if (spec.value !== undefined && spec.value !== null) input.value = spec.value;
  const error = el('p', {class: 'field-error', id: errorId});
  const wrap = el('div', {class: 'field'}, el('label', {for: id}, spec.label), input,
    spec.hint ? el('span', {class: 'small muted'}, spec.hint) : null, error);
  return {spec, input, error, wrap};
}

/** Put (or clear) a field's error next to it: the element its aria-describedby names. */
export function setFieldError(input, message) {
  const box = document.getElementById((input.getAttribute('aria-describedby') || '').split(' ')[0]);
  if (box) box.textContent = message || '';
  if (message) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

/** The service's field errors ([{field, message}]) on the inputs they name ({field: input});
 *  focus goes to the first bad field. Returns whether any field took an error. */
export function showFieldErrors(inputs, details = []) {
  let first = null;
  for (const [name, input] of Object.entries(inputs)) {
    const detail = details.find((d) => d.field === name || String(d.field).endsWith(`.${name}`));
    setFieldError(input, detail ? String(detail.message).replace(/^Value error, /, '') : '');
    if (detail && !first) first = input;
  }
  if (first) first.focus();
  return Boolean(first);
}

function markField(field, message) {
  setFieldError(field.input, message);
}

/**
 * ask({title, body, fields, confirm, cancel, danger, action}) shows the dialog and resolves
 * with {result} (what `action(values)` returned) once the action succeeded, or null when
 * the person closed it. `body` is a list of strings and nodes; `fields` a list of
 * {name, label, type: 'text'|'textarea'|'select', options: [[value, label]], required,
 * maxlength, value, hint}. A danger dialog puts the focus on the way out, not on the act.
 */
export function ask({title, body = [], fields = [], confirm = 'OK', cancel = 'Cancel', danger = false,
  action = async (values) => values, className = ''}) {
  counter += 1;
  const prefix = `dialog${counter}`;
  const titleId = `${prefix}-title`;
  const returnTo = document.activeElement;
  return new Promise((resolve) => {
    const inputs = fields.map((spec) => fieldFor(spec, prefix));
    const problem = el('p', {class: 'alert alert-error', role: 'alert'});
    const confirmButton = el('button', {type: 'submit', class: danger ? 'btn btn-danger-solid' : 'btn',
      autofocus: !danger && !fields.length}, confirm);
    const cancelButton = el('button', {type: 'button', class: 'btn btn-secondary', autofocus: danger && !fields.length}, cancel);
    const form = el('form', {novalidate: true},
      el('h2', {id: titleId}, title),
      body.map((part) => (typeof part === 'string' ? el('p', {}, part) : part)),
      inputs.map((f) => f.wrap),
      problem,
      el('div', {class: 'actions dialog-actions'}, cancelButton, confirmButton));
    const dialog = el('dialog', {class: `dialog ${className}`.trim(), 'aria-labelledby': titleId}, form);
    let outcome = null;

    cancelButton.addEventListener('click', () => dialog.close());
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      showMessage(problem, '');
      const values = {};
      let firstBad = null;
      for (const f of inputs) {
        const value = f.input.value.trim();
        values[f.spec.name] = value;
        const missing = f.spec.required && !value;
        markField(f, missing ? `${f.spec.label.replace(/\s*\(.*\)$/, '')} is required.` : '');
        if (missing && !firstBad) firstBad = f.input;
      }
      if (firstBad) { firstBad.focus(); return; }
      confirmButton.disabled = true;
      try {
        outcome = {result: await action(values)};
        dialog.close();
      } catch (error) {
        showMessage(problem, errorText(error));
        const byName = Object.fromEntries(inputs.map((f) => [f.spec.name, f.input]));
        if (!showFieldErrors(byName, (error && error.details) || [])) confirmButton.focus();
      } finally {
        confirmButton.disabled = false;
      }
    });
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (!outcome && returnTo && returnTo.isConnected) returnTo.focus();
      resolve(outcome);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
