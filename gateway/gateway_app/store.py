"""The gateway's own records: revoked token ids (logout) and failed-login counters."""
from __future__ import annotations

import time

from shared.database import Database, utc_now_iso
from shared.revocation import RevocationList


class TokenStore:
    """Revoked token ids. This table is the record; `shared` (Redis, when configured)
    carries the same ids to the services so they refuse the token too."""

    def __init__(self, db: Database, shared: RevocationList | None = None):
        self.db = db
        self.shared = shared

    def revoke(self, jti: str, user_id: str, expires_at: int) -> None:
        with self.db.connection() as conn:
            conn.execute("INSERT INTO revoked_tokens (jti, user_id, expires_at, revoked_at) VALUES (?, ?, ?, ?) "
                         "ON CONFLICT (jti) DO NOTHING", (jti, user_id, int(expires_at), utc_now_iso()))
            conn.execute("DELETE FROM revoked_tokens WHERE expires_at < ?", (int(time.time()) - 60,))
        if self.shared is not None:
            self.shared.add(jti, expires_at)

    def is_revoked(self, jti: str) -> bool:
        with self.db.connection(readonly=True) as conn:
            return conn.execute("SELECT 1 AS hit FROM revoked_tokens WHERE jti = ?", (jti,)).fetchone() is not None


class LoginThrottle:
    """After `max_failures` wrong passwords for one email within `window` seconds, that
    email is locked for `lockout` seconds (429 with Retry-After)."""

    def __init__(self, db: Database, max_failures: int, window: int, lockout: int):
        self.db = db
        self.max_failures = max_failures
        self.window = window
        self.lockout = lockout

    def retry_after(self, email: str) -> int:
        now = int(time.time())
        with self.db.connection(readonly=True) as conn:
            row = conn.execute("SELECT locked_until FROM login_failures WHERE email_key = ?",
                               (email.lower(),)).fetchone()
        if row and row["locked_until"] and int(row["locked_until"]) > now:
            return int(row["locked_until"]) - now
        return 0

    def record_failure(self, email: str) -> None:
        now = int(time.time())
        key = email.lower()
        with self.db.connection() as conn:
            row = conn.execute("SELECT failures, window_start FROM login_failures WHERE email_key = ?",
                               (key,)).fetchone()
            if row is None or now - int(row["window_start"]) > self.window:
                failures, start = 1, now
            else:
                failures, start = int(row["failures"]) + 1, int(row["window_start"])
            locked = now + self.lockout if failures >= self.max_failures else None
            conn.execute(
                "INSERT INTO login_failures (email_key, failures, window_start, locked_until) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (email_key) DO UPDATE SET failures = excluded.failures, "
                "window_start = excluded.window_start, locked_until = excluded.locked_until",
                (key, 0 if locked else failures, now if locked else start, locked))

    def reset(self, email: str) -> None:
        with self.db.connection() as conn:
            conn.execute("DELETE FROM login_failures WHERE email_key = ?", (email.lower(),))
