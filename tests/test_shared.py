"""Unit tests of the shared library (no processes)."""
from __future__ import annotations

import threading
import time

import pytest

from shared.config import ConfigError, load_settings
from shared.database import Database, IntegrityViolation, to_pyformat
from shared.errors import ServiceUnavailable
from shared.http_client import CircuitBreaker, HttpClient
from tests.harness import wait_until

pytestmark = pytest.mark.fast     # in-process: no service processes


@pytest.mark.parametrize("env, variable", [
    ({"DB_PORT": "abc"}, "DB_PORT"),
    ({"DATABASE_TYPE": "oracle"}, "DATABASE_TYPE"),
    ({"REQUEST_TIMEOUT": "soon"}, "REQUEST_TIMEOUT"),
    ({"REQUEST_RETRY_ATTEMPTS": "-1"}, "REQUEST_RETRY_ATTEMPTS"),
    ({"BOOKING_PORT": "99999"}, "BOOKING_PORT"),
    ({"DOCKER_CONTAINER": "maybe"}, "DOCKER_CONTAINER"),
    ({"FLASK_ENV": "production"}, "JWT_SECRET_KEY"),
    ({"FLASK_ENV": "production", "JWT_SECRET_KEY": "your-secret-key-change-in-production"}, "JWT_SECRET_KEY"),
])
def test_bad_configuration_names_the_variable(env, variable):
    with pytest.raises(ConfigError, match=variable):
        load_settings(env)


def test_service_urls_for_local_docker_and_replicas():
    assert load_settings({}).service_url("users") == "http://localhost:8002"
    assert load_settings({"DOCKER_CONTAINER": "true"}).service_url("booking") == "http://booking:8001"
    assert load_settings({"GPA_HOST": "10.0.0.5"}).service_url("gpa") == "http://10.0.0.5:8003"
    replicas = load_settings({"BOOKING_URL": "http://a:1, http://b:2/"}).service_urls("booking")
    assert replicas == ["http://a:1", "http://b:2"]


def test_production_accepts_a_real_secret():
    settings = load_settings({"FLASK_ENV": "production", "JWT_SECRET_KEY": "s" * 32})
    assert settings.is_production and settings.jwt_secret_key == "s" * 32


def test_a_token_verified_before_is_still_refused_once_it_expires():
    from datetime import timedelta

    from shared.auth import issue_token, verify_token
    from shared.errors import Unauthorized

    settings = load_settings({"JWT_SECRET_KEY": "k" * 40})
    token = issue_token(settings, user_id="7", email="a@example.com", name="A", role="student",
                        lifetime=timedelta(seconds=1))
    assert verify_token(settings, token).id == "7"          # verified, and remembered
    assert verify_token(settings, token).id == "7"          # from the cache
    other = load_settings({"JWT_SECRET_KEY": "z" * 40})
    with pytest.raises(Unauthorized):                       # the cache is per secret
        verify_token(other, token)

    def refusal():
        try:
            verify_token(settings, token)                   # still the cached answer until exp
        except Unauthorized as exc:
            return exc
        return None

    # exp is a whole second, at most one second away: poll for the refusal, no fixed sleep.
    refused = wait_until(refusal, timeout=5, interval=0.02, message="the cached token to expire")
    assert refused.code == "token_expired"
    with pytest.raises(Unauthorized) as again:              # and it stays refused
        verify_token(settings, token)
    assert again.value.code == "token_expired"


@pytest.mark.parametrize("sql, expected", [
    ("SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = %s AND b = %s"),
    ("SELECT '?' , x FROM t WHERE y LIKE '%a%' AND z = ?", "SELECT '?' , x FROM t WHERE y LIKE '%a%' AND z = %s"),
    ("SELECT 100 % 7 WHERE a = ?", "SELECT 100 %% 7 WHERE a = %s"),
])
def test_placeholders_are_translated_for_postgresql(sql, expected):
    assert to_pyformat(sql) == expected


def test_breaker_opens_after_threshold_and_closes_on_success_or_after_the_reset_period():
    now = [0.0]
    breaker = CircuitBreaker(threshold=5, reset_seconds=60, clock=lambda: now[0])
    for _ in range(4):
        assert breaker.record_failure() is False
    assert breaker.state == "closed" and breaker.allow()
    assert breaker.record_failure() is True            # the fifth opens it
    assert breaker.state == "open" and not breaker.allow()
    assert breaker.record_failure() is False           # already open: no second opening
    breaker.record_success()                            # a /health probe answered
    assert breaker.state == "closed" and breaker.allow() and breaker.failures == 0
    for _ in range(5):
        breaker.record_failure()
    now[0] = 61                                         # 60 s at most
    assert breaker.state == "half_open" and breaker.allow() and breaker.allow()
    assert breaker.record_failure() is True            # one more failure re-opens at once
    assert breaker.state == "open"


def test_client_fails_fast_when_the_circuit_is_open():
    settings = load_settings({"REQUEST_RETRY_BACKOFF": "0", "CIRCUIT_FAILURE_THRESHOLD": "2", "REQUEST_TIMEOUT": "2"})
    client = HttpClient(settings, service="test")
    url = "http://127.0.0.1:9/nothing"  # discard port: connection refused
    for _ in range(2):
        with pytest.raises(ServiceUnavailable):
            client.get(url, retries=1)
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable) as info:
        client.get(url)
    assert info.value.code == "circuit_open" and time.monotonic() - started < 0.1


def test_post_is_not_retried_but_get_is(monkeypatch):
    settings = load_settings({"REQUEST_RETRY_BACKOFF": "0", "REQUEST_RETRY_ATTEMPTS": "3", "CIRCUIT_FAILURE_THRESHOLD": "100"})
    client = HttpClient(settings, service="test")
    calls = []

    def refuse(method, url, **kwargs):
        import requests
        calls.append(method)
        raise requests.ConnectionError("refused")

    monkeypatch.setattr(client.session, "request", refuse)
    with pytest.raises(ServiceUnavailable):
        client.post("http://127.0.0.1:9/x")
    assert calls == ["POST"]
    calls.clear()
    with pytest.raises(ServiceUnavailable):
        client.get("http://127.0.0.1:9/x")
    assert calls == ["GET", "GET", "GET"]
    calls.clear()
    with pytest.raises(ServiceUnavailable):
        client.post("http://127.0.0.1:9/x", headers={"Idempotency-Key": "k"})
    assert calls == ["POST", "POST", "POST"]


SCHEMA = """
CREATE TABLE IF NOT EXISTS things (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE,
                                   qty INTEGER NOT NULL CHECK (qty >= 0));
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path, pg_databases):
    from conftest import require_backend

    require_backend(request.param)
    env = {"DATABASE_TYPE": request.param, "DB_POOL_MAX": "5", "DB_POOL_MIN": "1", "DB_PASSWORD": "",
           "DB_HOST": "127.0.0.1"}
    if request.param == "postgresql":
        env["DB_NAME"] = pg_databases.create()
    db = Database(load_settings(env), str(tmp_path / "things.db"))
    db.initialize(SCHEMA)
    yield db
    db.close()


def test_transaction_commits_or_rolls_back_whole(database):
    with database.connection() as conn:
        conn.execute("INSERT INTO things (name, qty) VALUES (?, ?)", ("bolts", 5))
    with pytest.raises(RuntimeError):
        with database.connection() as conn:
            conn.execute("INSERT INTO things (name, qty) VALUES (?, ?)", ("nuts", 1))
            raise RuntimeError("boom")
    with database.connection() as conn:
        names = [r["name"] for r in conn.execute("SELECT name FROM things ORDER BY name").fetchall()]
    assert names == ["bolts"]


def test_constraint_violations_are_typed(database):
    with database.connection() as conn:
        conn.execute("INSERT INTO things (name, qty) VALUES (?, ?)", ("washers", 1))
    with pytest.raises(IntegrityViolation) as unique:
        with database.connection() as conn:
            conn.execute("INSERT INTO things (name, qty) VALUES (?, ?)", ("washers", 2))
    assert unique.value.kind == "unique"
    with pytest.raises(IntegrityViolation) as check:
        with database.connection() as conn:
            conn.execute("INSERT INTO things (name, qty) VALUES (?, ?)", ("screws", -1))
    assert check.value.kind == "check"


def test_returning_gives_the_new_id(database):
    with database.connection() as conn:
        row = conn.execute("INSERT INTO things (name, qty) VALUES (?, ?) RETURNING id", ("rivets", 3)).fetchone()
    assert isinstance(row["id"], int) and row["id"] > 0


def test_more_callers_than_connections_wait_instead_of_failing(database):
    """20 threads on a pool of 5: every one gets a connection, and each gives it back even after an error."""
    errors, done = [], []

    def work(i):
        try:
            if i % 4 == 0:
                with pytest.raises(ZeroDivisionError):
                    with database.connection() as conn:
                        conn.execute("SELECT 1 AS one")
                        raise ZeroDivisionError("inside a transaction")
            with database.connection() as conn:
                conn.execute("INSERT INTO things (name, qty) VALUES (?, ?)", (f"item-{i}", i))
                time.sleep(0.05)
            done.append(i)
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and len(done) == 20
    with database.connection() as conn:
        assert conn.execute("SELECT COUNT(*) AS n FROM things").scalar() == 20


def test_schema_comments_may_hold_question_marks_and_percent_signs(tmp_path, pg_databases):
    from conftest import postgres_available

    backends = ["sqlite"] + ([] if postgres_available() else ["postgresql"])
    for backend in backends:
        env = {"DATABASE_TYPE": backend, "DB_PASSWORD": "", "DB_HOST": "127.0.0.1"}
        if backend == "postgresql":
            env["DB_NAME"] = pg_databases.create()
        db = Database(load_settings(env), str(tmp_path / f"{backend}.db"))
        db.initialize("-- why? 100% sure\nCREATE TABLE IF NOT EXISTS notes (id BIGSERIAL PRIMARY KEY, body TEXT);")
        with db.connection() as conn:
            conn.execute("INSERT INTO notes (body) VALUES (?)", ("50% off?",))
            assert conn.execute("SELECT body FROM notes").scalar() == "50% off?"
        db.close()


def test_numbers_too_large_for_the_column_are_a_400_not_a_crash(database):
    from shared.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as info:
        with database.connection() as conn:
            conn.execute("INSERT INTO things (name, qty) VALUES (?, ?)", ("huge", 2 ** 80))
    assert info.value.status == 400 and info.value.code == "out_of_range"


def test_prepare_waits_out_a_database_that_is_briefly_unavailable(tmp_path):
    db = Database(load_settings({"DATABASE_TYPE": "sqlite"}), str(tmp_path / "seeded.db"))
    calls = []

    def flaky_seed(database):
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise ServiceUnavailable("The database is unavailable; try again shortly.")
        with database.connection() as conn:
            conn.execute("INSERT INTO things (name, qty) VALUES (?, ?)", ("seeded", 1))

    db.prepare(SCHEMA, flaky_seed)
    assert len(calls) == 3
    with db.connection() as conn:
        assert conn.execute("SELECT COUNT(*) AS n FROM things").scalar() == 1


def test_prepare_gives_up_after_the_startup_wait(tmp_path):
    db = Database(load_settings({"DATABASE_TYPE": "sqlite", "DB_STARTUP_WAIT_SECONDS": "1"}),
                  str(tmp_path / "never.db"))
    calls = []

    def always_down(database):
        calls.append(1)
        raise ServiceUnavailable("The database is unavailable; try again shortly.")

    started = time.monotonic()
    with pytest.raises(ServiceUnavailable):
        db.prepare(SCHEMA, always_down)
    assert 1 <= len(calls) <= 3 and time.monotonic() - started < 5


def test_production_never_falls_back_to_sqlite_when_postgresql_is_unreachable(tmp_path):
    env = {"FLASK_ENV": "production", "JWT_SECRET_KEY": "p" * 40, "DATABASE_TYPE": "postgresql",
           "DB_HOST": "127.0.0.1", "DB_PORT": "1", "DB_STARTUP_WAIT_SECONDS": "1"}
    db = Database(load_settings(env), str(tmp_path / "fallback.db"))
    with pytest.raises(ServiceUnavailable, match="unreachable and FLASK_ENV=production"):
        db.prepare(SCHEMA)
    assert db.kind == "postgresql"
    assert not (tmp_path / "fallback.db").exists()


def test_development_falls_back_to_sqlite_loudly(tmp_path, caplog):
    env = {"DATABASE_TYPE": "postgresql", "DB_HOST": "127.0.0.1", "DB_PORT": "1"}
    db = Database(load_settings(env), str(tmp_path / "fallback.db"))
    db.prepare(SCHEMA)
    assert db.kind == "sqlite" and (tmp_path / "fallback.db").exists()
    assert "DEVELOPMENT FALLBACK TO SQLITE" in caplog.text
