// Live ticket events from the maintenance service's Socket.IO (its own port, so a
// cross-origin connection; the gateway's /config.json says where). The client library
// is /static/vendor/socket.io.min.js, loaded by the page as a classic script (window.io).
import {getToken} from './api.js';

/**
 * connectTickets({onCreated, onUpdated, onStatus}) -> socket or null.
 * onStatus(state, detail) gets 'connecting' | 'live' | 'offline'.
 */
export async function connectTickets({onCreated, onUpdated, onStatus = () => {}}) {
  if (typeof window.io !== 'function') {
    onStatus('offline', 'the live-update client is not installed');
    return null;
  }
  let url;
  try {
    const response = await fetch('/config.json', {headers: {Accept: 'application/json'}});
    url = (await response.json()).socketio_url;
  } catch (e) {
    onStatus('offline', 'the server did not say where live updates come from');
    return null;
  }
  onStatus('connecting');
  const socket = window.io(url, {
    path: '/socket.io',
    auth: (cb) => cb({token: getToken()}),   // read at each (re)connect: a new sign-in is picked up
    transports: ['websocket', 'polling'],
    reconnectionDelayMax: 10000,
  });
  socket.on('connect', () => onStatus('live'));
  socket.on('disconnect', () => onStatus('offline', 'reconnecting…'));
  socket.on('connect_error', (err) => onStatus('offline', err && err.message));
  if (onCreated) socket.on('ticket_created', onCreated);
  if (onUpdated) socket.on('ticket_updated', onUpdated);
  window.addEventListener('pagehide', () => socket.close());
  return socket;
}
