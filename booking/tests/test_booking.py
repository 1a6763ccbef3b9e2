"""The booking service against real processes: through the gateway and directly.

Every test books on its own future dates (offsets from today, campus time = UTC in tests)
so tests never collide on the session-wide stack.
"""
from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shared.auth import issue_token
from shared.config import load_settings
from tests.harness import TEST_SECRET, assert_envelope, wait_until

SLOTS = ["08:00 AM - 09:00 AM", "09:00 AM - 10:00 AM", "10:00 AM - 11:00 AM", "11:00 AM - 12:00 PM",
         "12:00 PM - 01:00 PM", "01:00 PM - 02:00 PM", "02:00 PM - 03:00 PM", "03:00 PM - 04:00 PM",
         "04:00 PM - 05:00 PM", "05:00 PM - 06:00 PM"]
TEN = "10:00 AM - 11:00 AM"


def utc_today():
    return datetime.now(timezone.utc).date()


def day(n: int) -> str:
    """A campus date n days from today (the test stacks run with BOOKING_TIMEZONE=UTC)."""
    return (utc_today() + timedelta(days=n)).isoformat()


def book(stack, token, room_id, date, slot=TEN, service="gateway", **extra):
    path = "/api/booking/bookings" if service == "gateway" else "/bookings"
    return stack.api("POST", path, token, service=service,
                     json={"room_id": room_id, "date": date, "time_slot": slot, **extra})


def available(stack, token, room_id, date, service="gateway"):
    path = "/api/booking/bookings/available" if service == "gateway" else "/bookings/available"
    response = stack.api("GET", path, token, service=service, params={"room_id": room_id, "date": date})
    assert response.status_code == 200, response.text
    return response.json()


# ----------------------------------------------------------------------------- rooms
def test_rooms_are_seeded_and_filterable(stack, tokens):
    student = tokens["student"]
    rooms = stack.api("GET", "/api/booking/rooms", student).json()
    assert len(rooms) >= 8
    assert len({r["building"] for r in rooms}) >= 3
    for room in rooms:
        assert room["name"] and room["building"] and room["capacity"] > 0 and isinstance(room["features"], list)
    assert any(r["id"] == 1 for r in rooms)

    big = stack.api("GET", "/api/booking/rooms", student, params={"min_capacity": 50}).json()
    assert big and len(big) < len(rooms) and all(r["capacity"] >= 50 for r in big)
    projector = stack.api("GET", "/api/booking/rooms", student, params={"feature": "projector"}).json()
    assert projector and len(projector) < len(rooms) and all("projector" in r["features"] for r in projector)
    both = stack.api("GET", "/rooms", student, service="booking",
                     params={"feature": "whiteboard", "min_capacity": 20}).json()
    assert both == [r for r in rooms if "whiteboard" in r["features"] and r["capacity"] >= 20]

    one = stack.api("GET", "/api/booking/rooms/1", student)
    assert one.status_code == 200 and one.json() == next(r for r in rooms if r["id"] == 1)
    assert_envelope(stack.api("GET", "/api/booking/rooms/9999", student), 404)
    assert_envelope(stack.api("GET", "/rooms", service="booking"), 401)
    assert_envelope(stack.api("GET", "/api/booking/rooms", student, params={"min_capacity": "lots"}), 400,
                    "validation_error")


# ----------------------------------------------------------------------------- create + availability
def test_readme_body_books_and_availability_changes(stack, tokens):
    user = stack.new_user("student", tokens["admin"])
    date = day(3)
    before = available(stack, user["token"], 1, date)
    assert [s["time_slot"] for s in before["slots"]] == SLOTS
    assert before["available_slots"] == SLOTS and all(s["available"] for s in before["slots"])

    # The README's curl body, exactly (with a future date).
    created = stack.api("POST", "/api/booking/bookings", user["token"],
                        data=json.dumps({"room_id": 1, "date": date, "time_slot": "10:00 AM - 11:00 AM"}),
                        headers={"Content-Type": "application/json"})
    assert created.status_code == 201, created.text
    booking = created.json()
    assert booking["room_id"] == 1 and booking["date"] == date and booking["time_slot"] == TEN
    assert booking["status"] == "confirmed" and booking["checked_in"] is False and booking["series_id"] is None
    assert booking["user_id"] == user["id"] and booking["user_name"] == user["name"]
    assert booking["room_name"] and booking["building"]
    assert booking["start"].startswith(f"{date}T10:00") and booking["end"].startswith(f"{date}T11:00")

    after = available(stack, user["token"], 1, date, service="booking")
    assert TEN not in after["available_slots"] and len(after["available_slots"]) == 9
    assert next(s for s in after["slots"] if s["time_slot"] == TEN)["available"] is False
    # Other rooms and other days are unaffected.
    assert available(stack, user["token"], 2, date)["available_slots"] == SLOTS
    assert stack.api("GET", f"/api/booking/bookings/{booking['id']}", user["token"]).json() == booking


def test_identity_comes_from_the_token_only(stack, tokens):
    user = stack.new_user("student", tokens["admin"])
    assert_envelope(book(stack, user["token"], 2, day(3), user_id="someone-else"), 403, "on_behalf_forbidden")
    assert_envelope(book(stack, user["token"], 2, day(3), booked_for="someone-else"), 400, "validation_error")
    made = book(stack, user["token"], 2, day(3), purpose="  Group   study ")
    assert made.status_code == 201 and made.json()["user_id"] == user["id"]
    assert made.json()["purpose"] == "Group study"
    assert_envelope(book(stack, None, 2, day(3), "11:00 AM - 12:00 PM", service="booking"), 401)


def test_validation_errors_use_the_envelope(stack, tokens):
    token = tokens["faculty"]
    assert_envelope(book(stack, token, 9999, day(4)), 404, "room_not_found")
    for bad in ("20-12-2030", "2030-02-30", "tomorrow", "2030/01/01", ""):
        body = assert_envelope(book(stack, token, 3, bad), 400, "invalid_date")
        assert body["details"][0]["field"] == "date"
    assert_envelope(book(stack, token, 3, (utc_today() - timedelta(days=1)).isoformat()), 400, "date_in_past")
    assert_envelope(book(stack, token, 3, day(91)), 400, "too_far_ahead")
    for slot in ("10:00 - 12:00", "07:00 AM - 08:00 AM", "06:00 PM - 07:00 PM", "10:30 AM - 11:30 AM"):
        assert_envelope(book(stack, token, 3, day(4), slot), 400, "invalid_time_slot")
    # FastAPI's own validation errors: wrong types, missing fields, malformed JSON.
    body = assert_envelope(stack.api("POST", "/api/booking/bookings", token, json={"room_id": "one", "date": day(4)}),
                           400, "validation_error")
    assert {d["field"] for d in body["details"]} >= {"room_id", "time_slot"}
    assert_envelope(stack.api("POST", "/bookings", token, service="booking", data="{nope",
                              headers={"Content-Type": "application/json"}), 400)
    assert_envelope(stack.api("GET", "/api/booking/bookings/available", token,
                              params={"room_id": 3, "date": "12/20/2030"}), 400, "invalid_date")
    assert_envelope(stack.api("GET", "/api/booking/bookings/available", token,
                              params={"room_id": 9999, "date": day(4)}), 404)
    assert_envelope(stack.api("GET", "/api/booking/bookings/not-a-number", token), 400)
    assert_envelope(stack.api("GET", "/api/booking/bookings/999999", token), 404)
    # Nothing was booked by any of that.
    assert available(stack, token, 3, day(4))["available_slots"] == SLOTS


# ----------------------------------------------------------------------------- conflicts
def test_double_booking_is_409_and_cancel_rebook_works_repeatedly(stack, tokens):
    first, second = stack.new_user("student", tokens["admin"]), stack.new_user("faculty", tokens["admin"])
    date = day(5)
    a = book(stack, first["token"], 4, date)
    assert a.status_code == 201, a.text
    assert_envelope(book(stack, second["token"], 4, date), 409, "slot_taken")
    assert_envelope(book(stack, first["token"], 4, date, service="booking"), 409, "slot_taken")

    holder, other, previous = first, second, a.json()["id"]
    for round_ in range(3):
        cancelled = stack.api("DELETE", f"/api/booking/bookings/{previous}", holder["token"])
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
        assert TEN in available(stack, holder["token"], 4, date)["available_slots"]
        again = book(stack, other["token"], 4, date)
        assert again.status_code == 201, f"rebook #{round_ + 1}: {again.text}"
        assert_envelope(book(stack, holder["token"], 4, date), 409, "slot_taken")
        holder, other, previous = other, holder, again.json()["id"]
    # Cancelling twice is a conflict, not a 500.
    admin = tokens["admin"]
    assert stack.api("DELETE", f"/api/booking/bookings/{previous}", admin).status_code == 200
    assert_envelope(stack.api("DELETE", f"/api/booking/bookings/{previous}", admin), 409, "booking_not_active")


def test_fifty_parallel_requests_for_one_slot_give_one_201(stack, tokens):
    admin = tokens["admin"]       # admins have no per-role limit
    date = day(6)

    def attempt(_):
        return book(stack, admin, 5, date, "02:00 PM - 03:00 PM")

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(attempt, range(50)))
    statuses = sorted(r.status_code for r in results)
    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == 49, statuses
    for r in results:
        if r.status_code == 409:
            assert r.json()["code"] == "slot_taken"
    active = stack.api("GET", "/api/booking/bookings", admin,
                       params={"room_id": 5, "from": date, "to": date, "status": "confirmed"}).json()
    assert active["total"] == 1 and len(active["items"]) == 1


# ----------------------------------------------------------------------------- who may see and cancel
def test_cancel_and_visibility_rules(stack, tokens):
    admin = tokens["admin"]
    alice, bob = stack.new_user("student", admin), stack.new_user("student", admin)
    date = day(7)
    mine = book(stack, alice["token"], 6, date).json()
    bobs = book(stack, bob["token"], 6, date, "11:00 AM - 12:00 PM").json()

    # Students see only their own bookings; admins see everyone's.
    alice_list = stack.api("GET", "/api/booking/bookings", alice["token"]).json()["items"]
    assert [b["id"] for b in alice_list] == [mine["id"]]
    all_list = stack.api("GET", "/api/booking/bookings", admin, params={"from": date, "to": date}).json()["items"]
    assert {mine["id"], bobs["id"]} <= {b["id"] for b in all_list}
    assert_envelope(stack.api("GET", "/api/booking/bookings", alice["token"], params={"user_id": bob["id"]}), 403)
    assert_envelope(stack.api("GET", f"/api/booking/bookings/user/{bob['id']}", alice["token"]), 403)
    assert_envelope(stack.api("GET", f"/bookings/user/{bob['id']}", alice["token"], service="booking"), 403)
    assert [b["id"] for b in stack.api("GET", f"/api/booking/bookings/user/{alice['id']}", alice["token"]).json()] \
        == [mine["id"]]
    assert [b["id"] for b in stack.api("GET", f"/api/booking/bookings/user/{bob['id']}", admin).json()] == [bobs["id"]]
    assert_envelope(stack.api("GET", f"/api/booking/bookings/{bobs['id']}", alice["token"]), 403)

    # A student cannot cancel another's booking; an admin can.
    assert_envelope(stack.api("DELETE", f"/api/booking/bookings/{bobs['id']}", alice["token"]), 403)
    assert stack.api("GET", f"/api/booking/bookings/{bobs['id']}", bob["token"]).json()["status"] == "confirmed"
    cancelled = stack.api("DELETE", f"/api/booking/bookings/{bobs['id']}", admin)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    own = stack.api("DELETE", f"/bookings/{mine['id']}", alice["token"], service="booking")
    assert own.status_code == 200 and own.json()["status"] == "cancelled"
    upcoming = stack.api("GET", "/api/booking/bookings", alice["token"], params={"upcoming": "true", "status": "confirmed"})
    assert upcoming.json()["items"] == [] and upcoming.json()["total"] == 0


def test_filters_on_the_booking_list(stack, tokens):
    user = stack.new_user("faculty", tokens["admin"])
    for n in (8, 9, 10):
        assert book(stack, user["token"], 7, day(n)).status_code == 201
    listed = stack.api("GET", "/api/booking/bookings", user["token"], params={"from": day(9)}).json()["items"]
    assert [b["date"] for b in listed] == [day(9), day(10)]
    listed = stack.api("GET", "/api/booking/bookings", user["token"], params={"to": day(9), "upcoming": "true"}).json()["items"]
    assert [b["date"] for b in listed] == [day(8), day(9)]
    assert_envelope(stack.api("GET", "/api/booking/bookings", user["token"], params={"from": "soon"}), 400)


def test_per_role_limit_for_students(stack, tokens):
    student = stack.new_user("student", tokens["admin"])
    made = []
    for i in range(5):                                   # BOOKING_MAX_ACTIVE_STUDENT defaults to 5
        response = book(stack, student["token"], 8, day(11), SLOTS[i])
        assert response.status_code == 201, response.text
        made.append(response.json()["id"])
    refused = assert_envelope(book(stack, student["token"], 8, day(11), SLOTS[5]), 409, "booking_limit")
    assert "5" in refused["error"]
    assert SLOTS[5] in available(stack, student["token"], 8, day(11))["available_slots"]
    # Faculty have a higher limit.
    faculty = stack.new_user("faculty", tokens["admin"])
    for i in range(6):
        assert book(stack, faculty["token"], 9, day(11), SLOTS[i]).status_code == 201
    # Cancelling frees a place under the limit.
    assert stack.api("DELETE", f"/api/booking/bookings/{made[0]}", student["token"]).status_code == 200
    assert book(stack, student["token"], 8, day(11), SLOTS[5]).status_code == 201


# ----------------------------------------------------------------------------- recurring
def test_recurring_all_or_nothing_skip_conflicts_and_series_cancel(stack, tokens):
    admin = tokens["admin"]
    faculty, other = stack.new_user("faculty", admin), stack.new_user("student", admin)
    slot = "03:00 PM - 04:00 PM"
    dates = [day(20 + 7 * k) for k in range(4)]
    blocker = book(stack, other["token"], 10, dates[2], slot)
    assert blocker.status_code == 201

    body = {"room_id": 10, "start_date": dates[0], "time_slot": slot, "weeks": 4, "purpose": "Weekly seminar"}
    clash = assert_envelope(stack.api("POST", "/api/booking/bookings/recurring", faculty["token"], json=body),
                            409, "slot_taken")
    assert clash["details"]["conflicts"] == [dates[2]]
    assert stack.api("GET", "/api/booking/bookings", faculty["token"]).json()["items"] == []      # nothing written
    assert slot in available(stack, admin, 10, dates[0])["available_slots"]

    made = stack.api("POST", "/api/booking/bookings/recurring", faculty["token"], json={**body, "skip_conflicts": True})
    assert made.status_code == 201, made.text
    series = made.json()
    assert series["conflicts"] == [dates[2]]
    assert [b["date"] for b in series["created"]] == [dates[0], dates[1], dates[3]]
    assert {b["series_id"] for b in series["created"]} == {series["series_id"]}
    assert all(b["user_id"] == faculty["id"] and b["purpose"] == "Weekly seminar" for b in series["created"])
    assert slot not in available(stack, admin, 10, dates[3])["available_slots"]

    # Cancel one occurrence, then the rest of the series.
    one = series["created"][0]["id"]
    assert stack.api("DELETE", f"/api/booking/bookings/{one}", faculty["token"]).json()["status"] == "cancelled"
    assert_envelope(stack.api("DELETE", f"/api/booking/bookings/series/{series['series_id']}", other["token"]), 403)
    gone = stack.api("DELETE", f"/api/booking/bookings/series/{series['series_id']}", faculty["token"])
    assert gone.status_code == 200, gone.text
    assert gone.json()["cancelled"] == 2
    assert {b["status"] for b in gone.json()["bookings"]} == {"cancelled"}
    for date in (dates[0], dates[1], dates[3]):
        assert slot in available(stack, admin, 10, date)["available_slots"]
    assert not available(stack, admin, 10, dates[2])["slots"][7]["available"]     # the blocker stays
    assert_envelope(stack.api("DELETE", "/api/booking/bookings/series/no-such-series", admin), 404)


def test_recurring_validation(stack, tokens):
    token = tokens["faculty"]
    body = {"room_id": 11, "start_date": day(12), "time_slot": TEN, "weeks": 13}
    assert_envelope(stack.api("POST", "/api/booking/bookings/recurring", token, json=body), 400, "invalid_weeks")
    assert_envelope(stack.api("POST", "/api/booking/bookings/recurring", token, json={**body, "weeks": 0}), 400)
    assert_envelope(stack.api("POST", "/api/booking/bookings/recurring", token,
                              json={**body, "weeks": 12, "start_date": day(80)}), 400, "too_far_ahead")
    assert_envelope(stack.api("POST", "/api/booking/bookings/recurring", token,
                              json={**body, "weeks": 2, "time_slot": "noon"}), 400, "invalid_time_slot")
    assert_envelope(stack.api("POST", "/api/booking/bookings/recurring", token, json={**body, "room_id": 9999,
                                                                                      "weeks": 2}), 404)
    assert available(stack, token, 11, day(12))["available_slots"] == SLOTS


def test_recurring_respects_the_role_limit(stack, tokens):
    student = stack.new_user("student", tokens["admin"])
    body = {"room_id": 11, "start_date": day(13), "time_slot": "04:00 PM - 05:00 PM", "weeks": 6}
    assert_envelope(stack.api("POST", "/api/booking/bookings/recurring", student["token"], json=body),
                    409, "booking_limit")
    assert stack.api("GET", "/api/booking/bookings", student["token"]).json()["items"] == []
    ok = stack.api("POST", "/api/booking/bookings/recurring", student["token"], json={**body, "weeks": 5})
    assert ok.status_code == 201 and len(ok.json()["created"]) == 5


# ----------------------------------------------------------------------------- iCal
def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_ical_export(stack, tokens):
    admin = tokens["admin"]
    user, other = stack.new_user("student", admin), stack.new_user("student", admin)
    kept = book(stack, user["token"], 12, day(14), "09:00 AM - 10:00 AM",
                purpose="Long purpose, with commas; semicolons and ünïcödé " + "x" * 80).json()
    kept2 = book(stack, user["token"], 12, day(15), "01:00 PM - 02:00 PM").json()
    dropped = book(stack, user["token"], 12, day(16)).json()
    assert stack.api("DELETE", f"/api/booking/bookings/{dropped['id']}", user["token"]).status_code == 200

    response = stack.api("GET", f"/api/booking/bookings/user/{user['id']}/calendar.ics", user["token"])
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    text = response.content.decode("utf-8")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n"))
    assert "\n" not in text.replace("\r\n", "")
    lines = unfold(text)
    assert "VERSION:2.0" in lines
    assert lines.count("BEGIN:VEVENT") == 2 and lines.count("END:VEVENT") == 2
    uids = [line for line in lines if line.startswith("UID:")]
    assert uids == [f"UID:booking-{kept['id']}@campus-services-hub", f"UID:booking-{kept2['id']}@campus-services-hub"]
    compact = day(14).replace("-", "")
    assert f"DTSTART:{compact}T090000Z" in lines and f"DTEND:{compact}T100000Z" in lines
    assert any(line.startswith("SUMMARY:") and kept["room_name"] in line for line in lines)
    assert any(line.startswith("LOCATION:") and kept["building"] in line for line in lines)
    assert any("with commas\\; semicolons" in line or "with commas\\, " in line for line in lines)

    assert_envelope(stack.api("GET", f"/api/booking/bookings/user/{user['id']}/calendar.ics", other["token"]), 403)
    assert stack.api("GET", f"/bookings/user/{user['id']}/calendar.ics", admin, service="booking").status_code == 200


# ----------------------------------------------------------------------------- Swagger UI
def test_the_one_swagger_ui_is_the_gateways_and_booking_documents_the_platform_scheme(stack):
    # One Swagger UI for the platform (the gateway's /docs, tests/browser/test_api_docs.py);
    # booking serves only its document, which the gateway merges.
    assert stack.api("GET", "/docs", service="booking").status_code == 404
    spec = stack.api("GET", "/openapi.json", service="booking").json()
    # The platform's one scheme name (shared/openapi.py), so the gateway's merged document has one scheme.
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["paths"]["/bookings"]["post"]["security"] == [{"bearerAuth": []}]
    assert "/bookings" in spec["paths"] and "/bookings/available" in spec["paths"]


# ----------------------------------------------------------------------------- check-in, release, outbox
def _token(role: str, user_id: str, name: str = "Tester") -> str:
    settings = load_settings({"JWT_SECRET_KEY": TEST_SECRET, "FLASK_ENV": "testing"})
    return issue_token(settings, user_id=user_id, email=f"{user_id}@example.com", name=name, role=role)


def _offset_to(target: datetime) -> int:
    """BOOKING_CLOCK_OFFSET_MINUTES that makes the service's 'now' about `target` (UTC)."""
    return int((target - datetime.now(timezone.utc).replace(tzinfo=None)).total_seconds() // 60)


def _restart_booking(stack, **env):
    stack.services["booking"].stop()
    stack.service("booking", **env).start()


def test_check_in_window_and_release_of_no_shows(make_stack, backend):
    date = utc_today() + timedelta(days=2)
    ten_oh_five = datetime.combine(date, datetime.min.time()).replace(hour=10, minute=5)
    stack = make_stack(backend, extra_env={"BOOKING_CLOCK_OFFSET_MINUTES": str(_offset_to(ten_oh_five))})
    stack.start(["user-management", "booking"])
    alice, bob = _token("student", "alice-1", "Alice"), _token("faculty", "bob-1", "Bob")
    d = date.isoformat()

    # Simulated 10:05: the 08:00 slot has ended, the 10:00 slot is running, 11:00 is ahead.
    assert_envelope(book(stack, alice, 1, d, SLOTS[0], service="booking"), 400, "slot_ended")
    status = {s["time_slot"]: s for s in available(stack, alice, 1, d, service="booking")["slots"]}
    assert status[SLOTS[0]]["state"] == "past" and status[TEN]["available"]
    checked = book(stack, alice, 1, d, service="booking").json()
    no_show = book(stack, bob, 2, d, service="booking").json()
    later = book(stack, alice, 3, d, "11:00 AM - 12:00 PM", service="booking").json()
    assert_envelope(stack.api("POST", f"/bookings/{later['id']}/check-in", alice, service="booking"), 409,
                    "checkin_not_open")
    assert_envelope(stack.api("POST", f"/bookings/{checked['id']}/check-in", bob, service="booking"), 403)
    done = stack.api("POST", f"/bookings/{checked['id']}/check-in", alice, service="booking")
    assert done.status_code == 200 and done.json()["checked_in"] is True
    assert stack.api("GET", f"/bookings/{no_show['id']}", bob, service="booking").json()["status"] == "confirmed"

    # Twenty minutes later the check-in window (15 minutes) has closed.
    _restart_booking(stack, BOOKING_CLOCK_OFFSET_MINUTES=str(_offset_to(ten_oh_five + timedelta(minutes=20))))
    assert TEN in available(stack, bob, 2, d, service="booking")["available_slots"]
    released = stack.api("GET", f"/bookings/{no_show['id']}", bob, service="booking").json()
    assert released["status"] == "released" and released["checked_in"] is False
    kept = stack.api("GET", f"/bookings/{checked['id']}", alice, service="booking").json()
    assert kept["status"] == "confirmed" and kept["checked_in"] is True
    assert TEN not in available(stack, alice, 1, d, service="booking")["available_slots"]
    assert_envelope(stack.api("POST", f"/bookings/{no_show['id']}/check-in", bob, service="booking"), 409,
                    "checkin_closed")
    # The released slot can be booked again (the slot itself has not ended).
    again = book(stack, alice, 2, d, service="booking")
    assert again.status_code == 201, again.text


def test_clock_offset_is_refused_in_production():

    from booking_service.timeslots import BookingConfig

    from shared.config import ConfigError

    env = {"FLASK_ENV": "production", "JWT_SECRET_KEY": "p" * 40, "BOOKING_CLOCK_OFFSET_MINUTES": "30"}
    with pytest.raises(ConfigError, match="BOOKING_CLOCK_OFFSET_MINUTES"):
        BookingConfig.from_settings(load_settings(env))
    with pytest.raises(ConfigError, match="BOOKING_TIMEZONE"):
        BookingConfig.from_settings(load_settings({"BOOKING_TIMEZONE": "Mars/Olympus"}))
    assert BookingConfig.from_settings(load_settings({**env, "BOOKING_CLOCK_OFFSET_MINUTES": "0"})).max_weeks == 12


class _FakeNotifications:
    """Stands in for the notification service on its port (records what the outbox posts)."""

    def __init__(self, port: int):
        self.received: list[dict] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner.received.append({"path": self.path, "key": self.headers.get("Idempotency-Key"),
                                       "auth": self.headers.get("Authorization"), "body": json.loads(body)})
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def do_GET(self):  # noqa: N802 - /health, which the outbox asks before sending a backlog
                self.send_response(200 if self.path == "/health" else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"status": "healthy"}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def keys(self):
        return {r["key"] for r in self.received}


def test_booking_events_reach_the_notification_outbox_even_if_it_was_down(make_stack, backend):
    stack = make_stack(backend)
    stack.start(["user-management", "booking"])
    owner, admin = _token("student", "owner-7", "Olive"), _token("admin", "admin-7", "Ada")
    # The notification service is down: booking still works.
    made = book(stack, owner, 1, day(3), service="booking")
    assert made.status_code == 201
    booking_id = made.json()["id"]
    cancelled = stack.api("DELETE", f"/bookings/{booking_id}", admin, service="booking")
    assert cancelled.status_code == 200

    fake = _FakeNotifications(stack.ports["notification"])
    try:
        wait_until(lambda: {f"booking-created:{booking_id}", f"booking-cancelled:{booking_id}"} <= fake.keys(),
                   timeout=30, message="booking notifications delivered by the outbox")
        for record in fake.received:
            assert record["path"] == "/notifications" and record["auth"].startswith("Bearer ")
            assert record["body"]["user_id"] == "owner-7" and record["body"]["type"] == "booking"
            assert record["body"]["title"] and record["body"]["body"]
        cancel_note = next(r for r in fake.received if r["key"] == f"booking-cancelled:{booking_id}")
        assert "administrator" in cancel_note["body"]["body"]
    finally:
        fake.stop()


def test_created_booking_notifies_the_booker(stack, tokens):
    if "notification" not in stack.services:
        pytest.skip("the notification service is not part of this stack (not built, or left out by STACK_SERVICES)")
    user = stack.new_user("student", tokens["admin"])
    made = book(stack, user["token"], 2, day(17))
    assert made.status_code == 201

    def notified():
        response = stack.api("GET", "/api/notifications", user["token"])
        if response.status_code != 200:
            return False
        data = response.json()
        items = data if isinstance(data, list) else data.get("notifications", data.get("items", []))
        return [n for n in items if n.get("type") == "booking"]

    notes = wait_until(notified, timeout=30, message="a booking notification for the booker")
    assert any(made.json()["room_name"] in (n.get("body") or "") + (n.get("title") or "") for n in notes)
