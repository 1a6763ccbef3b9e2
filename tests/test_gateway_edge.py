"""The gateway's edge: role matrix for /api/users, correlation IDs, size limits, pages, CORS."""
from __future__ import annotations

import uuid

import pytest
import requests

from tests.harness import NEW_USER_PASSWORD, assert_envelope, wait_until

USERS_ROUTES = [
    ("GET", "/api/users"),
    ("GET", "/api/users/by-role/student"),
    ("POST", "/api/users"),
    ("PUT", "/api/users/{other}"),
    ("DELETE", "/api/users/{other}"),
    ("GET", "/api/users/{other}"),
]


@pytest.fixture(scope="module")
def other_user(stack):
    return stack.new_user("student")


@pytest.mark.parametrize("method, path", USERS_ROUTES)
@pytest.mark.parametrize("role", ["faculty", "student"])
def test_users_api_is_admin_only(stack, tokens, other_user, role, method, path):
    body = {"name": "X Y", "email": f"x{uuid.uuid4().hex[:6]}@example.com", "password": NEW_USER_PASSWORD}
    response = stack.api(method, path.format(other=other_user["id"]), tokens[role], json=body)
    assert_envelope(response, 403, "forbidden")


@pytest.mark.parametrize("method, path", USERS_ROUTES)
def test_users_api_needs_a_token(stack, other_user, method, path):
    assert_envelope(stack.api(method, path.format(other=other_user["id"]), json={}), 401)


def test_users_api_serves_admins(stack, tokens):
    response = stack.api("GET", "/api/users", tokens["admin"])
    assert response.status_code == 200
    assert {"admin@example.com", "faculty@example.com", "student@example.com"} <= {
        u["email"] for u in stack.api("GET", "/api/users?per_page=100", tokens["admin"]).json()["users"]}


def test_a_user_reads_and_renames_themself_but_not_their_role(stack):
    user = stack.new_user("student")
    me = stack.api("GET", f"/api/users/{user['id']}", user["token"])
    assert me.status_code == 200 and me.json()["email"] == user["email"]
    renamed = stack.api("PUT", f"/api/users/{user['id']}", user["token"], json={"name": "Renamed Person"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Renamed Person"
    assert_envelope(stack.api("PUT", f"/api/users/{user['id']}", user["token"], json={"role": "admin"}), 403)
    assert stack.api("GET", "/auth/me", user["token"]).json()["role"] == "student"


def test_correlation_id_from_the_client_reaches_the_upstream_log(stack, tokens):
    cid = f"test-{uuid.uuid4().hex}"
    response = stack.api("GET", "/api/users", tokens["admin"], headers={"X-Correlation-ID": cid})
    assert response.status_code == 200
    assert response.headers["X-Correlation-ID"] == cid
    log = stack.services["user-management"].log_path
    wait_until(lambda: log.exists() and cid in log.read_text(), 10, message="correlation id in the upstream log")
    lines = [line for line in log.read_text().splitlines() if cid in line]
    assert any("[user-management]" in line and "GET /users" in line for line in lines), lines


def test_gateway_makes_a_correlation_id_when_the_client_sends_none(stack, tokens):
    response = stack.api("GET", "/api/users", tokens["admin"])
    cid = response.headers.get("X-Correlation-ID")
    assert cid and len(cid) >= 16
    log = stack.services["user-management"].log_path
    wait_until(lambda: cid in log.read_text(), 10, message="generated correlation id in the upstream log")


def test_gateway_log_lines_never_contain_tokens(stack, tokens):
    stack.api("GET", "/auth/me", tokens["student"])
    for name in ("gateway", "user-management"):
        text = stack.services[name].log_path.read_text()
        assert tokens["student"] not in text
        assert "student123" not in text


def test_oversized_body_is_413(stack, tokens):
    big = "x" * (2 * 1024 * 1024)
    response = stack.api("POST", "/api/users", tokens["admin"], data=big, headers={"Content-Type": "application/json"})
    assert_envelope(response, 413)


@pytest.mark.parametrize("body", ['{"name": "A"', '"just a string"', '{"name": "A", "email": "a@example.com"}',
                                  '{"name": "A", "email": "a@example.com", "password": "password123", "role": "wizard"}',
                                  '{"name": "A", "email": "a@example.com", "password": 12345678}'])
def test_bad_user_bodies_are_400(stack, tokens, body):
    response = stack.api("POST", "/api/users", tokens["admin"], data=body, headers={"Content-Type": "application/json"})
    assert_envelope(response, 400)


def test_unknown_api_prefix_and_route_are_404_envelopes(stack, tokens):
    assert_envelope(stack.api("GET", "/api/nothing-here", tokens["admin"]), 404)
    assert_envelope(stack.api("GET", "/no/such/route"), 404)


@pytest.mark.parametrize("path", ["/..%2f..%2fetc/passwd", "/static/..%2f..%2f..%2fetc/passwd",
                                  "/static/../../shared/config.py", "/%2e%2e/%2e%2e/etc/passwd.html",
                                  "/..%252f..%252fetc%252fpasswd.html"])
def test_path_traversal_on_static_pages_is_404(stack, path):
    response = requests.get(stack.url() + path, timeout=10)
    assert response.status_code == 404
    assert "root:" not in response.text and "load_settings" not in response.text


def test_login_page_is_served(stack):
    for path in ("/", "/login.html"):
        response = requests.get(stack.url() + path, timeout=10)
        assert response.status_code == 200 and "text/html" in response.headers["Content-Type"]
        assert "<form" in response.text


def test_cors_answers_only_configured_origins(stack):
    allowed = requests.options(stack.url() + "/auth/login", timeout=10, headers={
        "Origin": "http://localhost:5001", "Access-Control-Request-Method": "POST"})
    assert allowed.headers.get("Access-Control-Allow-Origin") == "http://localhost:5001"
    denied = requests.options(stack.url() + "/auth/login", timeout=10, headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert denied.headers.get("Access-Control-Allow-Origin") in (None, "")


def test_no_response_carries_a_server_version(stack, tokens):
    for response in (stack.api("GET", "/health"), stack.api("GET", "/api/users", tokens["admin"]),
                     stack.api("GET", "/api/nothing", tokens["admin"])):
        server = response.headers.get("Server", "")
        assert "gunicorn" not in server.lower() and "werkzeug" not in server.lower() and "/" not in server


def test_aggregate_health_lists_every_service(stack):
    body = stack.api("GET", "/health/services").json()
    assert set(body["services"]) == {"gateway", "user-management", "booking", "gpa-calculator",
                                     "notification", "maintenance"}
    for name in stack.services:
        assert body["services"][name]["status"] == "healthy", body     # maintenance has its checkpoint


def test_docs_page_uses_only_local_assets_and_covers_the_api(stack):
    page = requests.get(stack.url() + "/docs", timeout=10)
    assert page.status_code == 200 and "swagger-ui" in page.text
    assert "http://" not in page.text and "https://" not in page.text
    for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css", "/docs/assets/docs-init.js"):
        assert requests.get(stack.url() + asset, timeout=10).status_code == 200, asset
    doc = requests.get(stack.url() + "/openapi.json", timeout=30).json()
    assert {"/auth/login", "/auth/me", "/api/users", "/api/users/{user_id}"} <= set(doc["paths"])
    assert "/internal/verify-credentials" not in " ".join(doc["paths"])
    assert doc["paths"]["/api/users"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]["email"]
    expected_prefixes = {"booking": "/api/booking/", "gpa-calculator": "/api/gpa/",
                         "notification": "/api/notifications", "maintenance": "/api/maintenance/"}
    for service, prefix in expected_prefixes.items():
        if service in stack.services:
            assert any(p.startswith(prefix) for p in doc["paths"]), (service, list(doc["paths"]))
