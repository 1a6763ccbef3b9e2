"""A notification's optional link: a relative URL of what it is about, stored and returned;
a database made before the column existed gets it at start-up (SQLite and PostgreSQL)."""
from __future__ import annotations

import pytest

from shared.auth import issue_service_token
from shared.config import load_settings
from tests.harness import TEST_SECRET, assert_envelope

API = "/api/notifications"


def _service_token() -> str:
    return issue_service_token(load_settings({"JWT_SECRET_KEY": TEST_SECRET, "ENV_FILE": "/nonexistent"}), "booking")


def test_link_is_stored_and_returned(stack, tokens):
    user = stack.new_user("student")
    made = stack.api("POST", API, _service_token(),
                     json={"title": "Booking confirmed", "body": "Room 1", "type": "booking",
                           "user_id": user["id"], "link": "/booking?booking=12"})
    assert made.status_code == 201, made.text
    assert made.json()["link"] == "/booking?booking=12"
    mine = {n["id"]: n for n in stack.api("GET", f"{API}?per_page=100", user["token"]).json()["notifications"]}
    assert mine[made.json()["id"]]["link"] == "/booking?booking=12"
    assert stack.api("GET", f"{API}/{made.json()['id']}", user["token"]).json()["link"] == "/booking?booking=12"
    plain = stack.api("POST", API, tokens["admin"], json={"title": "t", "body": "b", "user_id": user["id"]})
    assert plain.status_code == 201 and plain.json()["link"] is None
    everything = stack.api("GET", f"{API}?all=true&per_page=100", tokens["admin"]).json()["notifications"]
    assert {n["id"]: n["link"] for n in everything}[made.json()["id"]] == "/booking?booking=12"


@pytest.mark.parametrize("link", ["https://evil.example/x", "//evil.example/x", "javascript:alert(1)",
                                  "booking?booking=1", "/a b", "/x\\y", "/" + "a" * 600, 5])
def test_a_link_that_is_not_a_relative_path_is_refused(stack, tokens, link):
    response = stack.api("POST", API, tokens["admin"],
                         json={"title": "t", "body": "b", "broadcast": True, "link": link})
    result = assert_envelope(response, 400, "validation_error")
    assert "link" in {d["field"] for d in result["details"]}, result


def _old_table(backend: str) -> str:
    serial = "BIGSERIAL PRIMARY KEY" if backend == "postgresql" else "INTEGER PRIMARY KEY AUTOINCREMENT"
    return (f"CREATE TABLE notifications (id {serial}, user_id TEXT, role TEXT, "
            "broadcast BOOLEAN NOT NULL DEFAULT FALSE, title TEXT NOT NULL, body TEXT NOT NULL, type TEXT NOT NULL, "
            "sender_id TEXT NOT NULL, sender_role TEXT NOT NULL, idempotency_key TEXT, created_at TEXT NOT NULL, "
            "deleted_at TEXT)")


def test_an_existing_database_gets_the_link_column(make_stack, backend):
    stack = make_stack(backend)
    stack.sql("notifications.db", _old_table(backend))
    stack.sql("notifications.db", "INSERT INTO notifications (user_id, broadcast, title, body, type, sender_id, "
              "sender_role, created_at) VALUES ('u-old', ?, 'Old', 'old body', 'info', 'admin', 'admin', "
              "'2025-01-01T00:00:00.000000Z')", (False,))
    stack.start(["notification"])
    token = _service_token()
    old = stack.api("GET", "/notifications/user/u-old", token, service="notification").json()["notifications"]
    assert [(n["title"], n["link"]) for n in old] == [("Old", None)]
    made = stack.api("POST", "/notifications", token, service="notification",
                     json={"title": "New", "body": "b", "user_id": "u-old", "link": "/maintenance?ticket=7"})
    assert made.status_code == 201, made.text
    assert made.json()["link"] == "/maintenance?ticket=7"
    # A second start finds the column there and changes nothing.
    stack.services["notification"].stop()
    stack.start(["notification"])
    links = [n["link"] for n in stack.api("GET", "/notifications/user/u-old", token, service="notification").json()["notifications"]]
    assert links == ["/maintenance?ticket=7", None]
