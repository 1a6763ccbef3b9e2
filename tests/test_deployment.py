"""What can be checked of the deployment files without a Docker engine, and the
generated PostgreSQL schema."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml

from shared.config import REPO_ROOT, SERVICES

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())


def test_init_sql_is_generated_from_the_service_schemas():
    result = subprocess.run([sys.executable, "scripts/build_postgres_schema.py", "--check"], cwd=REPO_ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_init_sql_applies_twice_and_creates_every_table(pg_databases):
    from conftest import _pg_admin_connect, require_backend

    require_backend("postgresql")
    import psycopg2

    name = pg_databases.create()
    sql = (REPO_ROOT / "init-db-postgres.sql").read_text()
    conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname=name)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql)
        cur.execute(sql)  # running it twice does no harm
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        tables = {row[0] for row in cur.fetchall()}
    conn.close()
    _pg_admin_connect().close()
    expected = {"users", "user_outbox", "session_revocations", "login_throttle"}
    for service, wanted in (("booking", {"rooms", "bookings", "booking_outbox"}),
                            ("notification", {"notifications"}),
                            ("maintenance", {"tickets", "ticket_events", "ticket_outbox"})):
        package = SERVICES[service].app_target.split(":")[0]
        if (REPO_ROOT / SERVICES[service].folder / package).is_dir():
            expected |= wanted
    assert expected <= tables, expected - tables


def test_compose_names_every_service_with_its_port_and_health_check():
    services = COMPOSE["services"]
    assert {"postgres", "redis"} <= set(services)
    for name, info in SERVICES.items():
        assert name in services, name
        spec = services[name]
        assert f"{info.default_port}:{info.default_port}" in spec["ports"], (name, spec["ports"])
        assert "healthcheck" in spec and str(info.default_port) in " ".join(spec["healthcheck"]["test"])
        assert spec["restart"] == "unless-stopped"
        assert spec["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert spec["build"]["dockerfile"] == f"{info.folder}/Dockerfile"
    pg = services["postgres"]
    assert pg["image"] == "postgres:15-alpine"
    assert any("init-db-postgres.sql" in v for v in pg["volumes"])
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])
    assert "pgdata" in COMPOSE["volumes"]


def _variables_read_by_the_code() -> set[str]:
    names: set[str] = set()
    pattern = re.compile(r"""env\.(?:str|int|float|bool|list)\(\s*f?["']([A-Z0-9_{}.a-z]+)["']""")
    for path in REPO_ROOT.rglob("*.py"):
        if ".venv" in path.parts or "node_modules" in path.parts:
            continue
        for found in pattern.findall(path.read_text(errors="ignore")):
            if "{info.prefix}" in found:
                for info in SERVICES.values():
                    names.add(found.replace("{info.prefix}", info.prefix))
            else:
                names.add(found)
    return names


def test_compose_environment_names_are_ones_the_code_reads():
    known = _variables_read_by_the_code() | {"HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "PYTHONPATH"}
    assert {"JWT_SECRET_KEY", "DATABASE_TYPE", "DB_HOST", "REDIS_URL"} <= known
    for name, spec in COMPOSE["services"].items():
        if name in ("postgres", "redis"):
            continue
        env = spec.get("environment") or {}
        unknown = set(env) - known
        assert not unknown, f"{name} sets variables no code reads: {unknown}"


@pytest.mark.parametrize("service", list(SERVICES))
def test_every_path_a_dockerfile_copies_exists(service):
    dockerfile = REPO_ROOT / SERVICES[service].folder / "Dockerfile"
    text = dockerfile.read_text()
    assert "USER campus" in text and "HEALTHCHECK" in text and "python:3.11-slim" in text
    assert f'"{SERVICES[service].folder}/{SERVICES[service].entry}"' in text  # same entry as start_all.sh
    for line in text.splitlines():
        if line.startswith("COPY") and "--from" not in line:
            sources = line.split()[1:-1]
            for source in sources:
                assert (REPO_ROOT / source).exists(), f"{dockerfile}: {source} does not exist"
    for req in re.findall(r"-r (\S+requirements\.txt)", text):
        assert (REPO_ROOT / req).exists(), req
