"""The one HTTP client for calls between services (DESIGN decision 3).

- a pooled requests.Session, a timeout on every call (REQUEST_TIMEOUT);
- retries with exponential backoff (REQUEST_RETRY_ATTEMPTS, REQUEST_RETRY_BACKOFF) for
  idempotent methods only, or a POST that carries an Idempotency-Key;
- a circuit breaker per upstream (scheme://host:port): it opens after
  CIRCUIT_FAILURE_THRESHOLD consecutive failures, lets one probe through after
  CIRCUIT_RESET_SECONDS (half-open), and closes again when the probe succeeds;
- X-Correlation-ID passed on from the current request;
- a short-lived service token unless the caller passes its own Authorization.

Failures surface as the platform's errors: ServiceUnavailable (503) when the upstream
cannot be reached or its circuit is open, GatewayTimeout (504) on a timeout.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from shared.auth import issue_service_token
from shared.config import Settings, get_settings
from shared.errors import GatewayTimeout, ServiceUnavailable
from shared.log import CORRELATION_HEADER, get_correlation_id

logger = logging.getLogger(__name__)

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({502, 503, 504})


class CircuitOpen(ServiceUnavailable):
    code = "circuit_open"


class CircuitBreaker:
    """Consecutive-failure breaker: closed -> open -> half-open -> closed."""

    def __init__(self, threshold: int, reset_seconds: float, clock=time.monotonic):
        self.threshold = threshold
        self.reset_seconds = reset_seconds
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None
        self.probing = False
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
        """May a call go through now? In half-open, only one probe at a time."""
        with self._lock:
            state = self._state()
            if state == "closed":
                return True
            if state == "half_open" and not self.probing:
                self.probing = True
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            self.failures = 0
            self.opened_at = None
            self.probing = False

    def record_failure(self) -> None:
        with self._lock:
            self.failures += 1
            if self.probing or self.failures >= self.threshold:
                self.opened_at = self.clock()
            self.probing = False


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
        headers = dict(headers or {})
        headers.setdefault(CORRELATION_HEADER, get_correlation_id())
        if service_auth and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {issue_service_token(self.settings, self.service)}"
        retryable = method in IDEMPOTENT or "Idempotency-Key" in headers
        attempts = (retries if retries is not None else self.settings.request_retry_attempts) if retryable else 1
        timeout = timeout if timeout is not None else self.settings.request_timeout
        breaker = self.breaker(url) if breaker else CircuitBreaker(1 << 30, 0.0)
        upstream = urlsplit(url).netloc

        for attempt in range(1, attempts + 1):
            if not breaker.allow():
                raise CircuitOpen(f"The upstream service at {upstream} is unavailable (circuit open).")
            try:
                response = self.session.request(method, url, headers=headers, timeout=timeout, **kwargs)
            except requests.Timeout:
                breaker.record_failure()
                error: Exception = GatewayTimeout(f"The upstream service at {upstream} did not answer in time.")
            except requests.RequestException as exc:
                breaker.record_failure()
                logger.warning("%s %s failed: %s", method, url, exc.__class__.__name__)
                error = ServiceUnavailable(f"The upstream service at {upstream} is unavailable.",
                                           code="upstream_unavailable")
            else:
                if response.status_code in RETRY_STATUSES:
                    breaker.record_failure()
                    if attempt < attempts:
                        self._backoff(attempt)
                        continue
                    return response
                breaker.record_success()
                return response
            if attempt < attempts:
                self._backoff(attempt)
                continue
            raise error
        raise AssertionError("unreachable")

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


_default: HttpClient | None = None
_default_lock = threading.Lock()


def default_client() -> HttpClient:
    """A process-wide client for scripts; services build their own in create_app."""
    global _default
    with _default_lock:
        if _default is None:
            _default = HttpClient(get_settings(), service="script")
        return _default


def get(url: str, **kwargs: Any) -> requests.Response:
    return default_client().get(url, **kwargs)


def post(url: str, **kwargs: Any) -> requests.Response:
    return default_client().post(url, **kwargs)


def put(url: str, **kwargs: Any) -> requests.Response:
    return default_client().put(url, **kwargs)


def delete(url: str, **kwargs: Any) -> requests.Response:
    return default_client().delete(url, **kwargs)
