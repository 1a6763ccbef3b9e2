"""E-mail delivery of notifications: a durable queue, a background sender, a daily digest.

1. When SMTP_HOST is set, `create` (notifications.py) writes a job (notification_email_jobs)
   in the same transaction as the notification; nothing is sent while the request waits.
2. `EmailDelivery`, a background thread in every worker, expands due jobs: the audience
   (a user, a role, everyone) becomes people with addresses (recipients.py, asked of
   user-management), and each person's choice for the notification's kind
   (preferences.py) an e-mail row: "email" pending now, "digest" waiting for the digest,
   "in_app" none. An important notification is e-mailed to everyone it reaches. One row
   per notification and person (UNIQUE), so a job expanded twice adds nothing.
3. Pending rows are claimed before sending (claimed_until, like shared/outbox.py), so
   several workers and replicas never send one row twice; a failure is retried with
   backoff (MAIL_RETRY_SECONDS doubling, at most MAIL_MAX_BACKOFF_SECONDS), given up
   (status dead) after MAIL_MAX_ATTEMPTS. The Message-ID is made from the notification
   and the person, so even a send repeated after a crash mid-send is one message to a
   mail system that drops duplicates.
4. Once a day at DIGEST_HOUR (7) in the campus zone (BOOKING_TIMEZONE), each person
   with waiting rows gets one digest: the digest row is UNIQUE per person and day and
   is written in the same transaction that marks the rows it carries, so several
   instances make one digest, which is then sent like any other row.
The clock is injected (`tick(now)`), so tests need no sleeping.
"""
from __future__ import annotations

import html
import logging
import threading
from datetime import datetime, timedelta, timezone
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared import mail
from shared.config import ConfigError, Settings
from shared.database import Connection, Database, utc_iso

from . import preferences

logger = logging.getLogger(__name__)

ICS_NAME = "booking.ics"


def enqueue_job(conn: Connection, notification_id: int, ics: str | None, created_at: str) -> None:
    """Owe this notification's e-mails (inside the transaction that stores it)."""
    conn.execute("INSERT INTO notification_email_jobs (notification_id, ics, created_at, next_attempt_at) "
                 "VALUES (?, ?, ?, ?) ON CONFLICT (notification_id) DO NOTHING",
                 (notification_id, ics, created_at, created_at))


def _now() -> datetime:
    return datetime.now(timezone.utc)


class EmailDelivery:
    def __init__(self, db: Database, settings: Settings, mail_settings: mail.MailSettings, directory,
                 batch: int = 50):
        env = settings.env
        self.db = db
        self.mail = mail_settings
        self.directory = directory
        self.base_url = mail.public_url(settings)
        self.batch = batch
        self.interval = env.float("MAIL_INTERVAL_SECONDS", 1.0, minimum=0.05)
        self.retry_seconds = env.float("MAIL_RETRY_SECONDS", 30.0, minimum=0.01)
        self.max_backoff = env.float("MAIL_MAX_BACKOFF_SECONDS", 3600.0, minimum=0.01)
        self.max_attempts = env.int("MAIL_MAX_ATTEMPTS", 10, minimum=1)
        self.digest_hour = env.int("DIGEST_HOUR", 7, minimum=0, maximum=23)
        zone = env.str("BOOKING_TIMEZONE", "UTC")
        try:
            self.zone = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"BOOKING_TIMEZONE must be an IANA time zone, got {zone!r}") from None
        self.claim_seconds = self.mail.timeout * 3 + 5
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ the thread
    def start(self) -> "EmailDelivery":
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="email-delivery", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - the loop must survive a bad tick
                logger.warning("e-mail delivery tick failed", exc_info=True)
            self._wake.wait(self.interval)
            self._wake.clear()

    def tick(self, now: datetime | None = None) -> dict[str, int]:
        now = now or _now()
        return {"expanded": self.expand_due(now), "digests": self.digest_due(now), "sent": self.send_due(now)}

    def summary(self) -> dict[str, Any]:
        """For /health: what waits and what was given up."""
        try:
            with self.db.connection(readonly=True) as conn:
                rows = conn.execute("SELECT status, COUNT(*) AS n FROM notification_emails "
                                    "WHERE status IN ('pending', 'dead', 'digest') GROUP BY status").fetchall()
                jobs = conn.execute("SELECT COUNT(*) AS n FROM notification_email_jobs "
                                    "WHERE expanded_at IS NULL").scalar()
            counts = {r["status"]: int(r["n"]) for r in rows}
            return {"pending": counts.get("pending", 0), "dead": counts.get("dead", 0),
                    "in_digest": counts.get("digest", 0), "unexpanded": int(jobs or 0)}
        except Exception as exc:  # noqa: BLE001 - health reports, never raises
            return {"error": exc.__class__.__name__}

    # ------------------------------------------------------------------ claiming
    def _claim(self, table: str, key: str, row_id: int, now: datetime, extra: str = "") -> bool:
        with self.db.connection() as conn:
            return conn.execute(
                f"UPDATE {table} SET claimed_until = ? WHERE {key} = ? {extra} "
                "AND (claimed_until IS NULL OR claimed_until < ?)",
                (utc_iso(now + timedelta(seconds=self.claim_seconds)), row_id, utc_iso(now))).rowcount == 1

    def _backoff(self, attempts: int, now: datetime) -> str:
        return utc_iso(now + timedelta(seconds=min(self.retry_seconds * 2 ** (attempts - 1), self.max_backoff)))

    # ------------------------------------------------------------------ 2. expanding
    def expand_due(self, now: datetime) -> int:
        with self.db.connection(readonly=True) as conn:
            jobs = conn.execute(
                "SELECT * FROM notification_email_jobs WHERE expanded_at IS NULL AND next_attempt_at <= ? "
                "AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY notification_id LIMIT ?",
                (utc_iso(now), utc_iso(now), self.batch)).fetchall()
        done = 0
        for job in jobs:
            if self._stop.is_set() or not self._claim("notification_email_jobs", "notification_id",
                                                      job["notification_id"], now, "AND expanded_at IS NULL"):
                continue
            try:
                self._expand(job, now)
                done += 1
            except Exception as exc:  # noqa: BLE001 - user-management away: retried later
                attempts = int(job["attempts"]) + 1
                with self.db.connection() as conn:
                    conn.execute("UPDATE notification_email_jobs SET attempts = ?, next_attempt_at = ?, "
                                 "claimed_until = NULL, last_error = ? WHERE notification_id = ?",
                                 (attempts, self._backoff(attempts, now), f"{exc.__class__.__name__}: {exc}"[:300],
                                  job["notification_id"]))
                logger.info("e-mail job of notification %s: recipients not known yet (%s); retried",
                            job["notification_id"], exc)
        return done

    def _audience(self, notification: dict[str, Any]) -> list[dict[str, Any]]:
        if notification["user_id"] is not None:
            person = self.directory.user(notification["user_id"])
            return [person] if person else []
        if notification["role"] is not None:
            return self.directory.role(notification["role"])
        return self.directory.everyone()

    def _expand(self, job: dict[str, Any], now: datetime) -> None:
        with self.db.connection(readonly=True) as conn:
            notification = conn.execute("SELECT * FROM notifications WHERE id = ?",
                                        (job["notification_id"],)).fetchone()
        people = [] if notification is None or notification["deleted_at"] else self._audience(notification)
        people = [p for p in people if p.get("email")]
        with self.db.connection() as conn:
            if people:
                kind = preferences.kind_of(notification["type"])
                chosen = preferences.modes(conn, [p["id"] for p in people])
                subject, text, html_text = self.render(notification)
                for person in people:
                    mode = "email" if notification["important"] else chosen[person["id"]][kind]
                    if mode == "in_app":
                        continue
                    conn.execute(
                        "INSERT INTO notification_emails (notification_id, user_id, email, status, subject, "
                        "text_body, html_body, attachment_name, attachment_data, next_attempt_at, created_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (notification_id, user_id) DO NOTHING",
                        (notification["id"], person["id"], person["email"],
                         "pending" if mode == "email" else "digest", subject, text, html_text,
                         ICS_NAME if job["ics"] else None, job["ics"], utc_iso(now), notification["created_at"]))
            conn.execute("UPDATE notification_email_jobs SET expanded_at = ?, claimed_until = NULL, "
                         "attempts = attempts + 1, last_error = NULL WHERE notification_id = ?",
                         (utc_iso(now), job["notification_id"]))

    def render(self, notification: dict[str, Any]) -> tuple[str, str, str]:
        """Subject, text and HTML of one notification (the footer is added when sending)."""
        text = notification["body"]
        body_html = "<p>" + html.escape(notification["body"]).replace("\n", "<br>") + "</p>"
        if notification.get("link"):
            url = self.base_url + notification["link"]
            text += f"\n\nOpen it: {url}"
            body_html += f'<p><a href="{html.escape(url, quote=True)}">Open it in Campus Services Hub</a></p>'
        return notification["title"], text, f"<h1>{html.escape(notification['title'])}</h1>{body_html}"

    # ------------------------------------------------------------------ 4. the digest
    def digest_day(self, now: datetime) -> tuple[str, str]:
        """The last digest that is due at `now`: its day (campus date) and its cutoff instant."""
        local = now.astimezone(self.zone)
        day = local.date() if local.hour >= self.digest_hour else local.date() - timedelta(days=1)
        cutoff = datetime.combine(day, clock_time(self.digest_hour), tzinfo=self.zone)
        return day.isoformat(), utc_iso(cutoff)

    def digest_due(self, now: datetime) -> int:
        day, cutoff = self.digest_day(now)
        with self.db.connection(readonly=True) as conn:
            users = [r["user_id"] for r in conn.execute(
                "SELECT DISTINCT user_id FROM notification_emails WHERE status = 'digest' AND created_at < ? "
                "AND user_id NOT IN (SELECT user_id FROM notification_emails WHERE digest_day = ?) LIMIT ?",
                (cutoff, day, self.batch * 4)).fetchall()]
        return sum(self._digest(user_id, day, cutoff, now) for user_id in users)

    def _digest(self, user_id: str, day: str, cutoff: str, now: datetime) -> int:
        with self.db.connection() as conn:
            items = conn.execute("SELECT id, email, subject, text_body FROM notification_emails "
                                 "WHERE user_id = ? AND status = 'digest' AND created_at < ? "
                                 f"ORDER BY created_at, id{conn.for_update()}", (user_id, cutoff)).fetchall()
            if not items:
                return 0
            subject, text, html_text = self.render_digest(items, day)
            made = conn.execute(
                "INSERT INTO notification_emails (digest_day, user_id, email, status, subject, text_body, html_body, "
                "next_attempt_at, created_at) VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?) "
                "ON CONFLICT (digest_day, user_id) DO NOTHING RETURNING id",
                (day, user_id, items[-1]["email"], subject, text, html_text, utc_iso(now), utc_iso(now))).fetchone()
            if made is None:       # another instance made today's digest: these wait for tomorrow's
                return 0
            marks = ", ".join("?" for _ in items)
            conn.execute(f"UPDATE notification_emails SET status = 'digested' WHERE id IN ({marks})",
                         [item["id"] for item in items])
            return 1

    def render_digest(self, items: list[dict[str, Any]], day: str) -> tuple[str, str, str]:
        count = len(items)
        subject = f"Your daily summary for {day}: {count} notification{'s' if count != 1 else ''}"
        text = "\n\n".join(f"* {item['subject']}\n{item['text_body']}" for item in items)
        html_items = "".join(f"<li><strong>{html.escape(item['subject'])}</strong><br>"
                             f"{html.escape(item['text_body']).replace(chr(10), '<br>')}</li>" for item in items)
        return subject, text, f"<h1>{html.escape(subject)}</h1><ul>{html_items}</ul>"

    # ------------------------------------------------------------------ 3. sending
    def send_due(self, now: datetime) -> int:
        with self.db.connection(readonly=True) as conn:
            due = conn.execute(
                "SELECT * FROM notification_emails WHERE status = 'pending' AND next_attempt_at <= ? "
                "AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY id LIMIT ?",
                (utc_iso(now), utc_iso(now), self.batch)).fetchall()
        sent = 0
        for row in due:
            if self._stop.is_set():
                break
            if self._claim("notification_emails", "id", row["id"], now, "AND status = 'pending'"):
                sent += self._send(row, now)
        return sent

    def compose(self, row: dict[str, Any]):
        footer = f"You get this e-mail because of your notification settings: {self.base_url}/settings.html"
        attachments = []
        if row["attachment_data"]:
            attachments.append(mail.Attachment(row["attachment_name"] or ICS_NAME, row["attachment_data"],
                                               "text/calendar", (("method", "PUBLISH"),)))
        key = (f"digest-{row['digest_day']}-{row['user_id']}" if row["notification_id"] is None
               else f"notification-{row['notification_id']}-{row['user_id']}")
        html_part = (f"<!doctype html><html><body>{row['html_body']}<hr><p><small>"
                     f"{html.escape(footer)}</small></p></body></html>") if row["html_body"] else None
        return mail.compose(self.mail, row["email"], row["subject"], f"{row['text_body']}\n\n-- \n{footer}\n",
                            html_part, attachments, message_id=mail.message_id(key, self.mail))

    def _send(self, row: dict[str, Any], now: datetime) -> int:
        try:
            mail.send(self.mail, self.compose(row))
        except mail.MailError as exc:
            attempts = int(row["attempts"]) + 1
            dead = attempts >= self.max_attempts
            with self.db.connection() as conn:
                conn.execute("UPDATE notification_emails SET attempts = ?, next_attempt_at = ?, claimed_until = NULL, "
                             "status = ?, last_error = ? WHERE id = ?",
                             (attempts, self._backoff(attempts, now), "dead" if dead else "pending", str(exc)[:300],
                              row["id"]))
            (logger.error if dead else logger.info)("e-mail %s to user %s %s (attempt %d): %s", row["id"],
                                                    row["user_id"], "given up" if dead else "failed, retried",
                                                    attempts, exc)
            return 0
        with self.db.connection() as conn:
            conn.execute("UPDATE notification_emails SET status = 'sent', sent_at = ?, claimed_until = NULL, "
                         "attempts = attempts + 1, last_error = NULL WHERE id = ?", (utc_iso(_now()), row["id"]))
        return 1
