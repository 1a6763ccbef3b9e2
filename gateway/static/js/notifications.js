import {api, creator, el, errorText, fill, formatDateTime, pill, showMessage} from './api.js';
import {refreshBadge, renderNav} from './nav.js';

const me = await renderNav('notifications');
const BASE = '/api/notifications';
const PER_PAGE = 20;
const list = document.getElementById('notification-list');
const message = document.getElementById('notifications-message');
const unreadOnly = document.getElementById('unread-only');
let page = 1;
let pages = 1;

async function load() {
  try {
    const data = await api(BASE, {query: {page, per_page: PER_PAGE, unread: unreadOnly.checked ? 'true' : ''}});
    pages = Math.max(1, data.pages || 1);
    document.getElementById('feed-count').textContent = `(${data.unread} unread)`;
    document.getElementById('feed-page').textContent = `Page ${data.page} of ${pages}`;
    document.getElementById('feed-prev').disabled = page <= 1;
    document.getElementById('feed-next').disabled = page >= pages;
    fill(list, data.notifications.length ? data.notifications.map(item)
      : el('li', {class: 'empty'}, unreadOnly.checked ? 'Nothing unread.' : 'No notifications yet.'));
  } catch (error) {
    showMessage(message, errorText(error));
  }
}

function item(n) {
  const actions = el('div', {class: 'actions'});
  if (!n.read) {
    actions.append(el('button', {type: 'button', class: 'btn btn-secondary btn-small mark-read', 'aria-label': `Mark “${n.title}” as read`,
      onclick: () => act(() => api(`${BASE}/${n.id}`, {method: 'PUT', body: {read: true}}))}, 'Mark read'));
  }
  actions.append(el('button', {type: 'button', class: 'btn btn-danger btn-small delete-notification', 'aria-label': `Delete “${n.title}”`,
    onclick: () => act(() => api(`${BASE}/${n.id}`, {method: 'DELETE'}))}, 'Delete'));
  return el('li', {class: `notification ${n.read ? 'read' : 'unread'}`, dataset: {notificationId: n.id, read: String(n.read)}},
    el('div', {class: 'item-main'},
      el('div', {class: 'item-title'}, n.read ? null : el('span', {class: 'pill pill-unread'}, 'Unread'), n.read ? null : ' ',
        el('span', {class: 'notification-title'}, n.title)),
      el('p', {class: 'notification-body'}, n.body),
      el('div', {class: 'small muted'}, pill(n.type), ' ', formatDateTime(n.created_at))),
    actions);
}

async function act(call) {
  try {
    await call();
    showMessage(message, '');
  } catch (error) {
    showMessage(message, errorText(error));
  }
  await load();
  refreshBadge();
}

document.getElementById('mark-all-read').addEventListener('click', () => act(() => api(`${BASE}/read-all`, {method: 'POST'})));
unreadOnly.addEventListener('change', () => { page = 1; load(); });
document.getElementById('feed-prev').addEventListener('click', () => { if (page > 1) { page -= 1; load(); } });
document.getElementById('feed-next').addEventListener('click', () => { if (page < pages) { page += 1; load(); } });
window.addEventListener('focus', load);

// ------------------------------------------------------------- admins: send
if (me.role === 'admin') {
  document.getElementById('send-card').hidden = false;
  const audience = document.getElementById('send-audience');
  const userSelect = document.getElementById('send-user');
  const roleSelect = document.getElementById('send-role');
  let usersLoaded = false;
  audience.addEventListener('change', async () => {
    document.getElementById('send-role-field').hidden = audience.value !== 'role';
    document.getElementById('send-user-field').hidden = audience.value !== 'user';
    if (audience.value === 'role' && !roleSelect.options.length) {
      // The platform's roles (shared/auth.py), as user-management says them.
      try {
        const {roles} = await api('/api/users/roles');
        fill(roleSelect, roles.map((r) => el('option', {value: r}, r[0].toUpperCase() + r.slice(1))));
      } catch (error) {
        showMessage(document.getElementById('send-message'), errorText(error));
      }
    }
    if (audience.value === 'user' && !usersLoaded) {
      try {
        const data = await api('/api/users', {query: {per_page: 100}});
        fill(userSelect, data.users.map((u) => el('option', {value: u.id}, `${u.name} <${u.email}>`)));
        usersLoaded = true;
      } catch (error) {
        showMessage(document.getElementById('send-message'), errorText(error));
      }
    }
  });
  const sendNotification = creator();   // sending again after a lost answer sends once
  document.getElementById('send-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const out = document.getElementById('send-message');
    const body = {title: document.getElementById('send-title-input').value.trim(),
      body: document.getElementById('send-body').value.trim(), type: document.getElementById('send-type').value};
    if (!body.title || !body.body) { showMessage(out, 'A title and a message are required.'); return; }
    if (audience.value === 'broadcast') body.broadcast = true;
    else if (audience.value === 'role') body.role = roleSelect.value;
    else body.user_id = userSelect.value;
    try {
      await sendNotification(BASE, body);
      event.target.reset();
      audience.dispatchEvent(new Event('change'));
      showMessage(out, 'Sent.', 'success');
      load();
      refreshBadge();
    } catch (error) {
      showMessage(out, errorText(error));
    }
  });
}

load();
