"""Socket.IO: who may connect, which rooms they join, and what the service emits.

A client sends its JWT when it connects (`auth={"token": ...}`, or `?token=` for the
browser fallback); without a valid one the connection is refused. A user joins the room
`user:<id>`, an admin also `admins`. Ticket events go to the owner's room and to
`admins` through the SocketIO object, so with REDIS_URL set every instance delivers them.

Events (server -> client), each carrying the ticket JSON (as GET /tickets/{id}, without history):
  ticket_created, ticket_updated
"""
from __future__ import annotations

import logging
from typing import Any

from flask import request
from flask_socketio import ConnectionRefusedError, SocketIO, join_room

from shared.auth import authenticate
from shared.config import Settings
from shared.errors import ApiError

logger = logging.getLogger(__name__)
ADMINS_ROOM = "admins"


def user_room(user_id: str) -> str:
    return f"user:{user_id}"


def origin_checker(settings: Settings):
    """Configured CORS origins, plus the page's own origin (the board served at GET /)."""
    allowed = set(settings.cors_origins)

    def check(origin: str | None, environ: dict | None = None) -> bool:
        if origin is None or origin in allowed:
            return True
        if environ and environ.get("HTTP_HOST"):
            return origin == f"{environ.get('wsgi.url_scheme', 'http')}://{environ['HTTP_HOST']}"
        return False
    return check


def register(socketio: SocketIO, settings: Settings) -> None:
    @socketio.on("connect")
    def _connect(auth: Any = None):
        token = None
        if isinstance(auth, dict):
            token = auth.get("token")
        token = token or request.args.get("token")
        if not token or not isinstance(token, str):
            raise ConnectionRefusedError("A token is required: connect with auth={token: <JWT>}.")
        try:
            principal = authenticate(settings, f"Bearer {token}")
        except ApiError as exc:
            raise ConnectionRefusedError(exc.message) from None
        join_room(user_room(principal.id))
        if principal.is_admin:
            join_room(ADMINS_ROOM)
        logger.info("socket connected: user %s (%s)", principal.id, principal.role)
        return True


def emit_ticket(socketio: SocketIO, event: str, ticket: dict[str, Any]) -> None:
    """Send to the owner's room and to the admins (once each client); never fails the request."""
    try:
        socketio.emit(event, ticket, to=[user_room(ticket["user_id"]), ADMINS_ROOM], namespace="/")
    except Exception:  # noqa: BLE001 - the change is committed; a lost live update is only a hint
        logger.warning("could not emit %s for ticket %s", event, ticket.get("id"), exc_info=True)
