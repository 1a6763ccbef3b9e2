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
    # Several dispatcher ticks fail while the service is down.
    time.sleep(1.5)

    stack.services["notification"].start()
    wait_until(lambda: _feed(stack, student["token"], "booking"), 30, 0.3, "booking notification after restart")
    wait_until(lambda: len(_feed(stack, student["token"], "account")) >= 2, 30, 0.3, "role-change notification")
    # Give the dispatchers time to (wrongly) send anything twice, then count.
    time.sleep(2)
    bookings = _feed(stack, student["token"], "booking")
    accounts = _feed(stack, student["token"], "account")
    assert len(bookings) == 1, bookings
    assert len(accounts) == 2, accounts  # welcome + role change, each once
    assert any("faculty" in n["body"] for n in accounts)
