"""Tickets: the logic and SQL of the domain. Routes call these; nothing here sees a request.

Every change of a ticket writes a ticket_events row (the audit trail) and, where the
owner should hear of it, an outbox row, all in the change's own transaction.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

from shared import idempotency
from shared.auth import Principal
from shared.database import Connection, Database
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.outbox import enqueue

from .classifier import Analyzer
from .models import (
    INITIAL_STATUS,
    OPEN_STATUSES,
    PRIORITIES,
    STATUS_WORDS,
    STATUSES,
    TICKET_COLUMNS,
    TRANSITIONS,
    CategoryInfo,
    TicketAnalytics,
    TicketCreate,
    TicketDetail,
    TicketMeta,
    TicketPage,
    TicketPublic,
    TicketUpdate,
)

OUTBOX = "ticket_outbox"
IDEMPOTENCY = "ticket_idempotency"   # answers to creates sent with an Idempotency-Key
TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
PUBLIC_FIELDS = TICKET_COLUMNS   # models.TicketPublic is the answer; these are its stored fields
# The owner of the ticket a new one may duplicate: a person learns that a similar report
# exists, never the id of someone else's ticket (ids are sequential; see public()).
COLUMNS = ", ".join(PUBLIC_FIELDS) + (", (SELECT d.user_id FROM tickets d WHERE d.id = tickets.possible_duplicate_of)"
                                      " AS duplicate_owner_id")


@dataclass(frozen=True)
class TicketRules:
    confidence_threshold: float = 0.5     # below: needs_review
    duplicate_threshold: float = 0.85     # cosine similarity above which a ticket is a likely duplicate


def _ts(moment: datetime) -> str:
    return moment.strftime(TS_FORMAT)


def _parse(value: str) -> datetime:
    return datetime.strptime(value, TS_FORMAT).replace(tzinfo=timezone.utc)


def location_key(location: str | None) -> str | None:
    if not location:
        return None
    key = " ".join(location.split()).lower()
    return key or None


def _may_see_duplicate(row: dict[str, Any], viewer: Principal | None) -> bool:
    """Admins see which ticket a report may duplicate; its owner only when that one is theirs too."""
    return (viewer is not None and viewer.is_privileged) or row.get("duplicate_owner_id") == row["user_id"]


def public(row: dict[str, Any], viewer: Principal | None = None) -> dict[str, Any]:
    """The ticket as `viewer` may see it; without a viewer, as its owner may (what a live
    update to the owner's room carries)."""
    ticket = {k: row.get(k) for k in PUBLIC_FIELDS}
    ticket["id"] = int(ticket["id"])
    ticket["confidence"] = float(ticket["confidence"])
    ticket["needs_review"] = bool(ticket["needs_review"])
    ticket["sla_hours"] = int(ticket["sla_hours"])
    ticket["similar_report_exists"] = ticket["possible_duplicate_of"] is not None
    if ticket["possible_duplicate_of"] is not None:
        ticket["possible_duplicate_of"] = int(ticket["possible_duplicate_of"]) if _may_see_duplicate(row, viewer) \
            else None
    return TicketPublic(**ticket).model_dump()


def _event(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": int(row["id"]), "event_type": row["event_type"],
            "actor": {"id": row["actor_id"], "name": row["actor_name"], "role": row["actor_role"]},
            "old_value": row["old_value"], "new_value": row["new_value"],
            "comment": row["comment"], "created_at": row["created_at"]}


def _record(conn: Connection, ticket_id: int, actor: Principal, event_type: str, old=None, new=None,
            comment: str | None = None, at: str | None = None) -> int:
    return int(conn.execute(
        "INSERT INTO ticket_events (ticket_id, actor_id, actor_name, actor_role, event_type, old_value, "
        "new_value, comment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (ticket_id, actor.id, actor.name or actor.email or actor.id, actor.role, event_type,
         old, new, comment, at or _ts(datetime.now(timezone.utc)))).scalar())


def _get_row(conn: Connection, ticket_id: int, lock: bool = False) -> dict[str, Any]:
    """lock: the caller changes the ticket in this transaction; the row stays locked until
    it commits (PostgreSQL), so concurrent changes queue and each sees the one before."""
    row = conn.execute(f"SELECT {COLUMNS} FROM tickets WHERE id = ?{conn.for_update('tickets') if lock else ''}",
                       (ticket_id,)).fetchone()
    if row is None:
        raise NotFound(f"No ticket with id {ticket_id}.")
    return row


def _notifiable(user_id: str) -> bool:
    return not user_id.startswith("service:")


# ----------------------------------------------------------------------------- create
def _find_duplicate(conn: Connection, key: str | None, embedding: list[float] | None,
                    threshold: float) -> int | None:
    if key is None or embedding is None:
        return None
    open_marks = ", ".join("?" * len(OPEN_STATUSES))
    rows = conn.execute(
        f"SELECT id, embedding FROM tickets WHERE location_key = ? AND status IN ({open_marks}) "
        "AND embedding IS NOT NULL ORDER BY id", (key, *OPEN_STATUSES)).fetchall()
    best_id, best = None, threshold
    for row in rows:
        other = json.loads(row["embedding"])
        if len(other) != len(embedding):
            continue  # a different model made it
        similarity = sum(a * b for a, b in zip(embedding, other))
        if similarity > best:
            best_id, best = int(row["id"]), similarity
    return best_id


def create_tickets(db: Database, analyzer: Analyzer, rules: TicketRules, items: list[TicketCreate],
                   owner: Principal, once: idempotency.IdempotentRequest | None = None) -> list[dict[str, Any]]:
    """Classify all items in one classifier call and create them in one transaction.
    once: the request's Idempotency-Key; a repeat gets the first answer (shared/idempotency.py)."""
    idempotency.answered(db, once)   # before the classifier: a repeat costs no model call
    texts = [f"{item.title}. {item.description}" for item in items]
    analyses = analyzer.analyse(texts)
    created = []
    with db.connection() as conn:
        idempotency.reserve(conn, once)
        for item, analysis in zip(items, analyses):
            now = datetime.now(timezone.utc)
            category = analysis.category if analysis.category in analyzer.categories else "Other"
            hours = analyzer.sla_hours(analysis.priority, category)
            key = location_key(item.location)
            duplicate_of = _find_duplicate(conn, key, analysis.embedding, rules.duplicate_threshold)
            ticket_id = int(conn.execute(
                "INSERT INTO tickets (title, description, location, location_key, category, confidence, "
                "classification_method, needs_review, priority, impact, sla_hours, sla_due_at, department, "
                "status, possible_duplicate_of, user_id, user_name, user_email, embedding, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "RETURNING id",
                (item.title, item.description, item.location, key, category, analysis.confidence,
                 analysis.method, analysis.confidence < rules.confidence_threshold, analysis.priority,
                 analysis.impact, hours, _ts(now + timedelta(hours=hours)), analyzer.department_for(category),
                 INITIAL_STATUS, duplicate_of, owner.id, owner.name or owner.email or owner.id, owner.email,
                 None if analysis.embedding is None else json.dumps(analysis.embedding),
                 _ts(now), _ts(now))).scalar())
            _record(conn, ticket_id, owner, "created", None, INITIAL_STATUS,
                    f"Classified as {category} ({analysis.method}, confidence {analysis.confidence:.2f}); "
                    f"priority {analysis.priority}; routed to {analyzer.department_for(category)}.",
                    at=_ts(now))
            if duplicate_of is not None:
                _record(conn, ticket_id, owner, "duplicate_flagged", None, str(duplicate_of), at=_ts(now))
            ticket = public(_get_row(conn, ticket_id), owner)
            if _notifiable(owner.id):
                enqueue(conn, OUTBOX, f"ticket-created:{ticket_id}", {
                    "user_id": owner.id, "type": "maintenance",
                    "title": f"Ticket #{ticket_id} received",
                    "body": f"\u201c{item.title}\u201d was filed as {category} ({analysis.priority}) and "
                            f"routed to {ticket['department']}."})
            created.append(ticket)
        idempotency.record(conn, once, created)
    return created


# ----------------------------------------------------------------------------- read
def _check_filter(name: str, value: str | None, allowed: Iterable[str]) -> str | None:
    if value is None or value == "":
        return None
    allowed = list(allowed)
    for option in allowed:
        if option.lower() == value.lower():
            return option
    raise ValidationFailed(f"{name} must be one of {', '.join(allowed)}.",
                           details=[{"field": name, "message": f"must be one of {', '.join(allowed)}"}])


def list_tickets(db: Database, analyzer: Analyzer, viewer: Principal, filters: dict[str, str | None],
                 page: int, per_page: int) -> dict[str, Any]:
    where, params = [], []
    if not viewer.is_privileged:
        where.append("user_id = ?")
        params.append(viewer.id)
    for name, allowed in (("status", STATUSES), ("category", analyzer.categories),
                          ("priority", PRIORITIES), ("department", analyzer.departments)):
        value = _check_filter(name, filters.get(name), allowed)
        if value is not None:
            where.append(f"{name} = ?")
            params.append(value)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    with db.connection(readonly=True) as conn:
        total = int(conn.execute(f"SELECT COUNT(*) AS n FROM tickets {clause}", params).scalar())
        rows = conn.execute(f"SELECT {COLUMNS} FROM tickets {clause} ORDER BY id DESC LIMIT ? OFFSET ?",
                            [*params, per_page, (page - 1) * per_page]).fetchall()
    return TicketPage(tickets=[public(r, viewer) for r in rows], page=page, per_page=per_page, total=total,
                      pages=(total + per_page - 1) // per_page).model_dump()


def get_ticket(db: Database, ticket_id: int, viewer: Principal) -> dict[str, Any]:
    """The ticket with its history. Someone else's ticket is 404: ids are sequential."""
    with db.connection(readonly=True) as conn:
        row = _get_row(conn, ticket_id)
        if not viewer.is_privileged and row["user_id"] != viewer.id:
            raise NotFound(f"No ticket with id {ticket_id}.")
        events = conn.execute("SELECT * FROM ticket_events WHERE ticket_id = ? ORDER BY id",
                              (ticket_id,)).fetchall()
    history = [_event(e) for e in events]
    if not _may_see_duplicate(row, viewer):
        for event in history:
            if event["event_type"] == "duplicate_flagged":
                event["new_value"] = None
    return TicketDetail(**public(row, viewer), history=history).model_dump()


# ----------------------------------------------------------------------------- update
def _canonical(name: str, value: str, allowed: list[str]) -> str:
    for option in allowed:
        if option.lower() == value.strip().lower():
            return option
    raise ValidationFailed(f"Unknown {name} {value!r}; {name} must be one of {', '.join(allowed)}.",
                           details=[{"field": name, "message": f"must be one of {', '.join(allowed)}"}])


def update_ticket(db: Database, analyzer: Analyzer, ticket_id: int, data: TicketUpdate,
                  actor: Principal) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """Apply an admin's change; returns the ticket as the actor sees it, as its owner sees it
    (for the live update) and the event types written (empty: no change)."""
    category = _canonical("category", data.category, analyzer.categories) if data.category else None
    department = _canonical("department", data.department, analyzer.departments) if data.department else None
    events: list[str] = []
    with db.connection() as conn:
        # Read under the row lock: twenty concurrent changes make one history, each event's
        # old value the previous event's new value (SQLite: this write transaction is alone).
        row = _get_row(conn, ticket_id, lock=True)
        now = _ts(datetime.now(timezone.utc))
        changes: dict[str, Any] = {}
        if data.status is not None and data.status != row["status"]:
            allowed = TRANSITIONS[row["status"]]
            if data.status not in allowed:
                moves = ", ".join(allowed) if allowed else "nothing (it is final)"
                raise Conflict(f"A ticket that is {row['status']} cannot become {data.status}; "
                               f"it can move to: {moves}.", code="invalid_transition",
                               details={"from": row["status"], "to": data.status, "allowed": list(allowed)})
            changes["status"] = data.status
            if data.status == "resolved":
                changes["resolved_at"] = now
            elif data.status == "closed":
                changes["closed_at"] = now
            elif data.status == "open":
                changes["resolved_at"] = None
        if category is not None:
            changes["needs_review"] = False
            if category != row["category"]:
                changes["category"] = category
                if department is None:
                    department = analyzer.department_for(category)
        if department is not None and department != row["department"]:
            changes["department"] = department
        if changes or data.comment:
            changes["updated_at"] = now
            assignments = ", ".join(f"{k} = ?" for k in changes)
            # Conditional on the status we read: a concurrent change makes this a 409, not a lost update.
            done = conn.execute(f"UPDATE tickets SET {assignments} WHERE id = ? AND status = ?",
                                [*changes.values(), ticket_id, row["status"]])
            if done.rowcount != 1:
                raise Conflict("The ticket changed meanwhile; reload and try again.", code="concurrent_update")
        status_event = None
        if "status" in changes:
            status_event = _record(conn, ticket_id, actor, "status_changed", row["status"], changes["status"],
                                   at=now)
            events.append("status_changed")
        if "category" in changes:
            _record(conn, ticket_id, actor, "category_changed", row["category"], changes["category"], at=now)
            events.append("category_changed")
        if "department" in changes:
            _record(conn, ticket_id, actor, "department_changed", row["department"], changes["department"], at=now)
            events.append("department_changed")
        if data.comment:
            _record(conn, ticket_id, actor, "commented", None, None, data.comment, at=now)
            events.append("commented")
        updated = _get_row(conn, ticket_id)
        ticket, owner_view = public(updated, actor), public(updated)
        if status_event is not None and _notifiable(row["user_id"]):
            body = f"Your ticket \u201c{row['title']}\u201d is now {STATUS_WORDS[changes['status']]}."
            if data.comment:
                body += f" Comment: {data.comment}"
            enqueue(conn, OUTBOX, f"ticket-status:{ticket_id}:{status_event}", {
                "user_id": row["user_id"], "type": "maintenance",
                "title": f"Ticket #{ticket_id} {STATUS_WORDS[changes['status']]}", "body": body})
    return ticket, owner_view, events


# ----------------------------------------------------------------------------- analytics
def _hours(start: str, end: str) -> float:
    return (_parse(end) - _parse(start)).total_seconds() / 3600


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def ticket_rules(analyzer: Analyzer) -> dict[str, Any]:
    """The ticket rules as the pages need them (GET /meta): models.py's lifecycle and
    priorities, and the classifier's taxonomy. Pages read this instead of restating it."""
    return TicketMeta(
        statuses=list(STATUSES),
        initial_status=INITIAL_STATUS,
        open_statuses=list(OPEN_STATUSES),
        transitions={status: list(moves) for status, moves in TRANSITIONS.items()},
        priorities=list(PRIORITIES),
        categories=categories(analyzer),
        departments=list(analyzer.departments),
    ).model_dump()


def categories(analyzer: Analyzer) -> list[CategoryInfo]:
    """The classifier's categories, each with the department its tickets are routed to."""
    return [CategoryInfo(name=c, department=analyzer.department_for(c)) for c in analyzer.categories]


def analytics(db: Database, analyzer: Analyzer) -> dict[str, Any]:
    with db.connection(readonly=True) as conn:
        rows = conn.execute(
            "SELECT id, status, category, priority, department, classification_method, confidence, "
            "needs_review, possible_duplicate_of, created_at, resolved_at, sla_due_at FROM tickets").fetchall()
    now = datetime.now(timezone.utc)
    now_s = _ts(now)

    def counts(field: str, keys: Iterable[str]) -> dict[str, int]:
        out = {k: 0 for k in keys}
        for r in rows:
            out[r[field]] = out.get(r[field], 0) + 1
        return out

    def breached(r) -> bool:
        if r["status"] in OPEN_STATUSES:
            return r["sla_due_at"] < now_s
        return r["resolved_at"] is not None and r["resolved_at"] > r["sla_due_at"]

    resolve_hours = [_hours(r["created_at"], r["resolved_at"]) for r in rows if r["resolved_at"]]
    open_breaches = sum(1 for r in rows if r["status"] in OPEN_STATUSES and breached(r))
    late = sum(1 for r in rows if r["status"] not in OPEN_STATUSES and breached(r))
    today = now.date()
    days = [(today - timedelta(days=offset)).isoformat() for offset in range(29, -1, -1)]
    per_day = {d: 0 for d in days}
    for r in rows:
        day = r["created_at"][:10]
        if day in per_day:
            per_day[day] += 1
    departments = []
    for dept in sorted({*analyzer.departments, *(r["department"] for r in rows)}):
        mine = [r for r in rows if r["department"] == dept]
        departments.append({
            "department": dept, "total": len(mine),
            "open": sum(1 for r in mine if r["status"] in OPEN_STATUSES),
            "sla_breaches": sum(1 for r in mine if breached(r)),
            "mean_time_to_resolve_hours": _mean([_hours(r["created_at"], r["resolved_at"])
                                                 for r in mine if r["resolved_at"]])})
    return TicketAnalytics(**{
        "total": len(rows),
        "by_status": counts("status", STATUSES),
        "by_category": counts("category", analyzer.categories),
        "by_priority": counts("priority", PRIORITIES),
        "by_department": counts("department", analyzer.departments),
        "sla": {"breaches": open_breaches + late, "open_past_due": open_breaches, "resolved_late": late},
        "mean_time_to_resolve_hours": _mean(resolve_hours),
        "resolved_count": len(resolve_hours),
        "tickets_per_day": [{"date": d, "count": per_day[d]} for d in days],
        "classifier": {"active_method": analyzer.method,
                       "methods": counts("classification_method", ("model", "keywords")),
                       "mean_confidence": _mean([float(r["confidence"]) for r in rows]),
                       "needs_review": sum(1 for r in rows if r["needs_review"])},
        "possible_duplicates": sum(1 for r in rows if r["possible_duplicate_of"] is not None),
        "departments": departments,
        "generated_at": now_s,
    }).model_dump()
