// Per kind of notification: in the app only, also by e-mail, or in a daily digest
// (GET/PUT /api/notifications/preferences; the notification service owns the kinds and modes).
import {api, el, errorText, fill, showMessage} from './api.js';
import {renderNav} from './nav.js';

await renderNav('settings');
const KINDS = [
  ['bookings', 'Bookings', 'Confirmations, cancellations, approvals (a confirmation carries the booking for your calendar)'],
  ['tickets', 'Maintenance tickets', 'Your tickets: received, in progress, resolved (with a link to the ticket)'],
  ['account', 'Your account', 'Welcome, role changes'],
  ['announcements', 'Announcements', 'Notices to everyone or to your role'],
];
const MODES = [['in_app', 'In the app only'], ['email', 'In the app and by e-mail'], ['digest', 'In a daily digest e-mail']];
const message = document.getElementById('settings-message');
const form = document.getElementById('settings-form');

function render(answer) {
  document.getElementById('email-off').hidden = answer.email_enabled;
  document.getElementById('digest-note').textContent =
    `The daily digest comes once a day at ${String(answer.digest_hour).padStart(2, '0')}:00 (${answer.timezone}), ` +
    'with everything of the kinds you chose for it since the last one.';
  fill(document.getElementById('kinds'), KINDS.map(([kind, label, hint]) => el('fieldset', {class: 'field kind', id: `kind-${kind}`},
    el('legend', {}, label),
    el('span', {class: 'small muted'}, hint),
    MODES.map(([mode, text]) => el('label', {class: 'check'},
      el('input', {type: 'radio', name: kind, value: mode, checked: answer.preferences[kind] === mode}), text)))));
}

try {
  render(await api('/api/notifications/preferences'));
} catch (error) {
  showMessage(message, errorText(error));
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const body = {};
  for (const [kind] of KINDS) {
    const chosen = form.querySelector(`input[name="${kind}"]:checked`);
    if (chosen) body[kind] = chosen.value;
  }
  try {
    render(await api('/api/notifications/preferences', {method: 'PUT', body}));
    showMessage(message, 'Saved.', 'success');
  } catch (error) {
    showMessage(message, errorText(error));
  }
});
