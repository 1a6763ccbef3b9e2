"""The transactional outbox: no notification is lost (DESIGN decision 4).

A producer writes the notification it owes into its own `<name>_outbox` table in the
same transaction as the change (`enqueue`). `OutboxDispatcher`, a background thread in
the producer, posts due rows to the notification service with the row's idempotency
key, retrying with backoff until it is accepted. The notification service keeps one
notification per key, so a retry after a lost answer never makes a second one.
Several processes may run dispatchers over one table: a row is claimed before sending.
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
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS idx_{table}_pending ON {table} (delivered_at, next_attempt_at);
"""


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
                 interval: float = 1.0, batch: int = 50, claim_seconds: int = 30):
        self.db = db
        self.table = table
        self.http = http
        self.notification_url = notification_url.rstrip("/")
        self.interval = interval
        self.batch = batch
        self.claim_seconds = claim_seconds
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
        with self.db.connection(readonly=True) as conn:
            return int(conn.execute(f"SELECT COUNT(*) AS n FROM {self.table} WHERE delivered_at IS NULL").scalar())

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.dispatch_once()
            except Exception:  # noqa: BLE001 - the loop must survive a bad tick
                logger.warning("outbox %s: dispatch tick failed", self.table, exc_info=True)
            self._wake.wait(self.interval)
            self._wake.clear()

    def dispatch_once(self) -> int:
        now = _now()
        with self.db.connection(readonly=True) as conn:
            due = conn.execute(
                f"SELECT id, idempotency_key, payload, attempts FROM {self.table} "
                "WHERE delivered_at IS NULL AND next_attempt_at <= ? "
                "AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY id LIMIT ?",
                (_iso(now), _iso(now), self.batch)).fetchall()
        delivered = 0
        for row in due:
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
        except ApiError as exc:
            error = exc.message
        except Exception as exc:  # noqa: BLE001 - recorded on the row, retried later
            error = f"{exc.__class__.__name__}: {exc}"
        attempts = int(row["attempts"]) + 1
        delay = min(2 ** attempts, 60)
        with self.db.connection() as conn:
            conn.execute(f"UPDATE {self.table} SET attempts = ?, next_attempt_at = ?, claimed_until = NULL, "
                         "last_error = ? WHERE id = ?",
                         (attempts, _iso(_now() + timedelta(seconds=delay)), error, row["id"]))
        logger.info("outbox %s: delivery of %s failed (attempt %d, retry in %ds): %s",
                    self.table, row["idempotency_key"], attempts, delay, error)
        return 0
