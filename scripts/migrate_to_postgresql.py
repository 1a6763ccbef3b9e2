"""Copy the services' SQLite databases into PostgreSQL.

    python scripts/migrate_to_postgresql.py --host localhost --port 5432 \\
        --database campus_services --user postgres --password postgres

A flag that is missing is asked for when a terminal is attached, and otherwise taken
from the environment / .env (DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD).
The tables are created first (the same schema the services use). Rows are copied with
ON CONFLICT DO NOTHING, so running the script twice copies nothing twice; identity
sequences are moved past the copied ids. At the end it prints, per table, the rows in
SQLite, the rows copied now and the rows in PostgreSQL, and exits 1 if PostgreSQL has
fewer rows than SQLite anywhere.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sqlite3
import sys
from pathlib import Path

from build_postgres_schema import render  # the sibling script (this folder is on sys.path)

from shared.config import SERVICES, load_settings

ROOT = Path(__file__).resolve().parent.parent

# The SQLite file each service keeps (in its folder, or in DATA_DIR when set).
SQLITE_FILES = {"gateway": "gateway.db", "user-management": "users.db", "booking": "bookings.db",
                "notification": "notifications.db", "maintenance": "tickets.db"}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--database")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--data-dir", help="folder holding the .db files (default: DATA_DIR or each service folder)")
    return parser.parse_args(argv)


def resolve(args: argparse.Namespace) -> dict:
    settings = load_settings()
    defaults = {"host": settings.db_host, "port": settings.db_port, "database": settings.db_name,
                "user": settings.db_user, "password": settings.db_password}
    interactive = sys.stdin.isatty()
    values = {}
    for key, default in defaults.items():
        given = getattr(args, key)
        if given is None and interactive:
            if key == "password":
                given = getpass.getpass("PostgreSQL password (empty for the default): ") or default
            else:
                answer = input(f"PostgreSQL {key} [{default}]: ").strip()
                given = answer or default
        values[key] = default if given is None else given
    values["port"] = int(values["port"])
    values["data_dir"] = args.data_dir or settings.data_dir
    return values


def sqlite_sources(data_dir: str | None) -> list[tuple[str, Path]]:
    found = []
    for service, filename in SQLITE_FILES.items():
        folder = Path(data_dir) if data_dir else ROOT / SERVICES[service].folder
        path = folder / filename
        if path.is_file():
            found.append((service, path))
    return found


def copy_table(src: sqlite3.Connection, pg, table: str) -> tuple[int, int, int]:
    with pg.cursor() as cur:
        cur.execute("SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND table_name = %s", (table,))
        pg_types = dict(cur.fetchall())
    if not pg_types:
        print(f"  ! {table}: no such table in PostgreSQL, skipped")
        return 0, 0, 0
    columns = [row[1] for row in src.execute(f'PRAGMA table_info("{table}")') if row[1] in pg_types]
    rows = src.execute(f'SELECT {", ".join(columns)} FROM "{table}"').fetchall()
    booleans = [i for i, c in enumerate(columns) if pg_types[c] == "boolean"]
    copied = 0
    placeholders = ", ".join(["%s"] * len(columns))
    with pg.cursor() as cur:
        for row in rows:
            values = list(row)
            for i in booleans:
                values[i] = None if values[i] is None else bool(values[i])
            cur.execute(f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({placeholders}) ON CONFLICT DO NOTHING',
                        values)
            copied += cur.rowcount
        if pg_types.get("id") in ("bigint", "integer"):
            cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,))
            sequence = cur.fetchone()[0]
            if sequence:
                cur.execute(f'SELECT setval(%s, GREATEST((SELECT COALESCE(MAX(id), 0) FROM "{table}"), 1))', (sequence,))
        cur.execute(f'SELECT COUNT(*) FROM "{table}"')
        in_pg = cur.fetchone()[0]
    return len(rows), copied, in_pg


def parents_first(src: sqlite3.Connection, tables: list[str]) -> list[str]:
    """Order tables so that every table comes after the tables its foreign keys point to."""
    parents = {t: {row[2] for row in src.execute(f'PRAGMA foreign_key_list("{t}")')} & set(tables) - {t}
               for t in tables}
    ordered: list[str] = []

    def visit(table: str) -> None:
        if table in ordered:
            return
        for parent in sorted(parents[table]):
            visit(parent)
        ordered.append(table)

    for table in sorted(tables):
        visit(table)
    return ordered


def main(argv: list[str] | None = None) -> int:
    import psycopg2

    target = resolve(parse_args(argv if argv is not None else sys.argv[1:]))
    sources = sqlite_sources(target["data_dir"])
    if not sources:
        print("No SQLite databases found; nothing to migrate.")
        return 0
    print(f"Migrating into postgresql://{target['user']}@{target['host']}:{target['port']}/{target['database']}")
    try:
        pg = psycopg2.connect(host=target["host"], port=target["port"], dbname=target["database"],
                              user=target["user"], password=target["password"], connect_timeout=10)
    except psycopg2.OperationalError as exc:
        print(f"Cannot connect to PostgreSQL: {str(exc).strip()}", file=sys.stderr)
        return 2
    shortfalls = []
    with pg:
        with pg.cursor() as cur:
            cur.execute(render())
        print(f"{'table':<24}{'sqlite':>8}{'copied':>8}{'postgres':>10}")
        for service, path in sources:
            src = sqlite3.connect(path)
            tables = [r[0] for r in src.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            # SQLite's own text-search indexes (FTS5 tables and their shadow tables) have no
            # PostgreSQL counterpart: there the services search through a GIN index they build.
            virtual = [r[0] for r in src.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'")]
            tables = [t for t in tables if not any(t == v or t.startswith(f"{v}_") for v in virtual)]
            print(f"-- {service} ({path})")
            for table in parents_first(src, tables):
                in_sqlite, copied, in_pg = copy_table(src, pg, table)
                print(f"{table:<24}{in_sqlite:>8}{copied:>8}{in_pg:>10}")
                if in_pg < in_sqlite:
                    shortfalls.append(table)
            src.close()
    pg.close()
    if shortfalls:
        print(f"PostgreSQL has fewer rows than SQLite in: {', '.join(shortfalls)}", file=sys.stderr)
        return 1
    print("Done. Set DATABASE_TYPE=postgresql (and DB_* as above) in .env and restart the services.")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("ENV_FILE", str(ROOT / ".env"))
    sys.exit(main())
