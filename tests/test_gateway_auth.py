"""Login, tokens, logout and registration through the gateway, on both databases."""
from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import datetime, timedelta, timezone

import jwt
import pytest

from tests.harness import (
    DEFAULT_USERS,
    DIRECT_ROUTES,
    NEW_USER_PASSWORD,
    TEST_SECRET,
    assert_envelope,
    wait_refused_everywhere,
)


@pytest.mark.parametrize("role", ["admin", "faculty", "student"])
def test_each_default_user_logs_in_and_gets_the_documented_claims(stack, role):
    email, password = DEFAULT_USERS[role]
    response = stack.api("POST", "/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["email"] == email and body["user"]["role"] == role
    assert body["user"]["name"] and body["user"]["id"]
    assert jwt.get_unverified_header(body["token"])["alg"] == "HS256"
    claims = jwt.decode(body["token"], TEST_SECRET, algorithms=["HS256"])
    assert {"sub", "email", "name", "role", "iat", "exp", "jti"} <= set(claims)
    assert claims["sub"] == body["user"]["id"] and claims["role"] == role and claims["email"] == email
    assert abs(claims["exp"] - claims["iat"] - 24 * 3600) < 1


def test_login_ignores_email_case(stack):
    response = stack.api("POST", "/auth/login", json={"email": "Student@Example.COM", "password": "student123"})
    assert response.status_code == 200
    assert response.json()["user"]["role"] == "student"


@pytest.mark.parametrize("body", [
    {"email": "student@example.com", "password": "wrong-password"},
    {"email": "nobody@example.com", "password": "student123"},
])
def test_wrong_credentials_are_401_in_the_envelope(stack, body):
    assert_envelope(stack.api("POST", "/auth/login", json=body), 401, "invalid_credentials")


@pytest.mark.parametrize("raw, content_type", [
    ('{"email": "student@example.com", "password": ', "application/json"),
    ("[1, 2, 3]", "application/json"),
    ("", "application/json"),
    ('{"email": "student@example.com"}', "application/json"),
    ('{"email": 5, "password": ["x"]}', "application/json"),
])
def test_malformed_or_incomplete_login_is_400(stack, raw, content_type):
    response = stack.api("POST", "/auth/login", data=raw, headers={"Content-Type": content_type})
    assert_envelope(response, 400)


def test_me_returns_the_current_user(stack, tokens):
    response = stack.api("GET", "/auth/me", tokens["faculty"])
    assert response.status_code == 200
    me = response.json()
    assert me["email"] == "faculty@example.com" and me["role"] == "faculty"
    assert "password" not in json.dumps(me) and "password_hash" not in me


def test_me_without_a_token_is_401(stack):
    assert_envelope(stack.api("GET", "/auth/me"), 401, "missing_token")


def test_register_then_log_in_as_a_student(stack):
    email = f"new-{uuid.uuid4().hex[:8]}@example.com"
    response = stack.api("POST", "/auth/register", json={"name": "Ada Lovelace", "email": email, "password": "analytical1"})
    assert response.status_code == 201, response.text
    assert response.json()["user"]["role"] == "student"
    token = stack.login(email, "analytical1")
    assert stack.api("GET", "/auth/me", token).json()["name"] == "Ada Lovelace"


def test_nobody_registers_themself_as_admin(stack):
    email = f"sneaky-{uuid.uuid4().hex[:8]}@example.com"
    response = stack.api("POST", "/auth/register", json={"name": "Mallory", "email": email,
                                                          "password": NEW_USER_PASSWORD, "role": "admin"})
    assert_envelope(response, 403)
    assert_envelope(stack.api("POST", "/auth/login", json={"email": email, "password": NEW_USER_PASSWORD}), 401)


def test_register_twice_with_the_same_email_is_409(stack):
    email = f"twice-{uuid.uuid4().hex[:8]}@example.com"
    body = {"name": "Twice", "email": email, "password": NEW_USER_PASSWORD}
    assert stack.api("POST", "/auth/register", json=body).status_code == 201
    assert_envelope(stack.api("POST", "/auth/register", json={**body, "email": email.upper()}), 409, "email_taken")


@pytest.mark.parametrize("body", [
    {"name": "X", "email": "not-an-email", "password": NEW_USER_PASSWORD},
    {"name": "X", "email": "short@example.com", "password": "short"},
    {"name": "", "email": "blank@example.com", "password": NEW_USER_PASSWORD},
    {"email": "noname@example.com", "password": NEW_USER_PASSWORD},
])
def test_register_rejects_bad_fields_with_details(stack, body):
    envelope = assert_envelope(stack.api("POST", "/auth/register", json=body), 400)
    assert envelope.get("details"), envelope


def test_logout_revokes_the_token(stack):
    user = stack.new_user("student")
    token = user["token"]
    assert stack.api("GET", "/auth/me", token).status_code == 200
    assert stack.api("POST", "/auth/logout", token).status_code == 200
    wait_refused_everywhere(stack, token, user["id"])
    assert_envelope(stack.api("GET", "/auth/me", token), 401, "token_revoked")
    assert_envelope(stack.api("GET", f"/api/users/{user['id']}", token), 401, "token_revoked")
    # A fresh login still works.
    assert stack.api("GET", "/auth/me", stack.login(user["email"], user["password"])).status_code == 200


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(**overrides):
    now = datetime.now(timezone.utc)
    claims = {"sub": "00000000-0000-0000-0000-000000000000", "email": "admin@example.com", "name": "Admin",
              "role": "admin", "iat": now, "exp": now + timedelta(hours=1), "jti": uuid.uuid4().hex}
    claims.update(overrides)
    return claims


def bad_tokens(valid_student_token: str) -> dict[str, str]:
    header, payload, signature = valid_student_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "admin"
    now = datetime.now(timezone.utc)
    return {
        "expired": jwt.encode(_claims(iat=now - timedelta(hours=30), exp=now - timedelta(hours=6)), TEST_SECRET, "HS256"),
        "not_yet_valid": jwt.encode(_claims(nbf=now + timedelta(hours=1)), TEST_SECRET, "HS256"),
        "tampered_role": f"{header}.{_b64(claims)}.{signature}",
        "alg_none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({**claims, 'exp': int(time.time()) + 3600})}.",
        "hs512": jwt.encode(_claims(), TEST_SECRET, "HS512"),
        "rs256_header": f"{_b64({'alg': 'RS256', 'typ': 'JWT'})}.{payload}.{signature}",
        "wrong_secret": jwt.encode(_claims(), "some-other-secret-of-enough-length", "HS256"),
        "garbage": "not.a.token",
        "missing_jti": jwt.encode({k: v for k, v in _claims().items() if k != "jti"}, TEST_SECRET, "HS256"),
    }


BAD_TOKEN_KINDS = ["expired", "not_yet_valid", "tampered_role", "alg_none", "hs512", "rs256_header",
                   "wrong_secret", "garbage", "missing_jti"]

# One protected route per service, called directly (defense in depth).


@pytest.mark.parametrize("kind", BAD_TOKEN_KINDS)
def test_bad_tokens_are_refused_at_the_gateway(stack, tokens, kind):
    token = bad_tokens(tokens["student"])[kind]
    assert_envelope(stack.api("GET", "/auth/me", token), 401)
    assert_envelope(stack.api("GET", "/api/users", token), 401)


@pytest.mark.parametrize("kind", BAD_TOKEN_KINDS)
def test_bad_tokens_are_refused_by_every_service_directly(stack, tokens, kind):
    token = bad_tokens(tokens["student"])[kind]
    checked = 0
    for service, (method, path) in DIRECT_ROUTES.items():
        path = path.format(user_id="00000000-0000-0000-0000-000000000000")
        if service not in stack.services:
            continue
        body = {"courses": [{"grade": "A", "credits": 3}]} if method == "POST" else None
        assert_envelope(stack.api(method, path, token, service=service, json=body), 401)
        checked += 1
    assert checked >= 1


def test_a_logged_out_token_is_refused_by_every_service_directly(stack):
    """Laptop mode (SQLite, no Redis) and production mode (PostgreSQL with Redis) alike."""
    user = stack.new_user("student")
    token = user["token"]
    body = {"courses": [{"grade": "A", "credits": 3}]}
    routes = {service: (method, path.format(user_id=user["id"])) for service, (method, path) in DIRECT_ROUTES.items()}
    live = {service: route for service, route in routes.items() if service in stack.services}
    assert live, "no service of this stack to call directly"
    for service, (method, path) in live.items():
        response = stack.api(method, path, token, service=service, json=body if method == "POST" else None)
        assert response.status_code == 200, f"{service}: {response.text}"
    assert stack.api("POST", "/auth/logout", token).status_code == 200
    wait_refused_everywhere(stack, token, user['id'])
    for service, (method, path) in live.items():
        assert_envelope(stack.api(method, path, token, service=service, json=body if method == "POST" else None),
                        401, "token_revoked")
    if "maintenance" in live:                # the live-update socket too
        import socketio

        refused = []
        client = socketio.Client(reconnection=False)
        client.on("connect_error", refused.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(stack.url("maintenance"), auth={"token": token}, transports=["websocket"], wait_timeout=10)
        assert refused and "logged out" in str(refused[0]), refused


def test_services_refuse_requests_without_a_token(stack):
    for service, (method, path) in DIRECT_ROUTES.items():
        if service in stack.services:
            assert_envelope(stack.api(method, path.format(user_id="someone"), service=service, json={}), 401)


def test_revoked_user_token_still_expires_normally(stack):
    """Revocation rows carry the token's own expiry, so the table cannot grow forever."""
    user = stack.new_user("faculty")
    claims = jwt.decode(user["token"], TEST_SECRET, algorithms=["HS256"])
    assert claims["exp"] > time.time() + 23 * 3600
