"""The ticket list (GET /tickets): a reporter's own tickets, newest first; for staff the
queue, what needs action first (open before done, overdue, then urgent, then by due time),
with filters, text search (search.py) and the counters the desk shows on top."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from shared.auth import Principal
from shared.database import Database, utc_iso
from shared.errors import ValidationFailed

from . import search
from .classifier import Analyzer
from .models import ASSIGNEE_WORDS, OPEN_STATUSES, PRIORITIES, STATUSES, TicketPage
from .tickets import COLUMNS, canonical, is_staff, public

FILTERS = ("status", "priority", "category", "department", "assignee", "overdue", "q")
_OPEN = ", ".join(f"'{s}'" for s in OPEN_STATUSES)
# What needs action first: the open tickets (overdue, then urgent, then by due time), then
# the done ones (last changed first). Read as two queries, so the sort covers the open
# tickets only and the done ones come in index order (idx_tickets_updated).
OPEN_ORDER = "CASE WHEN sla_due_at < ? THEN 0 ELSE 1 END, CASE WHEN priority = 'urgent' THEN 0 ELSE 1 END, sla_due_at, id"
DONE_ORDER = "updated_at DESC, id DESC"
REPORTER_ORDER = "id DESC"
TRUE_WORDS, FALSE_WORDS = ("true", "1", "yes"), ("false", "0", "no")


def _field_error(name: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{name} {message}.", details=[{"field": name, "message": message}])


def _conditions(kind: str, analyzer: Analyzer, viewer: Principal, filters: dict[str, str | None],
                now: str) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    given = {k: v for k, v in filters.items() if v not in (None, "")}
    if "status" in given:   # one status, or several: status=open,in_progress
        statuses = list(dict.fromkeys(canonical("status", s, STATUSES) for s in given["status"].split(",")))
        where.append(f"status IN ({', '.join('?' * len(statuses))})")
        params += statuses
    for name, allowed in (("priority", PRIORITIES), ("category", analyzer.categories),
                          ("department", analyzer.departments)):
        if name in given:
            where.append(f"{name} = ?")
            params.append(canonical(name, given[name], allowed))
    if "assignee" in given:
        who = given["assignee"].strip()
        if who.lower() == "mine":
            where.append("assignee_id = ?")
            params.append(viewer.id)
        elif who.lower() == "unassigned":
            where.append("assignee_id IS NULL")
        elif who:
            where.append("assignee_id = ?")
            params.append(who)
        else:
            raise _field_error("assignee", f"must be {' or '.join(ASSIGNEE_WORDS)}, or a user id")
    if "overdue" in given:
        flag = given["overdue"].strip().lower()
        if flag not in TRUE_WORDS + FALSE_WORDS:
            raise _field_error("overdue", "must be true or false")
        overdue = f"(status IN ({_OPEN}) AND sla_due_at < ?)"
        where.append(overdue if flag in TRUE_WORDS else f"NOT {overdue}")
        params.append(now)
    if "q" in given:
        if len(given["q"]) > 200:
            raise _field_error("q", "must be at most 200 characters")
        condition, values = search.condition(kind, given["q"])
        where.append(condition)
        params += values
    return where, params


def list_tickets(db: Database, analyzer: Analyzer, viewer: Principal, filters: dict[str, str | None],
                 page: int, per_page: int, now: datetime | None = None) -> dict[str, Any]:
    now_s = utc_iso(now or datetime.now(timezone.utc))
    scope, scope_params = ([], []) if is_staff(viewer) else (["user_id = ?"], [viewer.id])
    where, params = _conditions(db.kind, analyzer, viewer, filters, now_s)
    clause = " AND ".join(scope + where) or "1 = 1"
    mine = " AND ".join(scope + [f"status IN ({_OPEN})"])
    offset = (page - 1) * per_page
    with db.connection(readonly=True) as conn:
        def count(condition: str) -> int:
            return int(conn.execute(f"SELECT COUNT(*) AS n FROM tickets WHERE {condition}",
                                    [*scope_params, *params]).scalar())

        def read(condition: str, order: str, order_params: list, limit: int, skip: int) -> list[dict]:
            return conn.execute(f"SELECT {COLUMNS} FROM tickets WHERE {condition} ORDER BY {order} LIMIT ? OFFSET ?",
                                [*scope_params, *params, *order_params, limit, skip]).fetchall()
        if is_staff(viewer):
            opened = count(f"{clause} AND status IN ({_OPEN})")
            total = opened + count(f"{clause} AND status NOT IN ({_OPEN})")
            rows = read(f"{clause} AND status IN ({_OPEN})", OPEN_ORDER, [now_s], per_page, offset) \
                if offset < opened else []
            if len(rows) < per_page:
                rows += read(f"{clause} AND status NOT IN ({_OPEN})", DONE_ORDER, [], per_page - len(rows),
                             max(0, offset - opened))
        else:
            total = count(clause)
            rows = read(clause, REPORTER_ORDER, [], per_page, offset)
        counters = conn.execute(
            "SELECT COALESCE(SUM(CASE WHEN priority = 'urgent' THEN 1 ELSE 0 END), 0) AS urgent, "
            "COALESCE(SUM(CASE WHEN sla_due_at < ? THEN 1 ELSE 0 END), 0) AS overdue, "
            "COALESCE(SUM(CASE WHEN assignee_id IS NULL THEN 1 ELSE 0 END), 0) AS unassigned "
            f"FROM tickets WHERE {mine}", [now_s, *scope_params]).fetchone()
    return TicketPage(items=[public(r, viewer, now_s) for r in rows], page=page, per_page=per_page, total=total,
                      pages=(total + per_page - 1) // per_page,
                      counters={k: int(v) for k, v in counters.items()}).model_dump()
