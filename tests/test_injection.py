"""Hostile text is data: SQL metacharacters are stored and returned verbatim, never
executed; script payloads come back unchanged (the frontend shows them as text)."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.harness import assert_envelope

PAYLOADS = ["Robert'); DROP TABLE users;--", "' OR '1'='1", "\"; DELETE FROM bookings; --",
            "<img src=x onerror=alert(1)>", "50% off ? $1 \\ %s %(x)s"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_user_names_keep_hostile_text(stack, tokens, payload):
    user = stack.new_user("student", tokens["admin"])
    renamed = stack.api("PUT", f"/api/users/{user['id']}", tokens["admin"], json={"name": payload})
    assert renamed.status_code == 200, renamed.text
    assert stack.api("GET", f"/api/users/{user['id']}", tokens["admin"]).json()["name"] == " ".join(payload.split())
    # The tables are all still there.
    assert stack.api("GET", "/api/users", tokens["admin"]).status_code == 200
    assert stack.api("POST", "/auth/login", json={"email": "student@example.com", "password": "student123"}).status_code == 200


@pytest.mark.parametrize("query, status, code, field", [
    ("role=' OR '1'='1", 404, "not_found", None),               # no such role (as /users/by-role/<role>)
    ("page=1;DROP TABLE users", 400, "validation_error", "page"),
    ("per_page=1 OR 1=1", 400, "validation_error", "per_page"),
])
def test_query_parameters_are_not_sql(stack, tokens, query, status, code, field):
    before = stack.api("GET", "/api/users", tokens["admin"]).json()["total"]
    body = assert_envelope(stack.api("GET", f"/api/users?{query}", tokens["admin"]), status, code)
    if field:
        assert [d["field"] for d in body["details"]] == [field], body
    assert stack.api("GET", "/api/users", tokens["admin"]).json()["total"] == before


@pytest.mark.parametrize("payload", PAYLOADS)
def test_booking_purpose_and_ticket_text_keep_hostile_text(stack, payload):
    if "booking" not in stack.services:
        pytest.skip("booking is not in this checkout")
    user = stack.new_user("faculty")
    day = (dt.date.today() + dt.timedelta(days=70 + PAYLOADS.index(payload))).isoformat()
    booked = stack.api("POST", "/api/booking/bookings", user["token"],
                       json={"room_id": 7, "date": day, "time_slot": "11:00 AM - 12:00 PM", "purpose": payload})
    assert booked.status_code == 201, booked.text
    assert booked.json()["purpose"] == payload
    assert stack.api("GET", f"/api/booking/bookings/{booked.json()['id']}", user["token"]).json()["purpose"] == payload
    if "maintenance" in stack.services:
        ticket = stack.api("POST", "/api/maintenance/tickets", user["token"],
                           json={"title": payload, "description": payload, "location": payload})
        assert ticket.status_code == 201, ticket.text
        again = stack.api("GET", f"/api/maintenance/tickets/{ticket.json()['id']}", user["token"]).json()
        assert again["title"] == payload and again["description"] == payload
    if "notification" in stack.services:
        admin = stack.token("admin")
        sent = stack.api("POST", "/api/notifications", admin, json={"title": payload, "body": payload, "user_id": user["id"]})
        assert sent.status_code == 201, sent.text
        feed = stack.api("GET", "/api/notifications?per_page=100", user["token"]).json()["notifications"]
        assert payload in [n["title"] for n in feed]
