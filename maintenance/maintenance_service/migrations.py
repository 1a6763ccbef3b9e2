"""Bring a tickets database made by an earlier version up to date (the start-up step,
after schema.sql): the columns added since, their indexes, and the text-search index.
Idempotent; several instances starting at once on PostgreSQL take turns."""
from __future__ import annotations

from shared.database import Database

from . import search, stats

ADDED_COLUMNS = (("assignee_id", "TEXT"), ("assignee_name", "TEXT"), ("first_response_at", "TEXT"),
                 ("first_response_hours", "DOUBLE PRECISION"), ("resolution_hours", "DOUBLE PRECISION"),
                 ("sla_met", "BOOLEAN"))
INDEXES = (
    "CREATE INDEX IF NOT EXISTS idx_tickets_assignee ON tickets (assignee_id, status)",
    "CREATE INDEX IF NOT EXISTS idx_tickets_updated ON tickets (updated_at)",     # the queue's done tickets
)
# Until first_response_at existed, the first staff action was the first status change or comment.
BACKFILL_FIRST_RESPONSE = (
    "UPDATE tickets SET first_response_at = (SELECT MIN(e.created_at) FROM ticket_events e "
    "WHERE e.ticket_id = tickets.id AND e.event_type IN ('status_changed', 'commented')) "
    "WHERE first_response_at IS NULL")


def _hours(kind: str, end: str) -> str:
    """SQL for the hours from created_at to `end`; only for the one-time backfill."""
    if kind == "postgresql":
        return f"EXTRACT(EPOCH FROM (CAST({end} AS timestamptz) - CAST(created_at AS timestamptz))) / 3600.0"
    return f"(julianday({end}) - julianday(created_at)) * 24.0"


def _backfill_measures(conn) -> None:
    conn.execute(f"UPDATE tickets SET first_response_hours = {_hours(conn.kind, 'first_response_at')}, "
                 f"resolution_hours = {_hours(conn.kind, 'resolved_at')}, "
                 "sla_met = CASE WHEN resolved_at IS NULL THEN NULL ELSE resolved_at <= sla_due_at END")


def migrate(db: Database) -> None:
    with db.connection() as conn:
        if conn.kind == "postgresql":
            conn.execute("SELECT pg_advisory_xact_lock(727274)")   # the lock Database.initialize takes
        added = [name for name, definition in ADDED_COLUMNS if conn.add_column_if_missing("tickets", name, definition)]
        if "first_response_at" in added:
            conn.execute(BACKFILL_FIRST_RESPONSE)
        if "sla_met" in added:
            _backfill_measures(conn)
        for statement in INDEXES:
            conn.execute(statement)
        search.install(conn)
        stats.install(conn)
