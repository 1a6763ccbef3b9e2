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
"""
from __future__ import annotations

import logging
import re
from datetime import datetime

from shared.database import Database, utc_iso, utc_now_iso

from .timeslots import BookingConfig

logger = logging.getLogger(__name__)

UTC_INSTANTS = "utc_instants"
LEGACY_FORMAT = "%Y-%m-%dT%H:%M:%S"
_LEGACY = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
_INSTANT_COLUMNS = ("start_at", "end_at", "checkin_deadline")
_PG_MIGRATION_LOCK = 817_002   # pg advisory lock: one migrating process at a time


def migrate(db: Database, cfg: BookingConfig) -> None:
    """Every start-up migration, in order (a seeder for Database.prepare)."""
    convert_local_times_to_utc(db, cfg)


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
