"""The role table of DESIGN.md for every route, from ONE table, through the gateway and
directly at each service (each service checks roles itself: defense in depth).

Each rule gives, per role, the one status the route documents for it: its success status
(200, or 201 for a create) when the role may use it, 403 when it may not, or 404 where
the service hides records that are not yours (another student's ticket). So a route that
was deleted (404 from the router) or lost a method (405) fails as surely as a wrong role.

The roles act through fresh users of their role (one set per module), so what other tests
did with the default accounts (a student's booking quota, say) cannot change an answer."""
from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest

from shared.auth import ROLES
from tests.harness import NEW_USER_PASSWORD, assert_envelope


def admin_only(success: int = 200, denied: int = 403) -> dict[str, int]:
    return {"admin": success, "faculty": denied, "student": denied}


def everyone(success: int = 200) -> dict[str, int]:
    return {role: success for role in ROLES}


ADMIN_ONLY = admin_only()
EVERYONE = everyone()

# (service, gateway prefix -> upstream prefix is applied by `direct_path`), method, path, body factory, rule
# Paths may use {other} (another user's id), {other_booking}, {other_ticket}, {day}, {victim}.
MATRIX = [
    ("user-management", "GET", "/api/users", None, ADMIN_ONLY),
    ("user-management", "POST", "/api/users", "new_user", admin_only(201)),
    ("user-management", "GET", "/api/users/by-role/student", None, ADMIN_ONLY),
    ("user-management", "GET", "/api/users/{other}", None, ADMIN_ONLY),
    ("user-management", "PUT", "/api/users/{other}", "rename", ADMIN_ONLY),
    ("user-management", "DELETE", "/api/users/{victim}", None, ADMIN_ONLY),
    ("booking", "GET", "/api/booking/rooms", None, EVERYONE),
    ("booking", "GET", "/api/booking/rooms/1", None, EVERYONE),
    ("booking", "GET", "/api/booking/bookings/available?room_id=1&date={day}", None, EVERYONE),
    ("booking", "POST", "/api/booking/bookings", "booking", everyone(201)),
    ("booking", "GET", "/api/booking/bookings", None, EVERYONE),
    ("booking", "GET", "/api/booking/bookings/user/{other}", None, ADMIN_ONLY),
    ("booking", "GET", "/api/booking/bookings/{other_booking}", None, ADMIN_ONLY),
    ("booking", "DELETE", "/api/booking/bookings/{other_booking}", None, ADMIN_ONLY),
    ("booking", "GET", "/api/booking/grid?date={day}", None, EVERYONE),
    ("booking", "POST", "/api/booking/rooms", "room", admin_only(201)),
    ("booking", "GET", "/api/booking/closures", None, EVERYONE),
    ("booking", "POST", "/api/booking/closures", "closure", admin_only(201)),
    ("gpa-calculator", "POST", "/api/gpa/calculate", "gpa", EVERYONE),
    ("notification", "GET", "/api/notifications", None, EVERYONE),
    ("notification", "GET", "/api/notifications/unread-count", None, EVERYONE),
    ("notification", "POST", "/api/notifications", "notice", admin_only(201)),
    ("notification", "GET", "/api/notifications/user/{other}", None, ADMIN_ONLY),
    ("maintenance", "POST", "/api/maintenance/tickets", "ticket", everyone(201)),
    ("maintenance", "GET", "/api/maintenance/tickets", None, EVERYONE),
    ("maintenance", "GET", "/api/maintenance/tickets/{other_ticket}", None, admin_only(denied=404)),  # ids are sequential
    ("maintenance", "PUT", "/api/maintenance/tickets/{other_ticket}", "ticket_update", ADMIN_ONLY),
    ("maintenance", "GET", "/api/maintenance/tickets/analytics", None, ADMIN_ONLY),
]
UPSTREAM_PREFIX = {"/api/users": "/users", "/api/booking": "", "/api/gpa": "",
                   "/api/notifications": "/notifications", "/api/maintenance": ""}
_booking_slots = itertools.count()   # room 5: bookings the roles make
_owned_slots = itertools.count()     # room 6: bookings made by someone else
SLOTS = ["08:00 AM - 09:00 AM", "09:00 AM - 10:00 AM", "10:00 AM - 11:00 AM", "11:00 AM - 12:00 PM",
         "12:00 PM - 01:00 PM", "01:00 PM - 02:00 PM", "02:00 PM - 03:00 PM", "03:00 PM - 04:00 PM",
         "04:00 PM - 05:00 PM", "05:00 PM - 06:00 PM"]


def direct_path(path: str) -> str:
    for public, upstream in UPSTREAM_PREFIX.items():
        if path.startswith(public + "/") or path == public or path.startswith(public + "?"):
            return upstream + path[len(public):]
    raise AssertionError(path)


def body_for(kind, other_id):
    n = next(_booking_slots) if kind == "booking" else 0
    day = (dt.date.today() + dt.timedelta(days=50 + n // 10)).isoformat()
    return {
        None: None,
        "new_user": {"name": "Matrix User", "email": f"m{uuid.uuid4().hex[:10]}@example.com", "password": NEW_USER_PASSWORD},
        "rename": {"name": "Renamed By Matrix"},
        "booking": {"room_id": 5, "date": day, "time_slot": SLOTS[n % 10]},
        "gpa": {"courses": [{"grade": "A", "credits": 3}]},
        "notice": {"title": "Matrix notice", "body": "hello", "user_id": other_id},
        "ticket": {"title": "Door hinge squeaks", "description": "The office door squeaks loudly", "location": "Room 12"},
        "ticket_update": {"status": "in_progress"},
        "room": {"name": f"Matrix room {uuid.uuid4().hex[:8]}", "building": "Matrix Building", "capacity": 5},
        # Room 1 on a day beyond the booking horizon: nobody's booking is in it.
        "closure": {"room_id": 1, "start_date": (dt.date.today() + dt.timedelta(days=300)).isoformat(),
                    "end_date": (dt.date.today() + dt.timedelta(days=300)).isoformat(), "reason": "Matrix"},
    }[kind]


@pytest.fixture(scope="module")
def world(stack):
    admin = stack.token("admin")
    other = stack.new_user("student", admin)
    acting = {role: stack.new_user(role, admin)["token"] for role in ROLES}
    return {"admin": admin, "other": other, "tokens": acting}


def resolve(stack, world, path):
    values = {"other": world["other"]["id"], "day": (dt.date.today() + dt.timedelta(days=45)).isoformat()}
    if "{victim}" in path:
        values["victim"] = stack.new_user("student", world["admin"])["id"]
    if "{other_booking}" in path:
        n = next(_owned_slots)
        day = (dt.date.today() + dt.timedelta(days=60 + n // 10)).isoformat()
        owner = stack.new_user("student", world["admin"])  # fresh: students may hold only a few bookings
        made = stack.api("POST", "/api/booking/bookings", owner["token"],
                         json={"room_id": 6, "date": day, "time_slot": SLOTS[n % 10]})
        assert made.status_code == 201, made.text
        values["other_booking"] = made.json()["id"]
    if "{other_ticket}" in path:
        made = stack.api("POST", "/api/maintenance/tickets", world["other"]["token"],
                         json={"title": "Window will not close", "description": "Window latch broken", "location": "Dorm A 204"})
        assert made.status_code == 201, made.text
        values["other_ticket"] = made.json()["id"]
    return path.format(**values)


CASES = [(service, method, path, body, role, rule[role], via)
         for service, method, path, body, rule in MATRIX for role in ROLES for via in ("gateway", "direct")]


@pytest.mark.parametrize("service, method, path, body, role, expected, via", CASES,
                         ids=[f"{c[6]}-{c[4]}-{c[1]}-{c[2]}" for c in CASES])
def test_role_matrix(stack, world, service, method, path, body, role, expected, via):
    if service not in stack.services:
        pytest.skip(f"{service} is not in this checkout")
    concrete = resolve(stack, world, path)
    target = concrete if via == "gateway" else direct_path(concrete)
    response = stack.api(method, target, world["tokens"][role], service="gateway" if via == "gateway" else service,
                         json=body_for(body, world["other"]["id"]))
    assert response.status_code == expected, f"{role} {method} {target}: {response.status_code} {response.text[:300]}"
    if expected >= 400:
        assert_envelope(response, expected)
    else:
        assert isinstance(response.json(), (dict, list)), response.text[:300]


@pytest.mark.parametrize("service, method, path, body, rule", MATRIX, ids=[f"{m[1]}-{m[2]}" for m in MATRIX])
def test_every_route_needs_a_token(stack, world, service, method, path, body, rule):
    if service not in stack.services:
        pytest.skip(f"{service} is not in this checkout")
    concrete = resolve(stack, world, path)
    assert_envelope(stack.api(method, concrete, json=body_for(body, world["other"]["id"])), 401)
    assert_envelope(stack.api(method, direct_path(concrete), service=service,
                              json=body_for(body, world["other"]["id"])), 401)
