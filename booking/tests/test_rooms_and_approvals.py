"""Rooms run by the campus (issue 15) against real processes, on SQLite and PostgreSQL:
room administration, friendlier slot input, approvals, closures, booking on behalf, the
paginated list, the campus grid and the calendar subscription.

Each test makes its own rooms (in a building of its own where closures are involved), so
nothing here changes what the other tests on the shared stack book.
"""
from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import icalendar
import pytest
import requests

from shared.auth import issue_token
from shared.config import load_settings
from tests.harness import TEST_SECRET, assert_envelope, wait_until

TWO = "02:00 PM - 03:00 PM"
NINE = "09:00 AM - 10:00 AM"


def day(n: int) -> str:
    return (datetime.now(timezone.utc).date() + timedelta(days=n)).isoformat()


def _name(kind: str = "Room") -> str:
    return f"{kind} {uuid.uuid4().hex[:8]}"


def new_room(stack, admin, **fields):
    body = {"name": _name(), "building": _name("Building"), "capacity": 12, **fields}
    response = stack.api("POST", "/api/booking/rooms", admin, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def book(stack, token, room_id, date, slot=TWO, service="gateway", **extra):
    path = "/api/booking/bookings" if service == "gateway" else "/bookings"
    return stack.api("POST", path, token, service=service,
                     json={"room_id": room_id, "date": date, "time_slot": slot, **extra})


def outbox(stack, key: str) -> list[dict]:
    rows = stack.sql("bookings.db", "SELECT payload FROM booking_outbox WHERE idempotency_key = ?", (key,))
    return [json.loads(r[0]) for r in rows]


def grid(stack, token, date, **filters):
    response = stack.api("GET", "/api/booking/grid", token, params={"date": date, **filters})
    assert response.status_code == 200, response.text
    return response.json()


def cells(grid_answer, room_id):
    room = next(r for r in grid_answer["rooms"] if r["id"] == room_id)
    return {c["slot"]: c for c in room["cells"]}


# ----------------------------------------------------------------------------- 1. rooms as data
def test_admins_create_edit_and_retire_rooms(stack, tokens):
    admin, student = tokens["admin"], stack.new_user("student", tokens["admin"])
    name = _name("Seminar")
    body = {"name": name, "building": "Humanities Building", "floor": "4", "capacity": 24,
            "features": ["projector", "whiteboard", "Projector"], "accessibility": ["step-free access"],
            "description": "Corner room", "requires_approval": False, "open_time": "9 AM", "close_time": "16:00"}
    made = stack.api("POST", "/api/booking/rooms", admin, json=body)
    assert made.status_code == 201, made.text
    room = made.json()
    assert {k: room[k] for k in ("name", "building", "floor", "capacity", "features", "accessibility",
                                 "open_time", "close_time", "retired")} == \
        {"name": name, "building": "Humanities Building", "floor": "4", "capacity": 24,
         "features": ["projector", "whiteboard"], "accessibility": ["step-free access"],
         "open_time": "09:00", "close_time": "16:00", "retired": False}
    assert room in stack.api("GET", "/api/booking/rooms", student["token"]).json()
    assert stack.api("GET", "/api/booking/rooms", student["token"],
                     params={"accessibility": "step-free access", "building": "humanities building"}).json()
    # The seed rooms are ordinary rows with the same shape.
    seeded = stack.api("GET", "/api/booking/rooms/1", student["token"]).json()
    assert seeded["open_time"] == "08:00" and seeded["close_time"] == "18:00" and "floor" in seeded

    # Field errors, a duplicate name (whatever its case), admins only.
    for bad, field in (({"capacity": 0}, "capacity"), ({"name": "  "}, "name"), ({"open_time": "8:30"}, "open_time"),
                       ({"open_time": "7 AM"}, "open_time"), ({"close_time": "09:00"}, "close_time"),
                       ({"features": "projector"}, "features"), ({"capacity": "many"}, "capacity")):
        refused = assert_envelope(stack.api("POST", "/api/booking/rooms", admin,
                                            json={**body, "name": _name(), **bad}), 400)
        assert field in {d["field"] for d in refused["details"]}, (bad, refused)
    assert_envelope(stack.api("POST", "/api/booking/rooms", admin, json={**body, "name": name.upper()}),
                    409, "room_name_taken")
    assert_envelope(stack.api("POST", "/api/booking/rooms", student["token"], json={**body, "name": _name()}), 403)
    assert_envelope(stack.api("PUT", f"/api/booking/rooms/{room['id']}", student["token"], json=body), 403)
    assert_envelope(stack.api("DELETE", f"/api/booking/rooms/{room['id']}", student["token"]), 403)

    # Bookable hours: 9 to 4 here.
    slots = stack.api("GET", "/api/booking/bookings/available", student["token"],
                      params={"room_id": room["id"], "date": day(4)}).json()
    assert slots["available_slots"][0] == NINE and len(slots["available_slots"]) == 7
    assert slots["slots"][0]["state"] == "unavailable"
    assert_envelope(book(stack, student["token"], room["id"], day(4), "08:00 AM - 09:00 AM"), 400,
                    "outside_room_hours")
    kept = book(stack, student["token"], room["id"], day(4), NINE)
    assert kept.status_code == 201, kept.text

    # Edit: a new capacity and hours; another room's name is refused.
    changed = stack.api("PUT", f"/api/booking/rooms/{room['id']}", admin,
                        json={**body, "capacity": 30, "close_time": "18:00"})
    assert changed.status_code == 200 and changed.json()["capacity"] == 30 and changed.json()["close_time"] == "18:00"
    assert_envelope(stack.api("PUT", f"/api/booking/rooms/{room['id']}", admin, json={**body, "name": "Auditorium"}),
                    409, "room_name_taken")
    assert_envelope(stack.api("PUT", "/api/booking/rooms/999999", admin, json=body), 404)

    # Retire: gone from lists and the grid, no new bookings, the existing one kept.
    retired = stack.api("DELETE", f"/api/booking/rooms/{room['id']}", admin)
    assert retired.status_code == 200 and retired.json()["retired"] is True
    assert room["id"] not in [r["id"] for r in stack.api("GET", "/api/booking/rooms", student["token"]).json()]
    assert room["id"] in [r["id"] for r in stack.api("GET", "/api/booking/rooms", admin,
                                                     params={"include_retired": "true"}).json()]
    assert room["id"] not in [r["id"] for r in grid(stack, student["token"], day(4))["rooms"]]
    assert_envelope(book(stack, student["token"], room["id"], day(5), NINE), 409, "room_retired")
    still = stack.api("GET", f"/api/booking/bookings/{kept.json()['id']}", student["token"]).json()
    assert still["status"] == "confirmed"


# ----------------------------------------------------------------------------- 5. friendlier slots
@pytest.mark.fast
def test_the_slot_parser_reads_the_spellings_people_use():
    from booking_service.timeslots import parse_slot

    from shared.errors import ValidationFailed

    for spelling, label in (("2:00 PM - 3:00 PM", TWO), ("02:00 PM - 03:00 PM", TWO), ("2 PM - 3 PM", TWO),
                            ("14:00-15:00", TWO), ("14:00", TWO), ("2 pm", TWO), ("2 p.m. - 3 p.m.", TWO),
                            ("8 AM", "08:00 AM - 09:00 AM"), ("12 PM - 1 PM", "12:00 PM - 01:00 PM"),
                            ("17:00 - 18:00", "05:00 PM - 06:00 PM"), (" 9:00  AM ", NINE)):
        assert parse_slot(spelling) == label, spelling
    for refused in ("12 AM", "0:00", "5 PM - 7 PM", "3 PM - 2 PM", "14:30", "14:00:00", "2", None, 14):
        with pytest.raises(ValidationFailed):
            parse_slot(refused)


def test_every_accepted_slot_spelling_gives_the_canonical_label(stack, tokens):
    admin = tokens["admin"]
    room = new_room(stack, admin)
    spellings = ["2:00 PM - 3:00 PM", "02:00 PM - 03:00 PM", "2 PM - 3 PM", "14:00-15:00", "14:00", "2pm-3pm"]
    for n, spelling in enumerate(spellings):
        made = book(stack, admin, room["id"], day(10 + n), spelling)
        assert made.status_code == 201, (spelling, made.text)
        assert made.json()["time_slot"] == TWO, spelling
    # The same slot in another spelling is the same slot.
    assert_envelope(book(stack, admin, room["id"], day(10), "14:00 - 15:00"), 409, "slot_taken")
    for refused in ("2:30 PM - 3:30 PM", "2 PM - 4 PM", "14:00-16:00", "14", "13 PM", "noon", "7 AM", "6 PM",
                    "18:00-19:00", "25:00", "2:00 PM -", ""):
        body = assert_envelope(book(stack, admin, room["id"], day(20), refused), 400, "invalid_time_slot")
        assert body["details"][0]["field"] == "time_slot", refused


# ----------------------------------------------------------------------------- 2. approval
def test_approval_rooms_hold_the_slot_pending_until_an_admin_decides(stack, tokens):
    admin = tokens["admin"]
    admin_id = stack.api("GET", "/auth/me", admin).json()["id"]
    alice, bob = stack.new_user("student", admin), stack.new_user("faculty", admin)
    room = new_room(stack, admin, requires_approval=True)
    date = day(6)

    asked = book(stack, alice["token"], room["id"], date)
    assert asked.status_code == 201, asked.text
    pending = asked.json()
    assert pending["status"] == "pending" and pending["user_id"] == alice["id"]
    # It holds the slot; admins are told, and so is the requester.
    assert_envelope(book(stack, bob["token"], room["id"], date), 409, "slot_taken")
    assert outbox(stack, f"booking-approval-needed:{pending['id']}")[0]["role"] == "admin"
    assert outbox(stack, f"booking-created:{pending['id']}")[0]["user_id"] == alice["id"]
    # The grid: pending for all; its id only for the requester and admins.
    assert cells(grid(stack, alice["token"], date), room["id"])[TWO] == \
        {"slot": TWO, "state": "pending", "booking_id": pending["id"], "reason": None}
    assert cells(grid(stack, bob["token"], date), room["id"])[TWO]["booking_id"] is None
    queue = stack.api("GET", "/api/booking/bookings", admin, params={"status": "pending", "room_id": room["id"]}).json()
    assert [b["id"] for b in queue["items"]] == [pending["id"]]

    # Only admins decide; approve once.
    assert_envelope(stack.api("POST", f"/api/booking/bookings/{pending['id']}/approve", alice["token"], json={}), 403)
    approved = stack.api("POST", f"/api/booking/bookings/{pending['id']}/approve", admin, json={})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "confirmed" and approved.json()["decided_by"] == admin_id
    assert_envelope(stack.api("POST", f"/api/booking/bookings/{pending['id']}/approve", admin, json={}),
                    409, "booking_not_pending")
    assert outbox(stack, f"booking-approved:{pending['id']}")[0]["user_id"] == alice["id"]
    assert cells(grid(stack, alice["token"], date), room["id"])[TWO]["state"] == "yours"
    assert cells(grid(stack, bob["token"], date), room["id"])[TWO]["state"] == "taken"

    # Reject with a reason: the slot is free again.
    second = book(stack, bob["token"], room["id"], date, NINE).json()
    assert second["status"] == "pending"
    assert_envelope(stack.api("POST", f"/api/booking/bookings/{second['id']}/reject", admin, json={}), 400)
    rejected = stack.api("POST", f"/api/booking/bookings/{second['id']}/reject", admin,
                         json={"reason": "Reserved for exams"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert rejected.json()["reason"] == "Reserved for exams"
    note = outbox(stack, f"booking-rejected:{second['id']}")[0]
    assert note["user_id"] == bob["id"] and "Reserved for exams" in note["body"]
    assert cells(grid(stack, bob["token"], date), room["id"])[NINE]["state"] == "free"
    # An admin's own booking of an approval room needs nobody's approval.
    assert book(stack, admin, room["id"], date, NINE).json()["status"] == "confirmed"


def test_pending_counts_toward_the_limit_and_rejected_does_not(stack, tokens):
    admin = tokens["admin"]
    student = stack.new_user("student", admin)
    room = new_room(stack, admin, requires_approval=True)
    made = [book(stack, student["token"], room["id"], day(7), slot) for slot in
            ("8 AM", "9 AM", "10 AM", "11 AM", "12 PM")]
    assert [m.status_code for m in made] == [201] * 5 and {m.json()["status"] for m in made} == {"pending"}
    assert_envelope(book(stack, student["token"], room["id"], day(7), "1 PM"), 409, "booking_limit")
    rejected = stack.api("POST", f"/api/booking/bookings/{made[0].json()['id']}/reject", admin, json={"reason": "No"})
    assert rejected.status_code == 200
    assert book(stack, student["token"], room["id"], day(7), "1 PM").status_code == 201


def test_approval_race_two_requests_for_one_slot_give_one_pending(stack, tokens):
    admin = tokens["admin"]
    people = [stack.new_user("student", admin) for _ in range(2)]
    room = new_room(stack, admin, requires_approval=True)
    date = day(8)
    for slot in ("10 AM", "11 AM", "3 PM"):   # a few rounds: both requests really meet in the database
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(book, [stack] * 2, [p["token"] for p in people], [room["id"]] * 2,
                                    [date] * 2, [slot] * 2))
        assert sorted(r.status_code for r in results) == [201, 409], [r.text for r in results]
        assert next(r for r in results if r.status_code == 409).json()["code"] == "slot_taken"
    held = stack.api("GET", "/api/booking/bookings", admin,
                     params={"room_id": room["id"], "status": "pending", "from": date, "to": date}).json()
    assert held["total"] == 3


def _token(role: str, user_id: str) -> str:
    settings = load_settings({"JWT_SECRET_KEY": TEST_SECRET, "FLASK_ENV": "testing"})
    return issue_token(settings, user_id=user_id, email=f"{user_id}@example.com", name=user_id, role=role)


def test_undecided_requests_expire_once_and_the_requester_is_told(make_stack, backend):
    stack = make_stack(backend, extra_env={"BOOKING_RELEASE_INTERVAL_SECONDS": "0.3"})
    stack.start(["user-management", "booking"])
    admin, student = _token("admin", "expiry-admin"), _token("student", "expiry-student")
    made = stack.api("POST", "/rooms", admin, service="booking",
                     json={"name": _name(), "building": "Science Building", "capacity": 8, "requires_approval": True})
    room = made.json()
    asked = book(stack, student, room["id"], day(3), service="booking").json()
    assert asked["status"] == "pending"

    # With a decision deadline of 100 hours, the request (3 days ahead) is past it: the
    # periodic release (two workers, each with its own loop) expires it without any request.
    stack.services["booking"].stop()
    stack.service("booking", BOOKING_APPROVAL_HOURS="100", BOOKING_RELEASE_INTERVAL_SECONDS="0.3").start()

    def expired():
        rows = stack.sql("bookings.db", "SELECT status, reason FROM bookings WHERE id = ?", (asked["id"],))
        return rows[0] if rows[0][0] == "expired" else None

    _, reason = wait_until(expired, timeout=30, message="the pending request expired")
    assert "hours before the start" in reason
    notes = outbox(stack, f"booking-expired:{asked['id']}")
    assert len(notes) == 1 and notes[0]["user_id"] == "expiry-student"
    assert stack.api("GET", f"/bookings/{asked['id']}", admin, service="booking").json()["status"] == "expired"
    # A request must leave admins their decision time (now 100 hours before the start).
    refused = assert_envelope(book(stack, student, room["id"], day(3), NINE, service="booking"), 400,
                              "approval_too_late")
    assert refused["details"][0]["field"] == "date"
    # An expired request can no longer be approved; its slot is free for a new request.
    assert_envelope(stack.api("POST", f"/bookings/{asked['id']}/approve", admin, service="booking", json={}),
                    409, "booking_not_pending")
    assert book(stack, admin, room["id"], day(3), service="booking").status_code == 201


# ----------------------------------------------------------------------------- 3. closures
def test_closures_refuse_bookings_and_cancel_confirmed_ones(stack, tokens):
    admin = tokens["admin"]
    holder, other = stack.new_user("student", admin), stack.new_user("student", admin)
    building = _name("Building")
    room, neighbour = new_room(stack, admin, building=building), new_room(stack, admin, building=building)
    elsewhere = new_room(stack, admin)
    date = day(9)
    booked = book(stack, holder["token"], room["id"], date).json()
    closure = {"building": building.lower(), "start_date": date, "end_date": day(10), "reason": "Exam week"}

    # Over an existing booking: 409 listing it, nothing changed; confirmed: cancelled and told.
    listed = assert_envelope(stack.api("POST", "/api/booking/closures", admin, json=closure), 409,
                             "closure_has_bookings")
    assert [b["id"] for b in listed["details"]["bookings"]] == [booked["id"]]
    assert stack.api("GET", f"/api/booking/bookings/{booked['id']}", holder["token"]).json()["status"] == "confirmed"
    made = stack.api("POST", "/api/booking/closures", admin, json={**closure, "confirm": True})
    assert made.status_code == 201, made.text
    closed = made.json()
    assert closed["closure"]["scope"] == "building" and closed["closure"]["building"] == building
    assert [b["id"] for b in closed["cancelled"]] == [booked["id"]]
    after = stack.api("GET", f"/api/booking/bookings/{booked['id']}", holder["token"]).json()
    assert after["status"] == "cancelled" and "Exam week" in after["reason"]
    note = outbox(stack, f"booking-closed:{booked['id']}")[0]
    assert note["user_id"] == holder["id"] and "Exam week" in note["body"]

    # A closed slot: 409 with the reason; the grid says closed with the reason; other buildings open.
    refused = assert_envelope(book(stack, other["token"], neighbour["id"], day(10), NINE), 409, "room_closed")
    assert refused["details"]["reason"] == "Exam week" and "Exam week" in refused["error"]
    free = stack.api("GET", "/api/booking/bookings/available", other["token"],
                     params={"room_id": neighbour["id"], "date": day(10)}).json()
    assert free["available_slots"] == [] and {s["state"] for s in free["slots"]} == {"closed"}
    assert cells(grid(stack, other["token"], date), room["id"])[TWO] == \
        {"slot": TWO, "state": "closed", "booking_id": None, "reason": "Exam week"}
    assert book(stack, other["token"], elsewhere["id"], date).status_code == 201
    assert closed["closure"]["id"] in [c["id"] for c in stack.api("GET", "/api/booking/closures",
                                                                  other["token"]).json()]

    # Reopened: bookable again (the cancelled booking stays cancelled).
    assert_envelope(stack.api("DELETE", f"/api/booking/closures/{closed['closure']['id']}", other["token"]), 403)
    assert stack.api("DELETE", f"/api/booking/closures/{closed['closure']['id']}", admin).status_code == 200
    assert book(stack, other["token"], neighbour["id"], day(10), NINE).status_code == 201
    assert_envelope(stack.api("DELETE", f"/api/booking/closures/{closed['closure']['id']}", admin), 404)


def test_closure_scopes_and_field_errors(stack, tokens):
    admin, student = tokens["admin"], tokens["student"]
    room = new_room(stack, admin)
    one = stack.api("POST", "/api/booking/closures", admin,
                    json={"room_id": room["id"], "start_date": day(11), "end_date": day(11), "reason": "Works"})
    assert one.status_code == 201 and one.json()["closure"]["scope"] == "room"
    assert_envelope(book(stack, admin, room["id"], day(11)), 409, "room_closed")
    # The whole campus, on a day no test books (beyond the booking horizon): every room closed.
    far = day(200)
    campus = stack.api("POST", "/api/booking/closures", admin,
                       json={"start_date": far, "end_date": far, "reason": "Christmas Day"})
    assert campus.status_code == 201 and campus.json()["closure"]["scope"] == "campus"
    try:
        states = {c["state"] for r in grid(stack, student, far)["rooms"] for c in r["cells"]
                  if c["state"] != "unavailable"}
        assert states == {"closed"}
    finally:
        stack.api("DELETE", f"/api/booking/closures/{campus.json()['closure']['id']}", admin)
    for bad, code in (({"end_date": day(10)}, "invalid_date"), ({"start_date": "soon"}, "invalid_date"),
                      ({"building": "Nowhere Hall"}, "unknown_building"),
                      ({"room_id": room["id"], "building": "Main Library"}, "invalid_scope")):
        body = {"start_date": day(12), "end_date": day(12), "reason": "x", **bad}
        assert_envelope(stack.api("POST", "/api/booking/closures", admin, json=body), 400, code)
    assert_envelope(stack.api("POST", "/api/booking/closures", admin,
                              json={"start_date": day(12), "end_date": day(12), "reason": " "}), 400)
    assert_envelope(stack.api("POST", "/api/booking/closures", student,
                              json={"start_date": day(12), "end_date": day(12), "reason": "x"}), 403)


# ----------------------------------------------------------------------------- 4. on behalf
def test_admins_book_on_behalf_and_both_are_told(stack, tokens):
    admin = tokens["admin"]
    admin_id = stack.api("GET", "/auth/me", admin).json()["id"]
    student, other = stack.new_user("student", admin), stack.new_user("student", admin)
    room = new_room(stack, admin, requires_approval=True)
    made = book(stack, admin, room["id"], day(5), user_id=student["id"], purpose="Thesis defence")
    assert made.status_code == 201, made.text
    booking = made.json()
    assert booking["user_id"] == student["id"] and booking["user_name"] == student["name"]
    assert booking["booked_by"] == admin_id and booking["status"] == "confirmed"
    assert outbox(stack, f"booking-created:{booking['id']}")[0]["user_id"] == student["id"]
    assert outbox(stack, f"booking-created-by:{booking['id']}")[0]["user_id"] == admin_id
    mine = stack.api("GET", "/api/booking/bookings", student["token"]).json()["items"]
    assert [b["id"] for b in mine] == [booking["id"]]
    assert cells(grid(stack, student["token"], day(5)), room["id"])[TWO]["state"] == "yours"
    # Anyone else naming a user: 403, nothing booked; an unknown user: 404.
    assert_envelope(book(stack, other["token"], room["id"], day(5), NINE, user_id=student["id"]), 403,
                    "on_behalf_forbidden")
    assert_envelope(book(stack, tokens["faculty"], room["id"], day(5), NINE, user_id=student["id"]), 403)
    assert_envelope(book(stack, admin, room["id"], day(5), NINE, user_id="no-such-user"), 404, "user_not_found")
    assert cells(grid(stack, admin, day(5)), room["id"])[NINE]["state"] == "free"


# ----------------------------------------------------------------------------- 6. paginated list
def test_the_booking_list_is_paginated_and_filtered(stack, tokens):
    admin = tokens["admin"]
    user = stack.new_user("faculty", admin)
    room = new_room(stack, admin)
    made = [book(stack, user["token"], room["id"], day(n), slot).json()
            for n, slot in ((15, "8 AM"), (14, "9 AM"), (16, "10 AM"), (14, "8 AM"), (17, "8 AM"))]
    assert stack.api("DELETE", f"/api/booking/bookings/{made[4]['id']}", user["token"]).status_code == 200
    by_start = sorted(made, key=lambda b: b["start_utc"])

    first = stack.api("GET", "/api/booking/bookings", user["token"], params={"per_page": 2}).json()
    assert (first["page"], first["per_page"], first["total"], first["total_exact"]) == (1, 2, 5, True)
    assert [b["id"] for b in first["items"]] == [b["id"] for b in by_start[:2]]
    third = stack.api("GET", "/api/booking/bookings", user["token"], params={"per_page": 2, "page": 3}).json()
    assert [b["id"] for b in third["items"]] == [by_start[4]["id"]]
    newest = stack.api("GET", "/api/booking/bookings", user["token"], params={"order": "newest"}).json()
    assert [b["id"] for b in newest["items"]] == [b["id"] for b in reversed(made)]
    window = stack.api("GET", "/api/booking/bookings", user["token"],
                       params={"from": day(14), "to": day(15), "status": "confirmed"}).json()
    assert window["total"] == 3 and {b["date"] for b in window["items"]} == {day(14), day(15)}
    # Admins filter by user and room; others see only their own.
    theirs = stack.api("GET", "/api/booking/bookings", admin,
                       params={"user_id": user["id"], "room_id": room["id"], "status": "cancelled"}).json()
    assert [b["id"] for b in theirs["items"]] == [made[4]["id"]]
    assert_envelope(stack.api("GET", "/api/booking/bookings", tokens["student"], params={"user_id": user["id"]}), 403)
    for bad in ({"per_page": 0}, {"per_page": 201}, {"page": 0}, {"order": "oldest"}, {"status": "active"},
                {"to": "2030-02-30"}):
        assert_envelope(stack.api("GET", "/api/booking/bookings", user["token"], params=bad), 400)


# ----------------------------------------------------------------------------- the grid
def test_the_grid_shows_each_cell_as_the_caller_sees_it(stack, tokens):
    admin = tokens["admin"]
    me, other = stack.new_user("student", admin), stack.new_user("student", admin)
    building = _name("Building")
    room = new_room(stack, admin, building=building, features=["projector"], accessibility=["hearing loop"],
                    close_time="17:00", capacity=40)
    small = new_room(stack, admin, building=building, capacity=4)
    mine = book(stack, me["token"], room["id"], day(4), NINE).json()
    book(stack, other["token"], room["id"], day(4), TWO)
    answer = grid(stack, me["token"], day(4), building=building)
    assert answer["date"] == day(4) and answer["timezone"] == "UTC" and len(answer["slots"]) == 10
    assert answer["today"] == datetime.now(timezone.utc).date().isoformat()
    assert building in answer["buildings"] and "projector" in answer["features"]
    assert "hearing loop" in answer["accessibility"]
    assert [r["id"] for r in answer["rooms"]] == [room["id"], small["id"]]
    row = cells(answer, room["id"])
    assert row[NINE] == {"slot": NINE, "state": "yours", "booking_id": mine["id"], "reason": None}
    assert row[TWO] == {"slot": TWO, "state": "taken", "booking_id": None, "reason": None}
    assert row["05:00 PM - 06:00 PM"]["state"] == "unavailable" and row["08:00 AM - 09:00 AM"]["state"] == "free"
    # Filters.
    assert [r["id"] for r in grid(stack, me["token"], day(4), building=building, min_capacity=10)["rooms"]] == \
        [room["id"]]
    assert [r["id"] for r in grid(stack, me["token"], day(4), building=building, feature="projector",
                                  accessibility="hearing loop")["rooms"]] == [room["id"]]
    # Yesterday: every slot past.
    yesterday = day(-1)
    assert {c["state"] for c in cells(grid(stack, me["token"], yesterday, building=building), small["id"]).values()} \
        == {"past"}
    assert_envelope(stack.api("GET", "/api/booking/grid", me["token"], params={"date": "tomorrow"}), 400,
                    "invalid_date")
    assert_envelope(stack.api("GET", "/api/booking/grid", None, params={"date": day(4)}), 401)


# ----------------------------------------------------------------------------- 7. calendar feed
def _events(text: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(text)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_the_calendar_subscription_needs_no_token_and_can_be_reset(stack, tokens):
    admin = tokens["admin"]
    user, other = stack.new_user("student", admin), stack.new_user("student", admin)
    room, approval = new_room(stack, admin), new_room(stack, admin, requires_approval=True)
    kept = book(stack, user["token"], room["id"], day(5), NINE, purpose="Reading group, week 1").json()
    dropped = book(stack, user["token"], room["id"], day(6)).json()
    asked = book(stack, user["token"], approval["id"], day(7)).json()
    book(stack, other["token"], room["id"], day(5))
    assert stack.api("DELETE", f"/api/booking/bookings/{dropped['id']}", user["token"]).status_code == 200

    link = stack.api("GET", "/api/booking/bookings/feed", user["token"]).json()
    assert link["url"].endswith(link["path"]) and link["path"].startswith("/api/booking/bookings/feed/")
    assert stack.api("GET", "/api/booking/bookings/feed", user["token"]).json() == link    # the same URL again
    fetched = requests.get(stack.url() + link["path"], timeout=30)        # no Authorization at all
    assert fetched.status_code == 200, fetched.text
    assert fetched.headers["Content-Type"].startswith("text/calendar")
    events = _events(fetched.content)
    uids = {f"booking-{b['id']}@campus-services-hub": b for b in (kept, dropped, asked)}
    assert set(events) == set(uids)                                      # only this user's bookings
    assert str(events[f"booking-{kept['id']}@campus-services-hub"]["STATUS"]) == "CONFIRMED"
    assert str(events[f"booking-{dropped['id']}@campus-services-hub"]["STATUS"]) == "CANCELLED"
    assert str(events[f"booking-{asked['id']}@campus-services-hub"]["STATUS"]) == "TENTATIVE"
    assert [int(events[f"booking-{b['id']}@campus-services-hub"]["SEQUENCE"]) for b in (asked, kept, dropped)] == \
        [0, 1, 2]                                                        # grows with every change
    start = events[f"booking-{kept['id']}@campus-services-hub"].decoded("DTSTART")
    assert start == datetime.fromisoformat(kept["start_utc"].replace("Z", "+00:00"))
    assert "Reading group, week 1" in str(events[f"booking-{kept['id']}@campus-services-hub"]["SUMMARY"])
    assert set(_events(requests.get(stack.url() + link["path"], timeout=30).content)) == set(uids)   # stable UIDs

    # Reset: the old URL is dead at once, the new one works.
    reset = stack.api("POST", "/api/booking/bookings/feed/reset", user["token"]).json()
    assert reset["url"] != link["url"]
    assert_envelope(requests.get(stack.url() + link["path"], timeout=30), 404, "feed_not_found")
    assert requests.get(stack.url() + reset["path"], timeout=30).status_code == 200
    assert_envelope(requests.get(stack.url() + "/api/booking/bookings/feed/" + "x" * 43 + ".ics", timeout=30), 404)
    # Only this one path goes without a token.
    assert_envelope(requests.get(stack.url() + "/api/booking/bookings/feed", timeout=30), 401)
    assert_envelope(requests.get(stack.url() + f"/api/booking/bookings/{kept['id']}", timeout=30), 401)
