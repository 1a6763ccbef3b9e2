"""The one HTTP client for calls between services (DESIGN decision 3).

- a pooled requests.Session, a timeout on every call (REQUEST_TIMEOUT);
- retries with exponential backoff (REQUEST_RETRY_ATTEMPTS, REQUEST_RETRY_BACKOFF) for
  idempotent methods only, or a POST that carries an Idempotency-Key;
- a connection refused, or reset on a reused keep-alive connection (the upstream
  restarted), is retried once at once on a fresh connection, whatever the method: the
  request never reached a live process, so nothing can happen twice;
- a circuit breaker per upstream (scheme://host:port): CIRCUIT_FAILURE_THRESHOLD
  consecutive failed *requests* open it (a request that failed after its retries counts
  once); while open, calls fail fast and a background probe asks the upstream's /health
  every CIRCUIT_PROBE_SECONDS (1) and closes the circuit as soon as it answers 200;
  after CIRCUIT_RESET_SECONDS (60) at most, traffic is let through again anyway;
- X-Correlation-ID passed on from the current request;
- a short-lived service token unless the caller passes its own Authorization.

Failures surface as the platform's errors: ServiceUnavailable (503) when the upstream
cannot be reached or its circuit is open, GatewayTimeout (504) on a timeout.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, TypeVar
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from shared.auth import issue_service_token
from shared.config import Settings, get_settings
from shared.errors import GatewayTimeout, ServiceUnavailable
from shared.log import CORRELATION_HEADER, get_correlation_id

logger = logging.getLogger(__name__)

T = TypeVar("T")
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({502, 503, 504})


class CircuitOpen(ServiceUnavailable):
    code = "circuit_open"


class CircuitBreaker:
    """Consecutive-failure breaker: closed -> open -> closed.

    It closes when `record_success` is called (a probe of /health, or a request let
    through), and by itself once `reset_seconds` have passed since it opened: then the
    next failure opens it again at once (`failures` stays at the threshold)."""

    def __init__(self, threshold: int, reset_seconds: float, clock=time.monotonic):
        self.threshold = threshold
        self.reset_seconds = reset_seconds
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self.opened_at is None:
            return "closed"
        if self.clock() - self.opened_at >= self.reset_seconds:
            return "half_open"
        return "open"

    def allow(self) -> bool:
        """May a call go through now? Yes unless open (half-open lets every call try)."""
        with self._lock:
            return self._state() != "open"

    def record_success(self) -> None:
        with self._lock:
            self.failures = 0
            self.opened_at = None

    def record_failure(self) -> bool:
        """Count one failed request; True when this failure opened the circuit."""
        with self._lock:
            was_open = self.opened_at is not None and self._state() == "open"
            self.failures += 1
            if self.failures >= self.threshold and not was_open:
                self.opened_at = self.clock()
                return True
            return False


@dataclass(frozen=True)
class Forwarded:
    """An upstream's answer as `HttpClient.forward` returns it."""

    status_code: int
    headers: Any           # case-insensitive mapping
    content: bytes


def _is_timeout(exc: BaseException) -> bool:
    # urllib3's NewConnectionError (refused, unreachable) subclasses its ConnectTimeoutError.
    if isinstance(exc, urllib3.exceptions.NewConnectionError):
        return False
    return isinstance(exc, (requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError))


def _refused_or_stale(exc: BaseException) -> bool:
    """A connection refused, or reset/closed before any answer: the request was never
    processed by a live process (an upstream restarting, or a pooled connection that the
    upstream closed)."""
    text = repr(exc)
    return not _is_timeout(exc) and any(
        marker in text for marker in ("ConnectionRefusedError", "Connection refused", "ConnectionResetError",
                                      "RemoteDisconnected", "Connection aborted", "BrokenPipeError"))


class HttpClient:
    def __init__(self, settings: Settings | None = None, service: str = "unknown"):
        self.settings = settings or get_settings()
        self.service = service
        self.session = requests.Session()
        # Calls go to our own services: no HTTP(S)_PROXY/NO_PROXY or .netrc lookups, which
        # requests would otherwise redo from the environment on every call (~1 ms each).
        self.session.trust_env = False
        adapter = HTTPAdapter(pool_connections=16, pool_maxsize=64, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._breakers: dict[str, CircuitBreaker] = {}
        self._lock = threading.Lock()
        self.probe_seconds = self.settings.env.float("CIRCUIT_PROBE_SECONDS", 1.0, minimum=0.05)

    def breaker(self, url: str) -> CircuitBreaker:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            if key not in self._breakers:
                self._breakers[key] = CircuitBreaker(self.settings.circuit_failure_threshold,
                                                     self.settings.circuit_reset_seconds)
            return self._breakers[key]

    def breaker_states(self) -> dict[str, str]:
        with self._lock:
            return {key: b.state for key, b in self._breakers.items()}

    def request(self, method: str, url: str, *, headers: dict[str, str] | None = None,
                timeout: float | None = None, retries: int | None = None,
                service_auth: bool = True, breaker: bool = True, **kwargs: Any) -> requests.Response:
        """Send a request; returns the upstream's response whatever its status, except
        that an unreachable upstream, a timeout or an open circuit raise 503/504.
        breaker=False: a background poll that must see recovery at once, bypasses and
        does not feed the upstream's circuit breaker."""
        method = method.upper()
        headers = self._headers(headers, service_auth)

        def send(seconds: float) -> tuple[int, requests.Response]:
            response = self.session.request(method, url, headers=headers, timeout=seconds, **kwargs)
            return response.status_code, response
        return self._call(method, url, headers, send, timeout=timeout, retries=retries, breaker=breaker)

    def forward(self, method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None,
                timeout: float | None = None) -> Forwarded:
        """The gateway's proxy path: the same pools, retry rules and circuit breakers as
        `request`, through urllib3 (which requests is built on) directly. It skips what
        requests prepares on every call (cookies, hooks, environment merging: about
        0.6 ms a call, half the gateway's own cost). The caller's Authorization is kept;
        no redirect is followed; the body is read whole."""
        method = method.upper()
        headers = self._headers(headers, service_auth=False)
        pool = self.session.get_adapter(url).poolmanager

        def send(seconds: float) -> tuple[int, Forwarded]:
            response = pool.urlopen(method, url, body=body, headers=headers, redirect=False, retries=False,
                                    timeout=urllib3.Timeout(connect=seconds, read=seconds), preload_content=True)
            return response.status, Forwarded(response.status, response.headers, response.data)
        return self._call(method, url, headers, send, timeout=timeout, retries=None, breaker=True)

    def _headers(self, headers: dict[str, str] | None, service_auth: bool) -> dict[str, str]:
        headers = dict(headers or {})
        headers.setdefault(CORRELATION_HEADER, get_correlation_id())
        if service_auth and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {issue_service_token(self.settings, self.service)}"
        return headers

    def _call(self, method: str, url: str, headers: dict[str, str], send: Callable[[float], tuple[int, T]], *,
              timeout: float | None, retries: int | None, breaker: bool) -> T:
        """The policy of the module docstring around one `send(timeout)`."""
        retryable = method in IDEMPOTENT or "Idempotency-Key" in headers
        attempts = (retries if retries is not None else self.settings.request_retry_attempts) if retryable else 1
        timeout = timeout if timeout is not None else self.settings.request_timeout
        circuit = self.breaker(url) if breaker else None
        upstream = urlsplit(url).netloc
        if circuit is not None and not circuit.allow():
            raise CircuitOpen(f"The upstream service at {upstream} is unavailable (circuit open).")

        fresh_retry_left = True
        attempt = 1
        while True:
            try:
                status, response = send(timeout)
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
                if _is_timeout(exc):
                    error: Exception = GatewayTimeout(f"The upstream service at {upstream} did not answer in time.")
                elif fresh_retry_left and _refused_or_stale(exc):
                    fresh_retry_left = False
                    self._drop_idle_connections(url)
                    continue
                else:
                    logger.warning("%s %s failed: %s", method, url, exc.__class__.__name__)
                    error = ServiceUnavailable(f"The upstream service at {upstream} is unavailable.",
                                               code="upstream_unavailable")
            else:
                if status in RETRY_STATUSES and attempt < attempts:
                    attempt += 1
                    self._backoff(attempt - 1)
                    continue
                if circuit is not None:
                    if status in RETRY_STATUSES:
                        self._failed(circuit, url)
                    else:
                        circuit.record_success()
                return response
            if attempt < attempts:
                attempt += 1
                self._backoff(attempt - 1)
                continue
            if circuit is not None:
                self._failed(circuit, url)
            raise error

    def _failed(self, circuit: CircuitBreaker, url: str) -> None:
        """One failed request; when it opens the circuit, start probing the upstream."""
        if circuit.record_failure():
            parts = urlsplit(url)
            base = f"{parts.scheme}://{parts.netloc}"
            logger.warning("circuit to %s opened; probing %s/health every %.1f s", base, base, self.probe_seconds)
            threading.Thread(target=self._probe, args=(circuit, base), name=f"probe-{parts.netloc}",
                             daemon=True).start()

    def _probe(self, circuit: CircuitBreaker, base: str) -> None:
        """While the circuit is open, ask /health; close it as soon as the upstream answers."""
        probe = requests.Session()
        probe.trust_env = False
        while circuit.state == "open":
            time.sleep(self.probe_seconds)
            try:
                if probe.get(f"{base}/health", timeout=min(2.0, self.settings.request_timeout)).status_code == 200:
                    circuit.record_success()
                    self._drop_idle_connections(base)
                    logger.info("circuit to %s closed: /health answers", base)
                    break
            except requests.RequestException:
                continue
        probe.close()

    def _drop_idle_connections(self, url: str) -> None:
        """Pooled keep-alive connections to a restarted upstream are dead: close the pools
        (a new one is made on the next request, for this upstream and any other)."""
        try:
            self.session.get_adapter(url).poolmanager.clear()
        except Exception:  # noqa: BLE001 - best effort
            logger.debug("could not drop idle connections to %s", url, exc_info=True)

    def _backoff(self, attempt: int) -> None:
        delay = min(self.settings.request_retry_backoff * (2 ** (attempt - 1)), 10.0)
        if delay > 0:
            time.sleep(delay)

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", url, **kwargs)
