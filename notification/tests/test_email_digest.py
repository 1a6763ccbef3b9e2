"""The daily digest, with the clock injected (no sleeping): one e-mail per person and day
at DIGEST_HOUR in the campus zone, with everything they chose to get that way, made once
even by two instances at the same moment. SQLite and PostgreSQL, in the test's process,
to a real SMTP server (aiosmtpd)."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from notification_service import SCHEMA, delivery, notifications, preferences
from notification_service.migrations import migrate
from notification_service.models import NotificationCreate

from shared.auth import Principal
from shared.database import Database
from shared.mail import MailSettings
from tests.harness import in_process_settings
from tests.mailbox import Mailbox

pytestmark = pytest.mark.fast     # in-process: no service processes
BERLIN = ZoneInfo("Europe/Berlin")
ADMIN = Principal(id="admin-1", role="admin", email="admin@example.com", name="Admin", jti="j", exp=0)
PEOPLE = {"u-ann": {"id": "u-ann", "email": "ann@example.com", "name": "Ann", "role": "student"},
          "u-bob": {"id": "u-bob", "email": "bob@example.com", "name": "Bob", "role": "student"}}


class People:
    """What user-management would answer (recipients.Directory's interface)."""

    def user(self, user_id):
        return PEOPLE.get(user_id)

    def role(self, role):
        return [p for p in PEOPLE.values() if p["role"] == role]

    def everyone(self):
        return list(PEOPLE.values())


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=BERLIN).astimezone(timezone.utc)


@pytest.fixture
def mailbox():
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture
def db(backend, tmp_path, pg_databases, mailbox):
    env = {**mailbox.env(), "DIGEST_HOUR": "7", "BOOKING_TIMEZONE": "Europe/Berlin", "PUBLIC_GATEWAY_URL": "https://hub.test",
           "DATABASE_TYPE": backend}
    if backend == "postgresql":
        env.update(DB_HOST="127.0.0.1", DB_PORT="5432", DB_USER="postgres", DB_PASSWORD="",
                   DB_NAME=pg_databases.create())
    settings = in_process_settings(tmp_path, **env)
    database = Database(settings, str(tmp_path / "notifications.db"))
    database.prepare(SCHEMA, migrate)
    yield database
    database.close()


def make(db, created: datetime, **body):
    """A notification created at `created` (the store's clock is the real one; its row is moved)."""
    data = NotificationCreate(**{"title": "t", "body": "b", **body})
    made = notifications.create(db, data, None, ADMIN, email=True)
    stamp = created.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with db.connection() as conn:
        conn.execute("UPDATE notifications SET created_at = ? WHERE id = ?", (stamp, made["id"]))
        conn.execute("UPDATE notification_email_jobs SET created_at = ?, next_attempt_at = ? "
                     "WHERE notification_id = ?", (stamp, stamp, made["id"]))
    return made


def test_one_digest_a_day_at_the_digest_hour(db, mailbox):
    sender = delivery.EmailDelivery(db, db.settings, MailSettings.from_settings(db.settings), People())
    other = delivery.EmailDelivery(db, db.settings, MailSettings.from_settings(db.settings), People())
    preferences.update(db, "u-ann", {"bookings": "digest"})

    make(db, at(1, 9), user_id="u-ann", type="info", title="Library hours change", body="Open till 22:00.")
    make(db, at(1, 15), broadcast=True, type="system", title="Network maintenance", link="/dashboard.html")
    make(db, at(1, 16), user_id="u-ann", type="booking", title="Booking confirmed", body="Room 1, 10:00")
    make(db, at(1, 17), user_id="u-ann", type="account", title="Role changed", body="You are faculty now.")

    # The day before the digest hour: the e-mail-now one goes, the digest waits.
    assert sender.tick(at(1, 18))["digests"] == 0
    assert [m["Subject"] for m in mailbox.to("ann@example.com")] == ["Role changed"]
    assert sender.tick(at(2, 6, 59))["digests"] == 0

    # 07:00 in Berlin, two instances at once: one digest each for Ann and Bob.
    assert sender.tick(at(2, 7, 0))["digests"] + other.tick(at(2, 7, 0))["digests"] == 2
    other.tick(at(2, 7, 1))
    ann = [m for m in mailbox.to("ann@example.com") if m["Subject"].startswith("Your daily summary")]
    bob = [m for m in mailbox.to("bob@example.com") if m["Subject"].startswith("Your daily summary")]
    assert len(ann) == 1 and len(bob) == 1
    assert ann[0]["Subject"] == "Your daily summary for 2026-03-02: 3 notifications"
    text = ann[0].get_body(("plain",)).get_content()
    assert text.index("Library hours change") < text.index("Network maintenance") < text.index("Booking confirmed")
    assert "https://hub.test/dashboard.html" in text and "Role changed" not in text
    html = ann[0].get_body(("html",)).get_content()
    assert "<li><strong>Booking confirmed</strong>" in html
    assert bob[0]["Subject"] == "Your daily summary for 2026-03-02: 1 notification"

    # Later the same day: nothing more; what came after 07:00 waits for tomorrow's.
    make(db, at(2, 8), user_id="u-ann", type="info", title="After the digest")
    for moment in (at(2, 9), at(2, 23, 59), at(3, 6)):
        assert sender.tick(moment)["digests"] == 0
    assert len([m for m in mailbox.to("ann@example.com") if m["Subject"].startswith("Your daily")]) == 1
    assert sender.tick(at(3, 7, 30))["digests"] == 1
    latest = [m for m in mailbox.to("ann@example.com") if m["Subject"].startswith("Your daily")][-1]
    assert latest["Subject"] == "Your daily summary for 2026-03-03: 1 notification"
    assert "After the digest" in latest.get_body(("plain",)).get_content()


def test_the_digest_hour_follows_the_campus_zone_across_dst(db):
    sender = delivery.EmailDelivery(db, db.settings, MailSettings.from_settings(db.settings), People())
    # 29 March 2026: Berlin moves to summer time; 07:00 local is 05:00 UTC, the day before 06:00 UTC.
    assert sender.digest_day(datetime(2026, 3, 29, 4, 59, tzinfo=timezone.utc))[0] == "2026-03-28"
    assert sender.digest_day(datetime(2026, 3, 29, 5, 0, tzinfo=timezone.utc)) == ("2026-03-29",
                                                                                    "2026-03-29T05:00:00.000000Z")
    assert sender.digest_day(datetime(2026, 3, 28, 6, 0, tzinfo=timezone.utc))[1] == "2026-03-28T06:00:00.000000Z"
