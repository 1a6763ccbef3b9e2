"""The gateway's own records: failed-login counters. (Ended sessions live with the users,
in user-management: shared/revocation.py.)"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

from shared.accounts import normalize_email
from shared.database import Database

ANY_ACCOUNT = ""   # the email_key of a per-address counter


@dataclass(frozen=True)
class Limit:
    """When a counter makes attempts wait, and when it starts afresh: once `window` seconds
    have passed since its first failure and nothing happened for `quiet` seconds after
    its last wait ended (and never while a wait is in force)."""
    failures: int        # wrong passwords before the first wait
    lockout: int         # the first wait, in seconds; it doubles with every further wrong password
    max_lockout: int     # ... up to this
    window: int = 0
    quiet: int = 0


class LoginThrottle:
    """Failed sign-ins, counted so that guessing is slow but the owner is not locked out.

    Two counters, rows of login_throttle, meet every attempt:
    - (email, address): wrong passwords for one account from one client address. After
      `failures` of them each further guess waits `lockout` seconds, twice as long after
      every further wrong one, up to `max_lockout`; it starts afresh only after a quiet
      spell, so a guesser stays slow. The owner signing in from another address is not
      affected, and the right password clears the counter.
    - (any account, address): wrong passwords from one address across all accounts, so
      trying one password on many accounts is slowed down as well. It starts afresh a
      fixed window after its first failure, so an address many people share (a NAT) is
      not held up for ever by their typos.
    Emails are counted under shared.accounts.normalize_email, the same key user-management
    looks accounts up by, so "  Student@Example.com" is no fresh account.

    An attempt is reserved before the password is checked: one guarded UPDATE counts it
    only while the counter is not waiting (check and increment are one statement, so
    parallel attempts cannot slip past the limit); a right password gives it back.
    Attempts refused while waiting are counted in `refused`.
    """

    def __init__(self, db: Database, per_account: Limit, per_address: Limit):
        self.db = db
        self.limits = {"account": per_account, "address": per_address}

    def _counters(self, email: str, address: str) -> list[tuple[str, str, Limit]]:
        # Always in this order, so that concurrent transactions lock rows in the same order.
        return [(ANY_ACCOUNT, address, self.limits["address"]),
                (normalize_email(email), address, self.limits["account"])]

    def reserve(self, email: str, address: str) -> int:
        """Count this attempt before its password is checked. Returns 0 when it may go
        ahead, else the seconds to wait (the attempt is refused, not checked)."""
        now = _now_ms()
        try:
            with self.db.connection() as conn:
                for email_key, addr, limit in self._counters(email, address):
                    if not self._take(conn, email_key, addr, limit, now):
                        raise _Waiting(email_key, addr)
        except _Waiting as waiting:           # rolled back: no counter moved for this attempt
            with self.db.connection() as conn:
                row = conn.execute(
                    "UPDATE login_throttle SET refused = refused + 1 WHERE email_key = ? AND address = ? "
                    "RETURNING last_attempt_ms + delay_ms AS until_ms", (waiting.email_key, waiting.address)).fetchone()
            return max(1, math.ceil((int(row["until_ms"]) - now) / 1000)) if row else 1
        return 0

    @staticmethod
    def _take(conn, email_key: str, address: str, limit: Limit, now: int) -> bool:
        conn.execute("INSERT INTO login_throttle (email_key, address, failures, refused, last_attempt_ms, delay_ms, "
                     "window_start_ms) VALUES (?, ?, 0, 0, 0, 0, ?) ON CONFLICT (email_key, address) DO NOTHING",
                     (email_key, address, now))
        # Start afresh (see Limit). Safe against a concurrent attempt: that one has just set
        # last_attempt_ms to its now, which this condition re-checks on the row it waited for.
        conn.execute("UPDATE login_throttle SET failures = 0, refused = 0, delay_ms = 0, window_start_ms = ? "
                     "WHERE email_key = ? AND address = ? AND window_start_ms + ? <= ? "
                     "AND last_attempt_ms + delay_ms + ? <= ? AND (failures > 0 OR refused > 0)",
                     (now, email_key, address, limit.window * 1000, now, limit.quiet * 1000, now))
        taken = conn.execute(
            "UPDATE login_throttle SET failures = failures + 1, last_attempt_ms = ?, "
            "delay_ms = CASE WHEN failures + 1 < ? THEN 0 WHEN delay_ms = 0 THEN ? "
            "WHEN delay_ms * 2 >= ? THEN ? ELSE delay_ms * 2 END "
            "WHERE email_key = ? AND address = ? AND (delay_ms = 0 OR last_attempt_ms + delay_ms <= ?) "
            "RETURNING failures",
            (now, limit.failures, limit.lockout * 1000, limit.max_lockout * 1000, limit.max_lockout * 1000,
             email_key, address, now)).fetchone()
        return taken is not None

    def succeeded(self, email: str, address: str) -> None:
        """The password was right: the account's counter goes, the address's gets its
        reservation back."""
        self._give_back(email, address, clear_account=True)

    def not_checked(self, email: str, address: str) -> None:
        """The password could not be checked (user-management failed): give both back."""
        self._give_back(email, address, clear_account=False)

    def _give_back(self, email: str, address: str, clear_account: bool) -> None:
        with self.db.connection() as conn:
            for email_key, addr, limit in self._counters(email, address):
                if clear_account and email_key != ANY_ACCOUNT:
                    conn.execute("DELETE FROM login_throttle WHERE email_key = ? AND address = ?", (email_key, addr))
                    continue
                conn.execute("UPDATE login_throttle SET failures = failures - 1, "
                             "delay_ms = CASE WHEN failures - 1 < ? THEN 0 ELSE delay_ms END "
                             "WHERE email_key = ? AND address = ? AND failures > 0",
                             (limit.failures, email_key, addr))


def _now_ms() -> int:
    return int(time.time() * 1000)


class _Waiting(Exception):
    def __init__(self, email_key: str, address: str):
        super().__init__(email_key, address)
        self.email_key = email_key
        self.address = address
