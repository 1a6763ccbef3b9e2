"""Start the real services as processes on free loopback ports, with throw-away data.

A `Stack` is one platform: its own DATA_DIR and LOG_DIR, its own database (a temporary
SQLite folder, or a temporary PostgreSQL database), its own ports. Services start
through their entry files (`python <folder>/<entry>`), i.e. under the same production
servers that start_all.sh uses.
"""
from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import requests

from shared.accounts import DEFAULT_USERS as SEEDED_ACCOUNTS
from shared.config import REPO_ROOT, SERVICES, service_info
from shared.process import group_members, rolling_restart
from shared.serve import installed_services

TEST_SECRET = "test-secret-" + "x" * 40
# Users made by tests get this password: long and on no common-password list.
NEW_USER_PASSWORD = "Quiet-Harbor-Lamp-47"
# role -> (email, password) of the default accounts user-management seeds (shared/accounts.py).
DEFAULT_USERS = {account.role: (account.email, account.password) for account in SEEDED_ACCOUNTS}


_PORTS_LOW, _PORTS_HIGH = 20000, 32000     # below Linux's ephemeral range (32768-60999)
_next_port = [random.randrange(1 << 16)]   # where this process starts in its range


def free_port() -> int:
    """A port nothing listens on, for a service a test starts. Handed out in turn, not by
    the kernel's bind(0): a port the kernel picks comes from the ephemeral range, where an
    outgoing connection may take it before the service binds it, and a port it picks
    may be picked again by a parallel test worker meanwhile. Each pytest-xdist worker
    draws from a range of its own, in order from a random start (so two test runs side by
    side rarely meet either), skipping what is in use."""
    workers = max(int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")), 1)
    name = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(name[2:]) % workers if name[2:].isdigit() else 0
    size = (_PORTS_HIGH - _PORTS_LOW) // workers
    low = _PORTS_LOW + index * size
    for _ in range(size):
        port = low + _next_port[0] % size
        _next_port[0] += 1
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in this worker's range")


def in_process_settings(data_dir, **env: str):
    """Settings for an app built in the test's own process (the fast tier): data and logs in
    `data_dir`, the tests' secret, FLASK_ENV=testing; `env` adds or overrides variables."""
    from shared.config import load_settings

    return load_settings({"DATA_DIR": str(data_dir), "LOG_DIR": str(data_dir), "FLASK_ENV": "testing",
                          "JWT_SECRET_KEY": TEST_SECRET, **env})


def available_services() -> list[str]:
    """Services whose code exists in this checkout (the gateway first)."""
    return installed_services()


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.1, message: str = "condition"):
    """Poll until predicate() is truthy; return its value or fail after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


class ServiceProcess:
    def __init__(self, stack: "Stack", name: str, port: int, env: dict[str, str]):
        self.stack = stack
        self.name = name
        self.info = service_info(name)
        self.port = port
        self.env = env
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return Path(self.env["LOG_DIR"]) / f"{self.info.log_name}.log"

    def start(self, wait: bool = True, timeout: float = 90.0) -> "ServiceProcess":
        out = open(Path(self.env["LOG_DIR"]) / f"{self.name}-{self.port}.out", "ab")
        self.proc = subprocess.Popen([sys.executable, str(REPO_ROOT / self.info.folder / self.info.entry)],
                                     env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                     cwd=str(REPO_ROOT), start_new_session=True)
        if wait:
            self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout: float = 90.0) -> None:
        def up():
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.proc.returncode}; see {self.env['LOG_DIR']}")
            try:
                return requests.get(f"{self.url}/health", timeout=1).status_code == 200
            except requests.RequestException:
                return False
        wait_until(up, timeout, 0.2, f"{self.name} on port {self.port}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
        """Signal the service's whole process group (it was started in a session of its
        own) and wait until no process of the group is left: master and workers."""
        if self.proc is None:
            return
        pgid = self.proc.pid
        if not group_members(pgid):
            self.proc.poll()
            return
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout
        while group_members(pgid) and time.monotonic() < deadline:
            self.proc.poll()    # reap the master once it exits
            time.sleep(0.05)
        if group_members(pgid):
            os.killpg(pgid, signal.SIGKILL)
            wait_until(lambda: not group_members(pgid), 10, 0.05, f"{self.name}'s processes to exit")
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def restart(self, timeout: float = 120.0) -> dict:
        """The rolling restart of start_all.sh --restart: new workers on the same
        listening socket, the old ones finish what they serve (shared/process.py)."""
        return rolling_restart(self.proc.pid, f"{self.url}/health", timeout)


class Stack:
    """A whole platform for tests. `backend` is "sqlite" or "postgresql"."""

    def __init__(self, workdir: Path, backend: str = "sqlite", pg_database: str | None = None,
                 extra_env: dict[str, str] | None = None):
        self.workdir = Path(workdir)
        self.backend = backend
        self.ports = {name: free_port() for name in SERVICES}
        (self.workdir / "data").mkdir(parents=True, exist_ok=True)
        (self.workdir / "logs").mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "DATABASE_"))}
        env.update({
            "PYTHONPATH": str(REPO_ROOT),
            "FLASK_ENV": "testing",
            "JWT_SECRET_KEY": TEST_SECRET,
            "DATABASE_TYPE": backend,
            "DATA_DIR": str(self.workdir / "data"),
            "LOG_DIR": str(self.workdir / "logs"),
            "ENV_FILE": "/nonexistent",           # never read the developer's .env
            "REQUEST_RETRY_BACKOFF": "0.05",
            "REQUEST_TIMEOUT": "10",
            "CIRCUIT_RESET_SECONDS": "3",
            "WEB_WORKERS": "2",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "OUTBOX_INTERVAL_SECONDS": "0.5",
            # Every test signs in from 127.0.0.1; the per-address limit has tests of its own.
            "LOGIN_MAX_FAILURES_PER_ADDRESS": "1000",
        })
        if backend == "postgresql":
            env.update({"DB_HOST": "127.0.0.1", "DB_PORT": "5432", "DB_USER": "postgres",
                        "DB_PASSWORD": "", "DB_NAME": pg_database or "campus_services"})
        for name, port in self.ports.items():
            info = service_info(name)
            env[f"{info.prefix}_PORT"] = str(port)
            env[f"{info.prefix}_HOST"] = "127.0.0.1"
        # The browser pages on the gateway's test port talk to Socket.IO cross-origin.
        gateway = self.ports["gateway"]
        env["CORS_ORIGINS"] = ",".join(["http://localhost:5001", "http://127.0.0.1:5001",
                                        f"http://127.0.0.1:{gateway}", f"http://localhost:{gateway}"])
        env.update(extra_env or {})
        self.env = env
        self.services: dict[str, ServiceProcess] = {}

    def service(self, name: str, **env_overrides: str) -> ServiceProcess:
        if name not in self.services or env_overrides:
            env = {**self.env, **env_overrides}
            self.services[name] = ServiceProcess(self, name, self.ports[name], env)
        return self.services[name]

    def start(self, names: list[str] | None = None) -> "Stack":
        names = names or available_services()
        procs = [self.service(n).start(wait=False) for n in names]
        for proc in procs:
            proc.wait_healthy(180 if proc.name == "maintenance" else 90)
        return self

    def stop(self) -> None:
        for proc in self.services.values():
            proc.stop()

    def url(self, name: str = "gateway") -> str:
        return f"http://127.0.0.1:{self.ports[service_info(name).name]}"

    def sql(self, sqlite_file: str, statement: str, params: tuple = ()) -> list[tuple]:
        """Run one statement on this stack's database, as its operator could (the SQLite
        file of a service in DATA_DIR, or the shared PostgreSQL database); `?` placeholders."""
        if self.backend == "sqlite":
            import sqlite3

            conn = sqlite3.connect(Path(self.env["DATA_DIR"]) / sqlite_file, timeout=30)
            try:
                rows = conn.execute(statement, params).fetchall()
                conn.commit()
                return rows
            finally:
                conn.close()
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname=self.env["DB_NAME"])
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(statement.replace("?", "%s"), params)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def block_database(self, blocked: bool) -> None:
        """PostgreSQL only: make this stack's own database refuse connections and end the
        ones open (what a database outage looks like to the services), or allow them again.
        The machine's shared server keeps running for everyone else."""
        import psycopg2

        name = self.env["DB_NAME"]
        conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {"false" if blocked else "true"}')
                if blocked:
                    cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        finally:
            conn.close()

    # -------------------------------------------------------------- client helpers
    def login(self, email: str, password: str) -> str:
        response = requests.post(f"{self.url()}/auth/login", json={"email": email, "password": password}, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()["token"]

    def token(self, role: str) -> str:
        return self.login(*DEFAULT_USERS[role])

    def api(self, method: str, path: str, token: str | None = None, service: str = "gateway",
            **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        kwargs.setdefault("timeout", 60)
        return requests.request(method, f"{self.url(service)}{path}", headers=headers, **kwargs)

    def new_user(self, role: str = "student", admin_token: str | None = None) -> dict[str, Any]:
        """Create a fresh user through the API; returns the user plus its password and token."""
        admin_token = admin_token or self.token("admin")
        email = f"{role}-{uuid.uuid4().hex[:10]}@example.com"
        body = {"name": f"Test {role.title()}", "email": email, "password": NEW_USER_PASSWORD, "role": role}
        response = self.api("POST", "/api/users", admin_token, json=body)
        assert response.status_code == 201, response.text
        user = response.json()
        user["password"] = NEW_USER_PASSWORD
        user["token"] = self.login(email, NEW_USER_PASSWORD)
        return user


def assert_envelope(response: requests.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is the platform's JSON error envelope with this status (and code)."""
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.text[:500]}"
    body = response.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    assert isinstance(body.get("code"), str) and body["code"], body
    assert "correlation_id" in body, body
    assert "Traceback" not in response.text
    if code is not None:
        assert body["code"] == code, body
    return body


# One request per service that any signed-in user may make, to call each service directly.
DIRECT_ROUTES = {
    "user-management": ("GET", "/users/{user_id}"),
    "booking": ("GET", "/bookings"),
    "gpa-calculator": ("POST", "/calculate"),
    "notification": ("GET", "/notifications"),
    "maintenance": ("GET", "/tickets"),
}
GPA_BODY = {"courses": [{"grade": "A", "credits": 3}]}
# Sessions end at every service within a second (bench/bench_sessions.py measures it);
# the tests allow more so a loaded CI machine does not make them flaky.
SESSION_END_TIMEOUT = 5.0


def direct_statuses(stack: Stack, token: str, user_id: str = "", gateway: bool = True) -> dict[str, int]:
    """Status of one request per running service called directly (and via the gateway)."""
    out = {}
    for service, (method, path) in DIRECT_ROUTES.items():
        if service not in stack.services:
            continue
        body = GPA_BODY if method == "POST" else None
        path = path.format(user_id=user_id)
        # Several times: a service runs several workers, each with its own view; mixed
        # answers are reported as a tuple, so they match neither {200} nor {401}.
        codes = {stack.api(method, path, token, service=service, json=body).status_code for _ in range(3)}
        out[service] = codes.pop() if len(codes) == 1 else tuple(sorted(codes))
    if gateway:
        out["gateway"] = stack.api("POST", "/api/gpa/calculate", token, json=GPA_BODY).status_code
    return out


def wait_refused_everywhere(stack: Stack, token: str, user_id: str = "", steady: float = 1.0) -> dict[str, int]:
    """Poll until every running service (and the gateway) answers 401 to this token, and
    keeps answering 401 for `steady` seconds: longer than a poll period, so every worker
    of every service has been asked (requests land on workers unevenly)."""
    deadline = time.monotonic() + SESSION_END_TIMEOUT
    since = None
    while True:
        statuses = direct_statuses(stack, token, user_id)
        now = time.monotonic()
        if set(statuses.values()) == {401}:
            since = since or now
            if now - since >= steady:
                return statuses
        else:
            since = None
            if now > deadline:
                raise AssertionError(f"still accepted somewhere after {SESSION_END_TIMEOUT} s: {statuses}")
        time.sleep(0.02)


TEST_REDIS_URL = "redis://127.0.0.1:6379/6"


def redis_available(url: str = TEST_REDIS_URL) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except Exception:  # noqa: BLE001
        return False


def redis_env() -> dict[str, str]:
    """Settings that put a stack on the test Redis (revocation list, Socket.IO message
    queue on a channel of its own); empty when Redis is not reachable."""
    if not redis_available():
        return {}
    return {"REDIS_URL": TEST_REDIS_URL, "MAINTENANCE_SOCKETIO_CHANNEL": f"test-{uuid.uuid4().hex}"}


class SlowClients:
    """`count` connections that send a request head a little at a time and never finish it
    (the "slowloris" pattern): each sends a request line at once, then one more header line
    every `interval` seconds from a single thread, until stop(). A server that gives each
    connection a thread before its head is complete runs out of threads; one that reads heads
    without a thread only keeps a socket open (or closes it after its header timeout).
    With `body=True` they send a whole head announcing a 64 KiB body instead, and then the
    body 16 bytes at a time. Counts the connections the server closed (`closed_by_server`)."""

    def __init__(self, port: int, count: int, interval: float = 1.0, host: str = "127.0.0.1",
                 path: str = "/health", body: bool = False):
        self.address = (host, port)
        self.count = count
        self.interval = interval
        self.path = path
        self.body = body
        self.sockets: list[socket.socket] = []
        self.closed_by_server = 0
        self.reopened = 0
        self._stop = None
        self._thread = None

    def _open(self) -> socket.socket | None:
        try:
            sock = socket.create_connection(self.address, timeout=5)
            if self.body:
                sock.sendall(f"POST {self.path} HTTP/1.1\r\nHost: slow.example\r\nContent-Type: application/json\r\n"
                             "Content-Length: 65536\r\n\r\n".encode())
            else:
                sock.sendall(f"GET {self.path} HTTP/1.1\r\nHost: slow.example\r\n".encode())
            sock.setblocking(False)
            return sock
        except OSError:
            return None

    def start(self) -> "SlowClients":
        import threading

        self._stop = threading.Event()
        for _ in range(self.count):
            sock = self._open()
            if sock is not None:
                self.sockets.append(sock)
        self._thread = threading.Thread(target=self._trickle, name="slow-clients", daemon=True)
        self._thread.start()
        return self

    def _trickle(self) -> None:
        line = 0
        while not self._stop.wait(self.interval):
            line += 1
            for index, sock in enumerate(self.sockets):
                try:
                    sock.send(b"x" * 16 if self.body else f"X-Slow-{line}: {'x' * 8}\r\n".encode())
                    continue
                except BlockingIOError:
                    continue
                except OSError:
                    self.closed_by_server += 1
                    sock.close()
                # The server closed it (a header timeout): open another, keep the count up.
                fresh = self._open()
                if fresh is not None:
                    self.reopened += 1
                    self.sockets[index] = fresh

    @property
    def open_count(self) -> int:
        return sum(1 for s in self.sockets if s.fileno() != -1)

    def stop(self) -> None:
        if self._stop is not None:
            self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        for sock in self.sockets:
            sock.close()
        self.sockets = []

    def __enter__(self) -> "SlowClients":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class SteadyLoad:
    """Requests at a steady `rate` per second from a few threads until stop(), each on a
    new connection (so a refused connection shows, and no kept-alive one hides it).
    `results` holds (started_at, status, seconds) per request; status 0 is no answer."""

    def __init__(self, method: str, url: str, headers: dict | None = None, rate: float = 50.0,
                 json: Any = None, timeout: float = 10.0, threads: int = 4):
        self.method, self.url, self.headers, self.json = method, url, dict(headers or {}), json
        self.rate, self.timeout, self.threads = rate, timeout, threads
        self.results: list[tuple[float, int, float]] = []
        self._stop = None
        self._pool: list = []

    def start(self) -> "SteadyLoad":
        import threading

        self._stop = threading.Event()
        interval = self.threads / self.rate
        first = time.monotonic()
        self._pool = [threading.Thread(target=self._run, args=(first + i * interval / self.threads, interval),
                                       daemon=True) for i in range(self.threads)]
        for thread in self._pool:
            thread.start()
        return self

    def _run(self, next_at: float, interval: float) -> None:
        headers = {**self.headers, "Connection": "close"}
        while not self._stop.is_set():
            self._stop.wait(max(0.0, next_at - time.monotonic()))
            if self._stop.is_set():
                break
            next_at += interval
            started = time.monotonic()
            try:
                status = requests.request(self.method, self.url, headers=headers, json=self.json,
                                          timeout=self.timeout).status_code
            except requests.RequestException:
                status = 0
            self.results.append((started, status, time.monotonic() - started))

    def stop(self) -> "SteadyLoad":
        self._stop.set()
        for thread in self._pool:
            thread.join(self.timeout + 5)
        return self

    def failures(self, ok=(200,)) -> list[tuple[float, int, float]]:
        return [r for r in self.results if r[1] not in ok]

    def __enter__(self) -> "SteadyLoad":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
