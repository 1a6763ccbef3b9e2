// Live events from the platform's one Socket.IO server, the maintenance service's (its own
// port, so a cross-origin connection; the gateway's /config.json says where). One
// connection per page, shared by everything on it:
//   ticket_created, ticket_updated          (maintenance_service/realtime.py)
//   notification_created {id, title, ...}   (notification_service/live.py, through Redis)
// The client library is /static/vendor/socket.io.min.js (gateway/node_modules); a page that
// does not load it as a classic script gets it loaded here.
import {getToken} from './api.js';

let shared = null;   // Promise of {socket, config} or null (no live updates possible)

function loadClient() {
  if (typeof window.io === 'function') return Promise.resolve(true);
  return new Promise((done) => {
    const script = document.createElement('script');
    script.src = '/static/vendor/socket.io.min.js';
    script.onload = () => done(typeof window.io === 'function');
    script.onerror = () => done(false);
    document.head.append(script);
  });
}

async function open() {
  let config;
  try {
    const response = await fetch('/config.json', {headers: {Accept: 'application/json'}});
    config = await response.json();
  } catch (e) {
    return {socket: null, config: {}, why: 'the server did not say where live updates come from'};
  }
  if (!config.socketio_url || !(await loadClient())) {
    return {socket: null, config, why: 'the live-update client is not installed'};
  }
  const socket = window.io(config.socketio_url, {
    path: '/socket.io',
    auth: (cb) => cb({token: getToken()}),   // read at each (re)connect: a new sign-in is picked up
    transports: ['websocket', 'polling'],
    reconnectionDelayMax: 10000,
  });
  window.addEventListener('pagehide', () => socket.close());
  return {socket, config};
}

function connection() {
  if (!shared) shared = open();
  return shared;
}

function watchStatus(socket, onStatus) {
  socket.on('connect', () => onStatus('live'));
  socket.on('disconnect', () => onStatus('offline', 'reconnecting…'));
  socket.on('connect_error', (err) => onStatus('offline', err && err.message));
  onStatus(socket.connected ? 'live' : 'connecting');
}

/**
 * connectTickets({onCreated, onUpdated, onStatus}) -> socket or null.
 * onStatus(state, detail) gets 'connecting' | 'live' | 'offline'.
 */
export async function connectTickets({onCreated, onUpdated, onStatus = () => {}}) {
  const {socket, why} = await connection();
  if (!socket) {
    onStatus('offline', why);
    return null;
  }
  watchStatus(socket, onStatus);
  if (onCreated) socket.on('ticket_created', onCreated);
  if (onUpdated) socket.on('ticket_updated', onUpdated);
  return socket;
}

/**
 * connectNotifications({onCreated, onStatus}) -> true when new notifications are pushed
 * (the socket is there and the platform has the shared channel: /config.json
 * notification_pushes); the caller then needs only a slow safety poll while the socket is live.
 */
export async function connectNotifications({onCreated, onStatus = () => {}}) {
  const {socket, config, why} = await connection();
  if (!socket) {
    onStatus('offline', why);
    return false;
  }
  watchStatus(socket, onStatus);
  socket.on('notification_created', onCreated);
  return Boolean(config.notification_pushes);
}
