"""One database API over SQLite (development) and PostgreSQL (production).

Service code writes SQL once, with `?` placeholders, and uses a transaction as a
context manager:

    with db.connection() as conn:          # commits on success, rolls back on error
        row = conn.execute("SELECT * FROM users WHERE email = ?", (email,)).fetchone()

Rows come back as plain dicts. A unique, foreign-key or check violation is raised as
`IntegrityViolation` (with `.kind`) so callers can answer 409; a database that cannot be
reached, or a pool that stays exhausted past DB_POOL_TIMEOUT, is `ServiceUnavailable` (503).

SQLite: a connection per thread, WAL journal, foreign keys on, a busy timeout; write
transactions begin IMMEDIATE so concurrent writers queue instead of deadlocking.
PostgreSQL: a psycopg2 ThreadedConnectionPool (DB_POOL_MIN..DB_POOL_MAX); callers wait
for a free connection; a connection always goes back, and a broken one is discarded so
the service recovers by itself after a database restart.
"""
from __future__ import annotations

import logging
import re
import sqlite3
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

from shared.config import Settings
from shared.errors import ServiceUnavailable, ValidationFailed

logger = logging.getLogger(__name__)


class IntegrityViolation(Exception):
    """A constraint refused a write. kind: unique | foreign_key | check | not_null | other."""

    def __init__(self, kind: str, message: str, constraint: str | None = None):
        super().__init__(message)
        self.kind = kind
        self.constraint = constraint


# `?` outside quoted strings becomes `%s` for psycopg2; a literal `%` must be doubled.
_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"])*\"|\?|%")


def to_pyformat(sql: str) -> str:
    def swap(match: re.Match) -> str:
        token = match.group(0)
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        return token
    return _TOKEN.sub(swap, sql)


def sqlite_ddl(sql: str) -> str:
    """The schema files are written for PostgreSQL; this is the whole SQLite dialect gap."""
    sql = re.sub(r"\bBIGSERIAL PRIMARY KEY\b", "INTEGER PRIMARY KEY AUTOINCREMENT", sql, flags=re.I)
    sql = re.sub(r"\bSERIAL PRIMARY KEY\b", "INTEGER PRIMARY KEY AUTOINCREMENT", sql, flags=re.I)
    sql = re.sub(r"\bBYTEA\b", "BLOB", sql, flags=re.I)
    return sql


class Result:
    """What `Connection.execute` returns: rows as dicts, plus rowcount."""

    def __init__(self, rows: list[dict[str, Any]] | None, rowcount: int):
        self._rows = rows or []
        self.rowcount = rowcount

    def fetchone(self) -> dict[str, Any] | None:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[dict[str, Any]]:
        return list(self._rows)

    def scalar(self) -> Any:
        row = self.fetchone()
        return None if row is None else next(iter(row.values()))

    def __iter__(self):
        return iter(self._rows)


class Connection:
    """A connection inside one transaction. Use only within `Database.connection()`."""

    def __init__(self, raw, kind: str):
        self._raw = raw
        self.kind = kind

    def execute(self, sql: str, params: Sequence[Any] | dict = ()) -> Result:
        try:
            if self.kind == "postgresql":
                with self._raw.cursor() as cur:
                    cur.execute(to_pyformat(sql), tuple(params))
                    rows = None
                    if cur.description is not None:
                        names = [col.name for col in cur.description]
                        rows = [dict(zip(names, r)) for r in cur.fetchall()]
                    return Result(rows, cur.rowcount)
            cur = self._raw.execute(sql, tuple(params))
            rows = None
            if cur.description is not None:
                names = [col[0] for col in cur.description]
                rows = [dict(zip(names, r)) for r in cur.fetchall()]
            return Result(rows, cur.rowcount)
        except Exception as exc:  # noqa: BLE001 - translated, re-raised
            raise _translate(exc, self.kind) from exc

    def execute_script(self, sql: str) -> None:
        """Run DDL as written: no placeholders, so a `?` or `%` in a comment is harmless."""
        try:
            if self.kind == "postgresql":
                with self._raw.cursor() as cur:
                    cur.execute(sql)
            else:
                self._raw.executescript(sql)
        except Exception as exc:  # noqa: BLE001 - translated, re-raised
            raise _translate(exc, self.kind) from exc

    def columns(self, table: str) -> set[str]:
        """The column names of a table (empty if it does not exist)."""
        if self.kind == "postgresql":
            rows = self.execute("SELECT column_name AS name FROM information_schema.columns "
                                "WHERE table_name = ? AND table_schema = current_schema()", (table,)).fetchall()
        else:
            rows = self.execute(f"PRAGMA table_info({table})").fetchall()
        return {r["name"] for r in rows}

    def add_column_if_missing(self, table: str, column: str, definition: str) -> bool:
        """Bring a table made by an earlier version up to date; True when added."""
        if column in self.columns(table):
            return False
        if self.kind == "postgresql":
            self.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {definition}")
        else:
            self.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
        return True

    def for_update(self, of: str | None = None) -> str:
        """The clause that ends a SELECT whose rows this transaction will change, so no
        other transaction changes them in between (read-modify-write without lost updates):
        " FOR UPDATE [OF <table or alias>]" on PostgreSQL; "" on SQLite, where a write
        transaction (BEGIN IMMEDIATE) holds the database's one write lock from its start.
        `of` names the table to lock when the query joins others (rooms of a booking...)."""
        if self.kind != "postgresql":
            return ""
        return f" FOR UPDATE OF {of}" if of else " FOR UPDATE"


def _translate(exc: Exception, kind: str) -> Exception:
    if isinstance(exc, OverflowError):
        return ValidationFailed("A number in the request is out of range.", code="out_of_range")
    if kind == "sqlite":
        if isinstance(exc, sqlite3.IntegrityError):
            text = str(exc)
            if "UNIQUE" in text:
                return IntegrityViolation("unique", text)
            if "FOREIGN KEY" in text:
                return IntegrityViolation("foreign_key", text)
            if "CHECK" in text:
                return IntegrityViolation("check", text)
            if "NOT NULL" in text:
                return IntegrityViolation("not_null", text)
            return IntegrityViolation("other", text)
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            return ServiceUnavailable("The database is busy; try again.", code="database_busy")
        return exc
    import psycopg2
    from psycopg2 import errorcodes

    if isinstance(exc, psycopg2.IntegrityError):
        kinds = {errorcodes.UNIQUE_VIOLATION: "unique", errorcodes.FOREIGN_KEY_VIOLATION: "foreign_key",
                 errorcodes.CHECK_VIOLATION: "check", errorcodes.NOT_NULL_VIOLATION: "not_null"}
        constraint = getattr(getattr(exc, "diag", None), "constraint_name", None)
        return IntegrityViolation(kinds.get(exc.pgcode, "other"), str(exc).strip(), constraint)
    if isinstance(exc, (psycopg2.OperationalError, psycopg2.InterfaceError)):
        return _Broken(str(exc))
    if isinstance(exc, psycopg2.DataError):  # e.g. a number out of range for its column
        return ValidationFailed("A value in the request is out of range or malformed.", code="out_of_range")
    return exc


class _Broken(ServiceUnavailable):
    """The connection died under us (database restarted); the pool must drop it."""

    code = "database_unavailable"
    message = "The database is unavailable; try again shortly."

    def __init__(self, detail: str = ""):
        super().__init__()
        self.detail = detail


class Database:
    """The service's database. Create once per app; cheap until first used."""

    def __init__(self, settings: Settings, sqlite_path: str):
        self.settings = settings
        self.sqlite_path = sqlite_path
        self.kind = settings.database_type
        self._local = threading.local()
        self._pool = None
        self._pool_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(settings.db_pool_max)

    # ------------------------------------------------------------------ lifecycle
    def initialize(self, schema_sql: str) -> None:
        """Create the service's tables. On PostgreSQL trouble: fail fast in production,
        fall back to SQLite (loudly) in development (DESIGN decision 5)."""
        if self.kind == "postgresql":
            try:
                self._ensure_pool()
            except Exception as exc:  # noqa: BLE001
                if self.settings.is_production:
                    # No fallback in production: prepare() waits a bounded time, then fails.
                    raise ServiceUnavailable(f"PostgreSQL at {self.settings.db_host}:{self.settings.db_port} "
                                             f"is unreachable and FLASK_ENV=production: {str(exc).strip()}",
                                             code="database_unavailable") from exc
                logger.warning("!" * 70)
                logger.warning("PostgreSQL unreachable (%s); DEVELOPMENT FALLBACK TO SQLITE at %s",
                               str(exc).strip(), self.sqlite_path)
                logger.warning("!" * 70)
                self.kind = "sqlite"
        if self.kind == "postgresql":
            with self.connection() as conn:
                # Several services or replicas may start at once; serialise their DDL.
                conn.execute("SELECT pg_advisory_xact_lock(727274)")
                conn.execute_script(schema_sql)
        else:
            raw = self._sqlite_conn()
            raw.executescript(sqlite_ddl(schema_sql))

    def prepare(self, schema_sql: str, *seeders: Callable[["Database"], None]) -> None:
        """Create the tables, then run each seeder(db) (migrations, seed rows): a service's
        start-up step, run once per server start by shared/serve.py `prepare_service`,
        never by create_app.

        A server that starts while PostgreSQL is briefly away (a restart, an outage) waits
        for it, up to DB_STARTUP_WAIT_SECONDS (60), instead of failing at once. Schema and
        seeders are idempotent, so a retry after a half-done attempt is safe."""
        deadline = time.monotonic() + self.settings.env.float("DB_STARTUP_WAIT_SECONDS", 60.0)
        delay = 0.5
        while True:
            try:
                self.initialize(schema_sql)
                for seed in seeders:
                    seed(self)
                return
            except ServiceUnavailable as exc:
                if time.monotonic() + delay > deadline:
                    raise
                logger.warning("database unavailable while preparing tables (%s); retrying in %.1f s",
                               exc.message, delay)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    def startup(self, schema_sql: str, *seeders: Callable[["Database"], None]) -> str:
        """The whole start-up step of a service: `prepare`, then `close`. Returns the kind
        of database in use, which a development fallback may have changed to "sqlite"."""
        try:
            self.prepare(schema_sql, *seeders)
            return self.kind
        finally:
            self.close()

    def close(self) -> None:
        """Close the pool and this thread's SQLite connection (the start-up step does, so
        gunicorn's master forks its workers holding no database connection)."""
        if self._pool is not None:
            self._pool.closeall()
            self._pool = None
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # ------------------------------------------------------------------ connections
    @contextmanager
    def connection(self, readonly: bool = False) -> Iterator[Connection]:
        """A transaction: commit when the block ends, roll back if it raises."""
        if self.kind == "postgresql":
            with self._pg_transaction() as conn:
                yield conn
        else:
            with self._sqlite_transaction(readonly) as conn:
                yield conn

    def ping(self) -> bool:
        with self.connection(readonly=True) as conn:
            return conn.execute("SELECT 1 AS ok").scalar() == 1

    # ------------------------------------------------------------------ SQLite
    def _sqlite_conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.sqlite_path, timeout=30, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    @contextmanager
    def _sqlite_transaction(self, readonly: bool) -> Iterator[Connection]:
        raw = self._sqlite_conn()
        try:
            raw.execute("BEGIN" if readonly else "BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise _translate(exc, "sqlite") from exc
        try:
            yield Connection(raw, "sqlite")
        except BaseException:
            raw.execute("ROLLBACK")
            raise
        else:
            raw.execute("COMMIT")

    # ------------------------------------------------------------------ PostgreSQL
    def _ensure_pool(self):
        if self._pool is None:
            with self._pool_lock:
                if self._pool is None:
                    from psycopg2.pool import ThreadedConnectionPool

                    s = self.settings
                    self._pool = ThreadedConnectionPool(
                        s.db_pool_min, s.db_pool_max, host=s.db_host, port=s.db_port,
                        dbname=s.db_name, user=s.db_user, password=s.db_password,
                        connect_timeout=5, application_name="campus-services-hub")
        return self._pool

    @contextmanager
    def _pg_transaction(self) -> Iterator[Connection]:
        import psycopg2

        # The semaphore makes callers wait for a free connection instead of failing
        # with "pool exhausted"; the pool itself never hands out more than max.
        if not self._slots.acquire(timeout=self.settings.db_pool_timeout):
            raise ServiceUnavailable("All database connections are busy; try again.", code="database_busy")
        raw = None
        discard = False
        try:
            try:
                pool = self._ensure_pool()
                raw = pool.getconn()
                if raw.closed:
                    pool.putconn(raw, close=True)
                    raw = pool.getconn()
            except (psycopg2.Error, OSError) as exc:
                raw = None
                raise _Broken(str(exc)) from exc
            conn = Connection(raw, "postgresql")
            try:
                yield conn
            except BaseException as exc:
                discard = isinstance(exc, _Broken) or raw.closed != 0
                if not discard:
                    try:
                        raw.rollback()
                    except psycopg2.Error:
                        discard = True
                raise
            else:
                try:
                    raw.commit()
                except psycopg2.Error as exc:
                    discard = True
                    translated = _translate(exc, "postgresql")
                    raise translated from exc
        finally:
            if raw is not None and self._pool is not None:
                try:
                    self._pool.putconn(raw, close=discard)
                except Exception:  # noqa: BLE001 - the pool may have been closed meanwhile
                    logger.debug("could not return a connection to the pool", exc_info=True)
            self._slots.release()


def utc_now_iso() -> str:
    """Timestamps are stored as ISO-8601 UTC text, identical on both databases."""
    from datetime import datetime, timezone

    return utc_iso(datetime.now(timezone.utc))


def utc_iso(moment) -> str:
    """An aware datetime as stored: 'YYYY-MM-DDTHH:MM:SS.ffffffZ' in UTC. Every value has
    the same width and zone, so text order is time order and `<` in SQL compares instants
    on SQLite and PostgreSQL alike. A naive datetime is refused: its zone would be a guess."""
    from datetime import timezone

    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("utc_iso needs an aware datetime")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sql_values(values) -> str:
    """Names as SQL string literals ("'a', 'b'"), for a CHECK (column IN (...)) that a
    schema generates from the rule's one definition (e.g. shared.auth.ROLES) instead of
    restating it."""
    return ", ".join("'" + str(value).replace("'", "''") + "'" for value in values)
