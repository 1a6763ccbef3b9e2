"""Notification service: audiences, per-recipient read state, deletion, idempotent creation."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from shared.auth import issue_service_token
from shared.config import load_settings
from tests.harness import TEST_SECRET, assert_envelope, wait_until

API = "/api/notifications"


@pytest.fixture(scope="module")
def service_token():
    settings = load_settings({"JWT_SECRET_KEY": TEST_SECRET, "ENV_FILE": "/nonexistent"})
    return issue_service_token(settings, "booking")


def unique(text: str = "notice") -> str:
    return f"{text} {uuid.uuid4().hex[:8]}"


def send(stack, token, **body):
    body.setdefault("title", unique())
    body.setdefault("body", "Something happened.")
    headers = body.pop("headers", None)
    response = stack.api("POST", API, token, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def feed(stack, token, query: str = ""):
    response = stack.api("GET", f"{API}{query}", token)
    assert response.status_code == 200, response.text
    return response.json()


def feed_ids(stack, token, query: str = "?per_page=100"):
    return {n["id"]: n for n in feed(stack, token, query)["notifications"]}


def settled_user(stack, role: str = "student"):
    """A fresh user whose welcome notice (sent by user-management's outbox) has arrived,
    so that no notification lands in the middle of a test that counts."""
    user = stack.new_user(role)
    wait_until(lambda: feed(stack, user["token"], "?type=account")["total"] >= 1, timeout=30,
               message="the welcome notification")
    return user


def unread(stack, token) -> int:
    response = stack.api("GET", f"{API}/unread-count", token)
    assert response.status_code == 200, response.text
    return response.json()["unread"]


# ----------------------------------------------------------------------------- audiences
def test_admin_sends_to_a_user_who_sees_it_and_others_do_not(stack, tokens):
    alice, bob = stack.new_user("student"), stack.new_user("student")
    sent = send(stack, tokens["admin"], user_id=alice["id"], type="account", title="For Alice")
    assert sent["audience"] == "user" and sent["user_id"] == alice["id"] and sent["type"] == "account"
    assert sent["read"] is False and isinstance(sent["id"], int) and sent["created_at"].endswith("Z")

    mine = feed_ids(stack, alice["token"])
    assert sent["id"] in mine and mine[sent["id"]]["title"] == "For Alice" and mine[sent["id"]]["read"] is False
    assert sent["id"] not in feed_ids(stack, bob["token"])
    assert sent["id"] not in feed_ids(stack, tokens["admin"])      # the sender's own feed is not the audience
    assert stack.api("GET", f"{API}/{sent['id']}", alice["token"]).json()["title"] == "For Alice"
    assert_envelope(stack.api("GET", f"{API}/{sent['id']}", bob["token"]), 404, "not_found")


def test_role_notice_read_state_is_per_recipient(stack, tokens):
    s1, s2, teacher = settled_user(stack, "student"), settled_user(stack, "student"), stack.new_user("faculty")
    notice = send(stack, tokens["admin"], role="student", title=unique("exam week"))
    assert notice["audience"] == "role" and notice["role"] == "student"
    assert notice["id"] in feed_ids(stack, s1["token"]) and notice["id"] in feed_ids(stack, s2["token"])
    assert notice["id"] not in feed_ids(stack, teacher["token"])
    before1, before2 = unread(stack, s1["token"]), unread(stack, s2["token"])

    response = stack.api("PUT", f"{API}/{notice['id']}", s1["token"])
    assert response.status_code == 200, response.text
    assert response.json()["read"] is True and response.json()["read_at"]

    assert feed_ids(stack, s1["token"])[notice["id"]]["read"] is True
    assert feed_ids(stack, s2["token"])[notice["id"]]["read"] is False
    assert unread(stack, s1["token"]) == before1 - 1
    assert unread(stack, s2["token"]) == before2
    assert notice["id"] not in feed_ids(stack, s1["token"], "?unread=true&per_page=100")
    assert notice["id"] in feed_ids(stack, s2["token"], "?unread=true&per_page=100")


def test_broadcast_reaches_every_role(stack, tokens):
    notice = send(stack, tokens["admin"], broadcast=True, type="maintenance", title=unique("water off"))
    assert notice["audience"] == "broadcast" and notice["broadcast"] is True
    for role in ("admin", "faculty", "student"):
        assert notice["id"] in feed_ids(stack, stack.new_user(role)["token"]), role
    assert notice["id"] in feed_ids(stack, tokens["student"])


def test_faculty_notice_not_seen_by_students(stack, tokens):
    notice = send(stack, tokens["admin"], role="faculty")
    assert notice["id"] in feed_ids(stack, tokens["faculty"])
    assert notice["id"] not in feed_ids(stack, stack.new_user("student")["token"])


# ----------------------------------------------------------------------------- read state
def test_mark_read_and_unread_again(stack, tokens):
    user = settled_user(stack, "student")
    notice = send(stack, tokens["admin"], user_id=user["id"])
    assert unread(stack, user["token"]) >= 1
    start = unread(stack, user["token"])
    assert stack.api("PUT", f"{API}/{notice['id']}", user["token"], json={"read": True}).json()["read"] is True
    assert unread(stack, user["token"]) == start - 1
    # marking read twice is harmless
    assert stack.api("PUT", f"{API}/{notice['id']}", user["token"]).status_code == 200
    assert unread(stack, user["token"]) == start - 1
    again = stack.api("PUT", f"{API}/{notice['id']}", user["token"], json={"read": False})
    assert again.status_code == 200 and again.json()["read"] is False and again.json()["read_at"] is None
    assert unread(stack, user["token"]) == start
    assert_envelope(stack.api("PUT", f"{API}/{notice['id']}", user["token"], json={"read": "yes"}), 400)


def test_read_all_and_unread_count(stack, tokens):
    user = settled_user(stack, "faculty")
    base = unread(stack, user["token"])
    for _ in range(3):
        send(stack, tokens["admin"], user_id=user["id"])
    assert unread(stack, user["token"]) == base + 3
    assert feed(stack, user["token"])["unread"] == base + 3
    response = stack.api("POST", f"{API}/read-all", user["token"])
    assert response.status_code == 200, response.text
    assert response.json() == {"marked": base + 3, "unread": 0}
    assert unread(stack, user["token"]) == 0
    assert feed(stack, user["token"], "?unread=true")["total"] == 0
    assert stack.api("POST", f"{API}/read-all", user["token"]).json()["marked"] == 0
    # another faculty member's unread role notice is untouched by this read-all
    other = stack.new_user("faculty")
    role_notice = send(stack, tokens["admin"], role="faculty")
    stack.api("POST", f"{API}/read-all", user["token"])
    assert feed_ids(stack, other["token"])[role_notice["id"]]["read"] is False


def test_paging(stack, tokens):
    user = stack.new_user("student")
    ids = [send(stack, tokens["admin"], user_id=user["id"], type="digest", title=f"page test {i}")["id"] for i in range(5)]
    # role notices and the welcome notice also reach this user: count ours only (type filter)
    first = feed(stack, user["token"], "?per_page=2&type=digest")
    assert first["total"] == 5 and first["pages"] == 3 and len(first["notifications"]) == 2
    assert [n["id"] for n in first["notifications"]] == ids[::-1][:2]    # newest first
    last = feed(stack, user["token"], "?per_page=2&page=3&type=digest")
    assert [n["id"] for n in last["notifications"]] == [ids[0]]
    assert_envelope(stack.api("GET", f"{API}?per_page=0", user["token"]), 400)
    assert_envelope(stack.api("GET", f"{API}?page=x", user["token"]), 400)
    assert_envelope(stack.api("GET", f"{API}?unread=maybe", user["token"]), 400)


# ----------------------------------------------------------------------------- deletion
def test_delete_direct_notice(stack, tokens):
    user = stack.new_user("student")
    notice = send(stack, tokens["admin"], user_id=user["id"])
    response = stack.api("DELETE", f"{API}/{notice['id']}", user["token"])
    assert response.status_code == 200 and response.json() == {"deleted": notice["id"], "scope": "me"}
    assert notice["id"] not in feed_ids(stack, user["token"])
    assert_envelope(stack.api("GET", f"{API}/{notice['id']}", user["token"]), 404)
    assert_envelope(stack.api("DELETE", f"{API}/{notice['id']}", user["token"]), 404)


def test_deleting_a_role_notice_hides_it_for_that_user_only(stack, tokens):
    s1, s2 = stack.new_user("student"), stack.new_user("student")
    notice = send(stack, tokens["admin"], role="student")
    assert stack.api("DELETE", f"{API}/{notice['id']}", s1["token"]).status_code == 200
    assert notice["id"] not in feed_ids(stack, s1["token"])
    assert notice["id"] in feed_ids(stack, s2["token"])
    # a student may not delete it for everyone
    assert_envelope(stack.api("DELETE", f"{API}/{notice['id']}?scope=all", s2["token"]), 403, "forbidden")
    assert notice["id"] in feed_ids(stack, s2["token"])
    # an admin may
    response = stack.api("DELETE", f"{API}/{notice['id']}?scope=all", tokens["admin"])
    assert response.status_code == 200 and response.json()["scope"] == "all"
    assert notice["id"] not in feed_ids(stack, s2["token"])
    assert_envelope(stack.api("DELETE", f"{API}/{notice['id']}?scope=sideways", tokens["admin"]), 400)


# ----------------------------------------------------------------------------- permissions
@pytest.mark.parametrize("role", ["student", "faculty"])
def test_only_admins_and_services_send(stack, tokens, role):
    response = stack.api("POST", API, tokens[role], json={"title": "x", "body": "y", "broadcast": True})
    assert_envelope(response, 403, "forbidden")
    direct = stack.api("POST", "/notifications", tokens[role], service="notification",
                       json={"title": "x", "body": "y", "broadcast": True})
    assert_envelope(direct, 403, "forbidden")


def test_needs_a_token(stack):
    assert_envelope(stack.api("GET", API), 401)
    assert_envelope(stack.api("GET", "/notifications", service="notification"), 401)
    assert_envelope(stack.api("POST", "/notifications", service="notification",
                              json={"title": "x", "body": "y", "broadcast": True}), 401)


def test_cannot_touch_someone_elses_notifications(stack, tokens):
    owner, intruder = stack.new_user("student"), stack.new_user("student")
    notice = send(stack, tokens["admin"], user_id=owner["id"])
    for method in ("PUT", "DELETE", "GET"):
        assert_envelope(stack.api(method, f"{API}/{notice['id']}", intruder["token"]), 404, "not_found")
    # a nonexistent id answers the same as someone else's: existence does not leak
    assert_envelope(stack.api("PUT", f"{API}/987654321", intruder["token"]), 404, "not_found")
    assert_envelope(stack.api("GET", f"{API}/user/{owner['id']}", intruder["token"]), 403, "forbidden")
    assert feed_ids(stack, owner["token"])[notice["id"]]["read"] is False    # untouched
    # the owner may read their own list by id, and an admin may read anyone's
    own = stack.api("GET", f"{API}/user/{owner['id']}", owner["token"])
    assert own.status_code == 200 and notice["id"] in {n["id"] for n in own.json()["notifications"]}
    seen = stack.api("GET", f"{API}/user/{owner['id']}", tokens["admin"])
    assert seen.status_code == 200 and notice["id"] in {n["id"] for n in seen.json()["notifications"]}


def test_admin_lists_everything_sent(stack, tokens):
    user = stack.new_user("student")
    notice = send(stack, tokens["admin"], user_id=user["id"], type="system")
    stack.api("PUT", f"{API}/{notice['id']}", user["token"])
    response = stack.api("GET", f"{API}?all=true&type=system&per_page=100", tokens["admin"])
    assert response.status_code == 200, response.text
    listed = {n["id"]: n for n in response.json()["notifications"]}
    assert listed[notice["id"]]["read_count"] == 1
    assert listed[notice["id"]]["sender_role"] == "admin"
    assert_envelope(stack.api("GET", f"{API}?all=true", tokens["student"]), 403)


# ----------------------------------------------------------------------------- service tokens, idempotency
def test_service_token_sends_with_idempotency_key(stack, service_token):
    user = stack.new_user("student")
    key = f"booking-created:{uuid.uuid4()}"
    body = {"title": "Booking confirmed", "body": "Room 101, 10:00", "type": "booking", "user_id": user["id"]}
    first = stack.api("POST", "/notifications", service_token, service="notification", json=body,
                      headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.text
    second = stack.api("POST", "/notifications", service_token, service="notification", json=body,
                       headers={"Idempotency-Key": key})
    assert second.status_code == 201, second.text      # the first answer again
    assert second.json() == first.json() and second.headers["Idempotent-Replayed"] == "true"
    mine = feed(stack, user["token"], "?type=booking")
    assert mine["total"] == 1 and mine["notifications"][0]["sender_id"] == "service:booking"


def test_idempotency_through_the_gateway_and_in_the_body(stack, tokens):
    user = stack.new_user("student")
    key = uuid.uuid4().hex
    body = {"title": "t", "body": "b", "type": "idem", "user_id": user["id"]}
    first = stack.api("POST", API, tokens["admin"], json=body, headers={"Idempotency-Key": key})
    again = stack.api("POST", API, tokens["admin"], json={**body, "idempotency_key": key})
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json() and again.headers["Idempotent-Replayed"] == "true"
    assert feed(stack, user["token"], "?type=idem")["total"] == 1
    clash = stack.api("POST", API, tokens["admin"], headers={"Idempotency-Key": "a"},
                      json={"title": "t", "body": "b", "user_id": user["id"], "idempotency_key": "b"})
    assert_envelope(clash, 400)


def test_concurrent_identical_requests_make_one_notification(stack, service_token):
    user = stack.new_user("faculty")
    key = f"race:{uuid.uuid4()}"
    body = {"title": "Race", "body": "Only once", "type": "system", "user_id": user["id"]}

    def post(_):
        return stack.api("POST", "/notifications", service_token, service="notification", json=body,
                         headers={"Idempotency-Key": key})

    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(post, range(10)))
    assert [r.status_code for r in responses] == [201] * 10, [r.text for r in responses]
    assert [r.headers.get("Idempotent-Replayed") for r in responses].count("true") == 9
    assert len({r.json()["id"] for r in responses}) == 1
    assert feed(stack, user["token"], "?type=system")["total"] == 1


def test_user_management_outbox_delivers_the_welcome_notice(stack):
    user = stack.new_user("student")

    def arrived():
        items = feed(stack, user["token"], "?type=account")["notifications"]
        return items if items else None

    items = wait_until(arrived, timeout=30, message="the welcome notification")
    assert len(items) == 1 and items[0]["user_id"] == user["id"]


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("body,field", [
    ({"body": "b", "broadcast": True}, "title"),
    ({"title": "", "body": "b", "broadcast": True}, "title"),
    ({"title": "   ", "body": "b", "broadcast": True}, "title"),
    ({"title": "x" * 201, "body": "b", "broadcast": True}, "title"),
    ({"title": "t", "body": "x" * 2001, "broadcast": True}, "body"),
    ({"title": "t", "broadcast": True}, "body"),
    ({"title": "t", "body": "b"}, "audience"),
    ({"title": "t", "body": "b", "broadcast": False}, "audience"),
    ({"title": "t", "body": "b", "user_id": "u1", "role": "student"}, "audience"),
    ({"title": "t", "body": "b", "role": "student", "broadcast": True}, "audience"),
    ({"title": "t", "body": "b", "role": "janitor"}, "role"),
    ({"title": "t", "body": "b", "broadcast": "yes"}, "broadcast"),
    ({"title": "t", "body": "b", "broadcast": True, "type": "Not A Type!"}, "type"),
    ({"title": "t", "body": "b", "broadcast": True, "priority": "high"}, "priority"),
    ({"title": 5, "body": "b", "broadcast": True}, "title"),
])
def test_bad_input_is_400_with_the_field(stack, tokens, body, field):
    result = assert_envelope(stack.api("POST", API, tokens["admin"], json=body), 400, "validation_error")
    assert field in {d["field"] for d in result["details"]}, result


def test_malformed_bodies(stack, tokens):
    for raw in ('{"title": "t",', '["t"]', '{"title": "t", "body": "b", "broadcast": NaN}'):
        response = stack.api("POST", API, tokens["admin"], data=raw, headers={"Content-Type": "application/json"})
        assert_envelope(response, 400)
    assert_envelope(stack.api("POST", API, tokens["admin"]), 400)
    assert_envelope(stack.api("PUT", f"{API}/not-a-number", tokens["admin"]), 404)


def test_ready_checks_the_database(stack):
    response = stack.api("GET", "/ready", service="notification")
    assert response.status_code == 200 and response.json()["checks"] == {"database": "ok"}
