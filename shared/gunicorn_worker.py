"""gunicorn's threaded worker, with each request read in full before a thread sees it.

Why: gunicorn's gthread worker hands a new connection to a thread as soon as its first
byte arrives, and the thread then blocks in the HTTP parser until the request head is
complete. A client that sends its head one line at a time (the "slowloris" pattern) so
holds a thread for as long as it likes; a few dozen of them took every thread of the
gateway (issue 12). A buffering proxy in front (nginx) is gunicorn's own answer; this
worker does the same buffering inside the worker, so every service is safe on its own:

- The worker's event loop (the one thread that already accepts connections and watches
  kept-alive ones) reads each request head without blocking. A connection goes to a
  thread only once its head is complete, together with its body when the head announces
  one by Content-Length of at most MAX_CONTENT_LENGTH (while the bodies waiting in one
  worker stay under 64 MiB). A slow client costs one socket and a buffer, never a thread.
- CLIENT_HEADER_TIMEOUT (10 s): a head must be complete this long after the connection
  is accepted (or after a kept-alive connection starts its next request); a buffered
  body gets CLIENT_BODY_TIMEOUT (30 s) more. Otherwise the connection is closed, with a
  408 envelope if the client sent anything. Like nginx's client_header_timeout.
- What the loop does not buffer (chunked bodies, larger ones, a request that expects
  "100 Continue") is read by the thread with CLIENT_BODY_TIMEOUT per read and write, so
  a stalled client frees its thread after that long. WebSocket upgrades keep no timeout:
  simple-websocket owns that socket for the life of the connection, and a stopping
  worker closes it at once rather than wait for it (Socket.IO clients reconnect).

Everything else is gunicorn's gthread: threads, keep-alive, graceful shutdown, limits
(a head larger than the limits goes to the parser at once, which answers 414/431).
Selected by shared/serve.py with --worker-class shared.gunicorn_worker.RequestBufferingWorker.
"""
from __future__ import annotations

import re
import selectors
import socket
import threading
import time
from functools import partial

from gunicorn.workers.gthread import STOP_KEEPALIVE_LINGER, ThreadWorker

_CONTENT_LENGTH = re.compile(rb"\ncontent-length[ \t]*:[ \t]*([^\r\n]*)", re.IGNORECASE)
_UNBUFFERED_BODY = re.compile(rb"\n(?:transfer-encoding|expect)[ \t]*:", re.IGNORECASE)
_SWEEP_INTERVAL = 0.25
# Bodies waiting in one worker's loop at once, at most; past it a body is read by a
# thread, so many slow large uploads cannot take the worker's memory either.
MAX_BUFFERED_BODIES = 64 * 1024 * 1024


def head_end(data: bytes | bytearray, start: int = 0) -> int:
    """Index just past the blank line that ends a request head, or -1. `start`: where
    to look from (what was searched before, less 3 bytes), so a head that arrives a
    byte at a time is not searched from its beginning on every byte."""
    ends = [i + n for i, n in ((data.find(b"\r\n\r\n", start), 4), (data.find(b"\n\n", start), 2)) if i >= 0]
    return min(ends) if ends else -1


def buffered_body_length(head: bytes, limit: int) -> int:
    """Bytes of body the event loop should wait for: the Content-Length when there is
    exactly one, well formed and within `limit`; else 0 (the parser decides)."""
    if _UNBUFFERED_BODY.search(head):
        return 0
    values = _CONTENT_LENGTH.findall(head)
    if len(values) != 1 or not values[0].strip().isdigit():
        return 0
    length = int(values[0].strip())
    return length if length <= limit else 0


class RequestBufferingWorker(ThreadWorker):
    """gthread whose event loop reads each request before a thread handles it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reading: set = set()      # connections whose request is still arriving
        self.upgraded: set = set()     # connections handed to a WebSocket (worker threads)
        self._upgraded_lock = threading.Lock()
        self.header_timeout = 10.0
        self.body_timeout = 30.0
        self.body_buffer_limit = 1024 * 1024
        self.buffered_bodies = 0       # bytes of body announced by the requests being read
        self.max_buffered_bodies = MAX_BUFFERED_BODIES
        self._next_sweep = 0.0
        self._stopping_capped = False
        cfg = self.cfg
        # The longest head the parser could accept; past it, the parser refuses at once.
        self.max_head = (cfg.limit_request_line + 2
                         + cfg.limit_request_fields * (cfg.limit_request_field_size + 2) + 2)

    def init_process(self):
        from shared.config import get_settings

        settings = get_settings()
        self.header_timeout = settings.env.float("CLIENT_HEADER_TIMEOUT", 10.0, minimum=0.1)
        self.body_timeout = settings.env.float("CLIENT_BODY_TIMEOUT", 30.0, minimum=0.1)
        self.body_buffer_limit = settings.max_content_length
        super().init_process()

    # ------------------------------------------------------------ event loop side
    def enqueue_req(self, conn):
        """Every path to a thread comes through here (new, kept-alive and pipelined
        connections): hand the connection over only with its request complete."""
        pending = conn.parser.unreader.take_buffered() if conn.parser is not None else b""
        conn.incoming = bytearray(pending)
        conn.wanted = None
        conn.scanned = 0
        conn.read_deadline = time.monotonic() + self.header_timeout
        conn.sock.setblocking(False)
        if self._complete(conn):
            self._dispatch(conn, registered=False)
            return
        self.reading.add(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))
        # Usually the request is there already (kept-alive connections come here when
        # readable, new ones right after connecting): read it now, not a loop turn later.
        self._on_readable(conn)

    def _on_readable(self, conn, _fileobj=None):
        if conn not in self.reading:
            return
        try:
            data = conn.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:                      # the client went away
            self._drop(conn)
            return
        conn.incoming += data
        if self._complete(conn):
            self._dispatch(conn, registered=True)

    def _complete(self, conn) -> bool:
        data = conn.incoming
        if conn.wanted is None:
            end = head_end(data, max(0, conn.scanned - 3))
            conn.scanned = len(data)
            if end < 0:
                # Longer than any head the parser accepts: let it refuse (414/431) now.
                line_limit = self.cfg.limit_request_line + 2
                return len(data) > self.max_head or (len(data) > line_limit and b"\n" not in data[:line_limit])
            body = buffered_body_length(bytes(data[:end]), self.body_buffer_limit)
            if body and self.buffered_bodies + body <= self.max_buffered_bodies:
                self.buffered_bodies += body
                conn.reserved = body
                conn.read_deadline = time.monotonic() + self.body_timeout
            else:
                body = 0      # a thread reads it (with CLIENT_BODY_TIMEOUT per read)
            conn.wanted = end + body
        return len(data) >= conn.wanted

    def _release(self, conn) -> None:
        self.buffered_bodies -= getattr(conn, "reserved", 0)
        conn.reserved = 0

    def _dispatch(self, conn, registered: bool):
        if registered:
            self.reading.discard(conn)
            self.poller.unregister(conn.sock)
        self._release(conn)
        conn.request_bytes = bytes(conn.incoming)
        conn.incoming = None
        conn.data_ready = True
        super().enqueue_req(conn)

    def _drop(self, conn, answer_408: bool = False):
        self._release(conn)
        self.reading.discard(conn)
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass
        if answer_408:
            from shared.server_limits import envelope_bytes

            body = envelope_bytes(408)
            head = (f"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n").encode()
            try:
                conn.sock.send(head + body)
            except OSError:
                pass
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self):
        """Also close connections whose request did not arrive in time (called by
        gunicorn's loop on every turn, and while shutting down)."""
        super().murder_pending()
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + _SWEEP_INTERVAL
        if not self.alive and not self._stopping_capped:
            # Stopping: a request already on its way gets as long as a kept-alive
            # connection does, then the worker closes what is left and exits.
            self._stopping_capped = True
            for conn in self.reading:
                conn.read_deadline = min(conn.read_deadline, now + STOP_KEEPALIVE_LINGER)
            self._close_websockets()
        for conn in [c for c in self.reading if c.read_deadline <= now]:
            # Nothing, or only the blank lines some clients send after a body: an idle
            # connection, closed without an answer the client could take for another's.
            self._drop(conn, answer_408=bool(conn.incoming.strip()))

    # ---------------------------------------------------------------- thread side
    def handle(self, conn):
        data = getattr(conn, "request_bytes", None)
        if data is not None:
            conn.request_bytes = None
            conn.sock.setblocking(True)
            conn.init()
            conn.parser.unreader.unread(data)
        return super().handle(conn)

    def handle_request(self, req, conn):
        if any(name == "UPGRADE" for name, _ in req.headers):
            # A WebSocket: simple-websocket owns the socket, without a timeout, for as long
            # as the connection lives. Noted, so that a stopping worker can close it.
            with self._upgraded_lock:
                self.upgraded.add(conn)
            try:
                return super().handle_request(req, conn)
            finally:
                with self._upgraded_lock:
                    self.upgraded.discard(conn)
        # What the loop did not buffer, and the response, are read and written with a
        # timeout, so a stalled client frees the thread.
        conn.sock.settimeout(self.body_timeout)
        return super().handle_request(req, conn)

    def _close_websockets(self):
        """A WebSocket never ends by itself: on a stop or a restart the worker would wait
        the whole graceful timeout, then hang at exit (its thread is not a daemon) until
        the master killed it. Close them at once; Socket.IO clients reconnect, to the new
        workers on a restart."""
        with self._upgraded_lock:
            upgraded = list(self.upgraded)
        for conn in upgraded:
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
