"""PostgreSQL under load and through a restart; SQLite data migrated to PostgreSQL."""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from shared.config import REPO_ROOT
from tests.harness import Stack, assert_envelope, wait_until


def test_more_concurrent_requests_than_pool_connections_all_succeed(make_stack):
    stack = make_stack("postgresql", extra_env={"DB_POOL_MAX": "5", "DB_POOL_MIN": "1", "USER_MGMT_WORKERS": "1",
                                                "USER_MGMT_THREADS": "32"})
    stack.start(["gateway", "user-management"])
    admin = stack.token("admin")
    url = f"{stack.url('user-management')}/users?per_page=50"

    def call(_):
        return requests.get(url, headers={"Authorization": f"Bearer {admin}"}, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(call, range(50)))
    assert statuses == [200] * 50, statuses


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_services_answer_503_while_postgresql_is_down_and_recover_by_themselves(make_stack):
    """The outage is of this test's own database (connections refused and every session
    ended, as a server restart does), never of the machine's shared PostgreSQL server."""
    # Production mode: no SQLite fallback may hide the outage.
    # REVOCATION_FIRST_SYNC_SECONDS: the worker respawned during the outage never loaded the
    # ended sessions; its 503 comes after this wait (5 s by default).
    stack = make_stack("postgresql", extra_env={"DB_POOL_TIMEOUT": "5", "FLASK_ENV": "production",
                                                "REVOCATION_FIRST_SYNC_SECONDS": "0.5",
                                                "ADMIN_EMAIL": "ops@example.com", "ADMIN_PASSWORD": "Operator-Pass-2026"})
    stack.start(["gateway", "user-management"])
    users = stack.services["user-management"]
    admin = stack.login("ops@example.com", "Operator-Pass-2026")
    assert stack.api("GET", "/api/users", admin).status_code == 200
    # Every worker has booted before the outage starts.
    wait_until(lambda: len(_children(users.proc.pid)) == int(stack.env["WEB_WORKERS"]), 60, 0.2,
               "all user-management workers to boot")
    stack.block_database(True)
    try:
        down = stack.api("GET", f"{''}/users", admin, service="user-management")
        assert_envelope(down, 503)
        assert_envelope(stack.api("GET", "/api/users", admin), 503)
        # A worker that dies during the outage is respawned and boots without the database
        # (the start-up step ran once, in the master): it answers 503, the server stays up.
        crashed = _children(users.proc.pid)[0]
        os.kill(crashed, signal.SIGKILL)
        wait_until(lambda: crashed not in _children(users.proc.pid)
                   and len(_children(users.proc.pid)) == int(stack.env["WEB_WORKERS"]), 30, 0.2,
                   "gunicorn to respawn the killed worker")
        for _ in range(10):      # both workers, the respawned one among them, answer 503
            assert_envelope(stack.api("GET", "/users", admin, service="user-management"), 503)
        assert users.proc.poll() is None, "user-management exited while PostgreSQL was down"
    finally:
        stack.block_database(False)
    wait_until(lambda: stack.api("GET", "/api/users", admin).status_code == 200, 60, 0.5,
               "user-management to recover after the outage")
    # Every pooled connection of every worker works again, not just one.
    statuses = [stack.api("GET", "/users", admin, service="user-management").status_code for _ in range(30)]
    assert statuses == [200] * 30, statuses
    assert users.proc.poll() is None


def test_sqlite_data_migrates_to_postgresql_and_the_services_find_it(make_stack, pg_databases, tmp_path):
    names = [n for n in ("gateway", "user-management", "booking", "notification", "maintenance")]
    sqlite = make_stack("sqlite")
    sqlite.start(names)
    admin = sqlite.token("admin")
    user = sqlite.new_user("faculty", admin)
    day = (dt.date.today() + dt.timedelta(days=40)).isoformat()
    booking = sqlite.api("POST", "/api/booking/bookings", user["token"],
                         json={"room_id": 4, "date": day, "time_slot": "09:00 AM - 10:00 AM", "purpose": "Office hours"})
    assert booking.status_code == 201, booking.text
    note = sqlite.api("POST", "/api/notifications", admin, json={"title": "Migrated notice", "body": "Hello",
                                                                  "user_id": user["id"]})
    assert note.status_code == 201, note.text
    ticket = sqlite.api("POST", "/api/maintenance/tickets", user["token"],
                        json={"title": "Leaking tap in lab 2", "description": "The tap drips all day", "location": "Lab 2"})
    assert ticket.status_code == 201, ticket.text
    sqlite.stop()

    database = pg_databases.create()
    command = [sys.executable, str(REPO_ROOT / "scripts" / "migrate_to_postgresql.py"), "--host", "127.0.0.1",
               "--port", "5432", "--database", database, "--user", "postgres", "--password", "",
               "--data-dir", sqlite.env["DATA_DIR"]]
    first = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "users" in first.stdout and "bookings" in first.stdout and "tickets" in first.stdout
    second = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    assert second.returncode == 0, second.stdout + second.stderr
    copied_again = [line.split() for line in second.stdout.splitlines()
                    if line and not line.startswith(("--", "table", "Migrating", "Done"))]
    assert copied_again and all(row[2] == "0" for row in copied_again), second.stdout

    pg = Stack(tmp_path / "pg-after-migration", "postgresql", database)
    try:
        pg.start(names)
        token = pg.login(user["email"], user["password"])
        bookings = pg.api("GET", "/api/booking/bookings", token).json()["items"]
        assert [b["purpose"] for b in bookings] == ["Office hours"]
        feed = pg.api("GET", "/api/notifications?per_page=100", token).json()["notifications"]
        assert "Migrated notice" in [n["title"] for n in feed]
        tickets = pg.api("GET", "/api/maintenance/tickets", token).json()["items"]
        assert [t["title"] for t in tickets] == ["Leaking tap in lab 2"]
        # New rows get fresh ids after the copied ones (sequences were moved on).
        again = pg.api("POST", "/api/booking/bookings", token,
                       json={"room_id": 4, "date": day, "time_slot": "10:00 AM - 11:00 AM"})
        assert again.status_code == 201 and again.json()["id"] > booking.json()["id"]
    finally:
        pg.stop()
