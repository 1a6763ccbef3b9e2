"""No known passwords in production: no default accounts; the first admin comes from
ADMIN_EMAIL/ADMIN_PASSWORD or a one-time password printed once to the log, which must be
replaced before the account can do anything. On SQLite and PostgreSQL."""
from __future__ import annotations

import re

import pytest

from tests.harness import DEFAULT_USERS, NEW_USER_PASSWORD, assert_envelope, wait_until

PRODUCTION = {"FLASK_ENV": "production", "WEB_WORKERS": "2"}
ONE_TIME = re.compile(r"FIRST ADMIN created: (\S+) with the one-time password (\S+)")


def _log(stack) -> str:
    return stack.services["user-management"].log_path.read_text()


def _default_logins_fail(stack) -> None:
    for email, password in DEFAULT_USERS.values():
        assert_envelope(stack.api("POST", "/auth/login", json={"email": email, "password": password}),
                        401, "invalid_credentials")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_production_has_no_default_accounts_and_a_one_time_admin_password(make_stack, backend):
    stack = make_stack(backend, extra_env=PRODUCTION).start(["gateway", "user-management"])
    found = wait_until(lambda: ONE_TIME.findall(_log(stack)), 10, 0.2, "the one-time password in the log")
    assert len(found) == 1, found                     # two workers, one admin, printed once
    email, one_time = found[0]
    assert email == "admin@example.com" and len(one_time) >= 12
    _default_logins_fail(stack)

    # The one-time password is right, but only for choosing a new one.
    refused = stack.api("POST", "/auth/login", json={"email": email, "password": one_time})
    assert_envelope(refused, 403, "password_change_required")
    assert "token" not in refused.json()
    change = {"email": email, "current_password": one_time}
    weak = stack.api("POST", "/auth/change-password", json={**change, "password": "admin123"})
    assert_envelope(weak, 400, "validation_error")
    assert any(d["field"] == "password" for d in weak.json()["details"])
    assert_envelope(stack.api("POST", "/auth/change-password",
                              json={**change, "current_password": "a-wrong-guess", "password": NEW_USER_PASSWORD}),
                    401, "invalid_credentials")
    changed = stack.api("POST", "/auth/change-password", json={**change, "password": NEW_USER_PASSWORD})
    assert changed.status_code == 200, changed.text
    assert changed.json()["user"]["role"] == "admin"
    token = changed.json()["token"]
    listed = stack.api("GET", "/api/users", token)
    assert listed.status_code == 200 and listed.json()["total"] == 1, listed.text

    assert_envelope(stack.api("POST", "/auth/login", json={"email": email, "password": one_time}), 401)
    assert stack.login(email, NEW_USER_PASSWORD)
    # Production answers registration with "ask an admin" unless the deployer opens it.
    assert_envelope(stack.api("POST", "/auth/register", json={"name": "N", "email": "n@example.com",
                                                               "password": NEW_USER_PASSWORD}),
                    403, "registration_disabled")

    # A restart finds the admin: nobody new, no password printed again.
    stack.services["user-management"].stop()
    stack.services["user-management"].start()
    assert len(ONE_TIME.findall(_log(stack))) == 1
    assert stack.api("GET", "/api/users", stack.login(email, NEW_USER_PASSWORD)).json()["total"] == 1


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_production_admin_from_admin_email_and_password(make_stack, backend):
    env = {**PRODUCTION, "ADMIN_EMAIL": "it-office@campus.example.org", "ADMIN_PASSWORD": "Long-Enough-Secret-42"}
    stack = make_stack(backend, extra_env=env).start(["gateway", "user-management"])
    token = stack.login(" IT-Office@campus.example.org", "Long-Enough-Secret-42")
    users = stack.api("GET", "/api/users", token).json()
    assert [(u["email"], u["role"]) for u in users["users"]] == [("it-office@campus.example.org", "admin")]
    assert "one-time password" not in _log(stack) and "Long-Enough-Secret-42" not in _log(stack)
    _default_logins_fail(stack)


@pytest.mark.parametrize("password, why", [("short-pass1", "at least 12 characters"),
                                           ("password1234", "common")])
def test_production_refuses_to_start_with_a_weak_admin_password(make_stack, password, why):
    stack = make_stack("sqlite", extra_env={**PRODUCTION, "ADMIN_PASSWORD": password})
    service = stack.service("user-management").start(wait=False)
    assert wait_until(lambda: service.proc.poll() is not None, 60, 0.2, "user-management to give up")
    assert service.proc.returncode != 0
    output = (service.log_path.parent / f"user-management-{service.port}.out").read_text()
    assert "ADMIN_PASSWORD" in output and why in output, output[-2000:]


def test_development_still_seeds_the_three_default_logins(make_stack):
    stack = make_stack("sqlite", extra_env={"FLASK_ENV": "development", "ADMIN_PASSWORD": "ignored-outside-prod"})
    stack.start(["gateway", "user-management"])
    for role in ("admin", "faculty", "student"):
        assert stack.token(role)
