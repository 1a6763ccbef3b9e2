"""Account rules, on both databases: the password rule (NIST SP 800-63B) wherever a
password is set, one normalisation of emails (look-alikes are the same account), and the
REGISTRATION_ENABLED switch."""
from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest

from tests.harness import NEW_USER_PASSWORD, assert_envelope

WEAK_PASSWORDS = {
    "short": ("Ab1!xyz", "at least 8 characters"),
    "only spaces": (" " * 12, "only spaces"),
    "common": ("password123", "common"),
    "common, other case": ("Iloveyou1", "common"),
    "common, full-width": ("\uff50\uff41\uff53\uff53\uff57\uff4f\uff52\uff44\uff11\uff12\uff13", "common"),
}


def _email(tag: str = "acct") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.com"


def assert_password_refused(response, why: str) -> None:
    envelope = assert_envelope(response, 400, "validation_error")
    messages = [d["message"] for d in envelope["details"] if d["field"] == "password"]
    assert messages and why in messages[0], envelope


@pytest.mark.parametrize("kind", list(WEAK_PASSWORDS))
def test_weak_passwords_are_refused_when_an_admin_creates_a_user(stack, tokens, kind):
    password, why = WEAK_PASSWORDS[kind]
    body = {"name": "Weak", "email": _email("weak"), "password": password, "role": "student"}
    assert_password_refused(stack.api("POST", "/api/users", tokens["admin"], json=body), why)
    # Called directly at the service, the rule is the same.
    assert_password_refused(stack.api("POST", "/users", tokens["admin"], service="user-management", json=body), why)


@pytest.mark.parametrize("kind", list(WEAK_PASSWORDS))
def test_weak_passwords_are_refused_at_registration(stack, kind):
    password, why = WEAK_PASSWORDS[kind]
    body = {"name": "Weak Newcomer", "email": _email("reg"), "password": password}
    assert_password_refused(stack.api("POST", "/auth/register", json=body), why)


@pytest.mark.parametrize("kind", list(WEAK_PASSWORDS))
def test_weak_passwords_are_refused_as_a_new_password(stack, tokens, kind):
    password, why = WEAK_PASSWORDS[kind]
    user = stack.new_user("faculty")
    path = f"/api/users/{user['id']}"
    assert_password_refused(stack.api("PUT", path, user["token"],
                                      json={"password": password, "current_password": user["password"]}), why)
    assert_password_refused(stack.api("PUT", path, tokens["admin"], json={"password": password}), why)
    assert stack.login(user["email"], user["password"])       # unchanged


def test_a_good_password_is_accepted_everywhere(stack):
    email = _email("good")
    created = stack.api("POST", "/auth/register", json={"name": "Good", "email": email,
                                                         "password": "  eight ch"})   # spaces count as characters
    assert created.status_code == 201, created.text
    assert stack.login(email, "  eight ch")


@pytest.mark.parametrize("look_alike", [
    lambda e: f"  {e}  ",
    lambda e: e.upper(),
    lambda e: e.replace("ada", "\uff41\uff44\uff41"),          # full-width letters
    lambda e: e.replace("ada", "ADA").replace("example", "EXAMPLE"),
])
def test_look_alike_emails_are_the_same_account(stack, tokens, look_alike):
    email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    body = {"name": "Ada", "email": email, "password": NEW_USER_PASSWORD}
    assert stack.api("POST", "/api/users", tokens["admin"], json=body).status_code == 201
    twin = look_alike(email)
    assert_envelope(stack.api("POST", "/api/users", tokens["admin"], json={**body, "email": twin}), 409, "email_taken")
    assert_envelope(stack.api("POST", "/auth/register", json={**body, "email": twin}), 409, "email_taken")
    other = stack.new_user("student")
    assert_envelope(stack.api("PUT", f"/api/users/{other['id']}", tokens["admin"], json={"email": twin}),
                    409, "email_taken")
    # Signing in with the look-alike reaches the same account.
    assert stack.api("GET", "/auth/me", stack.login(twin, NEW_USER_PASSWORD)).json()["email"] == email


def test_sharp_s_folds_to_ss_as_unicode_says(stack, tokens):
    tag = uuid.uuid4().hex[:8]
    body = {"name": "Strauss", "email": f"strasse-{tag}@example.com", "password": NEW_USER_PASSWORD}
    assert stack.api("POST", "/api/users", tokens["admin"], json=body).status_code == 201
    assert_envelope(stack.api("POST", "/api/users", tokens["admin"], json={**body, "email": f"STRAßE-{tag}@example.com"}),
                    409, "email_taken")


def _users_db_execute(stack, sql: str, params: tuple) -> None:
    if stack.backend == "sqlite":
        conn = sqlite3.connect(Path(stack.env["DATA_DIR"]) / "users.db")
        conn.execute(sql.replace("%s", "?"), params)
        conn.commit()
        conn.close()
    else:
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname=stack.env["DB_NAME"])
        with conn, conn.cursor() as cur:
            cur.execute(sql, params)
        conn.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_email_keys_of_an_earlier_version_are_normalised_at_start(make_stack, backend):
    """email_key used to be email.lower(): a full-width address kept a key that the
    normalised lookup never finds. user-management recomputes the keys when it starts."""
    stack = make_stack(backend).start(["gateway", "user-management"])
    user = stack.new_user("student")
    old_email = "\uff4c\uff45\uff47\uff41\uff43\uff59-" + user["email"]   # full-width "legacy-"
    _users_db_execute(stack, "UPDATE users SET email = %s, email_key = %s WHERE id = %s",
                      (old_email, old_email.lower(), user["id"]))
    assert_envelope(stack.api("POST", "/auth/login", json={"email": "legacy-" + user["email"],
                                                            "password": user["password"]}), 401)
    stack.services["user-management"].stop()
    stack.services["user-management"].start()
    assert stack.login("legacy-" + user["email"], user["password"])
    assert stack.login(old_email, user["password"])


def test_registration_can_be_turned_off(make_stack):
    stack = make_stack("sqlite", extra_env={"REGISTRATION_ENABLED": "false"}).start(["gateway", "user-management"])
    body = {"name": "Newcomer", "email": _email("closed"), "password": NEW_USER_PASSWORD}
    assert_envelope(stack.api("POST", "/auth/register", json=body), 403, "registration_disabled")
    assert_envelope(stack.api("POST", "/auth/login", json={"email": body["email"], "password": NEW_USER_PASSWORD}), 401)
    # Admins still create accounts.
    assert stack.api("POST", "/api/users", stack.token("admin"), json=body).status_code == 201
