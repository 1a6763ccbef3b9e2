"""Sessions that have ended: refused by every service within a second (DESIGN decision 2).

A token carries facts (who, which role) that can stop being true. Two kinds of record
end sessions, both rows of user-management's `session_revocations` table, written in
the same transaction as the change that causes them:
- a token id (jti): logout of that one token; kept until the token expires anyway;
- a user's "not before" time (Keycloak's not-before policy): a role change, a deletion,
  a password change or reset, or "sign out everywhere" ends every token of that user
  issued before it. Kept for the longest token lifetime, after which no earlier token
  can be alive.

Every process holds the live set in memory (`SessionRevocations`), so checking a token
is two dict lookups: no database and no network on a request. The set is kept current
from the table: user-management reads it directly, every other service polls
GET /internal/revocations?after=<cursor> on user-management every
REVOCATION_POLL_SECONDS (0.5). With REDIS_URL, user-management also publishes on a
channel after each commit and listeners fetch at once. Redis is only the fast path; the
table is the record and polling goes on regardless (a subscriber cannot always tell
that its connection died), so a Redis outage loses nothing: it only slows propagation
to the polling period.

Until its first successful fetch a process refuses user tokens with 503 (it cannot know
which sessions ended). Afterwards, if the source cannot be reached, the last known set
is used (with a warning) for up to REVOCATION_MAX_STALE_SECONDS (300): while
user-management is down no session can be ended, and the GPA calculator, which needs
no database, keeps answering through a database outage. Past that age it fails closed.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Iterable

from shared.config import Settings
from shared.errors import ServiceUnavailable, Unauthorized

log = logging.getLogger(__name__)

CHANNEL = "campus:session-revocations"
FEED_PATH = "/internal/revocations"
PAGE_SIZE = 5000

Fetch = Callable[[int], dict[str, Any]]      # cursor -> {"cursor": int, "events": [...], "more": bool}
Listener = Callable[[list[dict[str, Any]]], None]


class SessionRevocations:
    """The live set of ended sessions of one platform, kept current by a background thread."""

    def __init__(self, fetch: Fetch, *, poll_seconds: float = 0.5, max_stale_seconds: float = 300.0, first_sync_wait: float = 5.0,
                 redis_url: str | None = None, clock: Callable[[], float] = time.monotonic):
        self._fetch = fetch
        self.poll_seconds = poll_seconds
        self.max_stale_seconds = max_stale_seconds
        self.first_sync_wait = first_sync_wait
        self.redis_url = redis_url
        self.clock = clock
        self._not_before: dict[str, float] = {}
        self._tokens: dict[str, int] = {}
        self._expiry: dict[str, int] = {}        # user id -> when its not-before row lapses
        self._cursor = 0
        self._synced_at: float | None = None
        self._first_sync = threading.Event()
        self._wake = threading.Event()
        self._subscribed = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._started = False
        self._failing = False

    @classmethod
    def fixed(cls, events: Iterable[dict[str, Any]] = ()) -> "SessionRevocations":
        """A set that never changes, for an app built in-process by a unit test."""
        frozen = list(events)
        return cls(lambda after: {"cursor": len(frozen), "events": frozen if after == 0 else [], "more": False})

    # ------------------------------------------------------------------ checks
    def check(self, principal) -> None:
        """Raise Unauthorized if this principal's session has ended (services pass through)."""
        if principal.role == "service":
            return
        self.ensure_fresh()
        if principal.jti in self._tokens:
            raise Unauthorized("This token has been logged out; log in again.", code="token_revoked")
        not_before = self._not_before.get(principal.id)
        if not_before is not None and principal.iat < not_before:
            raise Unauthorized("This session has ended (the account changed or was signed out); log in again.",
                               code="token_revoked")

    def is_ended(self, principal) -> bool:
        try:
            self.check(principal)
        except Unauthorized:
            return True
        return False

    def ensure_fresh(self) -> None:
        self.start()
        if self._synced_at is None and not self._first_sync.wait(self.first_sync_wait):
            raise ServiceUnavailable("Sign-in state is not available yet (user-management unreachable); "
                                     "try again shortly.", code="sessions_unavailable")
        age = self.clock() - (self._synced_at or 0.0)
        if age > self.max_stale_seconds:
            raise ServiceUnavailable(f"Sign-in state is {age:.0f} s old (user-management unreachable); "
                                     "try again shortly.", code="sessions_unavailable")

    def status(self) -> dict[str, Any]:
        """For /health: how current the set is."""
        age = None if self._synced_at is None else round(self.clock() - self._synced_at, 3)
        return {"synced": self._synced_at is not None, "age_seconds": age, "cursor": self._cursor,
                "ended_tokens": len(self._tokens), "users_with_not_before": len(self._not_before),
                "push": self._subscribed.is_set()}

    # ------------------------------------------------------------------ keeping current
    def add_listener(self, listener: Listener) -> None:
        """listener(events) runs on the sync thread after new events are applied."""
        self._listeners.append(listener)
        self.start()

    def poke(self) -> None:
        """Fetch now (a local write, or a push from Redis)."""
        self._wake.set()

    def sync(self) -> bool:
        """One fetch of everything after the cursor; True when the source answered."""
        with self._sync_lock:
            applied: list[dict[str, Any]] = []
            try:
                while True:
                    page = self._fetch(self._cursor)
                    events = page.get("events") or []
                    self._apply(events, int(page.get("cursor", self._cursor)))
                    applied += events
                    if not page.get("more"):
                        break
            except Exception as exc:  # noqa: BLE001 - any failure is "source unreachable"
                if not self._failing:
                    log.warning("could not refresh ended sessions (%s: %s); using the set from %s s ago",
                                exc.__class__.__name__, str(exc)[:200],
                                "never" if self._synced_at is None else f"{self.clock() - self._synced_at:.1f}")
                self._failing = True
                return False
            if self._failing:
                log.info("ended sessions refreshed again (cursor %s)", self._cursor)
            self._failing = False
            self._synced_at = self.clock()
            self._first_sync.set()
        if applied:
            for listener in list(self._listeners):
                try:
                    listener(applied)
                except Exception:  # noqa: BLE001 - a listener must not stop the sync
                    log.exception("session revocation listener failed")
        return True

    def _apply(self, events: Iterable[dict[str, Any]], cursor: int) -> None:
        now = time.time()
        with self._lock:
            for event in events:
                if event.get("jti"):
                    self._tokens[event["jti"]] = int(event["expires_at"])
                elif event.get("not_before") is not None:
                    user = str(event["user_id"])
                    self._not_before[user] = max(self._not_before.get(user, 0.0), float(event["not_before"]))
                    self._expiry[user] = max(self._expiry.get(user, 0), int(event["expires_at"]))
            self._cursor = max(self._cursor, cursor)
            # Forget what can no longer matter: tokens past their expiry.
            if len(self._tokens) > 1000 or len(self._expiry) > 1000:
                for jti in [j for j, exp in self._tokens.items() if exp < now]:
                    del self._tokens[jti]
                for user in [u for u, exp in self._expiry.items() if exp < now]:
                    del self._expiry[user]
                    self._not_before.pop(user, None)

    def start(self) -> None:
        if self._started:
            return
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._run, name="session-revocations", daemon=True).start()
        if self.redis_url:
            threading.Thread(target=self._listen, name="session-revocations-push", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sync()
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def _listen(self) -> None:
        """Redis push: a message on CHANNEL means "fetch now". Reconnects after an outage
        and fetches once, since messages sent while away are gone (polling covers them)."""
        import redis

        delay = 0.5
        while not self._stop.is_set():
            try:
                client = redis.Redis.from_url(self.redis_url, socket_connect_timeout=1, socket_timeout=None,
                                              health_check_interval=10)
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(CHANNEL)
                self._subscribed.set()
                self.poke()
                delay = 0.5
                for message in pubsub.listen():
                    if self._stop.is_set():
                        break
                    if message and message.get("type") == "message":
                        self.poke()
            except Exception as exc:  # noqa: BLE001 - Redis down: polling alone until it is back
                if self._subscribed.is_set():
                    log.warning("session revocation push lost (%s); polling every %.1f s meanwhile",
                                exc.__class__.__name__, self.poll_seconds)
                self._subscribed.clear()
                self._wake.set()
                self._stop.wait(delay)
                delay = min(delay * 2, 10.0)


def publish(redis_url: str | None) -> None:
    """Tell every listener to fetch now; a failure only costs the polling delay."""
    if not redis_url:
        return
    try:
        _publisher(redis_url).publish(CHANNEL, b"1")
    except Exception as exc:  # noqa: BLE001
        log.warning("could not publish a session revocation (%s); services will poll it", exc.__class__.__name__)


_publishers: dict[str, Any] = {}


def _publisher(redis_url: str):
    import redis

    if redis_url not in _publishers:
        _publishers[redis_url] = redis.Redis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
    return _publishers[redis_url]


# ----------------------------------------------------------------- one set per process
_instances: dict[tuple, SessionRevocations] = {}
_instances_lock = threading.Lock()


def options(settings: Settings) -> dict[str, Any]:
    env = settings.env
    return {"poll_seconds": env.float("REVOCATION_POLL_SECONDS", 0.5, minimum=0.05),
            "max_stale_seconds": env.float("REVOCATION_MAX_STALE_SECONDS", 300.0, minimum=1.0),
            # How long a request waits for a process's very first load before its 503.
            "first_sync_wait": env.float("REVOCATION_FIRST_SYNC_SECONDS", 5.0, minimum=0.0),
            "redis_url": settings.redis_url}


def http_feed(settings: Settings) -> Fetch:
    """Fetch from user-management over the platform's HTTP client (no breaker: the poll
    must notice recovery at once, and a failed poll costs nothing)."""
    from shared.http_client import HttpClient

    client = HttpClient(settings, service="session-revocations")
    base = settings.service_url("user-management")

    def fetch(cursor: int) -> dict[str, Any]:
        response = client.request("GET", f"{base}{FEED_PATH}", params={"after": cursor}, timeout=2.0,
                                  retries=1, breaker=False)
        if response.status_code != 200:
            raise RuntimeError(f"user-management answered {response.status_code}")
        return response.json()
    return fetch


def session_revocations(settings: Settings) -> SessionRevocations:
    """The process-wide set for these settings, fed from user-management over HTTP."""
    key = (settings.service_url("user-management"), settings.redis_url, settings.jwt_secret_key)
    with _instances_lock:
        if key not in _instances:
            _instances[key] = SessionRevocations(http_feed(settings), **options(settings))
        return _instances[key]
