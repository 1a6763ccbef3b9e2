// Rooms and closures (admins): add, edit and retire rooms; declare closures for a room, a
// building or the whole campus, and lift them. The rules (validation, who is notified,
// which bookings a closure cancels) are the booking service's; this page asks and shows.
import {api, el, errorText, fill, formatDate, showMessage} from './api.js';
import {denyUnlessRole, renderNav} from './nav.js';
import {ask, showFieldErrors} from './dialog.js';

const BASE = '/api/booking';
const $ = (id) => document.getElementById(id);
const me = await renderNav('booking');
const state = {rooms: [], editing: null, campus: null};

const roomInputs = {name: $('room-name'), building: $('room-building'), floor: $('room-floor'), capacity: $('room-capacity'),
  features: $('room-features'), accessibility: $('room-accessibility'), description: $('room-description'),
  open_time: $('room-open'), close_time: $('room-close')};
const closureInputs = {building: $('closure-building'), room_id: $('closure-room'), start_date: $('closure-start'),
  end_date: $('closure-end'), reason: $('closure-reason')};
const tags = (text) => text.split(',').map((t) => t.trim()).filter(Boolean);
const tag = (text) => String(text).replace(/_/g, ' ');

function listOf(data) {
  return Array.isArray(data) ? data : (data.items || []);
}

// ------------------------------------------------------------------ rooms
function hoursOptions(campus) {
  // The hours a room may open are the campus's slots (GET /campus), not restated here.
  const slots = campus && campus.slots ? campus.slots : [];
  const starts = slots.map((s) => s.start);
  const ends = slots.map((s) => s.end);
  fill($('room-open'), starts.map((t) => el('option', {value: t}, t)));
  fill($('room-close'), ends.map((t) => el('option', {value: t}, t)));
  if (starts.length) $('room-open').value = starts[0];
  if (ends.length) $('room-close').value = ends[ends.length - 1];
}

async function loadRooms() {
  const list = $('room-list');
  showMessage($('rooms-error'), '');
  try {
    state.rooms = listOf(await api(`${BASE}/rooms`));
    fill(list, state.rooms.length ? state.rooms.map(roomItem) : el('li', {class: 'empty'}, 'No rooms yet. Add one with the form above.'));
  } catch (error) {
    fill(list);
    showMessage($('rooms-error'), errorText(error));
  }
  list.removeAttribute('aria-busy');
  const buildings = [...new Set(state.rooms.map((r) => r.building))].sort();
  fill($('known-buildings'), buildings.map((b) => el('option', {value: b})));
  const building = $('closure-building').value;
  fill($('closure-building'), buildings.map((b) => el('option', {value: b}, b)));
  if (buildings.includes(building)) $('closure-building').value = building;
  const room = $('closure-room').value;
  fill($('closure-room'), state.rooms.map((r) => el('option', {value: r.id}, `${r.name} (${r.building})`)));
  if (room) $('closure-room').value = room;
}

function roomItem(room) {
  const facts = [room.building, room.floor ? `floor ${room.floor}` : null, `${room.capacity} seats`,
    room.open_time && room.close_time ? `${room.open_time}–${room.close_time}` : null,
    room.requires_approval ? 'needs approval' : null].filter(Boolean).join(' · ');
  const extras = [(room.features || []).map(tag).join(', '), (room.accessibility || []).join(', ')].filter(Boolean).join(' · ');
  return el('li', {class: 'room', dataset: {roomId: room.id}},
    el('div', {class: 'item-main'},
      el('div', {class: 'item-title'}, room.name),
      el('div', {class: 'small muted'}, facts),
      extras ? el('div', {class: 'small'}, extras) : null,
      room.description ? el('div', {class: 'small muted'}, room.description) : null),
    el('div', {class: 'actions'},
      el('button', {type: 'button', class: 'btn btn-secondary btn-small', 'aria-label': `Edit ${room.name}`,
        onclick: () => editRoom(room)}, 'Edit'),
      el('button', {type: 'button', class: 'btn btn-danger btn-small', 'aria-label': `Retire ${room.name}`,
        onclick: () => retireRoom(room)}, 'Retire')));
}

function editRoom(room) {
  state.editing = room;
  for (const [name, input] of Object.entries(roomInputs)) {
    const value = room[name];
    input.value = Array.isArray(value) ? value.join(', ') : (value ?? '');
  }
  $('room-approval').checked = Boolean(room.requires_approval);
  $('room-form-title').textContent = `Edit ${room.name}`;
  $('room-save').textContent = 'Save changes';
  $('room-form-reset').hidden = false;
  showFieldErrors(roomInputs, []);
  showMessage($('room-form-message'), '', 'info');
  $('room-name').focus();
}

function stopEditing() {
  state.editing = null;
  $('room-form').reset();
  hoursOptions(state.campus);
  $('room-form-title').textContent = 'Add a room';
  $('room-save').textContent = 'Add room';
  $('room-form-reset').hidden = true;
  showFieldErrors(roomInputs, []);
}

async function saveRoom(event) {
  event.preventDefault();
  const body = {name: roomInputs.name.value.trim(), building: roomInputs.building.value.trim(),
    floor: roomInputs.floor.value.trim(), capacity: Number(roomInputs.capacity.value),
    features: tags(roomInputs.features.value), accessibility: tags(roomInputs.accessibility.value),
    description: roomInputs.description.value.trim(), requires_approval: $('room-approval').checked,
    open_time: roomInputs.open_time.value, close_time: roomInputs.close_time.value};
  const missing = [];
  if (!body.name) missing.push({field: 'name', message: 'Give the room a name.'});
  if (!body.building) missing.push({field: 'building', message: 'Say which building it is in.'});
  if (!Number.isInteger(body.capacity) || body.capacity < 1) missing.push({field: 'capacity', message: 'Seats: a whole number, 1 or more.'});
  if (showFieldErrors(roomInputs, missing)) return;
  const editing = state.editing;
  try {
    const room = await api(editing ? `${BASE}/rooms/${editing.id}` : `${BASE}/rooms`,
      {method: editing ? 'PUT' : 'POST', body});
    stopEditing();
    showMessage($('room-form-message'), editing ? `Saved ${room.name}.` : `Added ${room.name}.`, 'success');
    await loadRooms();
  } catch (error) {
    showMessage($('room-form-message'), errorText(error), 'error');
    if (!showFieldErrors(roomInputs, error.details || []) && error.status === 409) {
      showFieldErrors(roomInputs, [{field: 'name', message: error.message}]);
    }
  }
}

async function retireRoom(room) {
  const outcome = await ask({title: `Retire ${room.name}?`,
    body: [`${room.name} (${room.building}) takes no new bookings and leaves the grid. Bookings already made are kept.`],
    confirm: 'Retire room', cancel: 'Keep room', danger: true,
    action: () => api(`${BASE}/rooms/${room.id}`, {method: 'DELETE'})});
  if (!outcome) return;
  showMessage($('rooms-error'), `Retired ${room.name}.`, 'success');
  await loadRooms();
  $('rooms-title').focus();
}

// ------------------------------------------------------------------ closures
function scopeChanged() {
  const scope = $('closure-scope').value;
  $('closure-building-field').hidden = scope !== 'building';
  $('closure-room-field').hidden = scope !== 'room';
}

function closureWhere(c) {
  if (c.scope === 'room' || c.room_id) return c.room_name || `Room ${c.room_id}`;
  if (c.scope === 'building' || c.building) return c.building;
  return 'The whole campus';
}

const span = (c) => (c.start_date === c.end_date ? formatDate(c.start_date) : `${formatDate(c.start_date)} to ${formatDate(c.end_date)}`);

async function loadClosures() {
  const list = $('closure-list');
  showMessage($('closures-error'), '');
  try {
    const closures = listOf(await api(`${BASE}/closures`));
    fill(list, closures.length ? closures.map(closureItem) : el('li', {class: 'empty'}, 'No closures. Declare one with the form above.'));
  } catch (error) {
    fill(list);
    showMessage($('closures-error'), errorText(error));
  }
  list.removeAttribute('aria-busy');
}

function closureItem(c) {
  return el('li', {class: 'closure', dataset: {closureId: c.id}},
    el('div', {class: 'item-main'},
      el('div', {class: 'item-title'}, `${closureWhere(c)}: ${c.reason}`),
      el('div', {class: 'small muted'}, span(c))),
    el('div', {class: 'actions'},
      el('button', {type: 'button', class: 'btn btn-danger btn-small', 'aria-label': `Lift the closure of ${closureWhere(c)}, ${span(c)}`,
        onclick: async () => {
          const outcome = await ask({title: 'Lift this closure?',
            body: [`${closureWhere(c)}, ${span(c)} (${c.reason}) can be booked again. Bookings it cancelled stay cancelled.`],
            confirm: 'Lift closure', cancel: 'Keep closure', danger: true,
            action: () => api(`${BASE}/closures/${c.id}`, {method: 'DELETE'})});
          if (!outcome) return;
          showMessage($('closures-error'), `Lifted the closure of ${closureWhere(c)}.`, 'success');
          await loadClosures();
          $('closures-title').focus();
        }}, 'Lift')));
}

/** The bookings a closure would cancel, as the service lists them in its 409. */
function conflicts(error) {
  return (error.facts && Array.isArray(error.facts.bookings)) ? error.facts.bookings : [];
}

async function saveClosure(event) {
  event.preventDefault();
  const scope = $('closure-scope').value;
  const body = {start_date: closureInputs.start_date.value, end_date: closureInputs.end_date.value || closureInputs.start_date.value,
    reason: closureInputs.reason.value.trim()};
  if (scope === 'building') body.building = closureInputs.building.value;
  if (scope === 'room') body.room_id = Number(closureInputs.room_id.value);
  const missing = [];
  if (!body.start_date) missing.push({field: 'start_date', message: 'Choose the first closed day.'});
  if (!body.reason) missing.push({field: 'reason', message: 'Say why: everyone sees the reason.'});
  if (showFieldErrors(closureInputs, missing)) return;
  const message = $('closure-form-message');
  showMessage(message, '', 'info');
  try {
    await declare(body);
  } catch (error) {
    if (error.status === 409 && !(error.details || []).some((d) => d.field && closureInputs[d.field])) {
      const affected = conflicts(error);
      const outcome = await ask({title: 'Cancel the bookings in this closure?',
        body: [error.message || 'Bookings fall in this closure.',
          affected.length ? el('ul', {class: 'small'}, affected.slice(0, 20).map((b) => el('li', {},
            [b.room_name, b.date ? formatDate(b.date) : null, b.time_slot, b.user_name].filter(Boolean).join(' · ')))) : null,
          'Their holders are told the booking was cancelled and why.'].filter(Boolean),
        confirm: 'Close and cancel them', cancel: 'Back', danger: true,
        action: () => declare({...body, confirm: true})});
      if (outcome) return;
      showMessage(message, 'Nothing was closed.', 'info');
      return;
    }
    showMessage(message, errorText(error), 'error');
    showFieldErrors(closureInputs, error.details || []);
  }
}

async function declare(body) {
  const created = await api(`${BASE}/closures`, {method: 'POST', body});
  const closure = created.closure || created;
  const cancelled = (created.cancelled || []).length;
  showMessage($('closure-form-message'), `Closed ${closureWhere(closure)}, ${span(closure)}${cancelled ? `; ${cancelled} ${cancelled === 1 ? 'booking' : 'bookings'} cancelled and their holders told` : ''}.`, 'success');
  $('closure-form').reset();
  scopeChanged();
  showFieldErrors(closureInputs, []);
  await loadClosures();
  return created;
}

// ------------------------------------------------------------------ wiring
if (!denyUnlessRole($('main'), me, ['admin'], 'Managing rooms and closures')) {
  $('room-form').addEventListener('submit', saveRoom);
  $('room-form-reset').addEventListener('click', stopEditing);
  $('closure-form').addEventListener('submit', saveClosure);
  $('closure-scope').addEventListener('change', scopeChanged);
  $('closure-start').addEventListener('change', () => {
    if (!$('closure-end').value || $('closure-end').value < $('closure-start').value) $('closure-end').value = $('closure-start').value;
  });
  scopeChanged();
  loadRooms();
  loadClosures();
  try { state.campus = await api(`${BASE}/campus`); } catch (error) { state.campus = null; }
  if (state.campus) {
    $('closure-start').min = state.campus.today;
    $('closure-end').min = state.campus.today;
  }
  hoursOptions(state.campus);
}
