import {api, el, errorText, fill, pill, showMessage} from './api.js';
import {denyUnlessRole, renderNav} from './nav.js';

const me = await renderNav('users');
const PER_PAGE = 10;
const PROGRESS_POLL_MS = 400;
// The roles are the platform's (shared/auth.py ROLES); user-management says them at GET /users/roles.
let roles = [];
const body = document.getElementById('users-body');
const message = document.getElementById('users-message');
let page = 1;
let pages = 1;
let search = '';

const roleLabel = (role) => role[0].toUpperCase() + role.slice(1);
const count = (n) => Number(n).toLocaleString('en');

function roleOptions(current) {
  return (roles.includes(current) ? roles : [current, ...roles])
    .map((r) => el('option', {value: r, selected: r === current}, roleLabel(r)));
}

function roleSelect(id, value) {
  return el('select', {id}, roleOptions(value));
}

// ------------------------------------------------------------------ the list (searched by the server)
async function load() {
  try {
    const data = await api('/api/users', {query: {page, per_page: PER_PAGE, q: search}});
    pages = Math.max(1, data.pages || 1);
    if (page > pages) { page = pages; return load(); }
    document.getElementById('users-total').textContent = `(${count(data.total)}${search ? ' found' : ''})`;
    document.getElementById('page-info').textContent = `Page ${data.page} of ${pages}`;
    document.getElementById('prev-page').disabled = page <= 1;
    document.getElementById('next-page').disabled = page >= pages;
    const none = search ? `Nobody's name or e-mail contains "${search}".` : 'No users yet: create one, or import a CSV file.';
    fill(body, data.users.length ? data.users.map(viewRow)
      : el('tr', {}, el('td', {colspan: 4, class: 'empty'}, none)));
  } catch (error) {
    showMessage(message, errorText(error));
  }
}

function viewRow(user) {
  const row = el('tr', {dataset: {userId: user.id, email: user.email}},
    el('td', {class: 'user-name', 'data-label': 'Name'}, user.name,
      user.id === me.id ? el('span', {class: 'muted small'}, ' (you)') : null),
    el('td', {class: 'user-email', 'data-label': 'Email'}, user.email),
    el('td', {class: 'user-role', 'data-label': 'Role'}, pill(user.role)),
    el('td', {class: 'user-actions'}, el('div', {class: 'actions'},
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
    el('td', {class: 'user-name-edit'}, el('label', {for: nameId, class: 'visually-hidden'}, `Name of ${user.name}`), name),
    el('td', {class: 'user-email', 'data-label': 'Email'}, user.email),
    el('td', {}, el('label', {for: roleId, class: 'visually-hidden'}, `Role of ${user.name}`), role),
    el('td', {class: 'user-actions'}, el('div', {class: 'actions'},
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
  // The question names the person: on a phone the name may be far above the button.
  fill(cell, el('div', {class: 'actions'},
    el('span', {class: 'small confirm-text'}, `Delete ${user.name} (${user.email})?`),
    el('button', {type: 'button', class: 'btn btn-danger btn-small confirm-delete', onclick: async () => {
      try {
        await api(`/api/users/${encodeURIComponent(user.id)}`, {method: 'DELETE'});
        showMessage(message, `Deleted ${user.name} (${user.email}).`, 'success');
        load();
      } catch (error) {
        showMessage(message, errorText(error));
        fill(cell, keep);
      }
    }}, `Yes, delete ${user.name}`), cancel));
  cancel.focus();
}

// ------------------------------------------------------------------ import from CSV
const importForm = document.getElementById('import-form');
const importRun = document.getElementById('import-run');
const report = document.getElementById('import-report');
let checkedText = null;

async function fileText() {
  const file = importForm.file.files[0];
  if (!file) throw new Error('Choose a CSV file first.');
  return file.text();
}

function showReport(result) {
  const lines = [el('p', {id: 'import-summary'},
    `${count(result.rows)} rows: ${count(result.new)} new ${result.new === 1 ? 'person' : 'people'}, ` +
    `${count(result.problem_count)} ${result.problem_count === 1 ? 'problem' : 'problems'}.`)];
  if (result.problems.length) {
    lines.push(el('ul', {id: 'import-problems', class: 'small'},
      result.problems.map((p) => el('li', {}, `Line ${p.line}: ${p.reason}`))));
    if (result.problem_count > result.problems.length) {
      lines.push(el('p', {class: 'small muted'}, `… and ${count(result.problem_count - result.problems.length)} more.`));
    }
    lines.push(el('p', {class: 'small muted'}, 'Rows with problems are skipped; fix them and import again if you want them.'));
  }
  fill(report, lines);
}

importForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  importRun.disabled = true;
  checkedText = null;
  fill(report);
  try {
    const text = await fileText();
    const result = await api('/api/users/import/check', {method: 'POST', body: {csv: text}});
    showReport(result);
    checkedText = text;
    importRun.disabled = result.new === 0;
    importRun.textContent = result.new ? `Import ${count(result.new)} ${result.new === 1 ? 'person' : 'people'}` : 'Nothing to import';
  } catch (error) {
    fill(report, el('p', {class: 'alert alert-error', role: 'alert'}, error.message && !error.status ? error.message : errorText(error)));
  }
});

importRun.addEventListener('click', async () => {
  if (checkedText === null) return;
  importRun.disabled = true;
  const box = document.getElementById('import-progress');
  const bar = document.getElementById('import-bar');
  const text = document.getElementById('import-progress-text');
  box.hidden = false;
  try {
    let job = await api('/api/users/imports', {method: 'POST', body: {csv: checkedText}});
    bar.max = Math.max(job.importable, 1);
    while (job.status === 'running') {
      bar.value = job.done;
      text.textContent = `${count(job.done)} of ${count(job.importable)} rows`;
      await new Promise((resolve) => setTimeout(resolve, PROGRESS_POLL_MS));
      job = await api(`/api/users/imports/${encodeURIComponent(job.id)}`);
    }
    bar.value = job.done;
    text.textContent = `${count(job.done)} of ${count(job.importable)} rows`;
    if (job.status === 'done') {
      showMessage(message, `Import finished: ${count(job.created)} created, ${count(job.skipped)} skipped.`, 'success');
    } else {
      showMessage(message, `The import stopped (${job.error || 'unknown error'}) after ${count(job.done)} rows; ` +
        'importing the same file again is safe.');
    }
    checkedText = null;
    importRun.textContent = 'Import';
    page = 1;
    load();
  } catch (error) {
    showMessage(message, errorText(error));
  }
});

// ------------------------------------------------------------------ export
document.getElementById('export-users').addEventListener('click', async () => {
  try {
    const blob = await api('/api/users/export', {as: 'blob'});
    const link = el('a', {href: URL.createObjectURL(blob), download: 'users.csv', hidden: true});
    document.body.append(link);
    link.click();
    setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); });
  } catch (error) {
    showMessage(message, errorText(error));
  }
});

// ------------------------------------------------------------------ start
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
      // The list is oldest first: the newcomer is on the last page of everyone.
      search = '';
      document.getElementById('user-search').value = '';
      page = Math.max(1, Math.ceil(((await api('/api/users', {query: {page: 1, per_page: 1}})).total) / PER_PAGE));
      load();
    } catch (error) {
      showMessage(createError, errorText(error));
    }
  });
  document.getElementById('search-form').addEventListener('submit', (event) => {
    event.preventDefault();
    search = document.getElementById('user-search').value.trim();
    page = 1;
    load();
  });
  document.getElementById('prev-page').addEventListener('click', () => { if (page > 1) { page -= 1; load(); } });
  document.getElementById('next-page').addEventListener('click', () => { if (page < pages) { page += 1; load(); } });
  load();
}
