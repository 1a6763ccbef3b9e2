"""Start-up migrations of the notification tables (a seeder for Database.startup).

Each brings a table made by an earlier version up to date; all are idempotent, so
workers and replicas starting together, or a retried start-up, are harmless.
"""
from __future__ import annotations

from shared.database import Database

# Columns added after the first release: (table, column, definition). schema.sql has them
# for a new database; an existing one gets them here (SQLite and PostgreSQL alike).
ADDED_COLUMNS = (
    ("notifications", "link", "TEXT"),
    ("notifications", "important", "BOOLEAN NOT NULL DEFAULT FALSE"),
)


def migrate(db: Database) -> None:
    with db.connection() as conn:
        for table, column, definition in ADDED_COLUMNS:
            conn.add_column_if_missing(table, column, definition)
