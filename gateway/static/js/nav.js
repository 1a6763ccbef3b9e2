// The top bar every signed-in page shares: links for what the user's role may use,
// the unread-notification badge (on the Notifications link, and on the Menu button on a
// phone, where the links are folded away), and sign-out. The unread count is the page's
// one source (pages listen with onUnread): re-read when a notification is pushed over
// Socket.IO (realtime.js), on focus, and by a poll that is slow while pushes arrive.
import {api, clearSession, currentUser, el, getToken, redirectToLogin, saveSession} from './api.js';
import {loadCampusZone} from './format.js';
import {connectNotifications} from './realtime.js';

const LINKS = [
  {page: 'dashboard', label: 'Dashboard'},
  {page: 'booking', label: 'Rooms'},
  {page: 'gpa', label: 'GPA'},
  {page: 'maintenance', label: 'Maintenance'},
  {page: 'notifications', label: 'Notifications', badge: true},
  {page: 'users', label: 'Users', roles: ['admin']},
];
const POLL_MS = 15000;          // no pushes (socket down, or no shared channel)
const SAFETY_POLL_MS = 120000;  // pushes arrive: only a safety net
let badges = [];
let pollTimer = null;
let pushed = false;             // notifications are pushed and the socket is live
let unread = null;
const unreadListeners = [];
const pushListeners = [];

/** Links the user's role may use (exported for tests of the rule by eye). */
function linksFor(role) {
  return LINKS.filter((link) => !link.roles || link.roles.includes(role));
}

/** Render the top bar; resolves to the signed-in user. Without a live token it leaves for
 *  sign-in and never resolves, so the page's code stops there (`await renderNav(...)`). */
export async function renderNav(activePage) {
  const user = currentUser();
  if (!user) {
    redirectToLogin(getToken() ? 'expired' : 'signin');
    await new Promise(() => {});
  }
  const header = document.getElementById('topbar');
  header.className = 'topbar';

  const list = el('ul');
  for (const link of linksFor(user.role)) {
    const a = el('a', {href: `/${link.page}.html`, 'data-page': link.page,
      'aria-current': link.page === activePage ? 'page' : null}, link.label);
    if (link.badge) a.append(el('span', {class: 'badge-count', id: 'unread-badge', hidden: true}));
    list.append(el('li', {}, a));
  }
  const logout = el('button', {type: 'button', class: 'btn btn-secondary btn-small', id: 'logout-button', onclick: signOut}, 'Log out');
  const nav = el('nav', {class: 'nav', id: 'main-nav', 'aria-label': 'Main'},
    list,
    el('div', {class: 'nav-user'},
      el('span', {id: 'nav-user-name'}, el('span', {class: 'user-name-text'}, user.name || user.email), ' ',
        el('span', {class: `pill pill-${user.role}`, id: 'nav-user-role'}, user.role)),
      logout));
  const toggle = el('button', {type: 'button', class: 'btn nav-toggle', 'aria-controls': 'main-nav', 'aria-expanded': 'false'}, 'Menu',
    el('span', {class: 'badge-count', id: 'menu-badge', hidden: true}));
  badges = [list.querySelector('#unread-badge'), toggle.querySelector('#menu-badge')];
  toggle.addEventListener('click', () => {
    const open = nav.classList.toggle('open');
    toggle.setAttribute('aria-expanded', String(open));
  });
  header.replaceChildren(el('div', {class: 'topbar-inner'},
    el('a', {href: '/dashboard.html', class: 'brand'}, 'Campus Services Hub'), toggle, nav));

  confirmSession();
  startBadge();
  // The frame is drawn; the page draws its dates in the campus zone (asked once per browser
  // session, waited for at most 1.5 s: the placeholders show meanwhile).
  await loadCampusZone(() => api('/api/booking/campus'), 1500);
  return user;
}

/** Ask the server who we are: a revoked token answers 401 and api() leaves for sign-in;
 *  a changed name or role is picked up. */
async function confirmSession() {
  try {
    const me = await api('/auth/me');
    const stored = currentUser();
    if (me && stored && (me.role !== stored.role || me.name !== stored.name)) {
      saveSession(getToken(), {id: me.id, email: me.email, name: me.name, role: me.role});
      location.reload();
    }
  } catch (e) { /* 401 already redirected; anything else: keep the page usable */ }
}

/** fn(n) whenever the unread count is read (n is null when the service cannot say). */
export function onUnread(fn) {
  unreadListeners.push(fn);
  if (unread !== null) fn(unread);
}

/** fn(hint) when a notification for this user is pushed ({id, title, type, link}). */
export function onNotificationPushed(fn) {
  pushListeners.push(fn);
}

function showUnread(n) {
  unread = n;
  for (const badge of badges) {
    if (!badge) continue;
    badge.textContent = n > 99 ? '99+' : String(n || 0);
    // Read with the link ("Notifications 3") and the button ("Menu 3"); the title says what it counts.
    badge.title = `${n} unread notifications`;
    badge.hidden = !n;
  }
  for (const fn of unreadListeners) fn(n);
}

/** Re-read the unread count now (pages call this after marking things read). */
export async function refreshBadge() {
  if (!badges.length || !getToken()) return;
  try {
    const data = await api('/api/notifications/unread-count');
    showUnread(Number((data && (data.unread ?? data.count)) || 0));
  } catch (e) {
    showUnread(null);   // the notification service may be down; the rest still works
  }
}

function schedulePoll() {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(async () => {
    if (!document.hidden) await refreshBadge();
    schedulePoll();
  }, pushed ? SAFETY_POLL_MS : POLL_MS);
}

async function startBadge() {
  refreshBadge();
  schedulePoll();
  window.addEventListener('focus', refreshBadge);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) refreshBadge(); });
  let pushes = false;
  let state = 'connecting';
  const update = () => {
    const now = pushes && state === 'live';
    if (now === pushed) return;
    pushed = now;
    document.documentElement.dataset.notificationPushes = String(now);   // for tests and curious readers
    if (now) refreshBadge();   // anything missed while the socket was down
    schedulePoll();
  };
  pushes = await connectNotifications({
    onCreated: (hint) => {
      refreshBadge();
      for (const fn of pushListeners) fn(hint);
    },
    onStatus: (next) => { state = next; update(); },
  });
  update();
}

async function signOut() {
  try {
    await api('/auth/logout', {method: 'POST'});
  } catch (e) { /* signing out locally is what matters */ }
  clearSession();
  location.replace('/?reason=signedout');
}

/** For pages that only some roles may use: show "not allowed" instead of the page. */
export function denyUnlessRole(main, user, roles, what) {
  if (roles.includes(user.role)) return false;
  main.replaceChildren(el('div', {class: 'card', id: 'not-allowed', role: 'alert'},
    el('h1', {}, 'Not allowed'),
    el('p', {}, `${what} is only available to ${roles.join(' or ')} accounts. You are signed in as a ${user.role}.`),
    el('a', {href: '/dashboard.html', class: 'btn'}, 'Back to the dashboard')));
  return true;
}
