"""DESIGN decision 4 for real: with the notification service down, changes still succeed,
and once it is back every notification arrives exactly once."""
from __future__ import annotations

import datetime as dt
import time

import pytest

from tests.harness import wait_until

SERVICES = ["gateway", "user-management", "booking", "notification"]


def _feed(stack, token, kind):
    response = stack.api("GET", "/api/notifications?per_page=100", token)
    assert response.status_code == 200, response.text
    return [n for n in response.json()["notifications"] if n["type"] == kind]


def _outbox(stack, service: str = "user-management") -> dict:
    return stack.api("GET", "/health", service=service).json()["outbox"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_notifications_survive_the_notification_service_being_down(make_stack, backend):
    stack = make_stack(backend, extra_env={"OUTBOX_INTERVAL_SECONDS": "0.3", "CIRCUIT_RESET_SECONDS": "1"})
    stack.start(SERVICES)
    admin = stack.token("admin")
    student = stack.new_user("student", admin)
    # The welcome notice of the new account proves the pipeline works before the outage.
    wait_until(lambda: _feed(stack, student["token"], "account"), 20, 0.3, "welcome notification")

    stack.services["notification"].stop()
    day = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    booked = stack.api("POST", "/api/booking/bookings", student["token"],
                       json={"room_id": 3, "date": day, "time_slot": "02:00 PM - 03:00 PM"})
    assert booked.status_code == 201, booked.text  # the booking does not wait for notifications
    changed = stack.api("PUT", f"/api/users/{student['id']}", admin, json={"role": "faculty"})
    assert changed.status_code == 200
    token = stack.login(student["email"], student["password"])     # the role change ended the old one
    # Both producers have tried and found the notification service down.
    for service in ("user-management", "booking"):
        wait_until(lambda s=service: _outbox(stack, s)["notification_service"] == "unreachable", 20, 0.1,
                   f"{service} notices the outage")

    stack.services["notification"].start()
    for service in ("user-management", "booking"):
        wait_until(lambda s=service: _outbox(stack, s)["backlog"] == 0, 30, 0.2, f"{service} backlog delivered")
    bookings = _feed(stack, token, "booking")
    accounts = _feed(stack, token, "account")
    assert len(bookings) == 1, bookings
    assert len(accounts) == 2, accounts  # welcome + role change, each once
    assert any("faculty" in n["body"] for n in accounts)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_backlog_is_delivered_within_seconds_of_the_recovery_not_after_its_backoff(make_stack, backend):
    stack = make_stack(backend, extra_env={"OUTBOX_INTERVAL_SECONDS": "0.3"})
    stack.start(["gateway", "user-management", "notification"])
    admin = stack.token("admin")
    stack.services["notification"].stop()
    waiting = [stack.new_user("student", admin) for _ in range(3)]       # three welcome notices owed
    wait_until(lambda: _outbox(stack)["notification_service"] == "unreachable", 20, 0.1, "the outage noticed")
    # Each row's own backoff now says "in ten minutes" (a long outage's backoff).
    stack.sql("users.db", "UPDATE user_outbox SET next_attempt_at = '2999-01-01T00:00:00.000000Z' "
                          "WHERE delivered_at IS NULL")
    stack.services["notification"].start()
    healthy = time.monotonic()
    wait_until(lambda: _outbox(stack)["backlog"] == 0, 10, 0.1, "the backlog delivered")
    assert time.monotonic() - healthy < 5
    for user in waiting:
        assert len(_feed(stack, stack.login(user["email"], user["password"]), "account")) == 1


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_notification_refused_for_good_is_dead_lettered_and_shown_to_admins(make_stack, backend):
    stack = make_stack(backend, extra_env={"OUTBOX_INTERVAL_SECONDS": "0.3"})
    stack.start(["gateway", "user-management", "notification"])
    # A producer bug: a notification without a title, which the service refuses (400).
    stack.sql("users.db", "INSERT INTO user_outbox (idempotency_key, payload, created_at, next_attempt_at) "
                          "VALUES (?, ?, ?, ?)", ("broken-1", '{"user_id": "x", "type": "account", "body": "b"}',
                                                  "2026-01-01T00:00:00.000000Z", "2026-01-01T00:00:00.000000Z"))
    wait_until(lambda: _outbox(stack)["dead"] == 1, 20, 0.2, "the broken notification dead-lettered")
    outbox = _outbox(stack)
    assert outbox["backlog"] == 0 and outbox["last_dead"]["key"] == "broken-1"
    assert "400" in outbox["last_dead"]["reason"]
    services = stack.api("GET", "/health/services").json()["services"]
    assert services["user-management"]["outbox"]["dead"] == 1
    attempts = stack.sql("users.db", "SELECT attempts FROM user_outbox WHERE idempotency_key = 'broken-1'")
    assert attempts[0][0] == 1                                        # tried once, never again
    # The pipeline still works for everyone else.
    user = stack.new_user("student")
    wait_until(lambda: _feed(stack, user["token"], "account"), 20, 0.3, "a later notification delivered")
