"""HTTP routes of the maintenance service: thin; the rules live in tickets.py."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, jsonify, request, send_file

from shared import idempotency
from shared.auth import current_user, require_auth
from shared.errors import NotFound
from shared.web import json_body, query_int

from . import tickets
from .models import STATUSES, TRANSITIONS, TicketBatch, TicketCreate, TicketUpdate
from .realtime import emit_ticket

blueprint = Blueprint("maintenance", __name__)
MAINTENANCE_DIR = Path(__file__).resolve().parent.parent
FRONTEND = MAINTENANCE_DIR / "websocket_frontend.html"
SOCKETIO_CLIENT = MAINTENANCE_DIR.parent / "gateway" / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"


def _db():
    return current_app.extensions["db"]


def _analyzer():
    return current_app.extensions["analyzer"]


def _socketio():
    return current_app.extensions["socketio"]


def _after_commit():
    current_app.extensions["outbox"].wake()


def _single(created: list[dict]) -> dict:
    return created[0]


def _batch(created: list[dict]) -> dict:
    return {"tickets": created, "count": len(created)}


@blueprint.post("/tickets")
@require_auth()
def create_ticket():
    item = json_body(TicketCreate)
    once = idempotency.from_flask(tickets.IDEMPOTENCY, item, render=_single)
    [ticket] = tickets.create_tickets(_db(), _analyzer(), current_app.extensions["ticket_rules"], [item],
                                      current_user(), once)
    _after_commit()
    emit_ticket(_socketio(), "ticket_created", ticket)
    return jsonify(ticket), 201


@blueprint.post("/tickets/batch")
@require_auth()
def create_batch():
    batch = json_body(TicketBatch)
    once = idempotency.from_flask(tickets.IDEMPOTENCY, batch, render=_batch)
    created = tickets.create_tickets(_db(), _analyzer(), current_app.extensions["ticket_rules"], batch.tickets,
                                     current_user(), once)
    _after_commit()
    for ticket in created:
        emit_ticket(_socketio(), "ticket_created", ticket)
    return jsonify(_batch(created)), 201


@blueprint.get("/tickets")
@require_auth()
def list_tickets():
    filters = {name: request.args.get(name) for name in ("status", "category", "priority", "department")}
    return jsonify(tickets.list_tickets(_db(), _analyzer(), current_user(), filters,
                                        query_int("page", 1), query_int("per_page", 20, maximum=100)))


@blueprint.get("/tickets/analytics")
@require_auth("admin", "service")
def analytics():
    return jsonify(tickets.analytics(_db(), _analyzer()))


@blueprint.get("/tickets/<int:ticket_id>")
@require_auth()
def get_ticket(ticket_id: int):
    return jsonify(tickets.get_ticket(_db(), ticket_id, current_user()))


@blueprint.put("/tickets/<int:ticket_id>")
@require_auth("admin")
def update_ticket(ticket_id: int):
    data = json_body(TicketUpdate)
    ticket, owner_view, events = tickets.update_ticket(_db(), _analyzer(), ticket_id, data, current_user())
    if events:
        _after_commit()
        # The owner's room hears what the owner may see; admins reload for the rest.
        emit_ticket(_socketio(), "ticket_updated", owner_view)
    return jsonify(ticket)


@blueprint.get("/categories")
def categories():
    analyzer = _analyzer()
    return jsonify({"categories": [{"name": c, "department": analyzer.department_for(c)}
                                   for c in analyzer.categories]})


@blueprint.get("/departments")
def departments():
    return jsonify({"departments": _analyzer().departments})


@blueprint.get("/statuses")
def statuses():
    return jsonify({"statuses": list(STATUSES), "transitions": {k: list(v) for k, v in TRANSITIONS.items()}})


@blueprint.get("/")
def frontend():
    response = send_file(FRONTEND, mimetype="text/html", max_age=0)
    # No inline script or style on the page: its script and styles are files of their own.
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
    return response


@blueprint.get("/websocket_frontend.<any(js, css):kind>")
def frontend_asset(kind: str):
    mimetype = "text/javascript" if kind == "js" else "text/css"
    return send_file(FRONTEND.with_suffix(f".{kind}"), mimetype=mimetype, max_age=0)


@blueprint.get("/vendor/socket.io.min.js")
def socketio_client():
    if not SOCKETIO_CLIENT.is_file():
        raise NotFound("The Socket.IO client is not installed; run `npm ci --prefix gateway`.")
    return send_file(SOCKETIO_CLIENT, mimetype="application/javascript", max_age=3600)
