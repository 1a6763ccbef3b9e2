// The end of a single sign-on: the gateway's callback page carries the platform's token
// and the user in data attributes; store them exactly as a password login does
// (login.js) and go on to the page the person wanted.
import {saveSession} from './api.js';

const holder = document.getElementById('sso-session');
const next = holder.dataset.next;
saveSession(holder.dataset.token, JSON.parse(holder.dataset.user));
holder.removeAttribute('data-token');
// Only ever a page of this site (the gateway checked it too).
location.replace(next && /^\/[a-z-]+\.html(\?.*)?$/.test(next) ? next : '/dashboard.html');
