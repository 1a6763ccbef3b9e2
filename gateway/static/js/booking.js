// The booking page: the campus's rooms by hours for one day (booking-grid.js), booking a
// free cell and cancelling one's own in a dialog (dialog.js), the person's upcoming
// bookings with the calendar subscription, and for admins the requests waiting for approval.
// "Today", the hours and every cell's state are the booking service's (the campus time
// zone), never this browser's clock.
import {api, creator, el, errorText, fill, formatDate, outcomeUnknown, pill, showMessage} from './api.js';
import {renderNav} from './nav.js';
import {BookingGrid} from './booking-grid.js';
import {ask} from './dialog.js';

const BASE = '/api/booking';
const PER_PAGE = 10;
const $ = (id) => document.getElementById(id);
const dateInput = $('date');
const filterIds = {building: 'building', min_capacity: 'min-capacity', feature: 'feature', accessibility: 'accessibility'};
const gridMessage = $('grid-message');
const roomPick = $('room-pick');

const grid = new BookingGrid($('booking-grid'), {onCell: chooseCell, onRoomShown: roomShown});
grid.showLoading();   // the frame at once, placeholders until the day arrives

const me = await renderNav('booking');
const admin = me.role === 'admin';
// Booking again after a lost answer reuses the Idempotency-Key: never two bookings.
const createBooking = creator();
const state = {campus: null, day: null, loadToken: 0, bookingsPage: 1, people: null};

const tag = (text) => String(text).replace(/_/g, ' ');
const when = (date, slot) => `${formatDate(date)}, ${slot}`;

// ------------------------------------------------------------------ the day and its filters
function filters() {
  const query = {};
  for (const [param, id] of Object.entries(filterIds)) {
    const value = ($(id).value || $(id).dataset.wanted || '').trim();
    if (value) query[param] = value;
  }
  return query;
}

/** Keep the day and the filters in the address, so a reload or a shared link shows the same. */
function remember() {
  const params = new URLSearchParams({date: dateInput.value, ...filters()});
  if (grid.shownRoom) params.set('room', grid.shownRoom);
  history.replaceState(null, '', `${location.pathname}?${params}`);
}

function fillOptions(select, values) {
  const chosen = select.value || select.dataset.wanted || '';
  fill(select, select.firstElementChild, values.map((v) => el('option', {value: v}, tag(v))));
  if (chosen && !values.includes(chosen)) select.append(el('option', {value: chosen}, tag(chosen)));
  select.value = chosen;
  delete select.dataset.wanted;
}

/** ISO date plus n days, by the calendar alone (no clock, no zone). */
function addDays(iso, n) {
  const [y, m, d] = iso.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1, d + n));
  return t.toISOString().slice(0, 10);
}

function dayBounds() {
  const today = state.campus ? state.campus.today : (state.day && state.day.today);
  if (today) dateInput.min = today;
  if (state.campus && state.campus.last_bookable_date) dateInput.max = state.campus.last_bookable_date;
  $('prev-day').disabled = Boolean(today && dateInput.value && dateInput.value <= today);
  $('next-day').disabled = Boolean(dateInput.max && dateInput.value && dateInput.value >= dateInput.max);
}

async function loadGrid({focus} = {}) {
  const token = ++state.loadToken;
  grid.showLoading(state.day ? state.day.slots.length : 10, Math.min(state.day ? state.day.rooms.length || 3 : 4, 6));
  $('grid-summary').textContent = 'Loading rooms…';
  let data;
  try {
    data = await api(`${BASE}/grid`, {query: {date: dateInput.value || undefined, ...filters()}});
  } catch (error) {
    if (token !== state.loadToken) return;
    $('grid-summary').textContent = '';
    if ($('campus-note').textContent.startsWith('Loading')) $('campus-note').textContent = 'Hourly slots.';
    grid.render({slots: state.day ? state.day.slots : [], rooms: []},
      el('p', {class: 'alert alert-error', role: 'alert'}, `The rooms could not be loaded. ${errorText(error)}`));
    return;
  }
  if (token !== state.loadToken) return;   // a newer choice is on its way
  state.day = data;
  if (state.guessedDate) {
    // The day was only this browser's guess (the campus clock did not answer): the grid's
    // "today" is the campus's, so open on that.
    state.guessedDate = false;
    if (data.date !== data.today) { dateInput.value = data.today; loadGrid(); return; }
  }
  dayBounds();
  fillOptions($('building'), data.buildings || []);
  fillOptions($('feature'), data.features || []);
  fillOptions($('accessibility'), data.accessibility || []);
  const zone = data.timezone ? ` Times are campus time (${data.timezone}).` : '';
  $('campus-note').textContent = `Hourly slots. Today on campus is ${formatDate(data.today)}.${zone}`;
  const free = data.rooms.reduce((n, r) => n + r.cells.filter((c) => c.state === 'free').length, 0);
  $('grid-summary').textContent = data.rooms.length
    ? `${formatDate(data.date)}: ${data.rooms.length} ${data.rooms.length === 1 ? 'room' : 'rooms'}, ${free} free ${free === 1 ? 'slot' : 'slots'}`
    : `${formatDate(data.date)}: no rooms`;
  grid.render(data, emptyState());
  fill(roomPick, data.rooms.map((r) => el('option', {value: r.id}, `${r.name} · ${r.capacity} seats`)));
  roomPick.disabled = !data.rooms.length;
  if (data.rooms.length) roomPick.value = String(grid.shownRoom);
  remember();
  if (focus) grid.focusCell(focus.roomId, focus.slot);
}

function emptyState() {
  const anyFilter = Object.keys(filters()).length > 0;
  return el('div', {class: 'grid-empty'},
    el('p', {}, anyFilter ? 'No room matches these filters.' : 'No rooms can be booked yet.'),
    anyFilter
      ? el('button', {type: 'button', class: 'btn btn-secondary', onclick: clearFilters}, 'Clear the filters')
      : el('p', {class: 'small muted'}, admin ? 'Add a room on the rooms page.' : 'Ask the campus administrators to add rooms.'),
    !anyFilter && admin ? el('a', {href: '/rooms-admin.html', class: 'btn'}, 'Manage rooms') : null);
}

function clearFilters() {
  clearTimeout(typing);
  for (const id of Object.values(filterIds)) $(id).value = '';
  loadGrid();
  $('building').focus();
}

function roomShown(room, index, count) {
  if (roomPick.options.length) roomPick.value = String(room.id);
  $('prev-room').disabled = count < 2;
  $('next-room').disabled = count < 2;
}

// ------------------------------------------------------------------ a cell is chosen
function chooseCell(room, cell, button, acts) {
  showMessage(gridMessage, '', 'info');
  const date = state.day.date;
  if (cell.state === 'free') { bookDialog(room, cell, date); return; }
  if (acts) { cancelDialog(cell.booking_id, {room, date, slot: cell.slot, state: cell.state}); return; }
  const explain = {
    closed: `${room.name} is closed on ${formatDate(date)}${cell.reason ? `: ${cell.reason}` : ''}.`,
    past: `${cell.slot} on ${formatDate(date)} has passed.`,
    taken: `${room.name} is already booked at ${cell.slot}. Choose a free cell.`,
    pending: `${room.name} at ${cell.slot} is held by a request waiting for approval.`,
    unavailable: `${room.name} cannot be booked at ${cell.slot}${cell.reason ? `: ${cell.reason}` : ''}.`,
  };
  showMessage(gridMessage, explain[cell.state] || explain.unavailable, 'info');
}

async function people() {
  if (state.people) return state.people;
  try {
    const data = await api('/api/users', {query: {page: 1, per_page: 100}});
    state.people = (data.items || data.users || []).filter((u) => u.id !== me.id)
      .sort((a, b) => String(a.name).localeCompare(String(b.name)));
  } catch (error) {
    state.people = [];
  }
  return state.people;
}

async function bookDialog(room, cell, date) {
  const fields = [{name: 'purpose', label: 'Purpose (optional)', maxlength: 500, placeholder: 'e.g. Study group'}];
  if (admin) {
    const others = await people();
    fields.push({name: 'user_id', label: 'Book for', type: 'select',
      options: [['', 'Myself'], ...others.map((u) => [u.id, `${u.name} (${u.email})`])]});
  }
  const facts = el('div', {class: 'booking-facts'},
    el('p', {class: 'item-title'}, room.name), el('p', {}, when(date, cell.slot)),
    el('p', {class: 'small muted'}, `${room.building} · ${room.capacity} seats`));
  const body = [facts];
  if (room.requires_approval) {
    body.push(el('p', {class: 'alert alert-info'},
      'This room needs approval: your request holds the slot until an administrator approves or rejects it.'));
  }
  const outcome = await ask({
    title: room.requires_approval ? 'Request this room' : 'Book this room', body, fields,
    confirm: room.requires_approval ? 'Send request' : 'Book',
    cancel: 'Back',
    action: async (values) => {
      const request = {room_id: room.id, date, time_slot: cell.slot};
      if (values.purpose) request.purpose = values.purpose;
      if (values.user_id) request.user_id = values.user_id;
      try {
        return await createBooking(`${BASE}/bookings`, request);
      } catch (error) {
        // Someone was quicker, or the room closed meanwhile: show the day as it is now.
        if (error.status === 409) loadGrid();
        if (outcomeUnknown(error)) {
          error.message = `${error.message} Press "${room.requires_approval ? 'Send request' : 'Book'}" again: it will not book twice.`;
        }
        throw error;
      }
    },
  });
  if (!outcome) return;
  const b = outcome.result;
  const forWhom = b.booked_by && b.user_name ? ` for ${b.user_name}` : '';
  showMessage(gridMessage, b.status === 'pending'
    ? `Requested ${b.room_name}, ${when(b.date, b.time_slot)}${forWhom}: waiting for approval.`
    : `Booked ${b.room_name}, ${when(b.date, b.time_slot)}${forWhom}.`, 'success');
  await loadGrid({focus: {roomId: room.id, slot: cell.slot}});
  loadBookings();
  if (admin) loadPending();
}

/** Ask before cancelling, saying exactly what is cancelled (the booking as the service has it). */
async function cancelDialog(bookingId, {room, date, slot, state: cellState} = {}) {
  let b = null;
  try { b = await api(`${BASE}/bookings/${bookingId}`); } catch (error) { /* say what the grid knows */ }
  const roomName = b ? b.room_name : room.name;
  const day = b ? b.date : date;
  const label = b ? b.time_slot : slot;
  const mine = b ? b.user_id === me.id : cellState !== 'taken';
  const pending = b ? b.status === 'pending' : cellState === 'pending';
  const what = pending ? 'request' : 'booking';
  const whose = mine ? `your ${what}` : `${b ? `${b.user_name}'s` : 'this'} ${what}`;
  const facts = el('div', {class: 'booking-facts'}, el('p', {class: 'item-title'}, roomName),
    el('p', {}, when(day, label)), b && b.purpose ? el('p', {class: 'small muted'}, b.purpose) : null);
  const outcome = await ask({
    title: `Cancel ${whose}?`,
    body: [facts, mine ? 'The slot becomes free for others.' : 'The slot becomes free, and the person who holds it is told.'],
    confirm: `Cancel ${what}`, cancel: `Keep ${what}`, danger: true,
    action: () => api(`${BASE}/bookings/${bookingId}`, {method: 'DELETE'}),
  });
  if (!outcome) return false;
  showMessage(gridMessage, `Cancelled ${whose}: ${roomName}, ${when(day, label)}.`, 'success');
  const roomId = b ? b.room_id : room && room.id;
  if (state.day && day === state.day.date) await loadGrid({focus: {roomId, slot: label}});
  else loadGrid();
  loadBookings();
  if (admin) loadPending();
  return true;
}

// ------------------------------------------------------------------ your upcoming bookings
function listOf(data) {
  if (Array.isArray(data)) return {items: data, total: data.length};
  return {items: data.items || [], total: data.total ?? (data.items || []).length};
}

const statusLabel = (s) => ({pending: 'Pending approval', confirmed: 'Confirmed',
  released: 'Released (no check-in)', expired: 'Expired (not decided in time)'}[s] || tag(s));
// Which statuses still hold a slot is the service's rule (GET /campus); without it, offer
// every action and let the service refuse.
const holds = (status) => !state.campus || state.campus.holding_statuses.includes(status);

async function loadBookings(more = false) {
  const list = $('my-bookings');
  const errorBox = $('bookings-error');
  showMessage(errorBox, '');
  state.bookingsPage = more ? state.bookingsPage + 1 : 1;
  try {
    // Yours: for an admin too (who would otherwise get everyone's; the grid shows those).
    const data = listOf(await api(`${BASE}/bookings`, {query: {user_id: me.id, page: more ? state.bookingsPage : undefined,
      per_page: PER_PAGE}}));
    const items = data.items.map(bookingItem);
    if (more) list.append(...items);
    else fill(list, data.items.some((b) => holds(b.status)) ? items : [el('li', {class: 'empty'},
      'No upcoming bookings. Choose a free cell in the grid above to book a room.'), ...items]);
    list.removeAttribute('aria-busy');
    $('more-bookings').hidden = list.querySelectorAll('li.booking').length >= data.total;
  } catch (error) {
    list.removeAttribute('aria-busy');
    if (!more) fill(list);
    showMessage(errorBox, errorText(error));
  }
}

function bookingItem(b) {
  const actions = el('div', {class: 'actions'});
  const others = [b.building, b.purpose, b.booked_by && b.booked_by !== me.id && b.booked_by_name ? `booked for you by ${b.booked_by_name}` : null,
    b.booked_by === me.id && b.user_id !== me.id ? `for ${b.user_name}` : null, b.checked_in ? 'checked in' : null,
    !holds(b.status) ? b.reason : null];
  const item = el('li', {class: `booking${holds(b.status) ? '' : ' booking-ended'}`, dataset: {bookingId: b.id, status: b.status}},
    el('div', {class: 'item-main'},
      el('div', {class: 'item-title'}, `${b.room_name} · ${when(b.date, b.time_slot)}`),
      el('div', {class: 'small muted'}, pill(b.status, statusLabel(b.status)), ' ', others.filter(Boolean).join(' · '))),
    actions);
  // A cancelled, rejected or released booking is listed for the record, with nothing to do.
  if (!holds(b.status)) return item;
  const today = state.day ? state.day.today : null;
  if (b.date === today && !b.checked_in && b.status !== 'pending') {
    actions.append(el('button', {type: 'button', class: 'btn btn-secondary btn-small', onclick: async () => {
      try {
        await api(`${BASE}/bookings/${b.id}/check-in`, {method: 'POST'});
        await loadBookings();
        $('my-bookings').focus();
      } catch (error) { showMessage($('bookings-error'), errorText(error)); }
    }}, 'Check in'));
  }
  actions.append(el('button', {type: 'button', class: 'btn btn-danger btn-small cancel-booking',
    'aria-label': `Cancel ${b.room_name}, ${when(b.date, b.time_slot)}`,
    onclick: async () => {
      if (await cancelDialog(b.id)) $('mine-title').focus();
    }}, 'Cancel'));
  return item;
}

// ------------------------------------------------------------------ calendar subscription
async function showFeed(reset = false) {
  const message = $('feed-message');
  showMessage(message, '', 'info');
  try {
    const link = await api(`${BASE}/bookings/feed${reset ? '/reset' : ''}`, {method: reset ? 'POST' : 'GET'});
    $('feed-url').value = link.url;
    $('feed-box').hidden = false;
    $('feed-show').hidden = true;
    if (reset) showMessage(message, 'A new link is ready; the old one no longer works. Subscribe again with this one.', 'success');
    $('feed-url').focus();
    $('feed-url').select();
  } catch (error) {
    showMessage(message, errorText(error), 'error');
  }
}

async function copyFeed() {
  const input = $('feed-url');
  let copied = false;
  try {
    await navigator.clipboard.writeText(input.value);
    copied = true;
  } catch (error) {
    input.select();
    copied = document.execCommand && document.execCommand('copy');
  }
  showMessage($('feed-message'), copied ? 'Link copied. Paste it into your calendar app.'
    : 'Select the link and copy it (Ctrl+C or long-press).', copied ? 'success' : 'info');
}

async function resetFeed() {
  const outcome = await ask({title: 'Reset your calendar link?',
    body: ['Calendars subscribed with the old link stop receiving your bookings. Use this if the link was shared by mistake.'],
    confirm: 'Reset link', cancel: 'Keep link', danger: true, action: async () => true});
  if (outcome) showFeed(true);
}

// ------------------------------------------------------------------ approvals (admins)
async function loadPending() {
  const list = $('pending-list');
  showMessage($('approvals-error'), '');
  try {
    const data = listOf(await api(`${BASE}/bookings`, {query: {status: 'pending', per_page: 50, order: 'start'}}));
    fill(list, data.items.length ? data.items.map(pendingItem)
      : el('li', {class: 'empty'}, 'Nothing waits for approval. Requests for rooms that need approval appear here.'));
  } catch (error) {
    fill(list);
    showMessage($('approvals-error'), errorText(error));
  }
  list.removeAttribute('aria-busy');
}

function pendingItem(b) {
  const what = `${b.room_name}, ${when(b.date, b.time_slot)}`;
  const decided = async (verb) => {
    showMessage($('approvals-message'), `${verb} ${b.user_name}'s request: ${what}.`, 'success');
    await loadPending();
    loadGrid();
    loadBookings();
    $('approvals-title').focus();
  };
  return el('li', {class: 'booking', dataset: {bookingId: b.id}},
    el('div', {class: 'item-main'},
      el('div', {class: 'item-title'}, what),
      el('div', {class: 'small muted'}, [`${b.user_name}`, b.purpose, b.booked_by_name ? `booked by ${b.booked_by_name}` : null]
        .filter(Boolean).join(' · '))),
    el('div', {class: 'actions'},
      el('button', {type: 'button', class: 'btn btn-small approve', 'aria-label': `Approve ${b.user_name}'s request: ${what}`,
        onclick: async () => {
          try {
            await api(`${BASE}/bookings/${b.id}/approve`, {method: 'POST', body: {}});
            await decided('Approved');
          } catch (error) { showMessage($('approvals-error'), errorText(error)); }
        }}, 'Approve'),
      el('button', {type: 'button', class: 'btn btn-danger btn-small reject', 'aria-label': `Reject ${b.user_name}'s request: ${what}`,
        onclick: async () => {
          const outcome = await ask({title: `Reject ${b.user_name}'s request?`,
            body: [el('div', {class: 'booking-facts'}, el('p', {class: 'item-title'}, b.room_name), el('p', {}, when(b.date, b.time_slot)))],
            fields: [{name: 'reason', label: 'Reason (sent to the requester)', type: 'textarea', required: true, maxlength: 500}],
            confirm: 'Reject request', cancel: 'Back',
            action: (values) => api(`${BASE}/bookings/${b.id}/reject`, {method: 'POST', body: {reason: values.reason}})});
          if (outcome) await decided('Rejected');
        }}, 'Reject')));
}

// ------------------------------------------------------------------ wiring
function changeDay(value) {
  if (!value) return;
  dateInput.value = value;
  showMessage(gridMessage, '', 'info');
  loadGrid();
}

dateInput.addEventListener('change', () => changeDay(dateInput.value));
$('prev-day').addEventListener('click', () => changeDay(addDays(dateInput.value, -1)));
$('next-day').addEventListener('click', () => changeDay(addDays(dateInput.value, 1)));
for (const id of ['building', 'feature', 'accessibility']) $(id).addEventListener('change', () => loadGrid());
// Seats: as the person types (a pause, not every key). Not on "change": that fires on blur, and
// would redraw the grid under the very click (e.g. on "Clear the filters") that blurred it.
let typing = null;
$('min-capacity').addEventListener('input', () => {
  clearTimeout(typing);
  typing = setTimeout(() => loadGrid(), 400);
});
$('grid-filters').addEventListener('submit', (e) => { e.preventDefault(); loadGrid(); });
$('clear-filters').addEventListener('click', clearFilters);
roomPick.addEventListener('change', () => { grid.showRoom(Number(roomPick.value)); remember(); });
$('prev-room').addEventListener('click', () => { grid.stepRoom(-1); remember(); });
$('next-room').addEventListener('click', () => { grid.stepRoom(1); remember(); });
$('feed-show').addEventListener('click', () => showFeed());
$('feed-copy').addEventListener('click', copyFeed);
$('feed-reset').addEventListener('click', resetFeed);
$('more-bookings').addEventListener('click', () => loadBookings(true));
for (const id of ['mine-title', 'approvals-title']) $(id).tabIndex = -1;

// What the address asks for (a reload, a shared link): the day, the filters, the room.
const asked = new URLSearchParams(location.search);
for (const [param, id] of Object.entries(filterIds)) {
  if (asked.get(param)) { $(id).value = asked.get(param); $(id).dataset.wanted = asked.get(param); }
}
if (asked.get('room')) grid.shownRoom = Number(asked.get('room'));

if (admin) {
  $('approvals-card').hidden = false;
  loadPending();
}
loadBookings();

// The campus's day first: after the last slot, the first bookable day is tomorrow. Without
// that answer the grid still opens, on the campus date the grid service itself answers.
try { state.campus = await api(`${BASE}/campus`); } catch (error) { state.campus = null; }
const wantedDate = /^\d{4}-\d{2}-\d{2}$/.test(asked.get('date') || '') ? asked.get('date') : null;
if (wantedDate && (!state.campus || wantedDate >= state.campus.today)) dateInput.value = wantedDate;
else if (state.campus) dateInput.value = state.campus.first_bookable_date;
else {
  dateInput.value = new Date().toLocaleDateString('en-CA');   // a first guess only: see loadGrid
  state.guessedDate = true;
}
dayBounds();
loadGrid();
