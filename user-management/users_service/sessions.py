"""Ended sessions: the durable record behind shared/revocation.py.

user-management owns it because the facts that end sessions live here: a role change,
a deletion, a password change are written in the same transaction as the row that ends
the user's earlier tokens, so one cannot happen without the other. Logouts (one token)
are recorded here too, for the gateway, so every service reads one feed.

Rows are read in id order by every service (`feed`). On PostgreSQL a sequence value is
taken before commit, so two concurrent writers could commit ids out of order and a
reader could step past the smaller one; a table lock held to commit makes writers
commit in id order. Writes are rare (logouts, account changes), so the lock costs nothing.
"""
from __future__ import annotations

import time
from typing import Any

from shared.config import Settings
from shared.database import Connection, Database, utc_now_iso
from shared.revocation import PAGE_SIZE, SessionRevocations, options, publish

from .models import RevocationFeed

# A not-before row matters until the last token issued before it has expired; the
# longest-lived tokens are the users' (JWT_EXPIRY_HOURS); a minute of slack for clocks.
SLACK_SECONDS = 60


def _lock(conn: Connection) -> None:
    if conn.kind == "postgresql":
        conn.execute("LOCK TABLE session_revocations IN SHARE ROW EXCLUSIVE MODE")


def end_sessions(conn: Connection, settings: Settings, user_id: str, reason: str) -> float:
    """Every token of this user issued before now stops working (inside the caller's
    transaction). Returns the not-before time."""
    _lock(conn)
    not_before = round(time.time(), 3)
    expires_at = int(not_before + settings.jwt_expiry_hours * 3600 + SLACK_SECONDS)
    conn.execute("INSERT INTO session_revocations (user_id, jti, not_before, expires_at, reason, created_at) "
                 "VALUES (?, NULL, ?, ?, ?, ?)", (user_id, not_before, expires_at, reason, utc_now_iso()))
    return not_before


def end_token(conn: Connection, user_id: str, jti: str, expires_at: int) -> None:
    """One token stops working (logout)."""
    _lock(conn)
    conn.execute("INSERT INTO session_revocations (user_id, jti, not_before, expires_at, reason, created_at) "
                 "VALUES (?, ?, NULL, ?, 'logout', ?)", (user_id, jti, int(expires_at), utc_now_iso()))


def feed(db: Database, after: int, limit: int = PAGE_SIZE) -> dict[str, Any]:
    """Rows after the cursor, oldest first; rows that can no longer matter are left out
    (the cursor only moves over rows returned, so nothing committed later is skipped)."""
    with db.connection(readonly=True) as conn:
        rows = conn.execute("SELECT id, user_id, jti, not_before, expires_at FROM session_revocations "
                            "WHERE id > ? AND expires_at > ? ORDER BY id LIMIT ?",
                            (after, int(time.time()), limit + 1)).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    events = [{"id": r["id"], "user_id": r["user_id"], "jti": r["jti"],
               "not_before": None if r["not_before"] is None else float(r["not_before"]),
               "expires_at": int(r["expires_at"])} for r in rows]
    return RevocationFeed(cursor=int(rows[-1]["id"]) if rows else after, events=events, more=more).model_dump()


def prune(db: Database) -> int:
    """Drop rows whose tokens have all expired."""
    with db.connection() as conn:
        return conn.execute("DELETE FROM session_revocations WHERE expires_at < ?",
                            (int(time.time()) - SLACK_SECONDS,)).rowcount


def local_revocations(db: Database, settings: Settings) -> SessionRevocations:
    """user-management's own set, read straight from its table."""
    return SessionRevocations(lambda after: feed(db, after), **options(settings))


_last_prune = [0.0]


def committed(app_sessions: SessionRevocations, settings: Settings, db: Database | None = None) -> None:
    """After a commit that may have ended sessions: this process sees it at once, the
    others by a push (REDIS_URL) or their next poll. Old rows are pruned hourly."""
    before = app_sessions.status()["cursor"]
    app_sessions.sync()
    if app_sessions.status()["cursor"] != before:
        publish(settings.redis_url)
    if db is not None and time.time() - _last_prune[0] > 3600:
        _last_prune[0] = time.time()
        prune(db)
