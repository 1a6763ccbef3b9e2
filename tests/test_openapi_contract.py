"""The gateway's one OpenAPI document holds against the running platform.

A person opens /docs, logs in, presses Authorize once and tries every operation. This
test does the same: it reads the merged document, then calls EACH operation it lists
through the gateway with an admin token (the path ids are of objects the test creates,
the bodies come from the documented examples or the small table below), and fails when
an operation answers 401 (the token was not sent or not accepted), answers a status its
documentation does not list, or answers a body that does not match the documented schema.

Every JSON success answer must have a schema (a pydantic model in the service's models.py,
named by @answers(status, Model) or FastAPI's response_model): an answer described only in
prose fails both tests, so no operation's answer goes unchecked.
"""
from __future__ import annotations

import io
import re
import uuid
from datetime import date, timedelta
from typing import Any, Callable

import jsonschema_rs  # schemathesis's own validator (requirements-test.txt)
import requests

from tests.harness import DEFAULT_USERS, NEW_USER_PASSWORD

METHODS = ("get", "post", "put", "patch", "delete")
ERROR_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}
SERVICE_PREFIXES = {"user-management": "/api/users", "booking": "/api/booking/", "gpa-calculator": "/api/gpa/",
                    "notification": "/api/notifications", "maintenance": "/api/maintenance/"}

# Bodies no example can give: unique values, ids and free slots of this run.
BODIES: dict[tuple[str, str], Callable[[dict], dict]] = {
    ("post", "/auth/register"): lambda ctx: {"name": "Docs Reader", "email": _email("register"),
                                              "password": NEW_USER_PASSWORD},
    ("post", "/auth/change-password"): lambda ctx: {"email": ctx["user"]["email"],
                                                     "current_password": NEW_USER_PASSWORD,
                                                     "password": "An0ther-Long-Passphrase!"},
    ("post", "/api/users"): lambda ctx: {"name": "Made From Docs", "email": _email("made"),
                                         "password": NEW_USER_PASSWORD, "role": "faculty"},
    ("put", "/api/users/{user_id}"): lambda ctx: {"name": "Renamed From Docs"},
    ("post", "/api/booking/bookings"): lambda ctx: {**ctx["free_slot"](), "purpose": "OpenAPI contract"},
    ("post", "/api/booking/bookings/recurring"): lambda ctx: _recurring(ctx),
    ("post", "/api/booking/rooms"): lambda ctx: {"name": f"Contract room {uuid.uuid4().hex[:8]}",
                                                 "building": "Contract Building", "capacity": 10},
    ("put", "/api/booking/rooms/{room_id}"): lambda ctx: {"name": f"Contract room {uuid.uuid4().hex[:8]}",
                                                          "building": "Contract Building", "capacity": 12},
    # Only the test's own room, on a day nobody books: a closure must not cancel others' bookings.
    ("post", "/api/booking/closures"): lambda ctx: {"room_id": ctx["room_id"], "start_date": ctx["far_day"],
                                                    "end_date": ctx["far_day"], "reason": "Contract"},
    ("post", "/api/gpa/calculate"): lambda ctx: {"courses": [{"name": "Algebra", "grade": "A", "credits": 3},
                                                             {"name": "Physics", "grade": "B", "credits": 4}]},
    ("post", "/api/notifications"): lambda ctx: {"title": "From the docs", "body": "Hello",
                                                 "user_id": ctx["admin_id"]},
    ("put", "/api/notifications/{notification_id}"): lambda ctx: {"read": True},
    ("post", "/api/maintenance/tickets"): lambda ctx: dict(TICKET),
    ("post", "/api/maintenance/tickets/batch"): lambda ctx: {"tickets": [dict(TICKET)]},
    ("put", "/api/maintenance/tickets/{ticket_id}"): lambda ctx: {"comment": "Looked at it."},
    ("post", "/api/maintenance/tickets/bulk-status"): lambda ctx: {"ids": [ctx["ticket_id"]], "status": "in_progress"},
    ("post", "/auth/password-reset/confirm"): lambda ctx: {"token": "a-link-nobody-was-sent-" + "x" * 20,
                                                           "password": NEW_USER_PASSWORD},
}
# Bodies that are forms with a file (multipart/form-data): the `files` of requests.
UPLOADS: dict[tuple[str, str], Callable[[dict], dict]] = {
    ("post", "/api/maintenance/tickets/{ticket_id}/attachments"): lambda ctx: {"file": ("tap.png", _png(), "image/png")},
}
TICKET = {"title": "Leaking tap", "description": "The tap in the second-floor kitchen drips all day.",
          "location": "Library, floor 2"}
# Answers other than success that the test's own calls must get, and why.
REFUSALS = {("post", "/api/booking/bookings/{booking_id}/check-in"): 409,   # the slot starts in days
            ("post", "/api/booking/bookings/{booking_id}/approve"): 409,    # confirmed: nothing to decide
            ("post", "/api/booking/bookings/{booking_id}/reject"): 409,
            ("post", "/auth/password-reset/confirm"): 400}                 # a link nobody was sent
# Operations without a Bearer token: the secret is in the URL (calendar apps subscribe to it).
TOKENLESS = {("get", "/api/booking/bookings/feed/{token}.ics")}
# Operations that end something the rest of the test still needs run last, in this order.
LAST = {"delete": 1, "/api/booking/bookings/feed/reset": 1, "/auth/logout": 2}


def _email(kind: str) -> str:
    return f"openapi-{kind}-{uuid.uuid4().hex[:10]}@example.com"


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 90, 160)).save(out, "PNG")
    return out.getvalue()


def _recurring(ctx: dict) -> dict:
    slot = ctx["free_slot"]()
    return {"room_id": slot["room_id"], "start_date": slot["date"], "time_slot": slot["time_slot"], "weeks": 2,
            "skip_conflicts": True}


def _resolve(node: Any, doc: dict, seen: tuple[str, ...] = ()) -> Any:
    """A schema with every local $ref replaced by what it points to."""
    if isinstance(node, list):
        return [_resolve(item, doc, seen) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/") and ref not in seen, ref
        target: Any = doc
        for part in ref[2:].split("/"):
            target = target[part]
        return _resolve({**target, **{k: v for k, v in node.items() if k != "$ref"}}, doc, seen + (ref,))
    return {key: _resolve(value, doc, seen) for key, value in node.items()}


def _success_schema_problem(operation: dict) -> str | None:
    """Why the operation's success answer is not described by a schema, or None. Answers that
    are not JSON (an iCalendar file, a redirect, no body) need none."""
    successes = [status for status in operation["responses"] if status.startswith("2")]
    if len(successes) != 1:
        return f"one success answer expected, documented {sorted(successes)}"
    content = operation["responses"][successes[0]].get("content")
    if content is None:
        return f"{successes[0]} documents no content"
    if "application/json" not in content:
        return None
    schema = content["application/json"].get("schema") or {}
    if not schema.keys() & {"$ref", "type", "anyOf", "oneOf", "allOf"}:
        return (f"the JSON {successes[0]} answer has no schema ({schema!r}); describe it with a pydantic "
                "model: @answers(status, Model) or response_model")
    return None


def _example(schema: dict, where: str) -> dict:
    """A body from the documented examples: every required property's first example."""
    body = {}
    for name in schema.get("required", []):
        prop = schema["properties"][name]
        examples = prop.get("examples") or ([prop["example"]] if "example" in prop else [])
        assert examples, f"{where}: no example for the required field {name!r}; add one, or a body to BODIES"
        body[name] = examples[0]
    return body


def _operations(doc: dict) -> list[tuple[str, str, dict]]:
    found = [(path, method, operation) for path, operations in doc["paths"].items()
             for method, operation in operations.items() if method in METHODS]
    return sorted(found, key=lambda item: LAST.get(item[0], LAST.get(item[1], 0)))


def _document(stack) -> dict:
    response = requests.get(f"{stack.url()}/openapi.json", timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_document_has_one_security_scheme_and_one_error_envelope(stack):
    doc = _document(stack)
    undescribed = []
    assert list(doc["components"]["securitySchemes"]) == ["bearerAuth"]
    for service, prefix in SERVICE_PREFIXES.items():
        if service in stack.services:
            assert any(path.startswith(prefix) for path in doc["paths"]), (service, sorted(doc["paths"]))
    for path, method, operation in _operations(doc):
        where = f"{method.upper()} {path}"
        for requirement in operation.get("security", []):
            assert set(requirement) <= set(doc["components"]["securitySchemes"]), where
        if (path.startswith("/api/") or path in ("/auth/me", "/auth/logout")) and (method, path) not in TOKENLESS:
            assert operation.get("security") == [{"bearerAuth": []}], where
        responses = operation["responses"]
        problem = _success_schema_problem(operation)
        if problem:
            undescribed.append(f"{where}: {problem}")
        assert {"400", "default"} <= set(responses), where
        for status, response in responses.items():
            if not status.startswith("2"):
                assert response["content"]["application/json"]["schema"] == ERROR_REF, (where, status)
        if (method, path) in BODIES:
            assert operation["requestBody"]["content"]["application/json"]["schema"], where
    assert doc["components"]["schemas"]["ErrorEnvelope"]["required"] == ["error", "code", "correlation_id"]
    assert not undescribed, "\n".join(undescribed)


def test_every_service_describes_every_json_answer_with_a_schema(stack):
    """Each service's own document too: it also lists what the gateway does not publish
    (user-management's /internal operations, which the gateway itself calls)."""
    undescribed = []
    for service in sorted(stack.services):
        response = requests.get(f"{stack.url(service)}/openapi.json", timeout=30)
        assert response.status_code == 200, (service, response.text[:200])
        for path, method, operation in _operations(response.json()):
            problem = _success_schema_problem(operation)
            if problem:
                undescribed.append(f"{service}: {method.upper()} {path}: {problem}")
    assert not undescribed, "\n".join(undescribed)


def test_every_documented_operation_answers_as_documented(stack):
    doc = _document(stack)
    gateway = stack.url()
    admin_token = stack.token("admin")
    admin = {"Authorization": f"Bearer {admin_token}"}

    def call(method: str, path: str, token_headers: dict = admin, **kwargs) -> requests.Response:
        return requests.request(method, f"{gateway}{path}", headers=token_headers, timeout=60,
                                allow_redirects=False, **kwargs)

    campus = call("GET", "/api/booking/campus").json()
    rooms = call("GET", "/api/booking/rooms").json()
    # Other tests share this platform and book on their own days (booking's tests a few days
    # ahead, the role matrix 45-62, the injection tests 70-80): this one keeps to 81-88, in
    # the last rooms first, so no test finds a slot of its own taken.
    first_day = date.fromisoformat(campus["today"]) + timedelta(days=81)

    def free_slot() -> dict:
        """A slot nobody has, in this test's own days."""
        for offset in range(8):
            day = (first_day + timedelta(days=offset)).isoformat()
            for room in reversed(rooms):
                available = call("GET", "/api/booking/bookings/available",
                                 params={"room_id": room["id"], "date": day}).json()
                if available["available_slots"]:
                    return {"room_id": room["id"], "date": day, "time_slot": available["available_slots"][0]}
        raise AssertionError("no free slot in this test's days")

    user = stack.new_user("student", admin_token)
    ctx: dict[str, Any] = {"user": user, "free_slot": free_slot,
                           "admin_id": call("GET", "/auth/me").json()["id"]}
    booking = call("POST", "/api/booking/bookings", json={**free_slot(), "purpose": "contract"})
    series = call("POST", "/api/booking/bookings/recurring", json=_recurring(ctx))
    notice = call("POST", "/api/notifications", json=BODIES[("post", "/api/notifications")](ctx))
    ticket = call("POST", "/api/maintenance/tickets", json=dict(TICKET))
    for response in (booking, series, notice, ticket):
        assert response.status_code == 201, response.text
    photo = call("POST", f"/api/maintenance/tickets/{ticket.json()['id']}/attachments",
                 files=UPLOADS[("post", "/api/maintenance/tickets/{ticket_id}/attachments")](ctx))
    assert photo.status_code == 201, photo.text
    ids = {"user_id": user["id"], "role": "student", "booking_id": booking.json()["id"],
           "series_id": series.json()["series_id"], "notification_id": notice.json()["id"],
           "ticket_id": ticket.json()["id"], "room_id": rooms[0]["id"], "date": first_day.isoformat(),
           "attachment_id": photo.json()["id"]}
    ctx["ticket_id"] = ids["ticket_id"]
    ids["job_id"] = call("POST", "/api/users/imports", json={"csv": "email,name,role\n"}).json()["id"]
    # Booking administration works on a room of the test's own (PUT renames it, DELETE retires it).
    ctx["far_day"] = (first_day + timedelta(days=120)).isoformat()
    own_room = call("POST", "/api/booking/rooms", json=BODIES[("post", "/api/booking/rooms")](ctx))
    assert own_room.status_code == 201, own_room.text
    ctx["room_id"] = ids["room_id"] = own_room.json()["id"]
    closure = call("POST", "/api/booking/closures", json=BODIES[("post", "/api/booking/closures")](ctx))
    assert closure.status_code == 201, closure.text
    ids["closure_id"] = closure.json()["closure"]["id"]
    ids["token"] = call("GET", "/api/booking/bookings/feed").json()["path"].rsplit("/", 1)[1][:-len(".ics")]

    failures = []
    for path, method, operation in _operations(doc):
        where = f"{method.upper()} {path}"
        url = re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)
        params = {p["name"]: ids[p["name"]] for p in operation.get("parameters", [])
                  if p["in"] == "query" and p.get("required")}
        kwargs: dict[str, Any] = {"params": params}
        if (method, path) in UPLOADS:
            kwargs["files"] = UPLOADS[(method, path)](ctx)
        elif "requestBody" in operation:
            schema = _resolve(operation["requestBody"]["content"]["application/json"]["schema"], doc)
            make = BODIES.get((method, path))
            kwargs["json"] = make(ctx) if make else _example(schema, where)
        headers = admin
        if path == "/auth/logout":      # its own session, not the one the test goes on with
            headers = {"Authorization": f"Bearer {stack.login(*DEFAULT_USERS['admin'])}"}
        elif not operation.get("security"):
            headers = {}
        response = call(method.upper(), url, headers, **kwargs)
        documented = operation["responses"]
        status = str(response.status_code)
        expected = REFUSALS.get((method, path))
        if response.status_code == 401:
            failures.append(f"{where}: 401 with a valid token: {response.text[:200]}")
        elif status not in documented:
            failures.append(f"{where}: answered {status}, documented {sorted(documented)}: {response.text[:200]}")
        elif not response.ok and response.status_code != expected:
            failures.append(f"{where}: answered {status}: {response.text[:200]}")
        else:
            content = documented[status].get("content", {})
            schema = content.get("application/json", {}).get("schema")
            if not response.headers.get("Content-Type", "").startswith("application/json"):
                continue
            if not schema:      # a JSON answer the document does not describe is never left unchecked
                failures.append(f"{where}: answered JSON {status}, documented without a schema: {sorted(content)}")
            else:
                try:
                    jsonschema_rs.Draft202012Validator(_resolve(schema, doc)).validate(response.json())
                except jsonschema_rs.ValidationError as exc:
                    failures.append(f"{where}: the {status} body breaks its schema: {exc.message}")
    assert not failures, "\n".join(failures)
