"""Password reset for local accounts: a single-use link, e-mailed, valid PASSWORD_RESET_MINUTES (30).

The gateway's POST /auth/password-reset (throttled like login) asks `request_reset`; it
answers the same whether or not the address has an account. Only the SHA-256 of the
link's token is stored; a newer link revokes the older ones of that user. `confirm`
sets the new password (the one rule: passwords.py), marks the link used, revokes the
user's other links and ends every earlier session of the user (sessions.py), all in one
transaction, so a link replayed, expired or revoked does nothing.

The e-mail goes out from a background thread (`ResetMailer`, shared/mail.py), so the
answer takes as long whether or not a message is sent. It is retried a few times; the
link itself is never written anywhere but the e-mail (a lost e-mail: ask again).
"""
from __future__ import annotations

import hashlib
import html
import logging
import queue
import secrets
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from werkzeug.security import generate_password_hash

from shared import mail
from shared.accounts import normalize_email
from shared.config import Settings
from shared.database import Database, utc_iso
from shared.errors import ValidationFailed

from . import sessions

logger = logging.getLogger(__name__)
RESET_PAGE = "/reset.html"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def lifetime(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.env.int("PASSWORD_RESET_MINUTES", 30, minimum=1, maximum=24 * 60))


def request_reset(db: Database, email: str) -> tuple[dict[str, Any], str] | None:
    """A new link for the account of this address: (user, token), or None when there is
    no such account. Earlier links of the user stop working."""
    now = _now()
    with db.connection() as conn:
        user = conn.execute("SELECT id, email, name FROM users WHERE email_key = ?",
                            (normalize_email(email),)).fetchone()
        if user is None:
            return None
        token = secrets.token_urlsafe(32)
        conn.execute("UPDATE password_resets SET revoked_at = ? WHERE user_id = ? AND used_at IS NULL "
                     "AND revoked_at IS NULL", (utc_iso(now), user["id"]))
        conn.execute("INSERT INTO password_resets (user_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?)",
                     (user["id"], _hash(token), utc_iso(now), utc_iso(now + lifetime(db.settings))))
    return user, token


def confirm(db: Database, token: str, password: str) -> str:
    """Use a link: the new password (already checked by the model) is set; the user's id.
    Every other session of the user ends."""
    now = utc_iso(_now())
    with db.connection() as conn:
        row = conn.execute(f"SELECT * FROM password_resets WHERE token_hash = ?{conn.for_update()}",
                           (_hash(token),)).fetchone()
        problem = None
        if row is None or row["revoked_at"] is not None:
            problem = "This reset link is not valid (a newer one may have been sent); ask for a new one."
        elif row["used_at"] is not None:
            problem = "This reset link was used already; ask for a new one."
        elif row["expires_at"] <= now:
            problem = "This reset link has expired; ask for a new one."
        if problem:
            raise ValidationFailed(problem, code="invalid_reset_link",
                                   details=[{"field": "token", "message": problem}])
        changed = conn.execute("UPDATE users SET password_hash = ?, must_change_password = ?, updated_at = ? "
                               "WHERE id = ?", (generate_password_hash(password), False, now,
                                                row["user_id"])).rowcount
        if not changed:
            raise ValidationFailed("This reset link is not valid; ask for a new one.", code="invalid_reset_link",
                                   details=[{"field": "token", "message": "the account no longer exists"}])
        conn.execute("UPDATE password_resets SET used_at = ? WHERE id = ?", (now, row["id"]))
        conn.execute("UPDATE password_resets SET revoked_at = ? WHERE user_id = ? AND id <> ? AND used_at IS NULL "
                     "AND revoked_at IS NULL", (now, row["user_id"], row["id"]))
        sessions.end_sessions(conn, db.settings, row["user_id"], "password_reset")
        return row["user_id"]


class ResetMailer:
    """Sends reset e-mails off the request's thread, a few tries each (no SMTP_HOST: logs that none went)."""

    ATTEMPTS = 4

    def __init__(self, settings: Settings):
        self.settings = settings
        self.mail = mail.MailSettings.from_settings(settings)
        self.base_url = mail.public_url(settings)
        self.retry_seconds = settings.env.float("MAIL_RETRY_SECONDS", 30.0, minimum=0.01)
        self._queue: queue.Queue = queue.Queue(maxsize=10_000)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def send_link(self, user: dict[str, Any], token: str) -> None:
        if self.mail is None:
            logger.warning("password reset asked for user %s, but SMTP_HOST is not set: no e-mail sent", user["id"])
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="password-reset-mail", daemon=True)
                self._thread.start()
        try:
            self._queue.put_nowait(self.message(user, token))
        except queue.Full:
            logger.error("password reset e-mail for user %s dropped: the queue is full", user["id"])

    def message(self, user: dict[str, Any], token: str):
        link = f"{self.base_url}{RESET_PAGE}#token={token}"
        minutes = int(lifetime(self.settings).total_seconds() // 60)
        text = (f"Hello {user['name']},\n\nSomeone (we hope you) asked to reset the password of your Campus Services "
                f"Hub account. Choose a new password here:\n\n{link}\n\nThe link works once, for {minutes} "
                "minutes. If you did not ask, ignore this e-mail: your password stays as it is.\n")
        html_text = (f"<!doctype html><html><body><p>Hello {html.escape(user['name'])},</p><p>Someone (we hope you) "
                     "asked to reset the password of your Campus Services Hub account.</p>"
                     f'<p><a href="{html.escape(link, quote=True)}">Choose a new password</a></p>'
                     f"<p>The link works once, for {minutes} minutes. If you did not ask, ignore this e-mail: "
                     "your password stays as it is.</p></body></html>")
        return mail.compose(self.mail, user["email"], "Reset your Campus Services Hub password", text, html_text)

    def _run(self) -> None:
        while True:
            message = self._queue.get()
            for attempt in range(1, self.ATTEMPTS + 1):
                try:
                    mail.send(self.mail, message)
                    break
                except mail.MailError as exc:
                    if attempt == self.ATTEMPTS:
                        logger.error("password reset e-mail to %s given up: %s", message["To"], exc)
                    else:
                        time.sleep(self.retry_seconds * 2 ** (attempt - 1))
