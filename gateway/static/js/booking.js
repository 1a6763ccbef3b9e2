import {api, creator, el, errorText, fill, formatDate, outcomeUnknown, pill, showMessage, todayISO} from './api.js';
import {renderNav} from './nav.js';

const me = await renderNav('booking');
const admin = me.role === 'admin';
const BASE = '/api/booking';
const roomSelect = document.getElementById('room');
const dateInput = document.getElementById('date');
const slotsBox = document.getElementById('slots');
const bookButton = document.getElementById('book-button');
const bookMessage = document.getElementById('book-message');
const roomsError = document.getElementById('rooms-error');
// Booking again after a lost answer reuses the Idempotency-Key: never two bookings.
const createBooking = creator();
let rooms = [];
let chosenSlot = null;

if (admin) document.getElementById('mine-title').textContent = 'All upcoming bookings';

// "Today" and the 6 PM cut-off are the campus's (BOOKING_TIMEZONE), not this browser's:
// the booking service owns them and says them at GET /campus. Without its answer the page
// still works, on the browser's date.
async function campusDay() {
  try { return await api(`${BASE}/campus`); } catch (error) { return null; }
}
const campus = await campusDay();
const today = campus ? campus.today : todayISO();
const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const zoneNote = campus && campus.timezone !== browserZone ? ` · times are ${campus.timezone}` : '';
dateInput.min = today;
if (campus) dateInput.max = campus.last_bookable_date;
// After the day's last slot nothing is left to book today: the service then says tomorrow.
dateInput.value = campus ? campus.first_bookable_date : today;

const featureLabel = (f) => f.replace(/_/g, ' ');

async function loadRooms() {
  showMessage(roomsError, '');
  const minCapacity = document.getElementById('min-capacity').value;
  const feature = document.getElementById('feature').value;
  try {
    rooms = await api(`${BASE}/rooms`, {query: {min_capacity: minCapacity, feature}});
  } catch (error) {
    showMessage(roomsError, errorText(error));
    rooms = [];
  }
  const previous = roomSelect.value;
  fill(roomSelect, rooms.length ? rooms.map((r) => el('option', {value: r.id},
    `${r.name} · ${r.building} · ${r.capacity} seats`)) : el('option', {value: ''}, 'No room matches'));
  if (rooms.some((r) => String(r.id) === previous)) roomSelect.value = previous;
  showRoom();
  loadSlots();
}

async function loadFeatures() {
  try {
    const all = await api(`${BASE}/rooms`);
    const features = [...new Set(all.flatMap((r) => r.features))].sort();
    const select = document.getElementById('feature');
    fill(select, select.firstElementChild, features.map((f) => el('option', {value: f}, featureLabel(f))));
  } catch (e) { /* loadRooms shows the error */ }
}

function showRoom() {
  const room = rooms.find((r) => String(r.id) === roomSelect.value);
  const box = document.getElementById('room-details');
  if (!room) { fill(box); return; }
  fill(box, el('p', {}, `${room.building} · capacity ${room.capacity}`),
    el('div', {class: 'actions'}, room.features.length ? room.features.map((f) => pill('feature', featureLabel(f)))
      : el('span', {}, 'No special equipment')));
}

function chooseSlot(button, slot) {
  slotsBox.querySelectorAll('.slot').forEach((b) => b.setAttribute('aria-pressed', 'false'));
  button.setAttribute('aria-pressed', 'true');
  chosenSlot = slot.time_slot;
  bookButton.disabled = false;
  bookButton.textContent = `Book ${slot.time_slot}`;
}

async function loadSlots() {
  chosenSlot = null;
  bookButton.disabled = true;
  bookButton.textContent = 'Choose a free slot';
  const caption = document.getElementById('slots-caption');
  if (!roomSelect.value || !dateInput.value) { fill(slotsBox); caption.textContent = ''; return; }
  try {
    const data = await api(`${BASE}/bookings/available`, {query: {room_id: roomSelect.value, date: dateInput.value}});
    caption.textContent = `${data.room_name}, ${formatDate(data.date)}: ${data.available_slots.length} of ${data.slots.length} free${zoneNote}`;
    fill(slotsBox, data.slots.map((slot) => {
      const state = slot.available ? 'Free' : slot.state === 'past' ? 'Past' : 'Taken';
      const button = el('button', {type: 'button', class: 'slot', 'aria-pressed': 'false', disabled: !slot.available,
        dataset: {slot: slot.time_slot, state: slot.state}},
        el('span', {class: 'slot-time'}, slot.time_slot), el('span', {class: 'slot-state'}, state));
      button.addEventListener('click', () => chooseSlot(button, slot));
      return button;
    }));
  } catch (error) {
    caption.textContent = '';
    fill(slotsBox, el('p', {class: 'alert alert-error', role: 'alert'}, errorText(error)));
  }
}

async function loadBookings() {
  const listNode = document.getElementById('my-bookings');
  const errorBox = document.getElementById('bookings-error');
  showMessage(errorBox, '');
  try {
    const items = (await api(`${BASE}/bookings`, {query: {upcoming: 'true', status: 'active'}}));
    fill(listNode, items.length ? items.map(bookingItem) : el('li', {class: 'empty'}, 'No upcoming bookings.'));
  } catch (error) {
    showMessage(errorBox, errorText(error));
  }
}

function bookingItem(b) {
  const actions = el('div', {class: 'actions'});
  const item = el('li', {class: 'booking', dataset: {bookingId: b.id}},
    el('div', {class: 'item-main'},
      el('div', {class: 'item-title'}, `${b.room_name} · ${formatDate(b.date)} · ${b.time_slot}`),
      el('div', {class: 'small muted'}, [b.building, b.purpose, admin ? `booked by ${b.user_name}` : null,
        b.checked_in ? 'checked in' : null].filter(Boolean).join(' · '))),
    actions);
  if (b.date === today && !b.checked_in) {
    actions.append(el('button', {type: 'button', class: 'btn btn-secondary btn-small', onclick: async () => {
      try { await api(`${BASE}/bookings/${b.id}/check-in`, {method: 'POST'}); loadBookings(); }
      catch (error) { showMessage(document.getElementById('bookings-error'), errorText(error)); }
    }}, 'Check in'));
  }
  actions.append(el('button', {type: 'button', class: 'btn btn-danger btn-small cancel-booking',
    'aria-label': `Cancel ${b.room_name} ${b.date} ${b.time_slot}`, onclick: async () => {
      try {
        await api(`${BASE}/bookings/${b.id}`, {method: 'DELETE'});
        showMessage(bookMessage, `Cancelled ${b.room_name} on ${formatDate(b.date)}, ${b.time_slot}.`, 'success');
        loadBookings();
        loadSlots();
      } catch (error) {
        showMessage(document.getElementById('bookings-error'), errorText(error));
      }
    }}, 'Cancel'));
  return item;
}

document.getElementById('book-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!chosenSlot) return;
  const body = {room_id: Number(roomSelect.value), date: dateInput.value, time_slot: chosenSlot};
  const purpose = document.getElementById('purpose').value.trim();
  if (purpose) body.purpose = purpose;
  bookButton.disabled = true;
  try {
    const booking = await createBooking(`${BASE}/bookings`, body);
    showMessage(bookMessage, `Booked ${booking.room_name} on ${formatDate(booking.date)}, ${booking.time_slot}.`, 'success');
    document.getElementById('purpose').value = '';
    loadBookings();
  } catch (error) {
    showMessage(bookMessage, errorText(error), 'error');
    // No answer: the booking may have been made. Keep the choice, so pressing Book again
    // sends the same request with the same key and gets the first answer.
    if (outcomeUnknown(error)) { bookButton.disabled = false; return; }
  }
  loadSlots();
});

roomSelect.addEventListener('change', () => { showRoom(); loadSlots(); showMessage(bookMessage, ''); });
dateInput.addEventListener('change', () => { loadSlots(); showMessage(bookMessage, ''); });
document.getElementById('min-capacity').addEventListener('change', loadRooms);
document.getElementById('feature').addEventListener('change', loadRooms);
document.getElementById('room-filter').addEventListener('submit', (e) => { e.preventDefault(); loadRooms(); });

loadFeatures();
loadRooms();
loadBookings();
