import {api, el, errorText, fill, pill, showMessage} from './api.js';
import {denyUnlessRole, renderNav} from './nav.js';

const me = await renderNav('users');
const PER_PAGE = 10;
// The roles are the platform's (shared/auth.py ROLES); user-management says them at GET /users/roles.
let roles = [];
const body = document.getElementById('users-body');
const message = document.getElementById('users-message');
let page = 1;
let pages = 1;

const roleLabel = (role) => role[0].toUpperCase() + role.slice(1);

function roleOptions(current) {
  return (roles.includes(current) ? roles : [current, ...roles])
    .map((r) => el('option', {value: r, selected: r === current}, roleLabel(r)));
}

function roleSelect(id, value) {
  return el('select', {id}, roleOptions(value));
}

async function load() {
  try {
    const data = await api('/api/users', {query: {page, per_page: PER_PAGE}});
    pages = Math.max(1, data.pages || 1);
    if (page > pages) { page = pages; return load(); }
    document.getElementById('users-total').textContent = `(${data.total})`;
    document.getElementById('page-info').textContent = `Page ${data.page} of ${pages}`;
    document.getElementById('prev-page').disabled = page <= 1;
    document.getElementById('next-page').disabled = page >= pages;
    fill(body, data.users.length ? data.users.map(viewRow)
      : el('tr', {}, el('td', {colspan: 4, class: 'empty'}, 'No users.')));
  } catch (error) {
    showMessage(message, errorText(error));
  }
}

function viewRow(user) {
  const row = el('tr', {dataset: {userId: user.id, email: user.email}},
    el('td', {class: 'user-name'}, user.name, user.id === me.id ? el('span', {class: 'muted small'}, ' (you)') : null),
    el('td', {class: 'user-email'}, user.email),
    el('td', {class: 'user-role'}, pill(user.role)),
    el('td', {}, el('div', {class: 'actions'},
      el('button', {type: 'button', class: 'btn btn-secondary btn-small edit-user', 'aria-label': `Edit ${user.name}`,
        onclick: () => row.replaceWith(editRow(user))}, 'Edit'),
      el('button', {type: 'button', class: 'btn btn-danger btn-small delete-user', 'aria-label': `Delete ${user.name}`,
        onclick: () => confirmDelete(row, user)}, 'Delete'))));
  return row;
}

function editRow(user) {
  const nameId = `edit-name-${user.id}`;
  const roleId = `edit-role-${user.id}`;
  const name = el('input', {id: nameId, type: 'text', maxlength: 100, value: user.name});
  const role = roleSelect(roleId, user.role);
  const row = el('tr', {dataset: {userId: user.id, email: user.email}, class: 'editing'},
    el('td', {}, el('label', {for: nameId, class: 'visually-hidden'}, 'Name'), name),
    el('td', {class: 'user-email'}, user.email),
    el('td', {}, el('label', {for: roleId, class: 'visually-hidden'}, 'Role'), role),
    el('td', {}, el('div', {class: 'actions'},
      el('button', {type: 'button', class: 'btn btn-small save-user', onclick: save}, 'Save'),
      el('button', {type: 'button', class: 'btn btn-secondary btn-small', onclick: () => row.replaceWith(viewRow(user))}, 'Cancel'))));
  async function save() {
    const changes = {};
    if (name.value.trim() !== user.name) changes.name = name.value.trim();
    if (role.value !== user.role) changes.role = role.value;
    if (!Object.keys(changes).length) { row.replaceWith(viewRow(user)); return; }
    try {
      const updated = await api(`/api/users/${encodeURIComponent(user.id)}`, {method: 'PUT', body: changes});
      row.replaceWith(viewRow(updated));
      showMessage(message, `Saved ${updated.name}.`, 'success');
    } catch (error) {
      showMessage(message, errorText(error));
    }
  }
  setTimeout(() => name.focus());
  return row;
}

function confirmDelete(row, user) {
  const cell = row.lastElementChild;
  const keep = [...cell.childNodes];
  const cancel = el('button', {type: 'button', class: 'btn btn-secondary btn-small', onclick: () => fill(cell, keep)}, 'Cancel');
  fill(cell, el('div', {class: 'actions'},
    el('span', {class: 'small'}, 'Delete?'),
    el('button', {type: 'button', class: 'btn btn-danger btn-small confirm-delete', onclick: async () => {
      try {
        await api(`/api/users/${encodeURIComponent(user.id)}`, {method: 'DELETE'});
        showMessage(message, `Deleted ${user.name}.`, 'success');
        load();
      } catch (error) {
        showMessage(message, errorText(error));
        fill(cell, keep);
      }
    }}, 'Yes, delete'), cancel));
  cancel.focus();
}

if (!denyUnlessRole(document.getElementById('main'), me, ['admin'], 'User management')) {
  document.getElementById('users-content').hidden = false;
  const form = document.getElementById('create-user-form');
  const createError = document.getElementById('create-error');
  try {
    const known = await api('/api/users/roles');
    roles = known.roles;
    fill(form.role, roleOptions(known.default));   // `selected`: form.reset() returns to the default
  } catch (error) {
    showMessage(createError, errorText(error));
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showMessage(createError, '');
    const data = {name: form.name.value.trim(), email: form.email.value.trim(), password: form.password.value, role: form.role.value};
    if (!data.name || !data.email || !data.password) { showMessage(createError, 'Name, email and password are all required.'); return; }
    try {
      const user = await api('/api/users', {method: 'POST', body: data});
      form.reset();
      showMessage(message, `Created ${user.name} (${user.email}) as ${user.role}.`, 'success');
      page = Math.max(1, Math.ceil(((await api('/api/users', {query: {page: 1, per_page: 1}})).total) / PER_PAGE));
      load();
    } catch (error) {
      showMessage(createError, errorText(error));
    }
  });
  document.getElementById('prev-page').addEventListener('click', () => { if (page > 1) { page -= 1; load(); } });
  document.getElementById('next-page').addEventListener('click', () => { if (page < pages) { page += 1; load(); } });
  load();
}
