"""Faults asserted for real: a database error mid-request leaves nothing half-written, and
SIGTERM lets accepted requests finish."""
from __future__ import annotations

import datetime as dt
import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.harness import assert_envelope, wait_until


def _run_sql(stack, sqlite_file: str, statements: list[str]) -> None:
    if stack.backend == "sqlite":
        conn = sqlite3.connect(Path(stack.env["DATA_DIR"]) / sqlite_file)
        for statement in statements:
            conn.execute(statement)
        conn.commit()
        conn.close()
    else:
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname=stack.env["DB_NAME"])
        conn.autocommit = True
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
        conn.close()


def _break_inserts(stack, table: str, sqlite_file: str) -> None:
    """Make every INSERT into `table` fail inside the database (a trigger raising)."""
    if stack.backend == "sqlite":
        _run_sql(stack, sqlite_file, [f"CREATE TRIGGER fail_{table} BEFORE INSERT ON {table} "
                                      "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"])
    else:
        _run_sql(stack, sqlite_file, [
            "CREATE OR REPLACE FUNCTION injected_failure() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql",
            f"CREATE TRIGGER fail_{table} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION injected_failure()"])


def _heal(stack, table: str, sqlite_file: str) -> None:
    _run_sql(stack, sqlite_file, [f"DROP TRIGGER fail_{table}" + ("" if stack.backend == "sqlite" else f" ON {table}")])


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_failing_outbox_write_rolls_back_the_booking(make_stack, backend):
    stack = make_stack(backend)
    stack.start(["gateway", "user-management", "booking"])
    token = stack.token("faculty")
    day = (dt.date.today() + dt.timedelta(days=15)).isoformat()
    body = {"room_id": 8, "date": day, "time_slot": "01:00 PM - 02:00 PM"}
    _break_inserts(stack, "booking_outbox", "bookings.db")
    failed = stack.api("POST", "/api/booking/bookings", token, json=body)
    assert_envelope(failed, 500, "internal_error")        # an unexpected fault, said without details
    assert "injected failure" not in failed.text
    # The booking row was written before the outbox row; it must be gone with the transaction.
    assert stack.api("GET", "/api/booking/bookings", token).json()["items"] == []
    free = stack.api("GET", f"/api/booking/bookings/available?room_id=8&date={day}", token).json()
    assert "01:00 PM - 02:00 PM" in free["available_slots"]
    _heal(stack, "booking_outbox", "bookings.db")
    assert stack.api("POST", "/api/booking/bookings", token, json=body).status_code == 201


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_failing_audit_write_rolls_back_the_ticket(make_stack, backend):
    stack = make_stack(backend)
    stack.start(["gateway", "user-management", "maintenance"])
    token = stack.token("student")
    _break_inserts(stack, "ticket_events", "tickets.db")
    body = {"title": "Radiator is cold", "description": "The radiator in my room is cold", "location": "Dorm C 110"}
    failed = stack.api("POST", "/api/maintenance/tickets", token, json=body)
    assert_envelope(failed, 500, "internal_error")
    assert "injected failure" not in failed.text
    listing = stack.api("GET", "/api/maintenance/tickets", token).json()
    assert (listing["items"], listing["total"]) == ([], 0)
    _heal(stack, "ticket_events", "tickets.db")
    assert stack.api("POST", "/api/maintenance/tickets", token, json=body).status_code == 201


def test_sigterm_lets_accepted_requests_finish(make_stack):
    """Logins cost a password hash (tens of ms) in user-management, so several are in flight
    when it gets SIGTERM; those must complete, later ones get a clean 503 from the gateway."""
    stack = make_stack("sqlite", extra_env={"USER_MGMT_WORKERS": "1", "USER_MGMT_THREADS": "8",
                                            "LOGIN_MAX_FAILURES": "100000", "LOGIN_MAX_FAILURES_PER_ADDRESS": "100000"})
    stack.start(["gateway", "user-management"])
    body = {"email": "student@example.com", "password": "student123"}
    results, lock, stop = [], threading.Lock(), threading.Event()
    sigterm_at = [None]

    def client():
        while not stop.is_set():
            started = time.monotonic()
            try:
                response = requests.post(f"{stack.url()}/auth/login", json=body, timeout=30)
                outcome = (response.status_code, response.json().get("code") if response.status_code != 200 else "ok")
            except requests.RequestException as exc:
                outcome = ("exception", repr(exc))
            with lock:
                results.append((started, time.monotonic(), outcome))

    threads = [threading.Thread(target=client) for _ in range(8)]
    def outcomes_since(moment: float, outcome) -> int:
        with lock:
            return sum(1 for started, _, o in results if started >= moment and o == outcome)

    for t in threads:
        t.start()
    # Signal once logins flow steadily (every client has had a few answered): then some
    # are always in flight.
    wait_until(lambda: outcomes_since(0.0, (200, "ok")) >= 3 * len(threads), 30, 0.05, "logins to flow")
    sigterm_at[0] = time.monotonic()
    stack.services["user-management"].proc.send_signal(signal.SIGTERM)
    stack.services["user-management"].proc.wait(30)
    stopped_at = time.monotonic()
    wait_until(lambda: outcomes_since(stopped_at, (503, "upstream_unavailable")) >= len(threads), 30, 0.05,
               "logins after the shutdown to be refused")
    stop.set()
    for t in threads:
        t.join(30)

    outcomes = [o for _, _, o in results]
    # Each login either signed in or was refused cleanly: nothing dropped, no other error.
    assert set(outcomes) == {(200, "ok"), (503, "upstream_unavailable")}, set(outcomes)
    in_flight_finished = [r for r in results if r[0] < sigterm_at[0] < r[1] and r[2] == (200, "ok")]
    assert in_flight_finished, "no request that was in flight at SIGTERM completed"
