// The ticket desk. Everyone: report a problem, see their tickets (newest first) and open one:
// its timeline and conversation. Staff (admins): the queue as the service orders it (what
// needs action first), counters, filters and search, a detail panel to change status,
// priority (with a reason), category, department and assignee, internal notes, and a
// status change for several tickets at once. The rules (statuses, moves, priorities,
// categories) come from GET /meta; nothing here restates them.
import {api, creator, el, errorText, fill, formatDateTime, pill, showMessage} from './api.js';
import {renderAttachments, uploadAll} from './attachments.js';
import {refreshBadge, renderNav} from './nav.js';
import {connectTickets} from './realtime.js';

const me = await renderNav('maintenance');
const admin = me.role === 'admin';
const BASE = '/api/maintenance';
const PER_PAGE = 25;
const $ = (id) => document.getElementById(id);
const list = $('ticket-list');
const listError = $('tickets-error');
const liveMessage = $('live-message');
const filters = {q: $('filter-q'), status: $('filter-status'), priority: $('filter-priority'),
  category: $('filter-category'), department: $('filter-department'), assignee: $('filter-assignee'),
  overdue: $('filter-overdue')};
let rules = {transitions: {}, statuses: [], priorities: [], categories: [], departments: []};
let admins = [];
let page = 1;
let pages = 1;
let openId = null;          // the ticket in the detail panel
let openTicket = null;
let shownResultId = null;
const selected = new Set();

// GET /meta lists the priorities most pressing first.
const pressing = () => rules.priorities[0];
const label = (s) => String(s || '').replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

if (admin) {
  $('tickets-title').textContent = 'Ticket queue';
  document.querySelector('.desk').classList.add('staff');
  for (const node of document.querySelectorAll('.staff-only')) node.hidden = false;
  $('queue-counters').hidden = false;
}

// ---------------------------------------------------------------- times
function span(ms) {
  const minutes = Math.round(Math.abs(ms) / 60000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} d`;
}
const age = (ticket) => span(Date.now() - Date.parse(ticket.created_at));
function due(ticket) {
  if (!(rules.open_statuses || []).includes(ticket.status)) return '—';
  const left = Date.parse(ticket.sla_due_at) - Date.now();
  return left < 0 ? `${span(left)} overdue` : `in ${span(left)}`;
}

// ---------------------------------------------------------------- the report form's answer
function fact(name, value, cls) {
  return el('div', {class: 'fact'}, el('dt', {}, name), el('dd', {class: cls}, value ?? '—'));
}

function showCreated(ticket) {
  const notes = [];
  if (ticket.needs_review) notes.push(el('p', {class: 'alert alert-info'}, 'The category is uncertain; staff will review it.'));
  if (ticket.similar_report_exists) notes.push(el('p', {class: 'alert alert-info'}, 'A similar report already exists at this location.'));
  fill($('ticket-result-body'),
    el('p', {}, el('strong', {class: 'ticket-title'}, `#${ticket.id} ${ticket.title}`), ' ', pill(ticket.status, label(ticket.status))),
    el('dl', {class: 'small ticket-facts'},
      fact('Category', ticket.category, 'ticket-category'),
      fact('Priority', label(ticket.priority), 'ticket-priority'),
      fact('Department', ticket.department, 'ticket-department'),
      fact('Respond by', `${formatDateTime(ticket.sla_due_at)} (${ticket.sla_hours} h)`, 'ticket-sla')),
    notes);
  $('ticket-result').hidden = false;
  shownResultId = ticket.id;
}

// ---------------------------------------------------------------- the queue
function row(ticket) {
  const status = pill(ticket.status, label(ticket.status));
  status.classList.add('ticket-status');
  const open = el('button', {type: 'button', class: 'ticket-open ticket-title'}, `#${ticket.id} · ${ticket.title}`);
  open.addEventListener('click', () => openDetail(ticket.id));
  const cells = [];
  if (admin) {
    const box = el('input', {type: 'checkbox', class: 'select-ticket', id: `select-${ticket.id}`});
    box.checked = selected.has(ticket.id);
    box.addEventListener('change', () => { if (box.checked) selected.add(ticket.id); else selected.delete(ticket.id); showSelection(); });
    cells.push(el('td', {class: 'col-select'}, el('label', {for: `select-${ticket.id}`, class: 'visually-hidden'},
      `Select ticket #${ticket.id}`), box));
  }
  cells.push(
    el('td', {class: 'col-priority'}, pill(ticket.priority === pressing() ? 'high' : 'open', label(ticket.priority))),
    el('td', {class: 'col-title'}, open),
    el('td', {class: 'col-optional small'}, ticket.location || '—'),
    el('td', {class: 'col-optional small'}, age(ticket)),
    el('td', {class: 'col-due small', title: formatDateTime(ticket.sla_due_at)}, due(ticket)),
    el('td', {class: 'col-optional small ticket-assignee'}, ticket.assignee_name || '—'),
    el('td', {class: 'col-status'}, status));
  const tr = el('tr', {dataset: {ticketId: ticket.id}, class: `ticket${ticket.overdue ? ' overdue' : ''}`}, ...cells);
  if (ticket.id === openId) tr.classList.add('selected-row');
  return tr;
}

function showSelection() {
  $('bulk-count').textContent = `${selected.size} selected`;
  $('bulk-apply').disabled = selected.size === 0;
}

function query() {
  const out = {page, per_page: PER_PAGE};
  for (const [name, input] of Object.entries(filters)) {
    if (input.type === 'checkbox') { if (input.checked) out[name] = 'true'; } else if (input.value.trim()) out[name] = input.value.trim();
  }
  return out;
}

function showCounters(counters) {
  for (const [name, n] of Object.entries(counters)) {
    $(`count-${name}`)?.querySelector('.counter-n').replaceChildren(String(n));
  }
  $('count-urgent').setAttribute('aria-pressed', String(filters.priority.value === pressing()));
  $('count-overdue').setAttribute('aria-pressed', String(filters.overdue.checked));
  $('count-unassigned').setAttribute('aria-pressed', String(filters.assignee.value === 'unassigned'));
}

let loading = null;
async function load() {
  showMessage(listError, '');
  const mine = loading = api(`${BASE}/tickets`, {query: query()});
  try {
    const data = await mine;
    if (mine !== loading) return;   // a newer load answers
    pages = Math.max(1, data.pages || 1);
    $('tickets-page').textContent = `Page ${page} of ${pages} · ${data.total} ticket${data.total === 1 ? '' : 's'}`;
    $('tickets-prev').disabled = page <= 1;
    $('tickets-next').disabled = page >= pages;
    showCounters(data.counters);
    fill(list, data.items.length ? data.items.map(row)
      : el('tr', {class: 'empty'}, el('td', {colspan: 8}, admin ? 'No tickets match.' : 'You have not reported anything yet.')));
  } catch (error) {
    showMessage(listError, errorText(error));
  }
}

let reloadTimer = null;
function reloadSoon() {   // live updates come in bursts (a bulk change): one reload for them
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(load, 300);
}

// ---------------------------------------------------------------- the detail panel
function eventText(event) {
  const v = (x) => label(x) || 'nobody';
  switch (event.event_type) {
    case 'created': return 'Reported';
    case 'classified': return event.comment || `Classified as ${event.new_value}`;
    case 'status_changed': return `Status: ${v(event.old_value)} → ${v(event.new_value)}`;
    case 'priority_changed': return `Priority: ${v(event.old_value)} → ${v(event.new_value)}${event.comment ? ` (${event.comment})` : ''}`;
    case 'category_changed': return `Category: ${event.old_value} → ${event.new_value}`;
    case 'department_changed': return `Department: ${event.old_value} → ${event.new_value}`;
    case 'assigned': return event.new_value ? `Assigned to ${event.new_value}` : `Unassigned (was ${event.old_value})`;
    case 'duplicate_flagged': return event.new_value ? `May duplicate ticket #${event.new_value}` : 'A similar report exists at this location';
    case 'escalated': return event.comment || `Escalated: ${label(event.new_value)}`;
    case 'commented': return `Comment: ${event.comment || ''}`;
    default: return label(event.event_type);
  }
}

function options(select, values, current, labeller = (v) => v) {
  fill(select, values.map((v) => el('option', {value: v}, labeller(v))));
  if (current !== undefined) select.value = current;
}

function renderDetail(ticket) {
  openTicket = ticket;
  $('detail-title').textContent = `#${ticket.id} · ${ticket.title}`;
  const facts = [
    fact('Status', label(ticket.status), 'detail-status'),
    fact('Priority', label(ticket.priority), 'detail-priority'),
    fact('Category', ticket.category, 'detail-category'),
    fact('Department', ticket.department, 'detail-department'),
    fact('Where', ticket.location, 'detail-location'),
    fact('Due', `${formatDateTime(ticket.sla_due_at)}${ticket.overdue ? ' (overdue)' : ''}`, 'detail-due'),
    fact('Assignee', ticket.assignee_name, 'detail-assignee')];
  if (admin) {
    facts.push(fact('Reporter', ticket.user_name || ticket.user_email, 'detail-reporter'));
    if (ticket.confidence !== null) facts.push(fact('Classifier', `${ticket.classification_method}, ${Math.round(ticket.confidence * 100)}% sure`, 'detail-confidence'));
  }
  fill($('detail-facts'), facts);
  $('detail-description').textContent = ticket.description;
  $('detail-similar').hidden = !ticket.similar_report_exists || (admin && ticket.possible_duplicate_of !== null);
  if (Array.isArray(ticket.attachments) && ticket.attachments.length) {
    $('detail-photos').hidden = false;
    renderAttachments($('detail-photos'), ticket.attachments);
  } else {
    $('detail-photos').hidden = true;
  }
  fill($('detail-timeline'), ticket.history.map((event) => el('li', {dataset: {event: event.event_type}},
    el('span', {class: 'muted'}, `${formatDateTime(event.created_at)} · ${event.actor.name}: `), eventText(event))));
  fill($('detail-comments'), ticket.comments.length ? ticket.comments.map((c) => el('li', {class: c.internal ? 'comment internal' : 'comment'},
    el('div', {class: 'comment-meta muted'}, `${c.author_name} (${c.author_role}) · ${formatDateTime(c.created_at)}`,
      c.internal ? ' · ' : '', c.internal ? el('strong', {}, 'Internal') : ''),
    el('p', {class: 'comment-body'}, c.body))) : el('li', {class: 'empty muted'}, 'No comments yet.'));
  if (admin) {
    options($('edit-status'), [ticket.status, ...(rules.transitions[ticket.status] || [])], ticket.status, label);
    options($('edit-priority'), rules.priorities, ticket.priority, label);
    options($('edit-category'), rules.categories.includes(ticket.category) ? rules.categories : [ticket.category, ...rules.categories], ticket.category);
    options($('edit-department'), rules.departments.includes(ticket.department) ? rules.departments : [ticket.department, ...rules.departments], ticket.department);
    const people = admins.some((a) => a.id === ticket.assignee_id) || !ticket.assignee_id ? admins
      : [{id: ticket.assignee_id, name: ticket.assignee_name}, ...admins];
    fill($('edit-assignee'), el('option', {value: ''}, 'Nobody'), people.map((a) => el('option', {value: a.id}, a.name)));
    $('edit-assignee').value = ticket.assignee_id || '';
    $('edit-reason').value = '';
    showMessage($('edit-error'), '');
  }
  for (const tr of list.querySelectorAll('tr.selected-row')) tr.classList.remove('selected-row');
  list.querySelector(`tr[data-ticket-id="${Number(ticket.id)}"]`)?.classList.add('selected-row');
}

async function openDetail(id, {scroll = true} = {}) {
  openId = Number(id);
  const panel = $('ticket-detail');
  showMessage($('detail-error'), '');
  try {
    renderDetail(await api(`${BASE}/tickets/${openId}`));
    panel.hidden = false;
    const url = new URL(window.location.href);
    url.searchParams.set('ticket', String(openId));
    history.replaceState(null, '', url);
    if (scroll) panel.scrollIntoView({block: 'start'});
  } catch (error) {
    panel.hidden = false;
    $('detail-title').textContent = `Ticket #${openId}`;
    showMessage($('detail-error'), errorText(error));
  }
}

$('detail-close').addEventListener('click', () => {
  $('ticket-detail').hidden = true;
  openId = null;
  const url = new URL(window.location.href);
  url.searchParams.delete('ticket');
  history.replaceState(null, '', url);
  for (const tr of list.querySelectorAll('tr.selected-row')) tr.classList.remove('selected-row');
});

$('detail-admin').addEventListener('submit', async (event) => {
  event.preventDefault();
  const ticket = openTicket;
  const change = {};
  if ($('edit-status').value !== ticket.status) change.status = $('edit-status').value;
  if ($('edit-priority').value !== ticket.priority) {
    change.priority = $('edit-priority').value;
    change.priority_reason = $('edit-reason').value.trim();
    if (!change.priority_reason) { showMessage($('edit-error'), 'Say why the priority changes.'); $('edit-reason').focus(); return; }
  }
  if ($('edit-category').value !== ticket.category) change.category = $('edit-category').value;
  if ($('edit-department').value !== ticket.department) change.department = $('edit-department').value;
  if (($('edit-assignee').value || null) !== (ticket.assignee_id || null)) change.assignee_id = $('edit-assignee').value || null;
  if (!Object.keys(change).length) { showMessage($('edit-error'), 'Nothing to change.', 'info'); return; }
  try {
    await api(`${BASE}/tickets/${ticket.id}`, {method: 'PUT', body: change});
    await openDetail(ticket.id, {scroll: false});
    load();
  } catch (error) {
    showMessage($('edit-error'), errorText(error));
  }
});

$('comment-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const body = $('comment-body').value.trim();
  const files = $('comment-photos').files;
  if (!body && !files.length) { showMessage($('comment-error'), 'Write something first.'); return; }
  if (files.length && admin && $('comment-internal').checked) {
    showMessage($('comment-error'), 'Photos are shown to the reporter too: send them without "Internal note".');
    return;
  }
  const button = $('comment-send');
  button.disabled = true;
  try {
    if (body) await api(`${BASE}/tickets/${openId}/comments`, {method: 'POST', body: {body, internal: admin && $('comment-internal').checked}});
    $('comment-body').value = '';
    $('comment-internal').checked = false;
    const photos = await uploadAll(openId, files);
    $('comment-photos').value = '';
    showMessage($('comment-error'), photos.failures.length ? `Some photos were not attached. ${photos.failures.join(' ')}` : '');
    await openDetail(openId, {scroll: false});
  } catch (error) {
    showMessage($('comment-error'), errorText(error));
  } finally {
    button.disabled = false;
  }
});

// ---------------------------------------------------------------- bulk status change
$('select-all').addEventListener('change', (event) => {
  for (const box of list.querySelectorAll('.select-ticket')) {
    box.checked = event.target.checked;
    const id = Number(box.closest('tr').dataset.ticketId);
    if (box.checked) selected.add(id); else selected.delete(id);
  }
  showSelection();
});

$('bulk-apply').addEventListener('click', async () => {
  if (!selected.size) return;
  try {
    const answer = await api(`${BASE}/tickets/bulk-status`, {method: 'POST', body: {ids: [...selected], status: $('bulk-status').value}});
    selected.clear();
    $('select-all').checked = false;
    showSelection();
    await load();
    showMessage(listError, `${answer.changed} ticket${answer.changed === 1 ? '' : 's'} set to ${label($('bulk-status').value).toLowerCase()}.`, 'success');
    if (openId !== null) openDetail(openId, {scroll: false});
  } catch (error) {
    const refused = error.facts?.refused;
    showMessage(listError, refused ? `${errorText(error)} Refused: ${refused.map((r) => `#${r.id} (${label(r.from)})`).join(', ')}.` : errorText(error));
  }
});

// ---------------------------------------------------------------- filters, counters, paging
for (const input of Object.values(filters)) {
  input.addEventListener(input.type === 'search' ? 'input' : 'change', () => { page = 1; reloadSoon(); });
}
$('ticket-filters').addEventListener('submit', (event) => { event.preventDefault(); page = 1; load(); });
$('count-urgent').addEventListener('click', () => { filters.priority.value = filters.priority.value === pressing() ? '' : pressing(); page = 1; load(); });
$('count-overdue').addEventListener('click', () => { filters.overdue.checked = !filters.overdue.checked; page = 1; load(); });
$('count-unassigned').addEventListener('click', () => { filters.assignee.value = filters.assignee.value === 'unassigned' ? '' : 'unassigned'; page = 1; load(); });
$('tickets-prev').addEventListener('click', () => { if (page > 1) { page -= 1; load(); } });
$('tickets-next').addEventListener('click', () => { if (page < pages) { page += 1; load(); } });

async function loadChoices() {
  try {
    rules = await api(`${BASE}/meta`);
  } catch (error) {
    showMessage(liveMessage, `The ticket choices could not be loaded: ${errorText(error)}`);
    return;
  }
  rules.categories = rules.categories.map((c) => c.name);
  const keepFirst = (select) => select.firstElementChild;
  fill(filters.status, keepFirst(filters.status), rules.statuses.map((s) => el('option', {value: s}, label(s))));
  fill(filters.category, keepFirst(filters.category), rules.categories.map((c) => el('option', {value: c}, c)));
  fill(filters.priority, keepFirst(filters.priority), rules.priorities.map((p) => el('option', {value: p}, label(p))));
  fill(filters.department, keepFirst(filters.department), rules.departments.map((d) => el('option', {value: d}, d)));
  options($('bulk-status'), rules.statuses, rules.statuses[1], label);
  if (admin) {
    try {
      admins = (await api('/api/users/by-role/admin', {query: {per_page: 1000}})).users.map((u) => ({id: u.id, name: u.name}));
    } catch (error) {
      showMessage(liveMessage, `The list of admins could not be loaded: ${errorText(error)}`);
    }
    const assignee = filters.assignee;
    const fixedOptions = Array.from(assignee.options).slice(0, 3);
    const current = assignee.value;
    fill(assignee, fixedOptions, admins.filter((a) => a.id !== me.id).map((a) => el('option', {value: a.id}, a.name)));
    assignee.value = current;
  }
}

// ---------------------------------------------------------------- reporting a problem
const form = $('ticket-form');
const createTicket = creator();   // a retry after a lost answer files one ticket, not two
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const errorBox = $('ticket-error');
  showMessage(errorBox, '');
  const body = {title: form.title.value.trim(), description: form.description.value.trim()};
  if (form.location.value.trim()) body.location = form.location.value.trim();
  if (!body.title || !body.description) { showMessage(errorBox, 'Say what is wrong and give some details.'); return; }
  const button = $('submit-ticket');
  button.disabled = true;
  try {
    const ticket = await createTicket(`${BASE}/tickets`, body);
    const photos = await uploadAll(ticket.id, form.photos.files);   // once the ticket exists
    form.reset();
    showCreated(ticket);
    renderAttachments($('ticket-result-photos'), photos.attached);
    if (photos.failures.length) showMessage(errorBox, `Some photos were not attached. ${photos.failures.join(' ')}`);
    await load();
  } catch (error) {
    showMessage(errorBox, errorText(error));
  } finally {
    button.disabled = false;
  }
});

// ---------------------------------------------------------------- live updates
const liveStatus = $('live-status');
function changed(ticket) {
  if (ticket.id === shownResultId) showCreated(ticket);
  if (ticket.id === openId) openDetail(openId, {scroll: false});
  reloadSoon();
}
const socket = await connectTickets({
  onCreated: changed,
  onUpdated: (ticket) => {
    changed(ticket);
    if (ticket.user_id === me.id) {
      showMessage(liveMessage, `Ticket #${ticket.id} “${ticket.title}” is now ${label(ticket.status).toLowerCase()}.`, 'info');
      refreshBadge();
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
socket?.on('ticket_commented', ({ticket_id: id}) => { if (id === openId) openDetail(openId, {scroll: false}); });

await loadChoices();
showSelection();
await load();
const asked = Number(new URLSearchParams(window.location.search).get('ticket'));
if (Number.isInteger(asked) && asked > 0) openDetail(asked);
