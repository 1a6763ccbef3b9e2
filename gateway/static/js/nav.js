// The top bar every signed-in page shares: links for what the user's role may use,
// the unread-notification badge (polled, and refreshed on focus), and sign-out.
import {api, clearSession, currentUser, el, getToken, redirectToLogin, saveSession} from './api.js';

const LINKS = [
  {page: 'dashboard', label: 'Dashboard'},
  {page: 'booking', label: 'Rooms'},
  {page: 'gpa', label: 'GPA'},
  {page: 'maintenance', label: 'Maintenance'},
  {page: 'notifications', label: 'Notifications', badge: true},
  {page: 'users', label: 'Users', roles: ['admin']},
];
const POLL_MS = 12000;
let badgeNode = null;
let pollTimer = null;

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
    if (link.badge) {
      badgeNode = el('span', {class: 'badge-count', id: 'unread-badge', hidden: true, 'aria-label': 'unread notifications'});
      a.append(badgeNode);
    }
    list.append(el('li', {}, a));
  }
  const logout = el('button', {type: 'button', class: 'btn btn-secondary btn-small', id: 'logout-button', onclick: signOut}, 'Log out');
  const nav = el('nav', {class: 'nav', id: 'main-nav', 'aria-label': 'Main'},
    list,
    el('div', {class: 'nav-user'},
      el('span', {id: 'nav-user-name'}, user.name || user.email, ' ',
        el('span', {class: `pill pill-${user.role}`, id: 'nav-user-role'}, user.role)),
      logout));
  const toggle = el('button', {type: 'button', class: 'btn nav-toggle', 'aria-controls': 'main-nav', 'aria-expanded': 'false'}, 'Menu');
  toggle.addEventListener('click', () => {
    const open = nav.classList.toggle('open');
    toggle.setAttribute('aria-expanded', String(open));
  });
  header.replaceChildren(el('div', {class: 'topbar-inner'},
    el('a', {href: '/dashboard.html', class: 'brand'}, 'Campus Services Hub'), toggle, nav));

  confirmSession();
  startBadge();
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

/** Re-read the unread count now (pages call this after marking things read). */
export async function refreshBadge() {
  if (!badgeNode || !getToken()) return;
  try {
    const data = await api('/api/notifications/unread-count');
    const n = Number((data && (data.unread ?? data.count)) || 0);
    badgeNode.textContent = n > 99 ? '99+' : String(n);
    badgeNode.setAttribute('aria-label', `${n} unread notifications`);
    badgeNode.hidden = n === 0;
  } catch (e) {
    badgeNode.hidden = true;   // the notification service may be down; the rest still works
  }
}

function startBadge() {
  refreshBadge();
  clearInterval(pollTimer);
  pollTimer = setInterval(() => { if (!document.hidden) refreshBadge(); }, POLL_MS);
  window.addEventListener('focus', refreshBadge);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) refreshBadge(); });
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
