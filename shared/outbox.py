"""The transactional outbox: no notification is lost (DESIGN decision 4).

A producer writes the notification it owes into its own `<name>_outbox` table in the
same transaction as the change (`enqueue`). `OutboxDispatcher`, a background thread in
the producer, posts due rows to the notification service with the row's idempotency
key, retrying with backoff until it is accepted. The notification service keeps one
notification per key, so a retry after a lost answer never makes a second one.
Several processes may run dispatchers over one table: a row is claimed before sending
(for REQUEST_TIMEOUT + 2 s, so the rows of a dispatcher that crashed mid-send wait no
longer than that).

When the notification service cannot be reached, the dispatcher stops sending and asks
its /health every OUTBOX_PROBE_SECONDS (1); as soon as it answers, every waiting row is
due again, so a backlog is delivered within seconds of the recovery instead of after
each row's backoff. A row the service refuses for good (a 4xx other than 408/425/429:
the payload itself is wrong) is dead-lettered: `dead_at` and the reason are recorded,
it is never sent again, and /health (and so the gateway's /health/services) counts it.
"""
from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

from shared.database import Connection, Database
from shared.errors import ApiError

logger = logging.getLogger(__name__)

OUTBOX_DDL = """
CREATE TABLE IF NOT EXISTS {table} (
    id BIGSERIAL PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_until TEXT,
    delivered_at TEXT,
    last_error TEXT,
    dead_at TEXT
);
CREATE INDEX IF NOT EXISTS idx_{table}_pending ON {table} (delivered_at, next_attempt_at);
"""
# Answers that say "this request will never be accepted": the row is dead-lettered.
RETRYABLE_CLIENT_ERRORS = frozenset({408, 425, 429})


def outbox_ddl(table: str) -> str:
    if not table.replace("_", "").isalnum():
        raise ValueError(f"bad outbox table name {table!r}")
    return OUTBOX_DDL.format(table=table)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def enqueue(conn: Connection, table: str, key: str, notification: dict[str, Any]) -> None:
    """Record a notification to send, inside the caller's transaction.

    notification: {"title", "body", "type", and one of "user_id" | "role" | "broadcast"}.
    The same key twice is one notification."""
    now = _iso(_now())
    conn.execute(
        f"INSERT INTO {table} (idempotency_key, payload, created_at, next_attempt_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING",
        (key, json.dumps(notification), now, now),
    )


class OutboxDispatcher:
    def __init__(self, db: Database, table: str, http, notification_url: str,
                 interval: float = 1.0, batch: int = 50, claim_seconds: float | None = None,
                 probe_seconds: float | None = None):
        self.db = db
        self.table = table
        self.http = http
        self.notification_url = notification_url.rstrip("/")
        self.interval = interval
        self.batch = batch
        settings = http.settings
        self.claim_seconds = claim_seconds if claim_seconds is not None else settings.request_timeout + 2
        self.probe_seconds = (probe_seconds if probe_seconds is not None
                              else settings.env.float("OUTBOX_PROBE_SECONDS", 1.0, minimum=0.05))
        self.upstream_down = False
        self._schema_checked = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "OutboxDispatcher":
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"outbox-{self.table}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def wake(self) -> None:
        """Deliver soon instead of at the next tick (call after the transaction commits)."""
        self._wake.set()

    def backlog(self) -> int:
        self._ensure_schema()
        with self.db.connection(readonly=True) as conn:
            return int(conn.execute(f"SELECT COUNT(*) AS n FROM {self.table} "
                                    "WHERE delivered_at IS NULL AND dead_at IS NULL").scalar())

    def summary(self) -> dict[str, Any]:
        """For /health: what waits, what was given up, and why the last one was."""
        try:
            self._ensure_schema()
            with self.db.connection(readonly=True) as conn:
                dead = int(conn.execute(f"SELECT COUNT(*) AS n FROM {self.table} WHERE dead_at IS NOT NULL").scalar())
                last = conn.execute(f"SELECT idempotency_key, last_error, dead_at FROM {self.table} "
                                    "WHERE dead_at IS NOT NULL ORDER BY dead_at DESC LIMIT 1").fetchone()
            return {"backlog": self.backlog(), "dead": dead,
                    "notification_service": "unreachable" if self.upstream_down else "ok",
                    "last_dead": None if last is None else {"key": last["idempotency_key"],
                                                            "reason": last["last_error"], "at": last["dead_at"]}}
        except Exception as exc:  # noqa: BLE001 - health reports, never raises
            return {"error": exc.__class__.__name__}

    def _ensure_schema(self) -> None:
        """Add what an older outbox table lacks (dead_at), once per process."""
        if not self._schema_checked:
            with self.db.connection() as conn:
                conn.add_column_if_missing(self.table, "dead_at", "TEXT")
            self._schema_checked = True

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.upstream_down:
                    self._probe()
                else:
                    self.dispatch_once()
            except Exception:  # noqa: BLE001 - the loop must survive a bad tick
                logger.warning("outbox %s: dispatch tick failed", self.table, exc_info=True)
            self._wake.wait(self.probe_seconds if self.upstream_down else self.interval)
            self._wake.clear()

    def _probe(self) -> None:
        """The notification service was unreachable: when its /health answers, every
        waiting row is due at once and delivery resumes."""
        try:
            healthy = self.http.get(f"{self.notification_url}/health", retries=1, timeout=2.0,
                                    breaker=False, service_auth=False).status_code == 200
        except ApiError:
            healthy = False
        if not healthy:
            return
        with self.db.connection() as conn:
            conn.execute(f"UPDATE {self.table} SET next_attempt_at = ? WHERE delivered_at IS NULL "
                         "AND dead_at IS NULL", (_iso(_now()),))
        self.http.breaker(self.notification_url).record_success()
        self.upstream_down = False
        logger.info("outbox %s: the notification service is back; delivering the backlog", self.table)
        self.dispatch_once()

    def dispatch_once(self) -> int:
        self._ensure_schema()
        now = _now()
        with self.db.connection(readonly=True) as conn:
            due = conn.execute(
                f"SELECT id, idempotency_key, payload, attempts FROM {self.table} "
                "WHERE delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at <= ? "
                "AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY id LIMIT ?",
                (_iso(now), _iso(now), self.batch)).fetchall()
        delivered = 0
        for row in due:
            if self.upstream_down or self._stop.is_set():
                break
            if not self._claim(row["id"]):
                continue
            delivered += self._deliver(row)
        return delivered

    def _claim(self, row_id: int) -> bool:
        now = _now()
        with self.db.connection() as conn:
            claimed = conn.execute(
                f"UPDATE {self.table} SET claimed_until = ? WHERE id = ? AND delivered_at IS NULL "
                "AND (claimed_until IS NULL OR claimed_until < ?)",
                (_iso(now + timedelta(seconds=self.claim_seconds)), row_id, _iso(now)))
            return claimed.rowcount == 1

    def _deliver(self, row: dict[str, Any]) -> int:
        error = None
        try:
            response = self.http.post(f"{self.notification_url}/notifications",
                                      data=row["payload"],
                                      headers={"Content-Type": "application/json",
                                               "Idempotency-Key": row["idempotency_key"]},
                                      retries=1)
            if response.status_code < 300:
                with self.db.connection() as conn:
                    conn.execute(f"UPDATE {self.table} SET delivered_at = ?, claimed_until = NULL, "
                                 "attempts = attempts + 1, last_error = NULL WHERE id = ?",
                                 (_iso(_now()), row["id"]))
                return 1
            error = f"HTTP {response.status_code}: {response.text[:200]}"
            if 400 <= response.status_code < 500 and response.status_code not in RETRYABLE_CLIENT_ERRORS:
                self._dead_letter(row, error)
                return 0
            if response.status_code >= 500:
                self.upstream_down = True
        except ApiError as exc:
            error = exc.message
            self.upstream_down = True          # unreachable, timed out or circuit open
        except Exception as exc:  # noqa: BLE001 - recorded on the row, retried later
            error = f"{exc.__class__.__name__}: {exc}"
        attempts = int(row["attempts"]) + 1
        delay = min(2 ** attempts, 60)
        with self.db.connection() as conn:
            conn.execute(f"UPDATE {self.table} SET attempts = ?, next_attempt_at = ?, claimed_until = NULL, "
                         "last_error = ? WHERE id = ?",
                         (attempts, _iso(_now() + timedelta(seconds=delay)), error, row["id"]))
        logger.info("outbox %s: delivery of %s failed (attempt %d, retry in %ds%s): %s",
                    self.table, row["idempotency_key"], attempts, delay,
                    " or as soon as the notification service is healthy" if self.upstream_down else "", error)
        return 0

    def _dead_letter(self, row: dict[str, Any], reason: str) -> None:
        with self.db.connection() as conn:
            conn.execute(f"UPDATE {self.table} SET dead_at = ?, claimed_until = NULL, attempts = attempts + 1, "
                         "last_error = ? WHERE id = ?", (_iso(_now()), reason, row["id"]))
        logger.error("outbox %s: notification %s refused for good, dead-lettered: %s",
                     self.table, row["idempotency_key"], reason)
