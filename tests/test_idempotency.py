"""Writes that are safe to repeat (issue 12, item 4): POST /bookings, /bookings/recurring,
/tickets, /tickets/batch and /notifications honour Idempotency-Key, through the gateway,
on SQLite and PostgreSQL. The same key and body again: the first answer (same status and
body, `Idempotent-Replayed: true`), nothing new; the same key with another body: 409
idempotency_key_reused; twenty at once with one key: one record; keys are per caller."""
from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest

from shared.auth import issue_service_token
from shared.config import load_settings
from tests.harness import TEST_SECRET, assert_envelope

REPLAYED = "Idempotent-Replayed"


def day(n: int) -> str:
    return (datetime.now(timezone.utc).date() + timedelta(days=n)).isoformat()


def post(stack, token, path, body, key, **kwargs):
    return stack.api("POST", path, token, json=body, headers={"Idempotency-Key": key}, **kwargs)


def assert_replay(first, again):
    """`again` is `first` answered once more: same status and body, marked as a replay."""
    assert first.status_code == 201, first.text
    assert REPLAYED not in first.headers
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again.headers.get(REPLAYED) == "true"


def my_bookings(stack, user, date):
    response = stack.api("GET", "/api/booking/bookings", user["token"],
                         params={"from": date, "to": date, "status": "confirmed"})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def my_tickets(stack, user):
    response = stack.api("GET", "/api/maintenance/tickets", user["token"], params={"per_page": 100})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def notices(stack, user, type_):
    response = stack.api("GET", "/api/notifications", user["token"], params={"type": type_, "per_page": 100})
    assert response.status_code == 200, response.text
    return response.json()["notifications"]


# One create per route: (path, a body for user `who`, how many records it made for them).
def booking_case(stack, who, n):
    date = day(60 + n % 25)
    slot = ["08:00 AM - 09:00 AM", "09:00 AM - 10:00 AM", "11:00 AM - 12:00 PM"][n % 3]
    body = {"room_id": 1 + n % 12, "date": date, "time_slot": slot, "purpose": f"idempotency {n}"}
    return "/api/booking/bookings", body, lambda: len(my_bookings(stack, who, date))


def ticket_case(stack, who, n):
    body = {"title": f"Leaking tap {n}", "description": "The tap in the kitchen drips all day", "location": f"K{n}"}
    return "/api/maintenance/tickets", body, lambda: len(my_tickets(stack, who))


def notification_case(stack, who, n):
    type_ = f"idem{uuid.uuid4().hex[:8]}"
    body = {"title": f"Notice {n}", "body": "Once only.", "type": type_, "user_id": who["id"]}
    return "/api/notifications", body, lambda: len(notices(stack, who, type_))


CASES = {"booking": booking_case, "ticket": ticket_case, "notification": notification_case}


def sender_for(stack, tokens, kind, who):
    """Who sends: the user themself, except notifications, which admins send."""
    return tokens["admin"] if kind == "notification" else who["token"]


@pytest.fixture(params=list(CASES))
def kind(request):
    return request.param


# ----------------------------------------------------------------------------- every route
def test_same_key_and_body_answer_once(stack, tokens, kind):
    who = stack.new_user("faculty")
    path, body, count = CASES[kind](stack, who, 1)
    sender, key = sender_for(stack, tokens, kind, who), str(uuid.uuid4())
    first = post(stack, sender, path, body, key)
    # The same request with its fields in another order is the same request.
    again = post(stack, sender, path, dict(reversed(list(body.items()))), key)
    assert_replay(first, again)
    assert count() == 1


def test_same_key_with_another_body_is_409(stack, tokens, kind):
    who = stack.new_user("faculty")
    path, body, count = CASES[kind](stack, who, 2)
    sender, key = sender_for(stack, tokens, kind, who), str(uuid.uuid4())
    assert post(stack, sender, path, body, key).status_code == 201
    changed = {**body, "purpose" if kind == "booking" else "title": "something else"}
    assert_envelope(post(stack, sender, path, changed, key), 409, "idempotency_key_reused")
    assert count() == 1


def test_twenty_parallel_posts_with_one_key_create_one(stack, tokens, kind):
    who = stack.new_user("faculty")
    path, body, count = CASES[kind](stack, who, 3)
    sender, key = sender_for(stack, tokens, kind, who), str(uuid.uuid4())
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda _: post(stack, sender, path, body, key), range(20)))
    assert [a.status_code for a in answers] == [201] * 20, [a.text for a in answers if a.status_code != 201]
    assert len({json.dumps(a.json(), sort_keys=True) for a in answers}) == 1
    assert [a.headers.get(REPLAYED) for a in answers].count("true") == 19
    assert count() == 1


def test_without_a_key_every_post_creates(stack, tokens):
    who = stack.new_user("faculty")
    path, body, count = ticket_case(stack, who, 4)
    for _ in range(2):
        response = stack.api("POST", path, who["token"], json=body)
        assert response.status_code == 201 and REPLAYED not in response.headers
    assert count() == 2


# ----------------------------------------------------------------------------- keys are per caller
def test_two_users_with_the_same_key_never_meet(stack):
    alice, bob = stack.new_user("student"), stack.new_user("student")
    key = str(uuid.uuid4())
    made = []
    for n, who in enumerate((alice, bob)):
        path, body, count = booking_case(stack, who, 10 + n)
        response = post(stack, who["token"], path, body, key)
        assert response.status_code == 201 and REPLAYED not in response.headers, response.text
        assert response.json()["user_id"] == who["id"] and count() == 1
        made.append(response.json()["id"])
        tickets = post(stack, who["token"], "/api/maintenance/tickets",
                       {"title": "Window stuck", "description": "The window will not open"}, key)
        assert tickets.status_code == 201 and REPLAYED not in tickets.headers, tickets.text
        assert tickets.json()["user_id"] == who["id"]
    assert made[0] != made[1]


def test_an_admin_and_a_service_may_use_the_same_notification_key(stack, tokens):
    who = stack.new_user("student")
    service = issue_service_token(load_settings({"JWT_SECRET_KEY": TEST_SECRET, "ENV_FILE": "/nonexistent"}),
                                  "booking")
    key, type_ = f"shared-{uuid.uuid4()}", f"idem{uuid.uuid4().hex[:8]}"
    body = {"title": "Same key", "body": "Two senders.", "type": type_, "user_id": who["id"]}
    by_admin = post(stack, tokens["admin"], "/api/notifications", body, key)
    by_service = post(stack, service, "/notifications", body, key, service="notification")
    assert (by_admin.status_code, by_service.status_code) == (201, 201)
    assert REPLAYED not in by_service.headers and by_admin.json()["id"] != by_service.json()["id"]
    assert len(notices(stack, who, type_)) == 2


# ----------------------------------------------------------------------------- the other creates
def test_recurring_series_with_a_key_is_booked_once(stack):
    who = stack.new_user("faculty")
    body = {"room_id": 7, "start_date": day(40), "time_slot": "03:00 PM - 04:00 PM", "weeks": 3}
    key = str(uuid.uuid4())
    first = post(stack, who["token"], "/api/booking/bookings/recurring", body, key)
    assert_replay(first, post(stack, who["token"], "/api/booking/bookings/recurring", body, key))
    series = stack.api("GET", f"/api/booking/bookings/series/{first.json()['series_id']}", who["token"]).json()
    assert len(series) == 3
    mine = stack.api("GET", "/api/booking/bookings", who["token"], params={"status": "confirmed"}).json()
    assert mine["total"] == 3
    # The key of a series is no key for a single booking.
    single = {"room_id": 7, "date": day(40), "time_slot": "04:00 PM - 05:00 PM"}
    assert_envelope(post(stack, who["token"], "/api/booking/bookings", single, key), 409, "idempotency_key_reused")


def test_ticket_batch_with_a_key_is_filed_once(stack):
    who = stack.new_user("student")
    body = {"tickets": [{"title": "Bulb out", "description": "The ceiling light in room 3 is out"},
                        {"title": "Heater cold", "description": "The heater in room 4 stays cold"}]}
    key = str(uuid.uuid4())
    first = post(stack, who["token"], "/api/maintenance/tickets/batch", body, key)
    assert_replay(first, post(stack, who["token"], "/api/maintenance/tickets/batch", body, key))
    assert first.json()["count"] == 2 and len(my_tickets(stack, who)) == 2


def test_a_refused_create_keeps_no_key(stack, tokens):
    """Only a success is kept: a booking refused (slot taken) may be corrected and sent again
    under the same key."""
    who = stack.new_user("student")
    date = day(45)
    taken = {"room_id": 9, "date": date, "time_slot": "01:00 PM - 02:00 PM"}
    assert stack.api("POST", "/api/booking/bookings", tokens["admin"], json=taken).status_code == 201
    key = str(uuid.uuid4())
    assert_envelope(post(stack, who["token"], "/api/booking/bookings", taken, key), 409, "slot_taken")
    free = {**taken, "time_slot": "02:00 PM - 03:00 PM"}
    first = post(stack, who["token"], "/api/booking/bookings", free, key)
    assert_replay(first, post(stack, who["token"], "/api/booking/bookings", free, key))
    assert len(my_bookings(stack, who, date)) == 1


def test_a_key_longer_than_200_characters_is_400(stack):
    who = stack.new_user("student")
    path, body, count = ticket_case(stack, who, 5)
    assert_envelope(post(stack, who["token"], path, body, "k" * 201), 400)
    assert count() == 0
