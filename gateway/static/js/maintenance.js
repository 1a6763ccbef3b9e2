import {api, creator, el, errorText, fill, formatDateTime, pill, showMessage} from './api.js';
import {refreshBadge, renderNav} from './nav.js';
import {connectTickets} from './realtime.js';

const me = await renderNav('maintenance');
const admin = me.role === 'admin';
const BASE = '/api/maintenance';
const PER_PAGE = 20;
const list = document.getElementById('ticket-list');
const listError = document.getElementById('tickets-error');
const liveMessage = document.getElementById('live-message');
const filters = {status: document.getElementById('filter-status'), category: document.getElementById('filter-category'),
  priority: document.getElementById('filter-priority')};
// The ticket rules are the maintenance service's (maintenance_service/models.py), read at GET /meta.
// Until they arrive (or if they cannot), an admin's status list offers only the current status.
let transitions = {};
let categories = [];
let departments = [];
let page = 1;
let pages = 1;
let total = 0;
let shownResultId = null;

function showPageInfo() {
  document.getElementById('tickets-page').textContent = `Page ${page} of ${pages} · ${total} ticket${total === 1 ? '' : 's'}`;
}

if (admin) document.getElementById('tickets-title').textContent = 'All tickets';

const label = (s) => String(s || '').replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
const percent = (c) => `${Math.round(Number(c) * 100)}%`;

function details(ticket) {
  return el('dl', {class: 'small ticket-facts'},
    fact('Category', ticket.category, 'ticket-category'),
    fact('Confidence', percent(ticket.confidence), 'ticket-confidence'),
    fact('Priority', label(ticket.priority), 'ticket-priority'),
    fact('Department', ticket.department, 'ticket-department'),
    fact('Respond by', `${formatDateTime(ticket.sla_due_at)} (${ticket.sla_hours} h SLA)`, 'ticket-sla'));
}

function fact(name, value, cls) {
  return el('div', {class: 'fact'}, el('dt', {}, name), el('dd', {class: cls}, value ?? '—'));
}

function showCreated(ticket) {
  const box = document.getElementById('ticket-result');
  const notes = [];
  if (ticket.needs_review) notes.push(el('p', {class: 'alert alert-info'}, 'The category is uncertain; staff will review it.'));
  if (ticket.possible_duplicate_of) notes.push(el('p', {class: 'alert alert-info'}, `This may be the same problem as ticket #${ticket.possible_duplicate_of}.`));
  else if (ticket.similar_report_exists) notes.push(el('p', {class: 'alert alert-info'}, 'A similar report already exists; staff will link them.'));
  fill(document.getElementById('ticket-result-body'),
    el('p', {}, el('strong', {class: 'ticket-title'}, `#${ticket.id} ${ticket.title}`), ' ', pill(ticket.status, label(ticket.status))),
    details(ticket), notes);
  box.hidden = false;
  shownResultId = ticket.id;
}

function ticketItem(ticket) {
  const status = pill(ticket.status, label(ticket.status));
  status.classList.add('ticket-status');
  const main = el('div', {class: 'item-main'},
    el('div', {class: 'item-title ticket-title'}, `#${ticket.id} · ${ticket.title}`),
    el('div', {class: 'small muted'}, [ticket.location, formatDateTime(ticket.created_at), admin ? ticket.user_name || ticket.user_email : null]
      .filter(Boolean).join(' · ')),
    el('p', {class: 'small ticket-description'}, ticket.description.length > 240 ? `${ticket.description.slice(0, 240)}…` : ticket.description),
    el('div', {class: 'actions'}, status, pill(ticket.priority, label(ticket.priority)), pill('category', ticket.category),
      el('span', {class: 'small muted'}, `${ticket.department} · due ${formatDateTime(ticket.sla_due_at)}`)));
  if (admin) main.append(adminControls(ticket));
  return el('li', {dataset: {ticketId: ticket.id}, class: 'ticket'}, main);
}

function options(select, values, current, labeller = (v) => v) {
  fill(select, values.map((v) => el('option', {value: v}, labeller(v))));
  if (current !== undefined) select.value = current;
  return select;
}

function adminControls(ticket) {
  const id = ticket.id;
  const status = options(el('select', {id: `status-${id}`, class: 'ticket-status-select'}),
    [ticket.status, ...(transitions[ticket.status] || [])], ticket.status, label);
  const category = options(el('select', {id: `category-${id}`}),
    categories.includes(ticket.category) ? categories : [ticket.category, ...categories], ticket.category);
  const department = options(el('select', {id: `department-${id}`}),
    departments.includes(ticket.department) ? departments : [ticket.department, ...departments], ticket.department);
  const comment = el('input', {id: `comment-${id}`, type: 'text', maxlength: 2000, placeholder: 'Optional note to the reporter'});
  const error = el('p', {class: 'alert alert-error', role: 'alert'});
  const form = el('form', {class: 'row ticket-admin', novalidate: true},
    el('div', {class: 'field'}, el('label', {for: `status-${id}`}, 'Status'), status),
    el('div', {class: 'field'}, el('label', {for: `category-${id}`}, 'Category'), category),
    el('div', {class: 'field'}, el('label', {for: `department-${id}`}, 'Department'), department),
    el('div', {class: 'field'}, el('label', {for: `comment-${id}`}, 'Comment'), comment),
    el('div', {class: 'field fixed'}, el('button', {type: 'submit', class: 'btn btn-small save-ticket'}, 'Update')),
    error);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const change = {};
    if (status.value !== ticket.status) change.status = status.value;
    if (category.value !== ticket.category) change.category = category.value;
    if (department.value !== ticket.department) change.department = department.value;
    if (comment.value.trim()) change.comment = comment.value.trim();
    if (!Object.keys(change).length) { showMessage(error, 'Nothing to change.', 'info'); return; }
    try {
      upsert(await api(`${BASE}/tickets/${id}`, {method: 'PUT', body: change}));
    } catch (e) {
      showMessage(error, errorText(e));
    }
  });
  return form;
}

function matchesFilters(ticket) {
  return Object.entries(filters).every(([name, select]) => !select.value || select.value === ticket[name]);
}

/** Put a ticket (new or changed) into the list in place; returns whether it changed status. */
function upsert(ticket) {
  if (ticket.id === shownResultId) showCreated(ticket);
  const existing = list.querySelector(`li[data-ticket-id="${Number(ticket.id)}"]`);
  if (!matchesFilters(ticket)) {
    if (existing) { existing.remove(); total -= 1; showPageInfo(); }
    return;
  }
  const item = ticketItem(ticket);
  if (existing) {
    existing.replaceWith(item);
    return;
  }
  total += 1;
  showPageInfo();
  if (page === 1) {
    list.querySelector('.empty')?.remove();
    list.prepend(item);
  }
}

async function load() {
  showMessage(listError, '');
  const query = {page, per_page: PER_PAGE};
  for (const [name, select] of Object.entries(filters)) query[name] = select.value;
  try {
    const data = await api(`${BASE}/tickets`, {query});
    pages = Math.max(1, data.pages || 1);
    total = data.total;
    showPageInfo();
    document.getElementById('tickets-prev').disabled = page <= 1;
    document.getElementById('tickets-next').disabled = page >= pages;
    fill(list, data.tickets.length ? data.tickets.map(ticketItem)
      : el('li', {class: 'empty'}, admin ? 'No tickets match.' : 'You have not reported anything yet.'));
  } catch (error) {
    showMessage(listError, errorText(error));
  }
}

async function loadChoices() {
  let rules;
  try {
    rules = await api(`${BASE}/meta`);
  } catch (error) {
    showMessage(liveMessage, `The ticket choices could not be loaded: ${errorText(error)}`);
    return;
  }
  transitions = rules.transitions;
  categories = rules.categories.map((c) => c.name);
  departments = rules.departments;
  const keepFirst = (select) => select.firstElementChild;
  fill(filters.status, keepFirst(filters.status), rules.statuses.map((s) => el('option', {value: s}, label(s))));
  fill(filters.category, keepFirst(filters.category), categories.map((c) => el('option', {value: c}, c)));
  fill(filters.priority, keepFirst(filters.priority), rules.priorities.map((p) => el('option', {value: p}, label(p))));
}

const form = document.getElementById('ticket-form');
const createTicket = creator();   // a retry after a lost answer files one ticket, not two
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const errorBox = document.getElementById('ticket-error');
  showMessage(errorBox, '');
  const body = {title: form.title.value.trim(), description: form.description.value.trim()};
  if (form.location.value.trim()) body.location = form.location.value.trim();
  if (!body.title || !body.description) { showMessage(errorBox, 'Say what is wrong and give some details.'); return; }
  const button = document.getElementById('submit-ticket');
  button.disabled = true;
  try {
    const ticket = await createTicket(`${BASE}/tickets`, body);
    form.reset();
    showCreated(ticket);
    upsert(ticket);
  } catch (error) {
    showMessage(errorBox, errorText(error));
  } finally {
    button.disabled = false;
  }
});

for (const select of Object.values(filters)) select.addEventListener('change', () => { page = 1; load(); });
document.getElementById('tickets-prev').addEventListener('click', () => { if (page > 1) { page -= 1; load(); } });
document.getElementById('tickets-next').addEventListener('click', () => { if (page < pages) { page += 1; load(); } });

const liveStatus = document.getElementById('live-status');
connectTickets({
  onCreated: (ticket) => upsert(ticket),
  onUpdated: (ticket) => {
    const before = list.querySelector(`li[data-ticket-id="${Number(ticket.id)}"] .ticket-status`);
    upsert(ticket);
    if (ticket.user_id === me.id) {
      showMessage(liveMessage, `Ticket #${ticket.id} “${ticket.title}” is now ${label(ticket.status).toLowerCase()}.`, 'info');
      refreshBadge();
    } else if (before) {
      showMessage(liveMessage, `Ticket #${ticket.id} is now ${label(ticket.status).toLowerCase()}.`, 'info');
    }
  },
  onStatus: (state, detail) => {
    liveStatus.className = `pill ${state === 'live' ? 'pill-healthy' : state === 'offline' ? 'pill-unreachable' : ''}`;
    liveStatus.textContent = state === 'live' ? 'Live updates: on'
      : state === 'offline' ? 'Live updates: off (retrying)' : 'Live updates: connecting…';
    liveStatus.title = detail || '';
    liveStatus.dataset.state = state;
  },
});

loadChoices().then(load);
