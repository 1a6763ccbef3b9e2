"""A service's start-up step (tables, migrations, seed rows: `<package>.prepare`) runs once
per server start, in gunicorn's master (shared/serve.py `prepare_service`); the app
factories do no database I/O, so building an app (in a worker, in a test) is cheap."""
from __future__ import annotations

import importlib
import sqlite3

import pytest

from shared.config import SERVICES
from shared.revocation import SessionRevocations
from tests.harness import available_services, in_process_settings, wait_until

DATABASES = {"gateway": "gateway.db", "user-management": "users.db", "booking": "bookings.db",
             "notification": "notifications.db", "maintenance": "tickets.db"}


class _NoModel:
    method = "keywords"

    def classify(self, texts):
        raise AssertionError("not called")

    def embed(self, texts):
        return None


@pytest.mark.fast
@pytest.mark.parametrize("service", sorted(DATABASES))
def test_create_app_touches_no_database_and_prepare_makes_the_tables(service, tmp_path):
    if service not in available_services():
        pytest.skip(f"{service} is not in this checkout")
    package = importlib.import_module(SERVICES[service].app_target.split(":")[0])
    settings = in_process_settings(tmp_path)
    extra = {"classifier": _NoModel(), "sessions": SessionRevocations.fixed()} if service == "maintenance" else {}
    if service in ("booking", "user-management", "maintenance"):
        extra["start_background"] = False
    package.create_app(settings, **extra)
    database = tmp_path / DATABASES[service]
    assert not database.exists(), "create_app opened the database"

    assert package.prepare(settings) == "sqlite"
    with sqlite3.connect(database) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables, "prepare made no tables"
    assert package.prepare(settings) == "sqlite"            # idempotent: a second start is harmless


def test_development_falls_back_to_sqlite_in_the_master_and_its_workers_follow(make_stack):
    """PostgreSQL configured but unreachable, FLASK_ENV=development: the master's start-up
    step falls back to SQLite (DESIGN decision 5) and the workers it forks use the same
    SQLite database, so sign-in and reads work."""
    stack = make_stack("postgresql", extra_env={"DB_PORT": "1", "FLASK_ENV": "development",
                                                "DB_STARTUP_WAIT_SECONDS": "1"})
    stack.start(["gateway", "user-management"])
    admin = stack.token("admin")
    for _ in range(6):                 # both workers of each service
        assert stack.api("GET", "/api/users", admin).status_code == 200
    log = stack.services["user-management"].log_path
    wait_until(lambda: "DEVELOPMENT FALLBACK TO SQLITE" in log.read_text(), 10, 0.2, "the fallback warning")
    assert log.read_text().count("DEVELOPMENT FALLBACK TO SQLITE") == 1, "the step ran more than once"
    assert (stack.workdir / "data" / "users.db").is_file()
