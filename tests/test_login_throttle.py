"""Login throttling at the gateway: one normalised email, per (account, client address)
and per address, counted atomically, slowing a guesser without locking the owner out.
On SQLite and PostgreSQL (the counters are rows of the gateway's database)."""
from __future__ import annotations

import sqlite3
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from conftest import require_backend
from shared.accounts import normalize_email
from tests.harness import Stack, assert_envelope, wait_until

MAX_FAILURES = 5
PER_ADDRESS = 20


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def gate(request, tmp_path_factory, pg_databases):
    """Gateway and user-management behind a proxy at 127.0.0.1 (so each test picks its
    client addresses with X-Forwarded-For), with the default per-account limit."""
    require_backend(request.param)
    pg_name = pg_databases.create() if request.param == "postgresql" else None
    platform = Stack(tmp_path_factory.mktemp(f"throttle-{request.param}"), request.param, pg_name,
                     {"TRUSTED_PROXIES": "127.0.0.1", "LOGIN_MAX_FAILURES": str(MAX_FAILURES),
                      "LOGIN_MAX_FAILURES_PER_ADDRESS": str(PER_ADDRESS), "LOGIN_LOCKOUT_SECONDS": "120"})
    try:
        yield platform.start(["gateway", "user-management"])
    finally:
        platform.stop()


def new_address() -> str:
    """A documentation-range address (RFC 5737) of a client of our own."""
    n = uuid.uuid4().int
    return f"198.51.{n % 250 + 1}.{(n >> 8) % 250 + 1}"


def login(stack: Stack, email: str, password: str, address: str | None = None) -> requests.Response:
    headers = {"X-Forwarded-For": address} if address else {}
    return stack.api("POST", "/auth/login", json={"email": email, "password": password}, headers=headers)


def counter(stack: Stack, email: str, address: str) -> dict:
    """The gateway's row for (normalised email, address); email "" is the per-address row."""
    key = normalize_email(email) if email else ""
    sql = "SELECT failures, refused FROM login_throttle WHERE email_key = {p} AND address = {p}"
    if stack.backend == "sqlite":
        conn = sqlite3.connect(Path(stack.env["DATA_DIR"]) / "gateway.db")
        row = conn.execute(sql.format(p="?"), (key, address)).fetchone()
        conn.close()
    else:
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname=stack.env["DB_NAME"])
        with conn.cursor() as cur:
            cur.execute(sql.format(p="%s"), (key, address))
            row = cur.fetchone()
        conn.close()
    return {"failures": row[0], "refused": row[1]} if row else {"failures": 0, "refused": 0}


def test_whitespace_and_look_alike_emails_share_one_counter(gate):
    """The reproduction: "  student@example.com" got a fresh counter every time, so 120
    guesses in a row met no 429."""
    attacker, owner = new_address(), new_address()
    variants = ["  student@example.com", "student@example.com\t", "Student@Example.COM ",
                "\uff53\uff54\uff55\uff44\uff45\uff4e\uff54@example.com"]   # full-width "student"
    answers = [login(gate, variants[i % len(variants)], f"guess-{i}", attacker) for i in range(120)]
    statuses = [r.status_code for r in answers]
    assert statuses[:MAX_FAILURES] == [401] * MAX_FAILURES, statuses
    assert statuses[MAX_FAILURES:] == [429] * (120 - MAX_FAILURES), statuses
    for refused in answers[MAX_FAILURES:MAX_FAILURES + 3]:
        assert_envelope(refused, 429, "login_throttled")
        assert 0 < int(refused.headers["Retry-After"]) <= 120
    # The right password from the guesser's address waits too ...
    assert_envelope(login(gate, "student@example.com", "student123", attacker), 429, "login_throttled")
    # ... but the owner, elsewhere, signs in at once, with the same email as typed by hand.
    assert login(gate, "  Student@example.com ", "student123", owner).status_code == 200


def test_forty_parallel_bad_logins_count_forty(gate):
    """The reproduction: of 40 parallel wrong passwords, 15 were let through (limit 5)."""
    address = new_address()
    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(pool.map(lambda i: login(gate, "faculty@example.com", f"wrong-{i}", address), range(40)))
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [401] * MAX_FAILURES + [429] * (40 - MAX_FAILURES), statuses
    row = counter(gate, "faculty@example.com", address)
    assert row == {"failures": MAX_FAILURES, "refused": 40 - MAX_FAILURES}, row
    assert row["failures"] + row["refused"] == 40
    assert counter(gate, "", address)["failures"] == MAX_FAILURES


def test_one_address_trying_many_accounts_is_slowed_down_too(gate):
    sprayer, owner = new_address(), new_address()
    for _ in range(PER_ADDRESS):
        assert login(gate, f"nobody-{uuid.uuid4().hex[:8]}@example.com", "Spring2024!", sprayer).status_code == 401
    assert_envelope(login(gate, f"nobody-{uuid.uuid4().hex[:8]}@example.com", "Spring2024!", sprayer),
                    429, "login_throttled")
    assert_envelope(login(gate, "admin@example.com", "admin123", sprayer), 429, "login_throttled")
    assert login(gate, "admin@example.com", "admin123", owner).status_code == 200


def test_the_right_password_clears_the_accounts_counter(gate):
    address = new_address()
    for i in range(MAX_FAILURES - 1):
        assert login(gate, "admin@example.com", f"typo-{i}", address).status_code == 401
    assert login(gate, " ADMIN@example.com", "admin123", address).status_code == 200
    assert counter(gate, "admin@example.com", address)["failures"] == 0
    for i in range(MAX_FAILURES - 1):      # a fresh allowance, not one guess left
        assert login(gate, "admin@example.com", f"typo-{i}", address).status_code == 401


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_each_wait_doubles_up_to_the_maximum_and_forged_addresses_do_not_help(make_stack, backend):
    """Without TRUSTED_PROXIES an X-Forwarded-For header is the client's own words and is
    ignored, so a fresh header per guess is no fresh counter."""
    stack = make_stack(backend, extra_env={"LOGIN_MAX_FAILURES": "2", "LOGIN_LOCKOUT_SECONDS": "1",
                                           "LOGIN_MAX_LOCKOUT_SECONDS": "2"})
    stack.start(["gateway", "user-management"])

    def guess():
        return login(stack, "student@example.com", "not-it", new_address())

    def next_answer_let_through():
        status = guess().status_code
        return None if status == 429 else status

    assert [guess().status_code for _ in range(2)] == [401, 401]
    for wait in (1, 2, 2):                        # doubling, capped at LOGIN_MAX_LOCKOUT_SECONDS
        refused = guess()
        assert_envelope(refused, 429, "login_throttled")
        assert wait - 1 <= int(refused.headers["Retry-After"]) <= wait, (wait, refused.headers["Retry-After"])
        assert wait_until(next_answer_let_through, 10, 0.2, "the end of the wait") == 401
    assert_envelope(guess(), 429, "login_throttled")
    wait_until(lambda: login(stack, "student@example.com", "student123").status_code == 200, 10, 0.2,
               "the owner's sign-in once the wait is over")
    assert guess().status_code == 401           # the right password started the count afresh
