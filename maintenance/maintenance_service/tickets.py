"""Tickets: the logic and SQL of the domain. Routes call these; nothing here sees a request.

Every change of a ticket writes a ticket_events row (the audit trail) and, where the
owner should hear of it, an outbox row, all in the change's own transaction.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from shared import idempotency
from shared.auth import Principal
from shared.database import Connection, Database
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.outbox import enqueue

from . import attachments, comments, stats
from .classifier import Analyzer
from .models import (
    INITIAL_STATUS,
    OPEN_STATUSES,
    PRIORITIES,
    STATUS_WORDS,
    STATUSES,
    TICKET_COLUMNS,
    TRANSITIONS,
    BulkStatus,
    CategoryInfo,
    TicketCreate,
    TicketDetail,
    TicketMeta,
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


# Who writes the events no person causes (the classification, SLA escalations).
CLASSIFIER = Principal(id="service:maintenance", email="", name="Classifier", role="service", jti="", exp=0)
SLA_MONITOR = Principal(id="service:maintenance", email="", name="SLA monitor", role="service", jti="", exp=0)


@dataclass(frozen=True)
class TicketRules:
    confidence_threshold: float = 0.5     # below: needs_review
    duplicate_threshold: float = 0.85     # cosine similarity above which a ticket is a likely duplicate


def _ts(moment: datetime) -> str:
    return moment.strftime(TS_FORMAT)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def ticket_link(ticket_id: int) -> str:
    """Where a notification about the ticket leads: the tickets page, that ticket open."""
    return f"/maintenance.html?ticket={ticket_id}"


def notify(conn: Connection, key: str, ticket_id: int, title: str, body: str, *, user_id: str | None = None,
           role: str | None = None) -> None:
    """A notification about a ticket, through the outbox in the caller's transaction: to one
    user (never to a service identity), or to everyone of a role."""
    if user_id is not None and not _notifiable(user_id):
        return
    audience: dict[str, Any] = {"user_id": user_id} if user_id is not None else {"role": role}
    enqueue(conn, OUTBOX, key, {**audience, "type": "maintenance", "title": title, "body": body[:2000],
                                "link": ticket_link(ticket_id)})


def _parse(value: str) -> datetime:
    return datetime.strptime(value, TS_FORMAT).replace(tzinfo=timezone.utc)


def hours_since_filed(row: dict[str, Any], at: str) -> float:
    """Hours from the ticket's creation to `at` (a stored timestamp): what analytics add up."""
    return round((_parse(at) - _parse(row["created_at"])).total_seconds() / 3600, 6)


def location_key(location: str | None) -> str | None:
    if not location:
        return None
    key = " ".join(location.split()).lower()
    return key or None


def _may_see_duplicate(row: dict[str, Any], viewer: Principal | None) -> bool:
    """Admins see which ticket a report may duplicate; its owner only when that one is theirs too."""
    return (viewer is not None and viewer.is_privileged) or row.get("duplicate_owner_id") == row["user_id"]


def is_staff(viewer: Principal | None) -> bool:
    """Staff (admins, and other services) see all of a ticket: the classifier's confidence,
    internal comments, which ticket a report may duplicate."""
    return viewer is not None and viewer.is_privileged


def public(row: dict[str, Any], viewer: Principal | None = None, now: str | None = None) -> dict[str, Any]:
    """The ticket as `viewer` may see it; without a viewer, as its owner may (what a live
    update to the owner's room carries). A reporter never sees the model's confidence."""
    ticket = {k: row.get(k) for k in PUBLIC_FIELDS}
    ticket["id"] = int(ticket["id"])
    ticket["confidence"] = float(ticket["confidence"]) if is_staff(viewer) else None
    ticket["overdue"] = ticket["status"] in OPEN_STATUSES and ticket["sla_due_at"] < (now or _ts(_now()))
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


def _category(analyzer: Analyzer, analysis) -> str:
    """The category a ticket is filed under: the model's, if it is one of ours."""
    return analysis.category if analysis.category in analyzer.categories else "Other"


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
        if len(items) > 1:   # several tickets: their statistics rows first, in order (stats.py)
            stats.lock_groups(conn, [_ts(_now())[:10]], [
                (INITIAL_STATUS, _category(analyzer, a), a.priority, analyzer.department_for(_category(analyzer, a)),
                 a.method) for a in analyses])
        for item, analysis in zip(items, analyses):
            now = datetime.now(timezone.utc)
            category = _category(analyzer, analysis)
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
            _record(conn, ticket_id, owner, "created", None, INITIAL_STATUS, at=_ts(now))
            # The classification as the reporter may read it too: no confidence (see public()).
            _record(conn, ticket_id, CLASSIFIER, "classified", None, category,
                    f"Classified as {category} ({analysis.method}); priority {analysis.priority} "
                    f"(decided by {analysis.priority_source}); "
                    f"routed to {analyzer.department_for(category)}.", at=_ts(now))
            if duplicate_of is not None:
                _record(conn, ticket_id, owner, "duplicate_flagged", None, str(duplicate_of), at=_ts(now))
            ticket = public(_get_row(conn, ticket_id), owner)
            notify(conn, f"ticket-created:{ticket_id}", ticket_id, f"Ticket #{ticket_id} received",
                   f"\u201c{item.title}\u201d was filed as {category} ({analysis.priority}) and "
                   f"routed to {ticket['department']}.", user_id=owner.id)
            created.append(ticket)
        idempotency.record(conn, once, created)
    return created


# ----------------------------------------------------------------------------- read
def visible_ticket(conn: Connection, ticket_id: int, viewer: Principal, lock: bool = False) -> dict[str, Any]:
    """The ticket's row if `viewer` may see it: admins (and services) every ticket, anyone
    else their own. Someone else's ticket is 404, as if it did not exist: ids are sequential.
    The one visibility rule of a ticket and of what hangs on it (attachments.py)."""
    row = _get_row(conn, ticket_id, lock=lock)
    if not viewer.is_privileged and row["user_id"] != viewer.id:
        raise NotFound(f"No ticket with id {ticket_id}.")
    return row


def get_ticket(db: Database, ticket_id: int, viewer: Principal) -> dict[str, Any]:
    """The ticket with its history. Someone else's ticket is 404: ids are sequential."""
    with db.connection(readonly=True) as conn:
        row = visible_ticket(conn, ticket_id, viewer)
        events = conn.execute("SELECT * FROM ticket_events WHERE ticket_id = ? ORDER BY id",
                              (ticket_id,)).fetchall()
        photos = attachments.listing(conn, ticket_id)
        conversation = comments.comments_for(conn, ticket_id, viewer)
    history = [_event(e) for e in events]
    if not _may_see_duplicate(row, viewer):
        for event in history:
            if event["event_type"] == "duplicate_flagged":
                event["new_value"] = None
    if not is_staff(viewer):
        # Histories written before "classified" events put the model's confidence here.
        history = [{**e, "comment": None} if e["event_type"] == "created" else e for e in history
                   if e["event_type"] != "escalated"]    # escalations are the staff's business
    return TicketDetail(**public(row, viewer), history=history, comments=conversation, attachments=photos).model_dump()


# ----------------------------------------------------------------------------- update
def canonical(name: str, value: str, allowed) -> str:
    """The allowed value that `value` names, whatever its case; else a 400 field error."""
    for option in allowed:
        if option.lower() == value.strip().lower():
            return option
    raise ValidationFailed(f"Unknown {name} {value!r}; {name} must be one of {', '.join(allowed)}.",
                           details=[{"field": name, "message": f"must be one of {', '.join(allowed)}"}])


def _change(conn: Connection, analyzer: Analyzer, row: dict[str, Any], data: TicketUpdate, actor: Principal,
            now: str, assignee: dict[str, str] | None) -> list[str]:
    """Apply an admin's change to a ticket row read under its lock, in the caller's
    transaction: the row, one event per changed field, the comment, the notifications owed.
    assignee: the admin to assign (checked at user-management) when data.assigns, else None.
    Returns the event types written (empty: nothing changed)."""
    ticket_id = int(row["id"])
    category = canonical("category", data.category, analyzer.categories) if data.category else None
    department = canonical("department", data.department, analyzer.departments) if data.department else None
    changes: dict[str, Any] = {}
    if data.status is not None and data.status != row["status"]:
        allowed = TRANSITIONS[row["status"]]
        if data.status not in allowed:
            moves = ", ".join(allowed) if allowed else "nothing (it is final)"
            raise Conflict(f"A ticket that is {row['status']} cannot become {data.status}; "
                           f"it can move to: {moves}.", code="invalid_transition",
                           details={"id": ticket_id, "from": row["status"], "to": data.status,
                                    "allowed": list(allowed)})
        changes["status"] = data.status
        if data.status == "resolved":
            changes.update(resolved_at=now, resolution_hours=hours_since_filed(row, now))
        elif data.status == "closed":
            changes["closed_at"] = now
        elif data.status == "open":
            changes.update(resolved_at=None, resolution_hours=None, sla_met=None)
        if row.get("first_response_at") is None:
            changes.update(first_response_at=now, first_response_hours=hours_since_filed(row, now))
    if category is not None:
        changes["needs_review"] = False
        if category != row["category"]:
            changes["category"] = category
            if department is None:
                department = analyzer.department_for(category)
    if department is not None and department != row["department"]:
        changes["department"] = department
    if data.priority is not None and data.priority != row["priority"]:
        # The due time follows the priority, counted from when the ticket was filed.
        hours = analyzer.sla_hours(data.priority, changes.get("category", row["category"]))
        changes.update(priority=data.priority, sla_hours=hours,
                       sla_due_at=_ts(_parse(row["created_at"]) + timedelta(hours=hours)))
    resolved_at = changes.get("resolved_at", row["resolved_at"])
    if resolved_at is not None and ("resolved_at" in changes or "sla_due_at" in changes):
        changes["sla_met"] = resolved_at <= changes.get("sla_due_at", row["sla_due_at"])
    if data.assigns and (assignee or {}).get("id") != row.get("assignee_id"):
        changes.update(assignee_id=assignee["id"] if assignee else None,
                       assignee_name=assignee["name"] if assignee else None)
    if changes:
        changes["updated_at"] = now
        assignments = ", ".join(f"{k} = ?" for k in changes)
        # Conditional on the status we read: a concurrent change makes this a 409, not a lost update.
        done = conn.execute(f"UPDATE tickets SET {assignments} WHERE id = ? AND status = ?",
                            [*changes.values(), ticket_id, row["status"]])
        if done.rowcount != 1:
            raise Conflict("The ticket changed meanwhile; reload and try again.", code="concurrent_update")
    events: list[str] = []
    status_event = None
    if "status" in changes:
        status_event = _record(conn, ticket_id, actor, "status_changed", row["status"], changes["status"], at=now)
        events.append("status_changed")
    if "priority" in changes:
        _record(conn, ticket_id, actor, "priority_changed", row["priority"], changes["priority"],
                data.priority_reason, at=now)
        events.append("priority_changed")
    for field in ("category", "department"):
        if field in changes:
            _record(conn, ticket_id, actor, f"{field}_changed", row[field], changes[field], at=now)
            events.append(f"{field}_changed")
    assigned_event = None
    if "assignee_id" in changes:
        assigned_event = _record(conn, ticket_id, actor, "assigned", row.get("assignee_name"),
                                 changes["assignee_name"], at=now)
        events.append("assigned")
    assignee_now = changes.get("assignee_id", row.get("assignee_id"))
    if data.comment:
        # The reporter hears of a comment sent with a status change in the status notification.
        comments.write_comment(conn, {**row, "assignee_id": assignee_now}, data.comment, False, actor, now,
                               notify_reporter=status_event is None)
        events.append("commented")
    if status_event is not None:
        words = STATUS_WORDS[changes["status"]]
        body = f"Your ticket \u201c{row['title']}\u201d is now {words}."
        if data.comment:
            body += f" Comment: {data.comment}"
        notify(conn, f"ticket-status:{ticket_id}:{status_event}", ticket_id, f"Ticket #{ticket_id} {words}", body,
               user_id=row["user_id"])
        if changes["status"] == "open" and assignee_now and assignee_now != actor.id:
            notify(conn, f"ticket-reopened:{ticket_id}:{status_event}", ticket_id, f"Ticket #{ticket_id} reopened",
                   f"\u201c{row['title']}\u201d, assigned to you, was reopened.", user_id=assignee_now)
    if changes.get("assignee_id") and changes["assignee_id"] != actor.id:
        notify(conn, f"ticket-assigned:{ticket_id}:{assigned_event}", ticket_id,
               f"Ticket #{ticket_id} assigned to you", f"\u201c{row['title']}\u201d ({row['priority']}, due "
               f"{changes.get('sla_due_at', row['sla_due_at'])[:16].replace('T', ' ')} UTC).",
               user_id=changes["assignee_id"])
    return events


def update_ticket(db: Database, analyzer: Analyzer, ticket_id: int, data: TicketUpdate, actor: Principal,
                  staff=None) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """Apply an admin's change; returns the ticket as the actor sees it, as its owner sees it
    (for the live update) and the event types written (empty: no change).
    staff: the directory that checks an assignee (staff.StaffDirectory), asked before the
    transaction opens."""
    assignee = staff.admin(data.assignee_id) if data.assigns and data.assignee_id is not None else None
    with db.connection() as conn:
        # Read under the row lock: twenty concurrent changes make one history, each event's
        # old value the previous event's new value (SQLite: this write transaction is alone).
        row = _get_row(conn, ticket_id, lock=True)
        events = _change(conn, analyzer, row, data, actor, _ts(_now()), assignee)
        updated = _get_row(conn, ticket_id)
    return public(updated, actor), public(updated), events


def bulk_status(db: Database, analyzer: Analyzer, data: BulkStatus,
                actor: Principal) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """Move every named ticket to one status, all or none: a ticket that may not make the
    move makes it 409 (details: each refused ticket and its allowed moves), an unknown id 404.
    Returns the tickets as the actor sees them (in the order sent), as their owners do, and
    how many changed."""
    change = TicketUpdate(status=data.status, comment=data.comment)
    with db.connection() as conn:
        # Locked in id order, so two bulk changes over the same tickets queue, never deadlock.
        rows = {ticket_id: _get_row(conn, ticket_id, lock=True) for ticket_id in sorted(data.ids)}
        refused = [{"id": ticket_id, "from": row["status"], "allowed": list(TRANSITIONS[row["status"]])}
                   for ticket_id, row in rows.items()
                   if row["status"] != data.status and data.status not in TRANSITIONS[row["status"]]]
        if refused:
            raise Conflict(f"{len(refused)} of the tickets cannot become {data.status}; none was changed.",
                           code="invalid_transition", details={"to": data.status, "refused": refused})
        now = _ts(_now())
        keys = [(r["status"], r["category"], r["priority"], r["department"], r["classification_method"])
                for r in rows.values()]
        stats.lock_groups(conn, [], keys + [(data.status, *key[1:]) for key in keys])
        changed = sum(1 for ticket_id in sorted(data.ids)
                      if _change(conn, analyzer, rows[ticket_id], change, actor, now, None))
        updated = [_get_row(conn, ticket_id) for ticket_id in data.ids]
    return [public(r, actor) for r in updated], [public(r) for r in updated], changed


# ----------------------------------------------------------------------------- rules
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
