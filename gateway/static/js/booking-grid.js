// The rooms-by-hours grid of the booking page: a real table (a row header per room, a
// column header per slot) whose cells are buttons named in full ("Lecture Hall A,
// 10:00 AM - 11:00 AM, free"). Each state has its own word and sign, never colour alone.
// One cell is in the Tab order at a time; the arrow keys, Home and End move between cells.
// On a phone (CSS) the table becomes one room at a time, chosen with a select or a swipe.
import {el, fill} from './api.js';

export const STATES = {
  free: {icon: '+', word: 'Free', says: 'free'},
  yours: {icon: '★', word: 'Yours', says: 'yours'},
  pending: {icon: '◔', word: 'Pending', says: 'pending approval'},
  taken: {icon: '●', word: 'Taken', says: 'taken'},
  closed: {icon: '⊘', word: 'Closed', says: 'closed'},
  past: {icon: '–', word: 'Past', says: 'past'},
  unavailable: {icon: '×', word: 'Unavailable', says: 'unavailable'},
};
const PHONE = window.matchMedia('(max-width: 760px)');

/** "10:00 AM - 11:00 AM" -> "10 AM"; "02:30 PM - ..." -> "2:30 PM"; a 24-hour label keeps its start. */
export function shortTime(label) {
  const m = /^\s*0?(\d{1,2}):(\d{2})\s*([AP]M)/i.exec(label);
  if (m) return m[2] === '00' ? `${m[1]} ${m[3].toUpperCase()}` : `${m[1]}:${m[2]} ${m[3].toUpperCase()}`;
  return String(label).split('-')[0].trim();
}

function stateOf(cell) {
  return STATES[cell.state] ? cell.state : 'unavailable';
}

export class BookingGrid {
  /** table: the <table>; onCell(room, cell, button): a cell was chosen (click, Enter, Space). */
  constructor(table, {onCell, onRoomShown}) {
    this.table = table;
    this.head = table.tHead.rows[0];
    this.body = table.tBodies[0];
    this.onCell = onCell;
    this.onRoomShown = onRoomShown || (() => {});
    this.rows = [];          // [[button, ...] per room]
    this.rooms = [];
    this.shownRoom = null;   // the room a phone shows
    this.body.addEventListener('keydown', (event) => this.keydown(event));
    this.swipe(table.parentElement);
  }

  /** Placeholders while the day loads: the frame, never an empty box. */
  showLoading(slots = 10, rooms = 4) {
    this.rows = [];
    const columns = Math.max(slots, 1);
    if (this.head.cells.length <= 1) this.renderHead(Array.from({length: columns}, () => ''));
    fill(this.body, Array.from({length: rooms}, (_, i) => el('tr', {class: i ? 'not-picked' : null, 'aria-hidden': 'true'},
      el('th', {scope: 'row'}, el('span', {class: 'placeholder-line'}), el('span', {class: 'placeholder-line short'})),
      Array.from({length: columns}, () => el('td', {}, el('div', {class: 'cell-loading'}))))));
    this.table.setAttribute('aria-busy', 'true');
  }

  renderHead(slots) {
    fill(this.head, el('th', {scope: 'col', class: 'room-col'}, 'Room'),
      slots.map((label) => el('th', {scope: 'col', dataset: {slot: label}},
        el('span', {'aria-hidden': 'true'}, label ? shortTime(label) : ''),
        el('span', {class: 'visually-hidden'}, label))));
  }

  /** Draw a day: data is the service's grid answer. `empty` is the node shown for no rooms. */
  render(data, empty) {
    this.table.removeAttribute('aria-busy');
    this.renderHead(data.slots);
    this.rooms = data.rooms;
    this.rows = [];
    if (!data.rooms.length) {
      fill(this.body, el('tr', {}, el('td', {colspan: data.slots.length + 1, class: 'grid-empty-cell'}, empty)));
      return;
    }
    fill(this.body, data.rooms.map((room) => this.roomRow(room, data.slots)));
    const first = this.rows.flat().find((b) => b.dataset.state === 'free') || this.rows[0][0];
    if (first) first.tabIndex = 0;
    const keep = this.rooms.some((r) => r.id === this.shownRoom) ? this.shownRoom : this.rooms[0].id;
    this.showRoom(keep);
  }

  roomRow(room, slots) {
    const tags = [];
    if (room.requires_approval) tags.push(el('span', {class: 'pill pill-approval'}, 'Needs approval'));
    for (const a of room.accessibility || []) tags.push(el('span', {class: 'pill'}, a.replace(/_/g, ' ')));
    const meta = [room.building, room.floor !== undefined && room.floor !== null && room.floor !== '' ? `floor ${room.floor}` : null,
      `${room.capacity} seats`].filter(Boolean).join(' · ');
    const features = (room.features || []).map((f) => f.replace(/_/g, ' ')).join(', ');
    const header = el('th', {scope: 'row', id: `room-${room.id}`, title: features ? `Equipment: ${features}` : null},
      el('span', {class: 'room-name'}, room.name), el('span', {class: 'room-meta'}, meta),
      tags.length ? el('span', {class: 'room-tags'}, tags) : null);
    const bySlot = new Map((room.cells || []).map((c) => [c.slot, c]));
    const buttons = slots.map((label) => this.cellButton(room, bySlot.get(label) || {slot: label, state: 'unavailable'}));
    this.rows.push(buttons);
    return el('tr', {dataset: {roomId: room.id}}, header, buttons.map((b) => el('td', {}, b)));
  }

  cellButton(room, cell) {
    const state = stateOf(cell);
    const info = STATES[state];
    const acts = this.actionable(room, cell, state);
    let says = info.says;
    if (state === 'free' && room.requires_approval) says = 'free, needs approval';
    const name = [room.name, cell.slot, says, cell.reason].filter(Boolean).join(', ');
    const button = el('button', {type: 'button', class: `cell cell-${state}`, tabindex: -1,
      'aria-label': name, title: cell.reason || null, 'aria-disabled': acts ? null : 'true',
      dataset: cell.booking_id ? {roomId: room.id, slot: cell.slot, state, bookingId: cell.booking_id}
        : {roomId: room.id, slot: cell.slot, state}},
    // The spaces between the parts keep the visible words apart, as in the accessible name
    // (which must contain the visible text: axe label-content-name-mismatch).
    el('span', {class: 'cell-time', 'aria-hidden': 'true'}, cell.slot), ' ',
    el('span', {class: 'cell-status', 'aria-hidden': 'true'},
      el('span', {class: 'cell-icon'}, info.icon), ' ', el('span', {class: 'cell-word'}, info.word)), ' ',
    state === 'closed' && cell.reason ? el('span', {class: 'cell-reason', 'aria-hidden': 'true'}, cell.reason) : null);
    button.addEventListener('click', () => { this.makeCurrent(button); this.onCell(room, cell, button, acts); });
    return button;
  }

  /** Whether choosing the cell does something: book a free one, cancel one's own (or, for
   *  the service's say-so of a booking id, a held one). The rest only explain themselves. */
  actionable(room, cell, state) {
    if (state === 'free') return true;
    return ['yours', 'pending', 'taken'].includes(state) && Boolean(cell.booking_id);
  }

  makeCurrent(button) {
    for (const b of this.rows.flat()) b.tabIndex = -1;
    button.tabIndex = 0;
  }

  /** Focus a cell by room and slot (after a booking or a cancel, the page's next sensible control). */
  focusCell(roomId, slot) {
    const button = this.rows.flat().find((b) => b.dataset.roomId === String(roomId) && b.dataset.slot === slot);
    if (!button) return false;
    this.makeCurrent(button);
    button.focus();
    return true;
  }

  keydown(event) {
    const button = event.target.closest('.cell');
    if (!button) return;
    const r = this.rows.findIndex((row) => row.includes(button));
    if (r < 0) return;
    const c = this.rows[r].indexOf(button);
    const phone = PHONE.matches;
    let nr = r;
    let nc = c;
    switch (event.key) {
      case 'ArrowLeft': nc = c - 1; break;
      case 'ArrowRight': nc = c + 1; break;
      case 'ArrowUp': if (phone) nc = c - 2; else nr = r - 1; break;
      case 'ArrowDown': if (phone) nc = c + 2; else nr = r + 1; break;
      case 'Home': nc = 0; if (event.ctrlKey) nr = 0; break;
      case 'End': nc = this.rows[r].length - 1; if (event.ctrlKey) nr = this.rows.length - 1; break;
      default: return;
    }
    event.preventDefault();
    if (phone) nr = r;   // one room at a time: the select or a swipe changes room
    nr = Math.max(0, Math.min(this.rows.length - 1, nr));
    nc = Math.max(0, Math.min(this.rows[nr].length - 1, nc));
    const next = this.rows[nr][nc];
    this.makeCurrent(next);
    next.focus();
  }

  /** The room a phone shows (the others stay in the table, hidden only on narrow screens). */
  showRoom(roomId) {
    if (!this.rooms.length) return;
    const room = this.rooms.find((r) => r.id === roomId) || this.rooms[0];
    this.shownRoom = room.id;
    for (const tr of this.body.rows) tr.classList.toggle('not-picked', tr.dataset.roomId !== String(room.id));
    if (PHONE.matches) {
      const i = this.rooms.indexOf(room);
      const current = this.rows[i].find((b) => b.tabIndex === 0);
      if (!current) this.makeCurrent(this.rows[i].find((b) => b.dataset.state === 'free') || this.rows[i][0]);
    }
    this.onRoomShown(room, this.rooms.indexOf(room), this.rooms.length);
  }

  stepRoom(delta) {
    if (!this.rooms.length) return;
    const i = this.rooms.findIndex((r) => r.id === this.shownRoom);
    const next = this.rooms[(i + delta + this.rooms.length) % this.rooms.length];
    this.showRoom(next.id);
  }

  /** A horizontal swipe on a phone shows the next or the previous room. */
  swipe(area) {
    let start = null;
    area.addEventListener('touchstart', (e) => {
      start = e.touches.length === 1 ? {x: e.touches[0].clientX, y: e.touches[0].clientY} : null;
    }, {passive: true});
    area.addEventListener('touchend', (e) => {
      if (!start || !PHONE.matches) return;
      const t = e.changedTouches[0];
      const dx = t.clientX - start.x;
      const dy = t.clientY - start.y;
      start = null;
      if (Math.abs(dx) > 60 && Math.abs(dx) > 2 * Math.abs(dy)) this.stepRoom(dx < 0 ? 1 : -1);
    }, {passive: true});
  }
}
