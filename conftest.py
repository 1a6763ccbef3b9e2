"""Fixtures for every test folder: real service processes, on SQLite and PostgreSQL.

`stack` is a session-wide platform started once per database backend; tests that stop
or break services build their own with `make_stack`. The PostgreSQL half needs a server
on 127.0.0.1:5432 (trust auth); without one it is skipped with a message, except in CI
(CI=true), where it fails.
"""
from __future__ import annotations

import os
import uuid

import pytest

from tests.harness import Stack, redis_env

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _pg_admin_connect():
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres", connect_timeout=3)
    conn.autocommit = True
    return conn


def postgres_available() -> str | None:
    """None when usable, else why not."""
    try:
        _pg_admin_connect().close()
        return None
    except Exception as exc:  # noqa: BLE001
        return f"{exc.__class__.__name__}: {str(exc).strip()[:200]}"


class PgDatabases:
    """Throw-away PostgreSQL databases, dropped at the end."""

    def __init__(self):
        self.created: list[str] = []

    def create(self) -> str:
        name = f"campus_test_{uuid.uuid4().hex[:12]}"
        conn = _pg_admin_connect()
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        conn.close()
        self.created.append(name)
        return name

    def drop_all(self) -> None:
        if not self.created:
            return
        conn = _pg_admin_connect()
        with conn.cursor() as cur:
            for name in self.created:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


@pytest.fixture(scope="session")
def pg_databases():
    dbs = PgDatabases()
    yield dbs
    dbs.drop_all()


def require_backend(backend: str) -> None:
    if backend != "postgresql":
        return
    problem = postgres_available()
    if problem:
        message = f"PostgreSQL on 127.0.0.1:5432 is not reachable ({problem}); PostgreSQL tests skipped"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " -- but CI must run them")
        pytest.skip(message)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request):
    require_backend(request.param)
    return request.param


@pytest.fixture(scope="session")
def stack(backend, tmp_path_factory, pg_databases):
    """The whole platform (every service in this checkout), once per backend.

    The SQLite stack runs as a laptop does (no Redis); the PostgreSQL stack as production
    does, with Redis (shared revocation list, Socket.IO message queue) when reachable."""
    pg_name = pg_databases.create() if backend == "postgresql" else None
    extra = redis_env() if backend == "postgresql" else {}
    platform = Stack(tmp_path_factory.mktemp(f"stack-{backend}"), backend, pg_name, extra)
    # STACK_SERVICES=gateway,user-management narrows the platform while developing.
    only = [s.strip() for s in os.environ.get("STACK_SERVICES", "").split(",") if s.strip()]
    try:
        platform.start(only or None)
        yield platform
    finally:
        platform.stop()


@pytest.fixture
def make_stack(tmp_path, pg_databases):
    """Build private stacks: make_stack(backend="sqlite", extra_env={...}); stopped afterwards."""
    made: list[Stack] = []

    def factory(backend: str = "sqlite", extra_env: dict[str, str] | None = None) -> Stack:
        require_backend(backend)
        pg_name = pg_databases.create() if backend == "postgresql" else None
        platform = Stack(tmp_path / f"stack{len(made)}", backend, pg_name, extra_env)
        made.append(platform)
        return platform

    yield factory
    for platform in made:
        platform.stop()


@pytest.fixture(scope="session")
def tokens(stack):
    return {role: stack.token(role) for role in ("admin", "faculty", "student")}


# The longest tests (a fixed fuzzing budget per backend) first: with parallel workers
# (pytest-xdist, `-n` in pytest.ini) the longest should not be the last to start.
FIRST = ("tests/test_fuzz.py", "tests/test_slow_clients.py", "tests/browser/test_frontend.py")


@pytest.hookimpl(trylast=True)      # after pytest's own reordering by fixture
def pytest_collection_modifyitems(session, config, items):
    items.sort(key=lambda item: next((i for i, path in enumerate(FIRST) if item.nodeid.startswith(path)),
                                     len(FIRST)))
