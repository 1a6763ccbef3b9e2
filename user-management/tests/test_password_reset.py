"""Password reset: the link arrives by e-mail (a real SMTP server, aiosmtpd), works once,
expires, is revoked by a newer one, ends the other sessions; the answer never says
whether an address has an account; asking is throttled like login. SQLite and PostgreSQL."""
from __future__ import annotations

import re
import uuid

import pytest
import requests

from tests.harness import NEW_USER_PASSWORD, assert_envelope, wait_until
from tests.mailbox import mailbox_fixture, stack_with_mail  # noqa: F401 - the fixture `mailbox`

PUBLIC = "https://campus.example.edu"
NEW_PASSWORD = "Brand-New-Harbor-Lamp-91"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def reset_stack(request, mailbox, tmp_path_factory, pg_databases):
    with stack_with_mail(request.param, mailbox, tmp_path_factory.mktemp(f"reset-{request.param}"), pg_databases,
                         ["gateway", "user-management"], PUBLIC_GATEWAY_URL=PUBLIC, MAIL_RETRY_SECONDS="0.2") as stack:
        yield stack


def ask(stack, email: str) -> requests.Response:
    return requests.post(f"{stack.url()}/auth/password-reset", json={"email": email}, timeout=30)


def confirm(stack, token: str, password: str = NEW_PASSWORD) -> requests.Response:
    return requests.post(f"{stack.url()}/auth/password-reset/confirm", json={"token": token, "password": password},
                         timeout=30)


def links(mailbox, email: str) -> list[str]:
    found = []
    for message in mailbox.to(email):
        text = message.get_body(("plain",)).get_content()
        found += re.findall(re.escape(PUBLIC) + r"/reset\.html#token=([A-Za-z0-9_-]+)", text)
    return found


def next_link(mailbox, email: str, seen: int) -> str:
    return wait_until(lambda: links(mailbox, email)[seen:], timeout=30, message="the reset e-mail")[0]


def me(stack, token: str) -> int:
    return requests.get(f"{stack.url()}/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=30).status_code


def test_reset_link_works_once_and_ends_other_sessions(reset_stack, mailbox):
    stack = reset_stack
    user = stack.new_user("student")
    old_session = user["token"]

    unknown = ask(stack, f"nobody-{uuid.uuid4().hex[:8]}@example.com")
    known = ask(stack, user["email"].upper())          # the address as typed: the same account
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    first = next_link(mailbox, user["email"], 0)
    message = mailbox.to(user["email"])[0]
    assert message["Subject"] == "Reset your Campus Services Hub password"
    assert f'href="{PUBLIC}/reset.html#token={first}"' in message.get_body(("html",)).get_content()

    # A newer link revokes the older one.
    assert ask(stack, user["email"]).status_code == 202
    second = next_link(mailbox, user["email"], 1)
    assert second != first
    refused = assert_envelope(confirm(stack, first), 400, "invalid_reset_link")
    assert refused["details"][0]["field"] == "token"

    # The password rule is user-management's, as everywhere; a refused password uses nothing up.
    weak = assert_envelope(confirm(stack, second, "password"), 400, "validation_error")
    assert "password" in {d["field"] for d in weak["details"]}

    done = confirm(stack, second)
    assert done.status_code == 200, done.text
    assert done.json()["user"]["email"] == user["email"] and me(stack, done.json()["token"]) == 200
    wait_until(lambda: me(stack, old_session) == 401, timeout=30, message="the old session to end")
    assert stack.login(user["email"], NEW_PASSWORD)
    assert_envelope(requests.post(f"{stack.url()}/auth/login",
                                  json={"email": user["email"], "password": NEW_USER_PASSWORD}, timeout=30), 401)

    # Replayed: refused, and the password stays.
    assert_envelope(confirm(stack, second, "Another-Harbor-Lamp-33"), 400, "invalid_reset_link")
    assert stack.login(user["email"], NEW_PASSWORD)
    # Only hashes are stored.
    stored = stack.sql("users.db", "SELECT token_hash FROM password_resets WHERE user_id = ?", (user["id"],))
    assert len(stored) == 2 and all(len(row[0]) == 64 and row[0] not in (first, second) for row in stored)


def test_an_expired_link_is_refused(reset_stack, mailbox):
    stack = reset_stack
    user = stack.new_user("faculty")
    assert ask(stack, user["email"]).status_code == 202
    token = next_link(mailbox, user["email"], 0)
    rows = stack.sql("users.db", "SELECT expires_at, created_at FROM password_resets WHERE user_id = ?", (user["id"],))
    assert len(rows) == 1 and rows[0][0] > rows[0][1]
    # 30 minutes later (the clock moved by the operator's hand: the row's expiry put in the past).
    stack.sql("users.db", "UPDATE password_resets SET expires_at = ? WHERE user_id = ?",
              ("2000-01-01T00:00:00.000000Z", user["id"]))
    result = assert_envelope(confirm(stack, token), 400, "invalid_reset_link")
    assert "expired" in result["error"]
    assert stack.login(user["email"], NEW_USER_PASSWORD)


def test_asking_is_throttled_like_login(reset_stack):
    email = f"flood-{uuid.uuid4().hex[:8]}@example.com"
    answers = [ask(reset_stack, email).status_code for _ in range(5)]
    assert answers == [202] * 5
    throttled = assert_envelope(ask(reset_stack, email), 429, "reset_throttled")
    assert "seconds" in throttled["error"]
    assert ask(reset_stack, "not an address").status_code == 202
