// The one API module every page uses: the token in localStorage, fetch with the token
// and JSON, the error envelope turned into an ApiError, back to sign-in on any 401,
// role helpers, and a tiny DOM builder that only ever sets text (never parsed as HTML).

const TOKEN_KEY = 'token';
const USER_KEY = 'user';

class ApiError extends Error {
  constructor(status, code, message, correlationId, details = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.correlationId = correlationId;
    this.details = details;   // [{field, message}] for field errors
  }
}

export function getToken() { return localStorage.getItem(TOKEN_KEY); }

export function saveSession(token, user) {
  localStorage.setItem(TOKEN_KEY, token);
  localStorage.setItem(USER_KEY, JSON.stringify(user));
}

export function clearSession() {
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(USER_KEY);
}

function tokenClaims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part.padEnd(part.length + (4 - part.length % 4) % 4, '=')));
  } catch (e) {
    return null;
  }
}

/** True when a token is stored and not yet past its expiry (the server still has the last word). */
export function hasLiveToken() {
  const token = getToken();
  if (!token) return false;
  const claims = tokenClaims(token);
  return Boolean(claims && typeof claims.exp === 'number' && claims.exp * 1000 > Date.now());
}

/** The signed-in user {id, email, name, role}, or null. */
export function currentUser() {
  if (!hasLiveToken()) return null;
  try {
    const stored = JSON.parse(localStorage.getItem(USER_KEY) || 'null');
    if (stored && stored.role) return stored;
  } catch (e) { /* fall back to the token's claims */ }
  const c = tokenClaims(getToken());
  return {id: c.sub, email: c.email, name: c.name, role: c.role};
}

/** Leave for the sign-in page, saying why. */
export function redirectToLogin(reason = 'expired') {
  clearSession();
  const next = encodeURIComponent(location.pathname + location.search);
  location.replace(`/?reason=${reason}&next=${next}`);
}

/**
 * Call the platform. `path` is under the gateway (e.g. "/api/booking/rooms").
 * Resolves with the parsed JSON; rejects with ApiError(status, code, message).
 * A FormData body is sent as multipart/form-data (a file upload); `as: 'blob'` resolves
 * with the answer's bytes (a photo) instead of JSON.
 */
export async function api(path, {method = 'GET', body, query, auth = true, idempotencyKey, as = 'json'} = {}) {
  let url = path;
  if (query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '') params.append(k, v);
    }
    const qs = params.toString();
    if (qs) url += (url.includes('?') ? '&' : '?') + qs;
  }
  const headers = {Accept: 'application/json'};
  const form = body instanceof FormData;   // the browser sets its multipart Content-Type
  if (body !== undefined && !form) headers['Content-Type'] = 'application/json';
  const token = getToken();
  if (auth && token) headers.Authorization = `Bearer ${token}`;
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;

  let response;
  try {
    response = await fetch(url, {method, headers, body: body === undefined || form ? body : JSON.stringify(body)});
  } catch (e) {
    throw new ApiError(0, 'network_error', 'The server cannot be reached. Check your connection and try again.');
  }
  if (response.ok && as === 'blob') return response.blob();
  let data = null;
  const text = await response.text();
  if (text) {
    try { data = JSON.parse(text); } catch (e) { data = null; }
  }
  if (response.ok) return data;

  const message = (data && typeof data.error === 'string' && data.error)
    || (response.status >= 500 ? 'The service is unavailable right now; try again shortly.'
      : `The request failed (HTTP ${response.status}).`);
  const error = new ApiError(response.status, (data && data.code) || `http_${response.status}`, message,
    data && data.correlation_id, data && Array.isArray(data.details) ? data.details : []);
  // Details that are not field errors (e.g. the bookings a closure would cancel) stay readable.
  if (data && data.details && !Array.isArray(data.details)) error.facts = data.details;
  if (response.status === 401 && auth) {
    redirectToLogin('expired');
  }
  throw error;
}

/** A fresh Idempotency-Key. crypto.randomUUID exists only on https and localhost pages. */
function newIdempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** True when a request may or may not have been carried out: no answer came, or a 5xx. */
export function outcomeUnknown(error) {
  return error instanceof ApiError && (error.status === 0 || error.status >= 500);
}

/**
 * A create that is safe to send again: `const book = creator(); await book(path, body)`.
 * Each create carries a fresh Idempotency-Key. When its answer never came (network error)
 * or was a 5xx, the key is kept, and sending the same request again (same path and body,
 * e.g. the user presses the button once more) reuses it: the server then answers with the
 * first result instead of creating twice. Any other answer ends the key.
 */
export function creator() {
  let pending = null;   // {request, key} of a create whose outcome is unknown
  return async function create(path, body) {
    const request = `${path} ${JSON.stringify(body)}`;
    if (!pending || pending.request !== request) pending = {request, key: newIdempotencyKey()};
    try {
      const result = await api(path, {method: 'POST', body, idempotencyKey: pending.key});
      pending = null;
      return result;
    } catch (error) {
      if (!outcomeUnknown(error)) pending = null;
      throw error;
    }
  };
}

// ------------------------------------------------------------------ DOM helpers
/**
 * el('li', {class: 'x', dataset: {id: 1}, onclick: fn}, 'text', childNode, ...)
 * Strings become text nodes: whatever a user typed is shown as text, never parsed as HTML.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, '');
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replace a node's children. */
export function fill(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== undefined && c !== null && c !== false));
  return node;
}

/** Show a message in an alert element ('error' | 'success' | 'info'); empty text hides it. */
export function showMessage(node, text, kind = 'error') {
  node.className = `alert alert-${kind}`;
  node.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  node.textContent = text || '';
}

/**
 * Mark a form field wrong (or right again, with an empty message): aria-invalid, the message
 * next to the field (an element #<id>-error, made after the field if the page has none) and
 * tied to it with aria-describedby, so a screen reader reads it with the field.
 */
export function fieldError(input, text) {
  const id = `${input.id}-error`;
  let note = document.getElementById(id);
  if (!note && text) {
    note = el('p', {class: 'field-error', id});
    (input.closest('.field') || input.parentNode).append(note);
  }
  if (note) note.textContent = text || '';
  const described = new Set((input.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean));
  if (note) described.add(id);
  if (described.size) input.setAttribute('aria-describedby', [...described].join(' '));
  if (text) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

/** Clear every field error inside `root`. */
export function clearFieldErrors(root) {
  for (const input of root.querySelectorAll('[aria-invalid="true"]')) fieldError(input, '');
}

/** Show [[input, message], ...]: each next to its field; focus goes to the first. True if any. */
export function showFieldErrors(problems) {
  for (const [input, text] of problems) fieldError(input, text);
  if (problems.length) problems[0][0].focus();
  return problems.length > 0;
}

export function errorText(error) {
  if (!(error instanceof ApiError)) return 'Something went wrong; try again.';
  // Field errors say which field and why, e.g. "password: must be at least 8 characters long".
  const fields = error.details.map((d) => `${d.field}: ${String(d.message).replace(/^Value error, /, '')}`);
  return [error.message, ...fields].join(' ');
}

export function pill(value, label) {
  const key = String(value || '').toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return el('span', {class: `pill pill-${key}`}, label || String(value || '').replace(/_/g, ' '));
}

// Dates in the campus locale and zone ("Thu 26 Nov, 10:00"): one implementation, format.js.
export {formatWhen as formatDateTime, formatDay as formatDate, formatTime} from './format.js';

/** Today's date as YYYY-MM-DD in local time. */
export function todayISO(offsetDays = 0) {
  const d = new Date();
  d.setDate(d.getDate() + offsetDays);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

