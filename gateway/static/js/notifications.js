import {api, clearFieldErrors, creator, el, errorText, fill, formatDateTime, pill, showFieldErrors, showMessage} from './api.js';
import {onNotificationPushed, refreshBadge, renderNav} from './nav.js';

const me = await renderNav('notifications');
const BASE = '/api/notifications';
const PER_PAGE = 20;
const list = document.getElementById('notification-list');
const message = document.getElementById('notifications-message');
const unreadOnly = document.getElementById('unread-only');
let page = 1;
let pages = 1;

/** A notification's link ("/booking?booking=12" or "/booking.html?booking=12") as a page of
 *  this site, or null: only paths here, never another site or a script. */
export function pageHref(link) {
  if (typeof link !== 'string' || !/^\/(?!\/)[^\s\\]*$/.test(link)) return null;
  const url = new URL(link, location.origin);
  if (url.origin !== location.origin) return null;
  if (/^\/[a-z-]+$/.test(url.pathname)) url.pathname += '.html';   // "/booking" is the page /booking.html
  return url.pathname + url.search + url.hash;
}

async function load() {
  try {
    const data = await api(BASE, {query: {page, per_page: PER_PAGE, unread: unreadOnly.checked ? 'true' : ''}});
    pages = Math.max(1, data.pages || 1);
    document.getElementById('feed-count').textContent = `(${data.unread} unread)`;
    document.getElementById('feed-page').textContent = `Page ${data.page} of ${pages}`;
    document.getElementById('feed-prev').disabled = page <= 1;
    document.getElementById('feed-next').disabled = page >= pages;
    fill(list, data.notifications.length ? data.notifications.map(item)
      : el('li', {class: 'empty'}, unreadOnly.checked
        ? 'Nothing unread. Untick “Unread only” to see older notifications.'
        : 'No notifications yet. Bookings, tickets and announcements will show up here.'));
  } catch (error) {
    fill(list, el('li', {class: 'empty'}, 'The notifications could not be loaded. Try again in a moment.'));
    showMessage(message, errorText(error));
  }
}

function item(n) {
  const actions = el('div', {class: 'actions'});
  // The accessible name starts with the visible text ("Mark read", "Delete"), then says which.
  if (!n.read) {
    actions.append(el('button', {type: 'button', class: 'btn btn-secondary btn-small mark-read', 'aria-label': `Mark read: ${n.title}`,
      onclick: () => act(() => api(`${BASE}/${n.id}`, {method: 'PUT', body: {read: true}}))}, 'Mark read'));
  }
  actions.append(el('button', {type: 'button', class: 'btn btn-danger btn-small delete-notification', 'aria-label': `Delete: ${n.title}`,
    onclick: () => act(() => api(`${BASE}/${n.id}`, {method: 'DELETE'}))}, 'Delete'));
  const href = pageHref(n.link);
  const title = href ? el('a', {class: 'notification-title notification-link', href}, n.title)
    : el('span', {class: 'notification-title'}, n.title);
  return el('li', {class: `notification ${n.read ? 'read' : 'unread'}`, dataset: {notificationId: n.id, read: String(n.read)}},
    el('div', {class: 'item-main'},
      el('div', {class: 'item-title'}, n.read ? null : el('span', {class: 'pill pill-unread'}, 'Unread'), n.read ? null : ' ', title),
      el('p', {class: 'notification-body'}, n.body),
      el('div', {class: 'small muted'}, pill(n.type), ' ',
        el('time', {datetime: n.created_at, class: 'notification-time'}, formatDateTime(n.created_at)))),
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
onNotificationPushed(() => { if (page === 1) load(); });   // a new one arrived (Socket.IO)

// ------------------------------------------------------------- admins: send
if (me.role === 'admin') {
  document.getElementById('send-card').hidden = false;
  const audience = document.getElementById('send-audience');
  const userSelect = document.getElementById('send-user');
  const roleSelect = document.getElementById('send-role');
  const out = document.getElementById('send-message');
  const confirmBox = document.getElementById('send-confirm');
  let usersLoaded = false;
  let pending = null;   // the body waiting for "Yes, send"

  function cancelConfirm() {
    pending = null;
    confirmBox.hidden = true;
  }

  audience.addEventListener('change', async () => {
    cancelConfirm();
    // Only the fields of the chosen audience are shown (app.css makes [hidden] win over .field).
    document.getElementById('send-role-field').hidden = audience.value !== 'role';
    document.getElementById('send-user-field').hidden = audience.value !== 'user';
    if (audience.value === 'role' && !roleSelect.options.length) {
      // The platform's roles (shared/auth.py), as user-management says them.
      try {
        const {roles} = await api('/api/users/roles');
        fill(roleSelect, roles.map((r) => el('option', {value: r}, r[0].toUpperCase() + r.slice(1))));
      } catch (error) {
        showMessage(out, errorText(error));
      }
    }
    if (audience.value === 'user' && !usersLoaded) {
      try {
        const data = await api('/api/users', {query: {per_page: 100}});
        fill(userSelect, data.users.map((u) => el('option', {value: u.id}, `${u.name} <${u.email}>`)));
        usersLoaded = true;
      } catch (error) {
        showMessage(out, errorText(error));
      }
    }
  });
  roleSelect.addEventListener('change', cancelConfirm);

  const plural = (role) => (/y$/.test(role) ? `${role} members` : `${role}s`);

  /** "Send to all 312 students?": the count is user-management's (GET /api/users total). */
  async function question(body) {
    try {
      const {total} = await api('/api/users', {query: {per_page: 1, role: body.role}});
      if (body.role) return total === 1 ? `Send to the 1 ${body.role}?` : `Send to all ${total} ${plural(body.role)}?`;
      return `Send to everyone: all ${total} people?`;
    } catch (error) {
      return body.role ? `Send to everyone with the role ${body.role}? (How many could not be read.)`
        : 'Send to everyone? (How many could not be read.)';
    }
  }

  const sendNotification = creator();   // sending again after a lost answer sends once
  async function send(body) {
    cancelConfirm();
    try {
      await sendNotification(BASE, body);
      document.getElementById('send-form').reset();
      audience.dispatchEvent(new Event('change'));
      showMessage(out, 'Sent.', 'success');
      document.getElementById('send-title-input').focus();
      load();
      refreshBadge();
    } catch (error) {
      showMessage(out, errorText(error));
    }
  }

  document.getElementById('send-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = {title: document.getElementById('send-title-input').value.trim(),
      body: document.getElementById('send-body').value.trim(), type: document.getElementById('send-type').value};
    clearFieldErrors(event.target);
    const missing = [];
    if (!body.title) missing.push([document.getElementById('send-title-input'), 'Give the notification a title.']);
    if (!body.body) missing.push([document.getElementById('send-body'), 'Write the message.']);
    if (showFieldErrors(missing)) { showMessage(out, ''); return; }
    if (audience.value === 'broadcast') body.broadcast = true;
    else if (audience.value === 'role') body.role = roleSelect.value;
    else body.user_id = userSelect.value;
    if (document.getElementById('send-important').checked) body.important = true;   // always e-mailed
    if (audience.value === 'user') { send(body); return; }
    // To many people: ask first, with how many.
    showMessage(out, '');
    pending = body;
    document.getElementById('send-confirm-text').textContent = await question(body);
    confirmBox.hidden = false;
    document.getElementById('send-confirm-yes').focus();
  });
  document.getElementById('send-confirm-yes').addEventListener('click', () => { if (pending) send(pending); });
  document.getElementById('send-confirm-no').addEventListener('click', () => {
    cancelConfirm();
    document.getElementById('send-button').focus();
  });
}

load();
