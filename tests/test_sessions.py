"""A token stops carrying power the moment its facts change (issue "Trust", items 1 and 2).

Each test is a reproduction from the attack report, run against real processes, on
SQLite without Redis (laptop) and on PostgreSQL with Redis (production), and each would
pass the old behaviour's checks only if the fix were missing: the old tokens worked for
up to 24 hours after the fact that should have ended them.
"""
from __future__ import annotations

import socket
import threading
import uuid

import pytest
import requests

from tests.harness import (
    GPA_BODY,
    Stack,
    assert_envelope,
    direct_statuses,
    redis_available,
    wait_refused_everywhere,
    wait_until,
)


def _admin(stack, tokens) -> dict:
    return stack.new_user("admin", tokens["admin"])


def _role(stack, admin_token, user_id, role):
    return stack.api("PUT", f"/api/users/{user_id}", admin_token, json={"role": role})


def _book(stack, token, service="gateway"):
    path = "/api/booking/bookings" if service == "gateway" else "/bookings"
    import datetime

    day = (datetime.date.today() + datetime.timedelta(days=30 + uuid.uuid4().int % 40)).isoformat()
    return stack.api("POST", path, token, service=service,
                     json={"room_id": 1 + uuid.uuid4().int % 12, "date": day, "time_slot": "10:00 AM - 11:00 AM"})


def _ticket(stack, token, service="gateway"):
    path = "/api/maintenance/tickets" if service == "gateway" else "/tickets"
    return stack.api("POST", path, token, service=service,
                     json={"title": "Leaking tap", "description": f"The tap drips {uuid.uuid4().hex}"})


def test_a_demoted_admin_cannot_promote_itself_back_or_demote_the_real_admin(stack, tokens):
    mallory = _admin(stack, tokens)
    old = mallory["token"]
    assert stack.api("GET", "/api/users", old).status_code == 200
    assert _role(stack, tokens["admin"], mallory["id"], "student").status_code == 200

    wait_refused_everywhere(stack, old, mallory["id"])
    assert_envelope(stack.api("GET", "/api/users", old), 401, "token_revoked")
    assert_envelope(_role(stack, old, mallory["id"], "admin"), 401)
    real_admin = stack.api("GET", "/auth/me", tokens["admin"]).json()
    assert_envelope(_role(stack, old, real_admin["id"], "student"), 401)
    assert_envelope(stack.api("GET", "/users", old, service="user-management"), 401, "token_revoked")
    assert stack.api("GET", f"/api/users/{mallory['id']}", tokens["admin"]).json()["role"] == "student"
    assert stack.api("GET", "/auth/me", tokens["admin"]).json()["role"] == "admin"
    # Signing in again gives a student's token, at once, at every service.
    fresh = stack.login(mallory["email"], mallory["password"])
    assert set(direct_statuses(stack, fresh, mallory["id"]).values()) == {200}
    assert_envelope(stack.api("GET", "/api/users", fresh), 403)


def test_a_deleted_admin_cannot_create_an_admin(stack, tokens):
    mallory = _admin(stack, tokens)
    assert stack.api("DELETE", f"/api/users/{mallory['id']}", tokens["admin"]).status_code == 200
    wait_refused_everywhere(stack, mallory["token"], mallory["id"])
    made = stack.api("POST", "/api/users", mallory["token"],
                     json={"name": "Sock Puppet", "email": f"puppet-{uuid.uuid4().hex[:8]}@example.com",
                           "password": "Correct-Horse-93", "role": "admin"})
    assert_envelope(made, 401, "token_revoked")
    direct = stack.api("POST", "/users", mallory["token"], service="user-management",
                       json={"name": "Sock Puppet", "email": f"puppet-{uuid.uuid4().hex[:8]}@example.com",
                             "password": "Correct-Horse-93", "role": "admin"})
    assert_envelope(direct, 401, "token_revoked")


def test_a_deleted_student_can_no_longer_book_or_file_tickets(stack, tokens):
    student = stack.new_user("student", tokens["admin"])
    assert stack.api("DELETE", f"/api/users/{student['id']}", tokens["admin"]).status_code == 200
    wait_refused_everywhere(stack, student["token"], student["id"])
    assert_envelope(_book(stack, student["token"]), 401, "token_revoked")
    assert_envelope(_book(stack, student["token"], "booking"), 401, "token_revoked")
    if "maintenance" in stack.services:
        assert_envelope(_ticket(stack, student["token"]), 401, "token_revoked")
        assert_envelope(_ticket(stack, student["token"], "maintenance"), 401, "token_revoked")


def test_a_password_change_ends_the_other_session(stack, tokens):
    student = stack.new_user("student", tokens["admin"])
    phone = student["token"]
    laptop = stack.login(student["email"], student["password"])
    changed = stack.api("PUT", f"/api/users/{student['id']}", laptop,
                        json={"current_password": student["password"], "password": "New-Pass-" + uuid.uuid4().hex[:8]})
    assert changed.status_code == 200, changed.text
    wait_refused_everywhere(stack, phone, student["id"])
    wait_refused_everywhere(stack, laptop, student["id"])


def test_an_admin_password_reset_ends_every_session_of_that_user(stack, tokens):
    faculty = stack.new_user("faculty", tokens["admin"])
    reset = stack.api("PUT", f"/api/users/{faculty['id']}", tokens["admin"],
                      json={"password": "Reset-By-Admin-" + uuid.uuid4().hex[:6]})
    assert reset.status_code == 200, reset.text
    wait_refused_everywhere(stack, faculty["token"], faculty["id"])
    assert stack.api("GET", "/auth/me", tokens["admin"]).status_code == 200


def test_sign_out_everywhere_by_an_admin_or_yourself_but_not_by_someone_else(stack, tokens):
    alice = stack.new_user("student", tokens["admin"])
    bob = stack.new_user("student", tokens["admin"])
    assert_envelope(stack.api("POST", f"/api/users/{alice['id']}/sessions/revoke", bob["token"]), 403)
    assert_envelope(stack.api("POST", f"/users/{alice['id']}/sessions/revoke", bob["token"],
                              service="user-management"), 403)
    assert set(direct_statuses(stack, alice["token"], alice["id"]).values()) == {200}

    done = stack.api("POST", f"/api/users/{alice['id']}/sessions/revoke", tokens["admin"])
    assert done.status_code == 200, done.text
    wait_refused_everywhere(stack, alice["token"], alice["id"])
    assert set(direct_statuses(stack, bob["token"], bob["id"]).values()) == {200}   # others untouched

    mine = stack.api("POST", f"/api/users/{bob['id']}/sessions/revoke", bob["token"])
    assert mine.status_code == 200, mine.text
    wait_refused_everywhere(stack, bob["token"], bob["id"])
    assert_envelope(stack.api("POST", "/api/users/no-such-user/sessions/revoke", tokens["admin"]), 404)


def test_a_token_issued_just_after_the_change_works_at_once_everywhere(stack, tokens):
    """Millisecond issue times: a login a moment after "sign out everywhere" is not caught by it."""
    user = stack.new_user("faculty", tokens["admin"])
    for _ in range(3):
        assert stack.api("POST", f"/api/users/{user['id']}/sessions/revoke", tokens["admin"]).status_code == 200
        fresh = stack.login(user["email"], user["password"])
        assert set(direct_statuses(stack, fresh, user["id"]).values()) == {200}


def test_an_open_socket_is_closed_when_its_session_ends(stack, tokens):
    if "maintenance" not in stack.services:
        pytest.skip("the maintenance service is not part of this stack (STACK_SERVICES)")
    import socketio

    admin = _admin(stack, tokens)
    student = stack.new_user("student", tokens["admin"])
    clients, events = {}, {"admin": [], "student": []}
    for name, person in (("admin", admin), ("student", student)):
        client = socketio.Client(reconnection=False)
        client.on("ticket_created", events[name].append)
        client.connect(stack.url("maintenance"), auth={"token": person["token"]}, transports=["websocket"],
                       wait_timeout=10)
        clients[name] = client
    try:
        # Before: the admin sees everyone's new tickets.
        assert _ticket(stack, student["token"]).status_code == 201
        wait_until(lambda: events["admin"] and events["student"], 10, 0.05, "both see the new ticket")
        # Demoted: disconnected, so no more admin events.
        assert _role(stack, tokens["admin"], admin["id"], "faculty").status_code == 200
        wait_until(lambda: not clients["admin"].connected, 5, 0.05, "the demoted admin's socket closed")
        assert clients["student"].connected
        # Signed out everywhere: the student's socket closes too.
        assert stack.api("POST", f"/api/users/{student['id']}/sessions/revoke", tokens["admin"]).status_code == 200
        wait_until(lambda: not clients["student"].connected, 5, 0.05, "the signed-out student's socket closed")
        before = len(events["admin"])
        other = stack.new_user("student", tokens["admin"])
        assert _ticket(stack, other["token"]).status_code == 201
        assert len(events["admin"]) == before
    finally:
        for client in clients.values():
            client.disconnect()


# ------------------------------------------------------------- outages of the stores
class TcpRelay:
    """A relay in front of Redis that the test can cut and restore: a Redis outage
    without touching the machine's shared Redis server."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.up = threading.Event()
        self.up.set()
        self.links: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            if not self.up.is_set():
                conn.close()
                continue
            upstream = socket.create_connection(self.target)
            self.links += [conn, upstream]
            for a, b in ((conn, upstream), (upstream, conn)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while chunk := a.recv(65536):
                b.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.close()
                except OSError:
                    pass

    def cut(self):
        self.up.clear()
        for link in self.links:
            try:
                link.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.links.clear()

    def restore(self):
        self.up.set()

    def close(self):
        self.cut()
        self.listener.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=False)
def test_a_logout_during_a_redis_outage_is_not_forgotten_when_redis_returns(make_stack, backend):
    if not redis_available():
        pytest.skip("no Redis on 127.0.0.1:6379")
    relay = TcpRelay(("127.0.0.1", 6379))
    try:
        stack: Stack = make_stack(backend, extra_env={"REDIS_URL": f"redis://127.0.0.1:{relay.port}/7"})
        stack.start(["gateway", "user-management", "gpa-calculator", "booking"])
        student = stack.new_user("student")
        assert set(direct_statuses(stack, student["token"], student["id"]).values()) == {200}
        relay.cut()
        assert stack.api("POST", "/auth/logout", student["token"]).status_code == 200
        wait_refused_everywhere(stack, student["token"], student["id"])
        relay.restore()
        # Redis is back (and empty of this logout): still refused, now and later.
        wait_until(lambda: requests.get(f"{stack.url('gateway')}/health", timeout=2).ok, 10, 0.1, "gateway up")
        for _ in range(10):
            statuses = direct_statuses(stack, student["token"], student["id"])
            assert set(statuses.values()) == {401}, statuses
    finally:
        relay.close()


def test_the_gpa_calculator_answers_through_a_database_outage(make_stack):
    """Only our own throw-away database is made unreachable; the server keeps running."""
    stack: Stack = make_stack("postgresql")
    stack.start(["gateway", "user-management", "gpa-calculator"])
    student = stack.new_user("student")
    ended = stack.new_user("student")
    assert stack.api("POST", "/auth/logout", ended["token"]).status_code == 200
    wait_refused_everywhere(stack, ended["token"], ended["id"])
    stack.block_database(True)
    try:
        wait_until(lambda: stack.api("GET", "/ready", service="user-management").status_code == 503, 10, 0.1,
                   "user-management notices the outage")
        for _ in range(20):
            via_gateway = stack.api("POST", "/api/gpa/calculate", student["token"], json=GPA_BODY)
            assert via_gateway.status_code == 200, via_gateway.text
            assert via_gateway.json()["gpa"] == 4.0
            assert stack.api("POST", "/calculate", student["token"], service="gpa-calculator",
                             json=GPA_BODY).status_code == 200
            # What was ended before the outage stays ended during it.
            assert_envelope(stack.api("POST", "/api/gpa/calculate", ended["token"], json=GPA_BODY), 401)
    finally:
        stack.block_database(False)
    wait_until(lambda: stack.api("GET", "/ready", service="user-management").status_code == 200, 30, 0.2,
               "user-management back")


def test_without_user_management_the_set_last_seen_is_used(make_stack):
    """Laptop mode: the source of ended sessions stops; services go on with what they saw."""
    stack: Stack = make_stack("sqlite")
    stack.start(["gateway", "user-management", "gpa-calculator"])
    student = stack.new_user("student")
    ended = stack.new_user("student")
    assert stack.api("POST", "/auth/logout", ended["token"]).status_code == 200
    wait_refused_everywhere(stack, ended["token"], ended["id"])
    stack.services["user-management"].stop()
    for _ in range(10):
        assert stack.api("POST", "/api/gpa/calculate", student["token"], json=GPA_BODY).status_code == 200
        assert_envelope(stack.api("POST", "/calculate", ended["token"], service="gpa-calculator", json=GPA_BODY), 401)
    health = stack.api("GET", "/health", service="gpa-calculator").json()
    assert health["sessions"]["synced"] is True


def test_a_service_that_never_loaded_the_set_refuses_instead_of_guessing(make_stack):
    stack: Stack = make_stack("sqlite")
    stack.start(["gpa-calculator"])          # user-management never started
    from shared.auth import issue_token
    from shared.config import load_settings

    token = issue_token(load_settings(stack.env), user_id="u-1", email="u@example.com", name="U", role="student")
    assert_envelope(stack.api("POST", "/calculate", token, service="gpa-calculator", json=GPA_BODY), 503,
                    "sessions_unavailable")
