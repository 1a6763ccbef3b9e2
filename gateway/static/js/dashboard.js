import {api, el, errorText, fill, formatDate, formatDateTime, pill, todayISO} from './api.js';
import {onUnread, renderNav} from './nav.js';
import {connectTickets} from './realtime.js';

const me = await renderNav('dashboard');
const admin = me.role === 'admin';
document.getElementById('greeting').textContent = `Welcome, ${me.name || me.email}`;
document.getElementById('today').textContent = formatDate(todayISO());
if (admin) {
  document.getElementById('bookings-title').textContent = 'Upcoming bookings (everyone)';
  document.getElementById('tickets-title').textContent = 'Open tickets (everyone)';
}

const label = (s) => String(s || '').replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
// An error inside a list is still a list item (axe: a <ul> holds only <li>).
const problem = (error) => el('li', {}, el('p', {class: 'alert alert-error', role: 'alert'}, errorText(error)));

async function bookings() {
  const node = document.getElementById('dash-bookings');
  try {
    // Which statuses hold a slot is the booking service's rule (GET /campus).
    const {holding_statuses: holding} = await api('/api/booking/campus');
    const pages = await Promise.all(holding.map((status) =>
      api('/api/booking/bookings', {query: {upcoming: 'true', status, per_page: 5}})));
    const items = pages.flatMap((p) => (Array.isArray(p) ? p : p.items))
      .sort((a, b) => String(a.start_utc || a.date).localeCompare(String(b.start_utc || b.date))).slice(0, 5);
    fill(node, items.length ? items.map((b) => el('li', {class: 'booking', dataset: {bookingId: b.id}},
      el('div', {class: 'item-main'}, el('div', {class: 'item-title'}, b.room_name),
        el('div', {class: 'small muted'}, `${formatDate(b.date)} · ${b.time_slot}${admin ? ` · ${b.user_name}` : ''}`)),
      b.status === 'pending' ? pill(b.status, 'Pending approval') : null))
      : el('li', {class: 'empty'}, admin ? 'Nothing booked by anyone.' : 'Nothing booked. Book a room below.'));
  } catch (error) { fill(node, problem(error)); }
}

async function tickets() {
  const node = document.getElementById('dash-tickets');
  try {
    // Which statuses are open work is the maintenance service's rule (GET /meta).
    const {open_statuses: openStatuses} = await api('/api/maintenance/meta');
    const found = await Promise.all(openStatuses.map((status) =>
      api('/api/maintenance/tickets', {query: {status, per_page: 5}})));
    const items = found.flatMap((page) => page.items).sort((a, b) => b.id - a.id).slice(0, 6);
    const total = found.reduce((sum, page) => sum + page.total, 0);
    fill(node, items.length ? items.map((t) => el('li', {class: 'ticket', dataset: {ticketId: t.id}},
      el('div', {class: 'item-main'}, el('div', {class: 'item-title'}, t.title),
        el('div', {class: 'small muted'}, `${t.category} · due ${formatDateTime(t.sla_due_at)}`)),
      pill(t.status, label(t.status)))) : el('li', {class: 'empty'}, admin ? 'No open tickets.' : 'No open tickets. Report a problem below.'),
    total > items.length ? el('li', {class: 'small muted'}, `and ${total - items.length} more`) : null);
  } catch (error) { fill(node, problem(error)); }
}

// The unread count is the top bar's (nav.js): pushed over Socket.IO, polled slowly as a safety net.
onUnread((n) => {
  const node = document.getElementById('dash-unread');
  node.textContent = n === null ? '–' : String(n);
  node.title = n === null ? 'The notification service cannot say right now.' : '';
});

async function health() {
  const card = document.getElementById('health-card');
  card.hidden = false;
  try {
    const data = await api('/health/services');
    fill(document.getElementById('health-overall'), pill(data.status, label(data.status)));
    fill(document.getElementById('health-body'), Object.entries(data.services).map(([name, s]) => el('tr', {dataset: {service: name}},
      el('td', {}, name), el('td', {}, pill(s.status, label(s.status))), el('td', {class: 'num'}, `${Math.round(s.latency_ms)} ms`))));
    document.getElementById('health-checked').textContent = `Checked ${new Date().toLocaleTimeString()}; refreshes every 30 s.`;
  } catch (error) {
    fill(document.getElementById('health-body'), el('tr', {}, el('td', {colspan: 3}, errorText(error))));
  }
}

bookings();
tickets();
window.addEventListener('focus', () => { bookings(); tickets(); });
if (admin) { health(); setInterval(health, 30000); }
connectTickets({onCreated: tickets, onUpdated: tickets});
