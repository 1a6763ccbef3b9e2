"""The HTTP client against real sockets: a failed request counts once, a restarted
upstream's stale keep-alive connection is retried on a fresh one, and an open circuit
closes as soon as the upstream's /health answers (issue "Staying up", item 2)."""
from __future__ import annotations

import json
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shared.config import load_settings
from shared.errors import ServiceUnavailable
from tests.harness import free_port, wait_until

pytestmark = pytest.mark.fast     # in-process: no service processes


class Upstream:
    """A tiny HTTP/1.1 keep-alive server on a fixed port that can be stopped and restarted."""

    def __init__(self, port: int, status: int = 200):
        self.port = port
        self.status = status
        self.requests: list[str] = []
        self.server = None

    def start(self) -> "Upstream":
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                owner.requests.append(f"{self.command} {self.path}")
                status = 200 if self.path == "/health" else owner.status
                body = json.dumps({"ok": status < 400}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer  # noqa: N815

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def upstream():
    server = Upstream(free_port()).start()
    yield server
    server.stop()


def _client(**env):
    from shared.http_client import HttpClient

    settings = load_settings({"REQUEST_RETRY_BACKOFF": "0", "REQUEST_RETRY_ATTEMPTS": "3", "REQUEST_TIMEOUT": "2",
                              "CIRCUIT_FAILURE_THRESHOLD": "5", "CIRCUIT_PROBE_SECONDS": "0.2", **env})
    return HttpClient(settings, service="test")


def test_a_request_that_failed_after_its_retries_counts_once(upstream):
    upstream.status = 503
    client = _client()
    response = client.get(f"{upstream.url}/x")
    assert response.status_code == 503 and len(upstream.requests) == 3     # three attempts
    assert client.breaker(upstream.url).failures == 1                      # one failed request


class DropsReusedConnections:
    """A raw upstream that answers the first request on each connection and resets the
    connection, unread, when a second request arrives on it: what a worker that is
    shutting down does to an idle keep-alive connection the client is just reusing."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.processed = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn):
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(next((line.split(b":")[1] for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length")), b"0"))
        while len(body) < length:
            body += conn.recv(65536)
        self.processed += 1
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        conn.recv(1, socket.MSG_PEEK)          # the client reuses the connection...
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()                           # ...and gets a reset, its request unread

    def close(self):
        self.listener.close()


def test_a_post_on_a_reused_connection_that_was_reset_is_sent_again_on_a_fresh_one():
    upstream = DropsReusedConnections()
    client = _client()
    url = f"http://127.0.0.1:{upstream.port}/bookings"
    try:
        assert client.post(url, json={"n": 1}).status_code == 200
        response = client.post(url, json={"n": 2})          # no Idempotency-Key: not retryable
        assert response.status_code == 200
        assert upstream.processed == 2                      # each POST processed once
        assert client.breaker(url).failures == 0
    finally:
        upstream.close()


def test_a_refused_post_is_tried_once_more_then_fails_cleanly():
    client = _client()
    with pytest.raises(ServiceUnavailable):
        client.post(f"http://127.0.0.1:{free_port()}/x", json={})


def test_an_open_circuit_closes_as_soon_as_health_answers():
    port = free_port()
    client = _client(CIRCUIT_RESET_SECONDS="60")
    url = f"http://127.0.0.1:{port}"
    for _ in range(5):
        with pytest.raises(ServiceUnavailable):
            client.get(f"{url}/x")
    breaker = client.breaker(url)
    assert breaker.state == "open"
    with pytest.raises(ServiceUnavailable) as refused:
        client.get(f"{url}/x")
    assert refused.value.code == "circuit_open"
    server = Upstream(port).start()
    try:
        # Long before the 60 s reset period: the probe of /health closes it.
        wait_until(lambda: breaker.state == "closed", timeout=5, interval=0.05, message="circuit closed by probe")
        assert "GET /health" in server.requests
        assert client.get(f"{url}/x").status_code == 200
    finally:
        server.stop()
