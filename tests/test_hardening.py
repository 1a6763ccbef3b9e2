"""Hardening at the edges of every service (issue 11, item 7), against real processes:
hostile bodies, paths, request heads, browser headers, who may read /metrics and what a
duplicate-ticket answer tells a student."""
from __future__ import annotations

import http.client
import json
import socket
import uuid
from datetime import date, timedelta

import pytest
import requests

from tests.harness import assert_envelope

# A JSON body each service parses, for calls made directly to the service (path, roles that may post).
POST_PATHS = {"gateway": "/auth/login", "user-management": "/users", "booking": "/bookings",
              "gpa-calculator": "/calculate", "notification": "/notifications", "maintenance": "/tickets"}


def raw_request(port: int, data: bytes) -> tuple[int, dict[str, str], dict]:
    """Send bytes as they are (no client normalises them) and read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(data)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < _length(answer):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, json.loads(body) if body else {}


def _length(answer: bytes) -> int:
    for line in answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 1 << 30


def assert_raw_envelope(answer, status: int, code: str) -> None:
    got, headers, body = answer
    assert got == status, answer
    assert headers["content-type"].startswith("application/json"), headers
    assert body["code"] == code and body["error"] and body["correlation_id"], body


# ----------------------------------------------------------------------------- bodies
@pytest.mark.parametrize("opening", ["[", '{"a": '], ids=["arrays", "objects"])
def test_deeply_nested_json_is_400_at_every_service(stack, tokens, opening):
    body = opening * 100_000
    headers = {"Content-Type": "application/json"}
    for name in stack.services:
        response = stack.api("POST", POST_PATHS[name], tokens["admin"], service=name, data=body, headers=headers)
        assert_envelope(response, 400)
    if "gpa-calculator" in stack.services:   # and through the gateway's proxy
        assert_envelope(stack.api("POST", "/api/gpa/calculate", tokens["student"], data=body, headers=headers), 400)
    for name in stack.services:
        assert requests.get(f"{stack.url(name)}/health", timeout=10).status_code == 200, name


@pytest.mark.parametrize("start", ["9999-12-31", "9999-12-25"])
def test_a_recurring_booking_at_the_end_of_the_calendar_is_400(stack, tokens, start):
    if "booking" not in stack.services:
        pytest.skip("booking is not running in this narrowed stack")
    body = {"room_id": 1, "start_date": start, "time_slot": "10:00 AM - 11:00 AM", "weeks": 4}
    assert_envelope(stack.api("POST", "/api/booking/bookings/recurring", tokens["student"], json=body), 400,
                    "too_far_ahead")


def _chunks(payload: bytes, size: int = 64 * 1024):
    for i in range(0, len(payload), size):
        yield payload[i:i + size]    # a generator body: Transfer-Encoding: chunked, no Content-Length


def test_a_chunked_body_over_the_limit_is_413_at_booking_flask_services_and_the_gateway(stack, tokens):
    limit = 1024 * 1024   # MAX_CONTENT_LENGTH's default, which the stacks use
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {tokens['admin']}"}
    # Valid JSON padded past the limit: cut at the limit, it used to pass as a small body.
    courses = json.dumps({"courses": [{"grade": "A", "credits": 3}]}).encode()
    padded = courses + b" " * (limit + 4096 - len(courses))
    targets = [("gpa-calculator", "/calculate", padded), ("gateway", "/api/gpa/calculate", padded)] \
        if "gpa-calculator" in stack.services else []
    if "booking" in stack.services:
        booking = json.dumps({"room_id": 1, "date": (date.today() + timedelta(days=2)).isoformat(),
                              "time_slot": "09:00 AM - 10:00 AM"}).encode()
        booking += b" " * (limit + 4096 - len(booking))
        targets += [("booking", "/bookings", booking), ("gateway", "/api/booking/bookings", booking)]
    for name, path, body in targets:
        if name not in stack.services:
            continue
        response = requests.post(f"{stack.url(name)}{path}", data=_chunks(body), headers=headers, timeout=60)
        assert_envelope(response, 413, "payload_too_large")
    if "gpa-calculator" in stack.services:   # under the limit, chunked is fine
        response = requests.post(f"{stack.url('gpa-calculator')}/calculate", data=_chunks(courses),
                                 headers=headers, timeout=60)
        assert response.status_code == 200 and response.json()["gpa"] == 4.0, response.text


# ----------------------------------------------------------------------------- logs
def test_a_cr_or_lf_in_the_path_cannot_forge_a_log_line(stack, tokens):
    marker = f"forged-{uuid.uuid4().hex}"
    forged = f"%0d%0a2030-01-01 00:00:00,000 INFO [gateway] [correlation_id=x] http: {marker}%0aGET%20/"
    targets = [(name, f"/{forged}") for name in stack.services] + [("gateway", f"/api/gpa/{forged}")]
    for name, path in targets:
        stack.api("GET", path, tokens["admin"], service=name)
    for name in stack.services:
        lines = [line for line in stack.services[name].log_path.read_text().splitlines() if marker in line]
        assert lines, f"{name} did not log the request"
        for line in lines:   # the request's own line, the CR LF escaped (or dropped, by uvicorn's URL parser)
            assert not line.startswith("2030") and 0 <= line.find(" http: GET /") < line.find(marker), (name, line)


# ----------------------------------------------------------------------------- the edge
def _raw(stack, method: str, path: str, token: str, cid: str) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", stack.ports["gateway"], timeout=30)
    conn.request(method, path, body=b"{}" if method == "PUT" else None,
                 headers={"Authorization": f"Bearer {token}", "X-Correlation-ID": cid,
                          "Content-Type": "application/json"})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, json.loads(body) if body else {}


@pytest.mark.parametrize("path", ["/api/maintenance/x/../tickets/1", "/api/maintenance/x/%2e%2e/tickets/1",
                                  "/api/maintenance/x/%2E%2E/tickets/1", "/api/maintenance/./tickets/1",
                                  "/api/maintenance/tickets//1", "/api/maintenance/tickets/1/..",
                                  "/api/users/x/../", "/api/users/%2e%2e%2fusers"])
def test_paths_with_dot_or_empty_segments_are_refused_at_the_edge(stack, tokens, path):
    """What the edge checks is what is forwarded: a path an HTTP client or the service
    would resolve to another one is refused, and nothing reaches the service."""
    cid = f"edge-{uuid.uuid4().hex}"
    status, body = _raw(stack, "PUT", path, tokens["student"], cid)
    assert status == 400 and body["code"] == "ambiguous_path", (status, body)
    for name in stack.services:
        if name != "gateway":
            assert cid not in stack.services[name].log_path.read_text(), f"{path} reached {name}"


def test_head_is_checked_at_the_edge_like_get(stack, tokens):
    cid = f"head-{uuid.uuid4().hex}"
    response = requests.head(f"{stack.url()}/api/users", timeout=30, headers={
        "Authorization": f"Bearer {tokens['student']}", "X-Correlation-ID": cid})
    assert response.status_code == 403
    assert cid not in stack.services["user-management"].log_path.read_text(), "HEAD went past the edge"
    assert requests.head(f"{stack.url()}/api/users", timeout=30,
                         headers={"Authorization": f"Bearer {tokens['admin']}"}).status_code == 200


def test_plain_paths_still_pass_the_edge(stack, tokens):
    me = stack.api("GET", "/auth/me", tokens["student"]).json()
    response = stack.api("GET", f"/api/users/{me['id']}", tokens["student"])
    assert response.status_code == 200 and response.json()["email"] == "student@example.com"
    assert_envelope(stack.api("GET", "/api/users/x/..y/.z", tokens["admin"]), 404)   # dots inside a name are fine


# ----------------------------------------------------------------------------- request heads
def test_a_too_long_uri_or_header_is_answered_in_the_envelope_by_every_server(stack):
    for name in stack.services:
        port = stack.ports[name]
        assert_raw_envelope(raw_request(port, b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"),
                            414, "uri_too_long")
        assert_raw_envelope(raw_request(port, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000
                                        + b"\r\n\r\n"), 431, "headers_too_large")
        many = b"".join(b"X-H%d: 1\r\n" % i for i in range(150))
        assert_raw_envelope(raw_request(port, b"GET /health HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n"),
                            431, "headers_too_large")
        assert_raw_envelope(raw_request(port, b"GARBAGE\r\n\r\n"), 400, "bad_request")
    if "booking" in stack.services:
        # Past h11's own 16 KiB buffer, before the head is even complete: h11 refuses it.
        port = stack.ports["booking"]
        assert_raw_envelope(raw_request(port, b"GET /" + b"a" * 40_000), 414, "uri_too_long")
        assert_raw_envelope(raw_request(port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40_000),
                            431, "headers_too_large")


# ----------------------------------------------------------------------------- browser headers
def test_pages_carry_a_strict_content_security_policy(stack):
    for path in ("/", "/login.html", "/dashboard.html", "/maintenance.html", "/docs"):
        response = requests.get(stack.url() + path, timeout=10)
        assert response.status_code == 200, path
        policy = response.headers["Content-Security-Policy"]
        directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in policy.split(";"))
        assert directives["script-src"] == "'self'" and "unsafe-inline" not in policy, policy
        assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'", policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    if "maintenance" in stack.services:
        # The maintenance port serves no page of its own: its old board address sends the
        # browser to the gateway's, which carries the policy above.
        board = requests.get(stack.url("maintenance") + "/", timeout=10, allow_redirects=False)
        assert board.status_code == 302 and board.headers["Location"] == stack.url() + "/maintenance.html"


def test_login_me_and_every_api_answer_are_not_stored(stack, tokens):
    answers = [
        requests.post(f"{stack.url()}/auth/login", json={"email": "student@example.com", "password": "student123"},
                      timeout=30),
        requests.post(f"{stack.url()}/auth/login", json={"email": "student@example.com", "password": "wrong"},
                      timeout=30),
        stack.api("GET", "/auth/me", tokens["student"]),
        stack.api("GET", "/api/gpa/health", tokens["student"]),
        stack.api("GET", "/api/users", tokens["admin"]),
        stack.api("GET", "/api/users", tokens["student"]),        # 403 at the edge
        stack.api("GET", "/api/users"),                           # 401
        stack.api("GET", "/api/nothing-here", tokens["admin"]),   # 404
    ]
    for response in answers:
        assert response.headers.get("Cache-Control") == "no-store", (response.request.url, response.status_code)


# ----------------------------------------------------------------------------- /metrics
def _non_loopback_address() -> str | None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))   # no packet is sent: this only picks the outgoing interface
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


def test_metrics_need_the_token_when_one_is_set(make_stack):
    token = uuid.uuid4().hex
    platform = make_stack("sqlite", {"METRICS_TOKEN": token}).start(["gateway"])
    url = f"{platform.url()}/metrics"
    assert_envelope(requests.get(url, timeout=10), 401, "metrics_token_required")
    assert_envelope(requests.get(url, timeout=10, headers={"Authorization": "Bearer not-it"}), 401)
    scraped = requests.get(url, timeout=10, headers={"Authorization": f"Bearer {token}"})
    assert scraped.status_code == 200 and "circuit_breaker_state" in scraped.text


def test_metrics_without_a_token_are_off_in_production_and_local_only_otherwise(make_stack):
    production = make_stack("sqlite", {"FLASK_ENV": "production"}).start(["gpa-calculator"])
    assert_envelope(requests.get(f"{production.url('gpa-calculator')}/metrics", timeout=10), 404)
    assert requests.get(f"{production.url('gpa-calculator')}/health", timeout=10).status_code == 200

    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to call from")
    laptop = make_stack("sqlite", {"BIND_HOST": "0.0.0.0"}).start(["gpa-calculator", "booking"])
    for name in ("gpa-calculator", "booking"):
        port = laptop.ports[name]
        assert requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).status_code == 200, name
        assert_envelope(requests.get(f"http://{address}:{port}/metrics", timeout=10), 403, "metrics_local_only")


# ----------------------------------------------------------------------------- duplicate tickets
def test_a_duplicate_of_someone_elses_ticket_does_not_reveal_its_id(stack):
    if "maintenance" not in stack.services:
        pytest.skip("maintenance is not running in this narrowed stack")
    place = f"Block {uuid.uuid4().hex[:6]} room 3"
    first_reporter, second_reporter = stack.new_user("student"), stack.new_user("student")
    report = {"title": "Projector broken", "description": "The projector in the room does not turn on",
              "location": place}

    def file(user):
        response = stack.api("POST", "/api/maintenance/tickets", user["token"], json=report)
        assert response.status_code == 201, response.text
        return response.json()

    first = file(first_reporter)
    if first["classification_method"] != "model":
        pytest.skip("duplicate detection needs the model's embeddings; the keyword fallback is active")
    other = file(second_reporter)
    assert other["similar_report_exists"] is True and other["possible_duplicate_of"] is None, other
    mine = stack.api("GET", f"/api/maintenance/tickets/{other['id']}", second_reporter["token"]).json()
    assert mine["possible_duplicate_of"] is None and mine["similar_report_exists"] is True
    assert [e["new_value"] for e in mine["history"] if e["event_type"] == "duplicate_flagged"] == [None]
    listed = stack.api("GET", "/api/maintenance/tickets", second_reporter["token"]).json()["items"]
    assert [t["possible_duplicate_of"] for t in listed if t["id"] == other["id"]] == [None]

    # Admins see which ticket it duplicates; a reporter's own earlier ticket may be named.
    admin = stack.token("admin")
    seen = stack.api("GET", f"/api/maintenance/tickets/{other['id']}", admin).json()
    assert seen["possible_duplicate_of"] == first["id"]
    assert ("duplicate_flagged", str(first["id"])) in [(e["event_type"], e["new_value"]) for e in seen["history"]]
    again = file(first_reporter)
    assert again["possible_duplicate_of"] == first["id"]
