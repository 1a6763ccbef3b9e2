"""The booking rules in-process: the app from create_app on a temporary SQLite file, driven
with FastAPI's TestClient, the caller and the campus clock replaced through
app.dependency_overrides (the routes take both from booking_service/api/deps.py). No
service process is started, so these run in the fast tier and at any hour: the clock is
fixed, not the machine's."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from shared.auth import Principal
from tests.harness import in_process_settings

pytestmark = pytest.mark.fast

TODAY = date(2030, 3, 14)          # a Thursday; the clock below says it is this day on campus
STUDENT = Principal(id="student-1", email="s1@campus.edu", name="Sam Student", role="student", jti="j1", exp=2**40)


@pytest.fixture
def booking(tmp_path):
    """(client, set_time): the booking app in-process; set_time(hour, minute) moves its clock."""
    from booking_service import create_app, prepare
    from booking_service.api import deps

    settings = in_process_settings(tmp_path, BOOKING_TIMEZONE="America/Los_Angeles")
    prepare(settings)          # the start-up step a server's master runs once
    app = create_app(settings, start_background=False)
    now = {"at": datetime(2030, 3, 14, 12, 30)}
    campus = app.state.booking_config.timezone

    def fixed_clock():
        return now["at"].replace(tzinfo=campus).astimezone(timezone.utc)

    app.dependency_overrides[deps.get_config] = lambda: dataclasses.replace(app.state.booking_config,
                                                                            clock=fixed_clock)
    app.dependency_overrides[deps.anyone] = app.dependency_overrides[deps.person] = lambda: STUDENT

    def set_time(hour: int, minute: int = 0) -> None:
        now["at"] = datetime(TODAY.year, TODAY.month, TODAY.day, hour, minute)

    with TestClient(app) as client:
        yield client, set_time


def _book(client, slot: str, day: date = TODAY):
    return client.post("/bookings", json={"room_id": 3, "date": day.isoformat(), "time_slot": slot})


def test_a_slot_of_today_that_has_ended_is_refused_and_a_later_one_is_booked(booking):
    client, set_time = booking
    set_time(12, 30)                                          # 12:30 on campus (19:30 UTC)
    ended = _book(client, "10:00 AM - 11:00 AM")
    assert ended.status_code == 400 and ended.json()["code"] == "slot_ended", ended.text
    started = _book(client, "12:00 PM - 01:00 PM")            # under way, not over: bookable
    assert started.status_code == 201, started.text
    set_time(13, 0)                                           # the moment it ends, it is over
    assert _book(client, "01:00 PM - 02:00 PM").status_code == 201
    assert _book(client, "12:00 PM - 01:00 PM").json()["code"] == "slot_ended"
    later = _book(client, "02:00 PM - 03:00 PM")
    assert later.status_code == 201, later.text
    assert later.json()["user_id"] == STUDENT.id
    assert (later.json()["start"], later.json()["start_utc"]) == ("2030-03-14T14:00:00-07:00", "2030-03-14T21:00:00Z")


def test_after_six_pm_campus_today_is_over_and_tomorrow_is_bookable(booking):
    client, set_time = booking
    set_time(18, 5)
    campus = client.get("/campus").json()
    assert campus["today"] == TODAY.isoformat()
    assert campus["first_bookable_date"] == (TODAY + timedelta(days=1)).isoformat()
    assert _book(client, "05:00 PM - 06:00 PM").json()["code"] == "slot_ended"
    assert _book(client, "08:00 AM - 09:00 AM", TODAY + timedelta(days=1)).status_code == 201


def test_the_caller_comes_from_the_auth_dependency(booking):
    from booking_service.api import deps

    client, _ = booking
    del client.app.dependency_overrides[deps.person]          # the real check is back for writes
    assert client.get("/rooms").status_code == 200            # reads: still the overridden caller
    refused = _book(client, "03:00 PM - 04:00 PM")
    assert refused.status_code == 401 and refused.json()["code"] == "missing_token", refused.text


def test_campus_says_which_statuses_hold_a_slot(booking):
    """Pages (the dashboard, the booking page) read this instead of listing statuses."""
    from booking_service.models import HOLDING

    client, _ = booking
    assert client.get("/campus").json()["holding_statuses"] == list(HOLDING)
