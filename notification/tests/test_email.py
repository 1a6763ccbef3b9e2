"""Notifications by e-mail, checked at a real SMTP server (aiosmtpd) the test starts:
headers, text and HTML parts, the booking's .ics, the ticket's link, one message per
notification and person (also with the SMTP server down, then up), people's choices,
important announcements. On SQLite and PostgreSQL."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from tests.harness import assert_envelope, wait_until
from tests.mailbox import mailbox_fixture, stack_with_mail  # noqa: F401 - the fixture `mailbox`

API = "/api/notifications"
PUBLIC = "https://campus.example.edu"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def mail_stack(request, mailbox, tmp_path_factory, pg_databases):
    with stack_with_mail(request.param, mailbox, tmp_path_factory.mktemp(f"mail-{request.param}"), pg_databases,
                         ["gateway", "user-management", "notification", "booking"], PUBLIC_GATEWAY_URL=PUBLIC,
                         MAIL_INTERVAL_SECONDS="0.2", MAIL_RETRY_SECONDS="0.3", MAIL_MAX_BACKOFF_SECONDS="0.5") as stack:
        yield stack


def _rows(stack, notification_id: int):
    return stack.sql("notifications.db", "SELECT user_id, status, attempts FROM notification_emails "
                     "WHERE notification_id = ?", (notification_id,))


def _send(stack, token, **body):
    body.setdefault("title", f"Notice {uuid.uuid4().hex[:6]}")
    body.setdefault("body", "Something happened.")
    response = stack.api("POST", API, token, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _parts(message):
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    attachments = list(message.iter_attachments())
    return text, html, attachments


def test_a_ticket_notice_is_emailed_once_with_headers_text_html_and_link(mail_stack, mailbox):
    admin = mail_stack.token("admin")
    user = mail_stack.new_user("student", admin)
    sent = _send(mail_stack, admin, user_id=user["id"], type="maintenance", title="Ticket #7 is in progress",
                 body="A technician is on the way.", link="/maintenance?ticket=7")
    wait_until(lambda: [m for m in mailbox.to(user["email"]) if m["Subject"] == "Ticket #7 is in progress"],
               timeout=30, message="the ticket e-mail")
    wait_until(lambda: _rows(mail_stack, sent["id"]) and _rows(mail_stack, sent["id"])[0][1] == "sent", timeout=30,
               message="the row marked sent")
    messages = [m for m in mailbox.to(user["email"]) if m["Subject"] == "Ticket #7 is in progress"]
    assert len(messages) == 1
    message = messages[0]
    assert message["From"] == "Campus Hub <hub@campus.example.edu>"
    assert message["To"] == user["email"]
    assert message["Message-ID"].strip() == f"<notification-{sent['id']}-{user['id']}@campus.example.edu>"
    assert message["Date"]
    text, html, attachments = _parts(message)
    assert "A technician is on the way." in text and f"{PUBLIC}/maintenance?ticket=7" in text
    assert f"{PUBLIC}/settings.html" in text
    assert f'href="{PUBLIC}/maintenance?ticket=7"' in html and "<h1>Ticket #7 is in progress</h1>" in html
    assert attachments == []


def test_a_booking_confirmation_carries_the_ics(mail_stack, mailbox):
    user = mail_stack.new_user("student")
    rooms = mail_stack.api("GET", "/api/booking/rooms", user["token"]).json()
    day = (date.fromisoformat(mail_stack.api("GET", "/api/booking/campus", user["token"]).json()["today"])
           + timedelta(days=5)).isoformat()
    room = rooms[-1]
    free = mail_stack.api("GET", "/api/booking/bookings/available", user["token"],
                          params={"room_id": room["id"], "date": day}).json()["available_slots"]
    made = mail_stack.api("POST", "/api/booking/bookings", user["token"],
                          json={"room_id": room["id"], "date": day, "time_slot": free[0], "purpose": "Study group"})
    assert made.status_code == 201, made.text
    booking = made.json()
    mails = wait_until(lambda: [m for m in mailbox.to(user["email"]) if m["Subject"] == "Booking confirmed"],
                       timeout=30, message="the booking e-mail")
    text, html, attachments = _parts(mails[0])
    assert room["name"] in text and "Booking confirmed" in html
    assert len(attachments) == 1
    ics = attachments[0]
    assert ics.get_content_type() == "text/calendar" and ics.get_filename() == "booking.ics"
    calendar = ics.get_content()
    assert calendar.startswith("BEGIN:VCALENDAR") and f"UID:booking-{booking['id']}@campus-services-hub" in calendar
    start = booking["start_utc"].replace("-", "").replace(":", "")
    assert f"DTSTART:{start}" in calendar


def test_choices_per_kind_and_important_announcements(mail_stack, mailbox):
    admin = mail_stack.token("admin")
    quiet, keen = mail_stack.new_user("faculty", admin), mail_stack.new_user("faculty", admin)
    answer = mail_stack.api("PUT", f"{API}/preferences", quiet["token"],
                            json={"tickets": "in_app", "announcements": "in_app"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["preferences"] == {"bookings": "email", "tickets": "in_app", "account": "email",
                                            "announcements": "in_app"}
    assert answer.json()["email_enabled"] is True
    assert mail_stack.api("GET", f"{API}/preferences", quiet["token"]).json()["preferences"]["tickets"] == "in_app"
    mail_stack.api("PUT", f"{API}/preferences", keen["token"], json={"announcements": "email"})
    assert_envelope(mail_stack.api("PUT", f"{API}/preferences", quiet["token"], json={"tickets": "sometimes"}),
                    400, "validation_error")

    ticket = _send(mail_stack, admin, user_id=quiet["id"], type="maintenance", title="Quiet ticket")
    plain = _send(mail_stack, admin, role="faculty", title=f"Faculty meeting {uuid.uuid4().hex[:6]}")
    loud = _send(mail_stack, admin, role="faculty", important=True, title=f"Fire drill {uuid.uuid4().hex[:6]}")
    assert loud["important"] is True and plain["important"] is False

    wait_until(lambda: [m for m in mailbox.to(quiet["email"]) if m["Subject"] == loud["title"]], timeout=30,
               message="the important announcement")
    wait_until(lambda: [m for m in mailbox.to(keen["email"]) if m["Subject"] == plain["title"]], timeout=30,
               message="the announcement for who asked for it")
    # Everything is expanded by now (jobs go in id order): quiet got only the important one.
    wait_until(lambda: mail_stack.sql("notifications.db", "SELECT COUNT(*) FROM notification_email_jobs "
                                      "WHERE notification_id = ? AND expanded_at IS NOT NULL", (ticket["id"],))[0][0],
               timeout=30, message="the ticket's job")
    subjects = [m["Subject"] for m in mailbox.to(quiet["email"])]
    assert subjects.count(loud["title"]) == 1
    assert "Quiet ticket" not in subjects and plain["title"] not in subjects
    assert [row[0] for row in _rows(mail_stack, ticket["id"])] == []
    # The feed has them all: e-mail is on top of the feed, never instead of it.
    feed = mail_stack.api("GET", f"{API}?per_page=100", quiet["token"]).json()["notifications"]
    assert {ticket["id"], plain["id"], loud["id"]} <= {n["id"] for n in feed}


def test_smtp_down_then_up_is_retried_and_sent_once(mail_stack, mailbox):
    admin = mail_stack.token("admin")
    user = mail_stack.new_user("student", admin)
    mailbox.stop()
    try:
        sent = _send(mail_stack, admin, user_id=user["id"], type="account", title="While the server was down")
        wait_until(lambda: _rows(mail_stack, sent["id"]) and _rows(mail_stack, sent["id"])[0][2] >= 2, timeout=30,
                   message="two failed attempts")
        assert _rows(mail_stack, sent["id"])[0][1] == "pending"
    finally:
        mailbox.start()
    wait_until(lambda: _rows(mail_stack, sent["id"])[0][1] == "sent", timeout=30, message="the retry to succeed")
    assert len([m for m in mailbox.to(user["email"]) if m["Subject"] == "While the server was down"]) == 1


def test_without_smtp_nothing_is_emailed_and_nothing_breaks(stack, tokens):
    answer = stack.api("GET", f"{API}/preferences", tokens["student"])
    assert answer.status_code == 200 and answer.json()["email_enabled"] is False
    sent = _send(stack, tokens["admin"], broadcast=True, important=True)
    assert stack.sql("notifications.db", "SELECT COUNT(*) FROM notification_email_jobs WHERE notification_id = ?",
                     (sent["id"],))[0][0] == 0
