"""SLA escalation: a periodic job in every maintenance process.

Two thresholds (models.ESCALATIONS), each notified once per ticket: an open ticket past its
due time ("overdue"), and an urgent open ticket with half of its time gone and nobody
assigned ("urgent_half_unassigned"). The assignee hears of it, or every admin when there
is none. However many instances (and workers) run the job, the notification goes out
once: each escalation is claimed by inserting its (ticket, threshold) row into
ticket_escalations, whose primary key lets one insert win, in the same transaction as the
history event and the outbox row; the ticket's row is locked and its state checked again
first, so a ticket assigned or resolved meanwhile is not escalated.

The clock and the period are injectable (sla_monitor(clock=..., interval=...), escalate(db,
now)), so a test moves time instead of waiting. MAINTENANCE_ESCALATION_SECONDS: the period (60).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from shared.database import Database, utc_iso
from shared.periodic import Periodic

from .models import OPEN_STATUSES
from .tickets import SLA_MONITOR, _get_row, _parse, _record, notify

_OPEN = ", ".join(f"'{s}'" for s in OPEN_STATUSES)
BATCH = 500   # escalations per threshold and run; the next run takes the rest


def _half_time(row: dict) -> datetime:
    created, due = _parse(row["created_at"]), _parse(row["sla_due_at"])
    return created + (due - created) / 2


def _due(row: dict, threshold: str, now: datetime) -> bool:
    """Does the ticket (as it is now) pass this threshold?"""
    if row["status"] not in OPEN_STATUSES:
        return False
    if threshold == "overdue":
        return _parse(row["sla_due_at"]) < now
    return row["priority"] == "urgent" and row.get("assignee_id") is None and _half_time(row) <= now


def _candidates(db: Database, now: datetime) -> list[tuple[int, str]]:
    not_sent = ("NOT EXISTS (SELECT 1 FROM ticket_escalations e WHERE e.ticket_id = tickets.id "
                "AND e.threshold = ?)")
    with db.connection(readonly=True) as conn:
        overdue = conn.execute(f"SELECT id FROM tickets WHERE status IN ({_OPEN}) AND sla_due_at < ? AND {not_sent} "
                               "ORDER BY sla_due_at LIMIT ?", (utc_iso(now), "overdue", BATCH)).fetchall()
        urgent = conn.execute(f"SELECT id, status, priority, assignee_id, created_at, sla_due_at FROM tickets "
                              f"WHERE status IN ({_OPEN}) AND priority = 'urgent' AND assignee_id IS NULL "
                              f"AND {not_sent} ORDER BY sla_due_at LIMIT ?",
                              ("urgent_half_unassigned", BATCH)).fetchall()
    return ([(int(r["id"]), "overdue") for r in overdue]
            + [(int(r["id"]), "urgent_half_unassigned") for r in urgent if _due(r, "urgent_half_unassigned", now)])


def _message(row: dict, threshold: str) -> tuple[str, str]:
    ticket_id, title = int(row["id"]), row["title"]
    due = row["sla_due_at"][:16].replace("T", " ")
    if threshold == "overdue":
        return (f"Ticket #{ticket_id} is overdue",
                f"\u201c{title}\u201d ({row['priority']}, {row['department']}) was due at {due} UTC and is still "
                f"{row['status'].replace('_', ' ')}.")
    return (f"Urgent ticket #{ticket_id} has nobody assigned",
            f"Half of the {row['sla_hours']} h of \u201c{title}\u201d ({row['department']}) are gone; it is due at "
            f"{due} UTC.")


def escalate(db: Database, now: datetime | None = None) -> list[tuple[int, str]]:
    """One run: every escalation due at `now` that no instance has sent; returns the
    (ticket id, threshold) pairs this run claimed."""
    now = now or datetime.now(timezone.utc)
    sent = []
    for ticket_id, threshold in _candidates(db, now):
        with db.connection() as conn:
            row = _get_row(conn, ticket_id, lock=True)
            if not _due(row, threshold, now):
                continue
            claimed = conn.execute(
                "INSERT INTO ticket_escalations (ticket_id, threshold, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (ticket_id, threshold) DO NOTHING RETURNING ticket_id",
                (ticket_id, threshold, utc_iso(now))).fetchone()
            if claimed is None:
                continue     # another instance sent it
            title, body = _message(row, threshold)
            _record(conn, ticket_id, SLA_MONITOR, "escalated", None, threshold, title, at=utc_iso(now))
            key = f"ticket-escalation:{ticket_id}:{threshold}"
            if row.get("assignee_id"):
                notify(conn, key, ticket_id, title, body, user_id=row["assignee_id"])
            else:
                notify(conn, key, ticket_id, title, body, role="admin")
        sent.append((ticket_id, threshold))
    return sent


def sla_monitor(db: Database, interval: float = 60.0,
                clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc), on_sent=None) -> Periodic:
    """The job: `escalate` every `interval` seconds at `clock()`; on_sent (wakes the outbox)
    after a run that claimed something."""
    return Periodic("sla-escalation", interval, lambda: escalate(db, clock()), on_change=on_sent)
