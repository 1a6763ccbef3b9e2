"""user-management's own rules, through the gateway and directly."""
from __future__ import annotations

import uuid

import pytest
from users_service.passwords import NO_PASSWORD

from tests.harness import NEW_USER_PASSWORD, assert_envelope


def _email(tag="u"):
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.com"


def test_admin_creates_reads_updates_and_deletes_a_user(stack, tokens):
    admin = tokens["admin"]
    created = stack.api("POST", "/api/users", admin, json={"name": "Grace Hopper", "email": _email("grace"),
                                                          "password": "cobol-1959", "role": "faculty"})
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["role"] == "faculty" and "password" not in user and "password_hash" not in user
    assert stack.api("GET", f"/api/users/{user['id']}", admin).json()["name"] == "Grace Hopper"
    updated = stack.api("PUT", f"/api/users/{user['id']}", admin, json={"name": "Rear Admiral Hopper", "role": "student"})
    assert updated.status_code == 200 and updated.json()["role"] == "student"
    # The new role is in the next token.
    token = stack.login(user["email"], "cobol-1959")
    assert stack.api("GET", "/auth/me", token).json()["role"] == "student"
    assert stack.api("DELETE", f"/api/users/{user['id']}", admin).status_code == 200
    assert_envelope(stack.api("GET", f"/api/users/{user['id']}", admin), 404)
    assert_envelope(stack.api("POST", "/auth/login", json={"email": user["email"], "password": "cobol-1959"}), 401)


def test_list_is_paginated_with_total(stack, tokens):
    # Counted before and after, so the test holds whatever ran before it on this stack.
    before = stack.api("GET", "/api/users?page=1&per_page=2", tokens["admin"]).json()["total"]
    for _ in range(3):
        stack.new_user("student", tokens["admin"])
    first = stack.api("GET", "/api/users?page=1&per_page=2", tokens["admin"]).json()
    second = stack.api("GET", "/api/users?page=2&per_page=2", tokens["admin"]).json()
    assert first["total"] == before + 3, (before, first["total"])
    assert first["per_page"] == 2 and len(first["users"]) == 2 and len(second["users"]) == 2
    assert first["pages"] == (first["total"] + 1) // 2
    assert not {u["id"] for u in first["users"]} & {u["id"] for u in second["users"]}


@pytest.mark.parametrize("query", ["page=0", "page=abc", "per_page=1000", "per_page=-1"])
def test_bad_paging_is_400(stack, tokens, query):
    assert_envelope(stack.api("GET", f"/api/users?{query}", tokens["admin"]), 400)


def test_by_role_lists_only_that_role(stack, tokens):
    body = stack.api("GET", "/api/users/by-role/faculty", tokens["admin"]).json()
    assert body["users"] and all(u["role"] == "faculty" for u in body["users"])
    assert_envelope(stack.api("GET", "/api/users/by-role/wizard", tokens["admin"]), 404)


def test_email_is_unique_ignoring_case(stack, tokens):
    email = _email("dup")
    body = {"name": "Dup", "email": email, "password": NEW_USER_PASSWORD}
    assert stack.api("POST", "/api/users", tokens["admin"], json=body).status_code == 201
    assert_envelope(stack.api("POST", "/api/users", tokens["admin"], json={**body, "email": email.upper()}), 409, "email_taken")


@pytest.mark.parametrize("email", ["plainaddress", "a@b", "@example.com", "a b@example.com", "x" * 250 + "@example.com"])
def test_invalid_emails_are_400(stack, tokens, email):
    body = {"name": "Bad", "email": email, "password": NEW_USER_PASSWORD}
    envelope = assert_envelope(stack.api("POST", "/api/users", tokens["admin"], json=body), 400)
    assert any(d["field"] == "email" for d in envelope["details"])


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_last_admin_can_be_neither_deleted_nor_demoted(make_stack, backend):
    stack = make_stack(backend).start(["gateway", "user-management"])
    admin = stack.token("admin")
    me = stack.api("GET", "/auth/me", admin).json()
    assert_envelope(stack.api("DELETE", f"/api/users/{me['id']}", admin), 409, "last_admin")
    assert_envelope(stack.api("PUT", f"/api/users/{me['id']}", admin, json={"role": "faculty"}), 409, "last_admin")
    # With a second admin, the first may step down.
    second = stack.new_user("admin", admin)
    assert stack.api("PUT", f"/api/users/{me['id']}", admin, json={"role": "faculty"}).status_code == 200
    assert_envelope(stack.api("DELETE", f"/api/users/{second['id']}", second["token"]), 409, "last_admin")


def test_changing_your_own_password_needs_the_current_one(stack):
    user = stack.new_user("faculty")
    path = f"/api/users/{user['id']}"
    assert_envelope(stack.api("PUT", path, user["token"], json={"password": "new-password-1"}), 403, "wrong_password")
    assert_envelope(stack.api("PUT", path, user["token"], json={"password": "new-password-1",
                                                                 "current_password": "wrong"}), 403)
    ok = stack.api("PUT", path, user["token"], json={"password": "new-password-1", "current_password": user["password"]})
    assert ok.status_code == 200
    stack.login(user["email"], "new-password-1")
    assert_envelope(stack.api("POST", "/auth/login", json={"email": user["email"], "password": user["password"]}), 401)


def test_a_student_cannot_read_another_user_directly_at_the_service(stack):
    a, b = stack.new_user("student"), stack.new_user("student")
    assert_envelope(stack.api("GET", f"/users/{b['id']}", a["token"], service="user-management"), 403)
    assert stack.api("GET", f"/users/{a['id']}", a["token"], service="user-management").status_code == 200


def test_credential_check_is_for_services_only(stack, tokens):
    body = {"email": "admin@example.com", "password": "admin123"}
    assert_envelope(stack.api("POST", "/internal/verify-credentials", tokens["admin"], service="user-management",
                              json=body), 403)


def test_passwords_are_stored_hashed(stack):
    """No seeded password appears in the users table in plain text, on either database."""
    if stack.backend == "sqlite":
        import sqlite3
        from pathlib import Path

        conn = sqlite3.connect(Path(stack.env["DATA_DIR"]) / "users.db")
        hashes = [row[0] for row in conn.execute("SELECT password_hash FROM users")]
        conn.close()
    else:
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname=stack.env["DB_NAME"])
        with conn.cursor() as cur:
            cur.execute("SELECT password_hash FROM users")
            hashes = [row[0] for row in cur.fetchall()]
        conn.close()
    # An account without a password (imported, single sign-on) has the one unusable marker.
    assert hashes and all(h.startswith(("scrypt:", "pbkdf2:")) or h == NO_PASSWORD for h in hashes)
    assert not any("admin123" in h or "student123" in h for h in hashes)
