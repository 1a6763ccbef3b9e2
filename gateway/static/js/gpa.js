import {api, clearFieldErrors, el, errorText, fill, showFieldErrors, showMessage} from './api.js';
import {renderNav} from './nav.js';

const me = await renderNav('gpa');
// What was typed survives a reload (per person: a shared computer shows no one else's grades).
const DRAFT_KEY = `gpa-draft:${me.id}`;
const NUMBER_FIELDS = [['prior-gpa', 'prior_gpa'], ['prior-credits', 'prior_credits'],
  ['target-gpa', 'target_gpa'], ['remaining-credits', 'remaining_credits']];

const rows = document.getElementById('course-rows');
const errorBox = document.getElementById('gpa-error');
const result = document.getElementById('gpa-result');
let counter = 0;

// The grades and the limits of every number are the gpa-calculator's (gpa_service/gpa.py):
// the page reads them at GET /meta rather than restating them.
async function gradingRules() {
  try {
    return await api('/api/gpa/meta');
  } catch (error) {
    showMessage(errorBox, `The grade scale could not be loaded: ${errorText(error)}`);
    return {grades: [], pass_fail: {pass: [], choices: []}, numbers: {}, limits: {}};
  }
}
const rules = await gradingRules();
const letterChoices = rules.grades.map(({grade}) => [grade, grade]);
const passFailChoices = rules.pass_fail.choices.map((g) => [g, `${g} (${rules.pass_fail.pass.includes(g) ? 'pass' : 'fail'})`]);

/** min, max and step of a number input, from the service's rule for that number. */
function limits(name) {
  const rule = rules.numbers[name];
  return rule ? {min: String(rule.minimum), max: String(rule.maximum), step: String(10 ** -rule.decimals)} : {};
}

for (const [id, name] of NUMBER_FIELDS) {
  Object.assign(document.getElementById(id), limits(name));
}

function gradeOptions(select, passFail, keep) {
  const choices = passFail ? passFailChoices : letterChoices;
  fill(select, el('option', {value: ''}, 'Grade…'), choices.map(([v, label]) => el('option', {value: v}, label)));
  if (keep && choices.some(([v]) => v === keep)) select.value = keep;
}

function addRow(course = {}) {
  counter += 1;
  const id = counter;
  const grade = el('select', {id: `grade-${id}`, class: 'course-grade', required: true});
  const passFail = el('input', {type: 'checkbox', id: `pf-${id}`, class: 'course-pf'});
  passFail.checked = Boolean(course.pass_fail);
  gradeOptions(grade, passFail.checked, course.grade);
  passFail.addEventListener('change', () => gradeOptions(grade, passFail.checked, grade.value));
  const row = el('div', {class: 'course-row', dataset: {row: id}},
    el('div', {class: 'field course-name'}, el('label', {for: `name-${id}`}, 'Course'),
      el('input', {id: `name-${id}`, class: 'course-name-input', type: 'text', maxlength: rules.limits?.max_name_length, placeholder: 'e.g. Calculus I', value: course.name || ''})),
    el('div', {class: 'field'}, el('label', {for: `grade-${id}`}, 'Grade'), grade),
    el('div', {class: 'field'}, el('label', {for: `credits-${id}`}, 'Credits'),
      el('input', {id: `credits-${id}`, class: 'course-credits', type: 'number', inputmode: 'decimal', ...limits('credits'), value: course.credits ?? ''})),
    el('div', {class: 'field'}, el('label', {class: 'check', for: `pf-${id}`}, passFail, 'Pass/fail')),
    el('button', {type: 'button', class: 'btn btn-danger btn-small remove-course', 'aria-label': `Remove course ${id}`,
      onclick: () => {
        const next = row.nextElementSibling || row.previousElementSibling;
        row.remove();
        if (!rows.children.length) addRow();
        renumber();
        saveDraft();
        (next || rows.firstElementChild).querySelector('input').focus();
      }}, 'Remove'));
  rows.append(row);
  renumber();
  return row;
}

function renumber() {
  [...rows.children].forEach((row, i) => {
    row.querySelector('.remove-course').setAttribute('aria-label', `Remove course ${i + 1}`);
  });
}

// ------------------------------------------------------------- the draft (localStorage)
function rowState(row) {
  return {name: row.querySelector('.course-name-input').value, grade: row.querySelector('.course-grade').value,
    credits: row.querySelector('.course-credits').value, pass_fail: row.querySelector('.course-pf').checked};
}

function saveDraft() {
  const draft = {courses: [...rows.children].map(rowState),
    numbers: Object.fromEntries(NUMBER_FIELDS.map(([id]) => [id, document.getElementById(id).value])),
    open: ['cumulative-options', 'whatif-options'].filter((id) => document.getElementById(id).open)};
  try { localStorage.setItem(DRAFT_KEY, JSON.stringify(draft)); } catch (e) { /* full or disabled: nothing kept */ }
}

function restoreDraft() {
  let draft = null;
  try { draft = JSON.parse(localStorage.getItem(DRAFT_KEY) || 'null'); } catch (e) { draft = null; }
  if (!draft || !Array.isArray(draft.courses) || !draft.courses.length) return false;
  for (const course of draft.courses) addRow(course);
  for (const [id] of NUMBER_FIELDS) {
    const value = draft.numbers && draft.numbers[id];
    if (typeof value === 'string') document.getElementById(id).value = value;
  }
  for (const id of draft.open || []) {
    if (['cumulative-options', 'whatif-options'].includes(id)) document.getElementById(id).open = true;
  }
  return true;
}

/** A row with nothing typed in it is ignored, not an error. */
function isBlank(state) {
  return !state.name.trim() && !state.grade && !String(state.credits).trim();
}

function numberOrNull(id) {
  const raw = document.getElementById(id).value.trim();
  return raw === '' ? null : Number(raw);
}

document.getElementById('add-course').addEventListener('click', () => {
  addRow().querySelector('input').focus();
  saveDraft();
});

const form = document.getElementById('gpa-form');
form.addEventListener('input', saveDraft);
form.addEventListener('change', saveDraft);
for (const id of ['cumulative-options', 'whatif-options']) document.getElementById(id).addEventListener('toggle', saveDraft);

/** The input a field of the service's answer names ("courses.2.credits", "prior_gpa"). */
function inputFor(field, sent) {
  const course = /^courses\.(\d+)\.(name|grade|credits|pass_fail)$/.exec(field || '');
  if (course) {
    const row = sent[Number(course[1])];
    const cls = {name: '.course-name-input', grade: '.course-grade', credits: '.course-credits', pass_fail: '.course-pf'}[course[2]];
    return row ? row.querySelector(cls) : null;
  }
  const number = NUMBER_FIELDS.find(([, name]) => name === field);
  return number ? document.getElementById(number[0]) : null;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  showMessage(errorBox, '');
  clearFieldErrors(form);
  const sent = [...rows.children].filter((row) => !isBlank(rowState(row)));
  if (!sent.length) {
    showFieldErrors([[rows.querySelector('.course-grade'), 'Add at least one course: its grade and credits.']]);
    return;
  }
  const courses = sent.map((row) => {
    const name = row.querySelector('.course-name-input').value.trim();
    const credits = row.querySelector('.course-credits').value.trim();
    const course = {grade: row.querySelector('.course-grade').value, credits: credits === '' ? null : Number(credits),
      pass_fail: row.querySelector('.course-pf').checked};
    if (name) course.name = name;
    return course;
  });
  const body = {courses};
  const prior = [numberOrNull('prior-gpa'), numberOrNull('prior-credits')];
  if (prior.some((v) => v !== null)) { body.prior_gpa = prior[0]; body.prior_credits = prior[1]; }
  const target = [numberOrNull('target-gpa'), numberOrNull('remaining-credits')];
  if (target.some((v) => v !== null)) { body.target_gpa = target[0]; body.remaining_credits = target[1]; }
  try {
    render(await api('/api/gpa/calculate', {method: 'POST', body}));
    const heading = document.getElementById('result-title');
    heading.focus();   // the answer is where a keyboard or screen reader user is taken
    heading.scrollIntoView({block: 'nearest'});
  } catch (error) {
    // An answer for other numbers would mislead: the result waits for the corrected form.
    fill(result, el('p', {class: 'empty'}, 'Correct the form and press “Calculate GPA” again.'));
    // Each problem next to the field it is about; what has no field is said under the form.
    const problems = [];
    const unplaced = [];
    for (const d of error.details || []) {
      const input = inputFor(d.field, sent);
      const text = String(d.message).replace(/^Value error, /, '').replace(/^./, (c) => c.toUpperCase());
      if (input && !problems.some(([i]) => i === input)) problems.push([input, text]);
      else if (!input) unplaced.push(text);
    }
    if (problems.length && unplaced.length) {
      showMessage(errorBox, unplaced.join(' '));
    } else if (!problems.length) {
      showMessage(errorBox, errorText(error));
    }
    for (const [input] of problems) {
      const details = input.closest('details');
      if (details) details.open = true;
    }
    showFieldErrors(problems);
  }
});

function fmt(n, places = 2) { return n === null || n === undefined ? '—' : Number(n).toFixed(places); }

function render(r) {
  const parts = [
    el('p', {class: 'muted small'}, 'Term GPA'),
    el('div', {class: 'result-big', id: 'gpa-value'}, r.gpa === null ? 'n/a' : fmt(r.gpa)),
    el('p', {id: 'gpa-credits'}, `${r.total_credits} credits attempted · ${r.credits_earned} earned · ${r.gpa_credits} count in the GPA`),
  ];
  if (r.message) parts.push(el('p', {class: 'alert alert-info'}, r.message));
  if (r.cumulative_gpa !== null && r.cumulative_gpa !== undefined) {
    parts.push(el('p', {id: 'cumulative-gpa'}, el('strong', {}, 'Cumulative GPA: '), fmt(r.cumulative_gpa),
      ` over ${r.cumulative_credits} credits`));
  }
  if (r.what_if) {
    const w = r.what_if;
    // Out of reach is information about the future, not a mistake in the form.
    parts.push(el('div', {id: 'what-if', class: `alert ${w.achievable ? 'alert-success' : 'alert-info'}`},
      el('strong', {}, w.achievable ? 'Within reach. ' : 'Out of reach. '), w.message));
  }
  if (Array.isArray(r.courses) && r.courses.length) {
    const body = r.courses.map((c, i) => el('tr', {},
      el('td', {}, c.name || `Course ${i + 1}`), el('td', {}, c.grade + (c.pass_fail ? ' (P/F)' : '')),
      el('td', {class: 'num'}, String(c.credits)), el('td', {class: 'num'}, c.points === null ? '—' : fmt(c.points, 1))));
    parts.push(el('div', {class: 'table-wrap'}, el('table', {},
      el('thead', {}, el('tr', {}, el('th', {}, 'Course'), el('th', {}, 'Grade'), el('th', {class: 'num'}, 'Credits'), el('th', {class: 'num'}, 'Points'))),
      el('tbody', {}, body))));
  }
  fill(result, parts);
}

rows.replaceChildren();   // the "Loading…" placeholder
if (!restoreDraft()) {
  addRow();
  addRow();
  addRow();
}
