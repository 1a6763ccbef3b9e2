"""HTTP routes of the maintenance service: thin; the rules live in tickets.py."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, request

from shared import idempotency
from shared.auth import current_user, require_auth
from shared.openapi import accepts, answers, undocumented
from shared.web import app_db, json_body, query_int

from . import analytics as ticket_analytics
from . import comments, queue, tickets
from .models import (
    STATUSES,
    TRANSITIONS,
    BulkStatus,
    CategoryList,
    CommentCreate,
    DepartmentList,
    StatusRules,
    TicketAnalytics,
    TicketBatch,
    TicketComment,
    TicketCreate,
    TicketDetail,
    TicketMeta,
    TicketPage,
    TicketPublic,
    TicketsChanged,
    TicketsCreated,
    TicketUpdate,
)
from .realtime import emit_comment, emit_ticket

blueprint = Blueprint("maintenance", __name__)


def _analyzer():
    return current_app.extensions["analyzer"]


def _socketio():
    return current_app.extensions["socketio"]


def _after_commit():
    current_app.extensions["outbox"].wake()


def _single(created: list[dict]) -> dict:
    return created[0]


def _batch(created: list[dict]) -> dict:
    return TicketsCreated(tickets=created, count=len(created)).model_dump()


@blueprint.post("/tickets")
@require_auth()
@accepts(TicketCreate)
@answers(201, TicketPublic, description="The ticket, classified (category, priority, department, confidence)",
         errors=(409,))
def create_ticket():
    item = json_body(TicketCreate)
    once = idempotency.from_flask(tickets.IDEMPOTENCY, item, render=_single)
    [ticket] = tickets.create_tickets(app_db(), _analyzer(), current_app.extensions["ticket_rules"], [item],
                                      current_user(), once)
    _after_commit()
    emit_ticket(_socketio(), "ticket_created", ticket)
    return jsonify(ticket), 201


@blueprint.post("/tickets/batch")
@require_auth()
@accepts(TicketBatch)
@answers(201, TicketsCreated, description="The tickets, classified, in the order sent", errors=(409,))
def create_batch():
    batch = json_body(TicketBatch)
    once = idempotency.from_flask(tickets.IDEMPOTENCY, batch, render=_batch)
    created = tickets.create_tickets(app_db(), _analyzer(), current_app.extensions["ticket_rules"], batch.tickets,
                                     current_user(), once)
    _after_commit()
    for ticket in created:
        emit_ticket(_socketio(), "ticket_created", ticket)
    return jsonify(_batch(created)), 201


@blueprint.get("/tickets")
@require_auth()
@answers(200, TicketPage, description="A page of tickets: yours (newest first), or for admins the queue (what "
                                      "needs action first). Filters: status (one, or several comma-separated), "
                                      "priority, category, department, assignee (mine, unassigned or a user id), "
                                      "overdue (true/false), q (words in the title, description or location); "
                                      "counters: urgent, overdue and unassigned open tickets")
def list_tickets():
    filters = {name: request.args.get(name) for name in queue.FILTERS}
    return jsonify(queue.list_tickets(app_db(), _analyzer(), current_user(), filters,
                                      query_int("page", 1), query_int("per_page", 20, maximum=100)))


@blueprint.get("/tickets/analytics")
@require_auth("admin", "service")
@answers(200, TicketAnalytics,
         description="Counts by status, category, priority and department; trends; first-response and resolution "
                     "times per priority; SLA compliance per department")
def analytics():
    return jsonify(ticket_analytics.analytics(app_db(), _analyzer()))


@blueprint.post("/tickets/bulk-status")
@require_auth("admin")
@accepts(BulkStatus)
@answers(200, TicketsChanged, description="Every ticket moved to the status, or none (409 names those that may "
                                          "not make the move)", errors=(409,))
def bulk_status():
    data = json_body(BulkStatus)
    changed, owner_views, count = tickets.bulk_status(app_db(), _analyzer(), data, current_user())
    if count:
        _after_commit()
        for ticket in owner_views:
            emit_ticket(_socketio(), "ticket_updated", ticket)
    return jsonify(TicketsChanged(items=changed, changed=count).model_dump())


@blueprint.post("/tickets/<int:ticket_id>/comments")
@require_auth()
@accepts(CommentCreate)
@answers(201, TicketComment, description="The comment; internal ones (staff only) never reach the reporter")
def add_comment(ticket_id: int):
    comment, row = comments.add_comment(app_db(), ticket_id, json_body(CommentCreate), current_user())
    _after_commit()
    emit_comment(_socketio(), comment, row["user_id"])
    return jsonify(comment), 201


@blueprint.get("/tickets/<int:ticket_id>")
@require_auth()
@answers(200, TicketDetail, description="The ticket with its timeline (history) and its comments")
def get_ticket(ticket_id: int):
    return jsonify(tickets.get_ticket(app_db(), ticket_id, current_user()))


@blueprint.put("/tickets/<int:ticket_id>")
@require_auth("admin")
@accepts(TicketUpdate)
@answers(200, TicketPublic, description="The ticket as changed", errors=(409,))
def update_ticket(ticket_id: int):
    data = json_body(TicketUpdate)
    ticket, owner_view, events = tickets.update_ticket(app_db(), _analyzer(), ticket_id, data, current_user(),
                                                       current_app.extensions["staff"])
    if events:
        _after_commit()
        # The owner's room hears what the owner may see; admins reload for the rest.
        emit_ticket(_socketio(), "ticket_updated", owner_view)
    return jsonify(ticket)


@blueprint.get("/categories")
@answers(200, CategoryList)
def categories():
    return jsonify(CategoryList(categories=tickets.categories(_analyzer())).model_dump())


@blueprint.get("/departments")
@answers(200, DepartmentList)
def departments():
    return jsonify(DepartmentList(departments=_analyzer().departments).model_dump())


@blueprint.get("/meta")
@require_auth()
@answers(200, TicketMeta, description="Statuses, transitions, priorities, categories and departments")
def meta():
    """The ticket rules: statuses, transitions, priorities, categories, departments"""
    return jsonify(tickets.ticket_rules(_analyzer()))


@blueprint.get("/statuses")
@answers(200, StatusRules)
def statuses():
    return jsonify(StatusRules(statuses=list(STATUSES),
                               transitions={k: list(v) for k, v in TRANSITIONS.items()}).model_dump())


@blueprint.get("/")
@undocumented
def ticket_page():
    """The tickets' web page is the gateway's (sign-in, live updates); this port once had a
    board of its own, so its address sends the browser there. PUBLIC_GATEWAY_URL: where
    browsers reach the gateway, when that differs from its internal URL."""
    settings = current_app.config["SETTINGS"]
    gateway = settings.env.str("PUBLIC_GATEWAY_URL") or settings.service_url("gateway")
    return redirect(f"{gateway.rstrip('/')}/maintenance.html", code=302)
