"""Start-up data migrations of the booking tables, each applied once per database.

`utc_instants`: versions before it stored start_at, end_at and checkin_deadline as campus
wall-clock text without a zone ('2025-07-01T08:00:00'), so a service running with another
BOOKING_TIMEZONE read them as other instants. It rewrites them as UTC instants
('2025-07-01T15:00:00.000000Z'), reading the old values in the zone this service is
configured with (the zone they were written in, as long as BOOKING_TIMEZONE was not
changed together with the upgrade).

Applied once: a row in booking_migrations records it (with the zone and the number of rows
converted), written in the same transaction as the conversion, and workers and replicas
that start together take turns (a PostgreSQL advisory lock; SQLite's one write lock).
A value is also converted only while it is in the old form, so even a lost marker could
never shift an instant twice.

`rooms_and_approvals`: room administration, approvals, booking on behalf and closures
added columns to rooms and bookings, and statuses: 'active' became 'confirmed', and
'pending', 'rejected' and 'expired' joined. The status CHECK of an older bookings table is
replaced (PostgreSQL: the constraint; SQLite, which cannot alter one: the table is rebuilt
from schema.sql's definition, its rows copied, its indexes made again).
"""
from __future__ import annotations

import logging
import re
from datetime import datetime

from shared.database import Connection, Database, sql_values, sqlite_ddl, utc_iso, utc_now_iso

from .models import STATUSES
from .timeslots import BookingConfig

logger = logging.getLogger(__name__)

UTC_INSTANTS = "utc_instants"
ROOMS_AND_APPROVALS = "rooms_and_approvals"
NEW_COLUMNS = {
    "rooms": (("floor", "TEXT NOT NULL DEFAULT ''"), ("accessibility", "TEXT NOT NULL DEFAULT '[]'"),
              ("description", "TEXT NOT NULL DEFAULT ''"), ("requires_approval", "BOOLEAN NOT NULL DEFAULT FALSE"),
              ("open_hour", "INTEGER NOT NULL DEFAULT 8"), ("close_hour", "INTEGER NOT NULL DEFAULT 18"),
              ("updated_at", "TEXT"), ("retired_at", "TEXT")),
    "bookings": (("booked_by", "TEXT"), ("booked_by_name", "TEXT"), ("decided_by", "TEXT"),
                 ("decided_at", "TEXT"), ("reason", "TEXT")),
}
LEGACY_FORMAT = "%Y-%m-%dT%H:%M:%S"
_LEGACY = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
_INSTANT_COLUMNS = ("start_at", "end_at", "checkin_deadline")
_PG_MIGRATION_LOCK = 817_002   # pg advisory lock: one migrating process at a time


def migrate(db: Database, cfg: BookingConfig, schema: str) -> None:
    """Every start-up migration, in order (a seeder for Database.prepare)."""
    convert_local_times_to_utc(db, cfg)
    add_rooms_and_approvals(db, schema)


def add_rooms_and_approvals(db: Database, schema: str) -> bool:
    """Bring an older rooms/bookings pair up to date (see the module's docstring); True if it did."""
    with db.connection() as conn:
        if conn.kind == "postgresql":
            conn.execute("SELECT pg_advisory_xact_lock(?)", (_PG_MIGRATION_LOCK,))
        if conn.execute("SELECT name FROM booking_migrations WHERE name = ?", (ROOMS_AND_APPROVALS,)).fetchone():
            return False
        for table, columns in NEW_COLUMNS.items():
            for column, definition in columns:
                conn.add_column_if_missing(table, column, definition)
        if conn.kind == "postgresql":
            conn.execute("ALTER TABLE bookings DROP CONSTRAINT IF EXISTS bookings_status_check")
            renamed = conn.execute("UPDATE bookings SET status = 'confirmed' WHERE status = 'active'").rowcount
            conn.execute(f"ALTER TABLE bookings ADD CONSTRAINT bookings_status_check "
                         f"CHECK (status IN ({sql_values(STATUSES)}))")
        else:
            renamed = _rebuild_sqlite_bookings(conn, schema)
        conn.execute("INSERT INTO booking_migrations (name, applied_at, detail) VALUES (?, ?, ?)",
                     (ROOMS_AND_APPROVALS, utc_now_iso(), f"{renamed} active booking(s) now confirmed"))
    return True


def _rebuild_sqlite_bookings(conn: Connection, schema: str) -> int:
    table_sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'bookings'").scalar()
    if "'pending'" in table_sql:
        return 0                # made by this version's schema.sql: nothing to replace
    columns = _ordered_columns(conn, "bookings")
    conn.execute("ALTER TABLE bookings RENAME TO bookings_before_approvals")
    create = re.search(r"CREATE TABLE IF NOT EXISTS bookings \(.*?\n\);", schema, re.S).group(0)
    conn.execute(sqlite_ddl(create))
    picked = ["CASE status WHEN 'active' THEN 'confirmed' ELSE status END" if c == "status" else c for c in columns]
    renamed = conn.execute("SELECT COUNT(*) AS n FROM bookings_before_approvals WHERE status = 'active'").scalar()
    conn.execute(f"INSERT INTO bookings ({', '.join(columns)}) SELECT {', '.join(picked)} "
                 "FROM bookings_before_approvals")
    conn.execute("DROP TABLE bookings_before_approvals")
    for index in re.findall(r"CREATE (?:UNIQUE )?INDEX IF NOT EXISTS \w+\s+ON bookings .*?;", schema, re.S):
        conn.execute(index)
    return int(renamed)


def _ordered_columns(conn: Connection, table: str) -> list[str]:
    return [r["name"] for r in conn.execute(f"PRAGMA table_info({table})").fetchall()]


def convert_local_times_to_utc(db: Database, cfg: BookingConfig) -> int:
    """Rewrite zone-less local start/end/deadline values as UTC instants; the number of
    bookings converted (0 when the migration was applied before)."""
    with db.connection() as conn:
        if conn.kind == "postgresql":
            conn.execute("SELECT pg_advisory_xact_lock(?)", (_PG_MIGRATION_LOCK,))
        if conn.execute("SELECT name FROM booking_migrations WHERE name = ?", (UTC_INSTANTS,)).fetchone():
            return 0
        rows = conn.execute("SELECT id, start_at, end_at, checkin_deadline FROM bookings "
                            "WHERE start_at NOT LIKE ? OR end_at NOT LIKE ? OR checkin_deadline NOT LIKE ? "
                            "ORDER BY id", ("%Z",) * 3).fetchall()
        converted = 0
        for row in rows:
            values = [_to_utc(row[column], cfg) for column in _INSTANT_COLUMNS]
            if values == [row[column] for column in _INSTANT_COLUMNS]:
                continue
            conn.execute("UPDATE bookings SET start_at = ?, end_at = ?, checkin_deadline = ? WHERE id = ?",
                         (*values, row["id"]))
            converted += 1
        detail = f"{converted} booking(s) read as {cfg.timezone.key} local time"
        conn.execute("INSERT INTO booking_migrations (name, applied_at, detail) VALUES (?, ?, ?)",
                     (UTC_INSTANTS, utc_now_iso(), detail))
    if converted:
        logger.warning("migration %s: converted %s", UTC_INSTANTS, detail)
    return converted


def _to_utc(value: str, cfg: BookingConfig) -> str:
    if not _LEGACY.match(value or ""):
        return value            # already an instant (or not ours to guess at)
    local = datetime.strptime(value, LEGACY_FORMAT).replace(tzinfo=cfg.timezone)
    return utc_iso(local)
