"""Socket.IO: who may connect, which rooms they join, and what the service emits.

A client sends its JWT when it connects (`auth={"token": ...}`, or `?token=` for the
browser fallback); without a valid one the connection is refused. A user joins the room
`user:<id>`, an admin also `admins`. When a connected user's session ends (logout of
that token, sign out everywhere, a role change, a deletion: shared/revocation.py), the
connection is closed within a second, so a demoted admin stops receiving the admins'
events; the client must reconnect with a new token. Ticket events go to the owner's room and to
`admins` through the SocketIO object, so with REDIS_URL set every instance delivers them.

Events (server -> client), each carrying the ticket JSON (as GET /tickets/{id}, without history):
  ticket_created, ticket_updated
  ticket_commented {ticket_id, comment}: to the admins, and to the reporter unless internal
The notification service emits into the same Redis channel (notification_service/live.py):
  notification_created {id, title, type, link, audience}, to `user:<id>`, `role:<role>` or all.
"""
from __future__ import annotations

import logging
import threading
from typing import Any

from flask import request
from flask_socketio import ConnectionRefusedError, SocketIO, join_room

from shared.auth import authenticate
from shared.config import Settings
from shared.errors import ApiError
from shared.revocation import SessionRevocations

logger = logging.getLogger(__name__)
ADMINS_ROOM = "admins"


def user_room(user_id: str) -> str:
    return f"user:{user_id}"


def role_room(role: str) -> str:
    return f"role:{role}"


def origin_checker(settings: Settings):
    """Browsers connect from the gateway's pages, whose origins are CORS_ORIGINS. The
    service's own origin is accepted too: it serves no page, but a client that is not a
    browser may name its target as Origin (python-socketio's websocket transport does)."""
    allowed = set(settings.cors_origins)

    def check(origin: str | None, environ: dict | None = None) -> bool:
        if origin is None or origin in allowed:
            return True
        if environ and environ.get("HTTP_HOST"):
            return origin == f"{environ.get('wsgi.url_scheme', 'http')}://{environ['HTTP_HOST']}"
        return False
    return check


class Connections:
    """Who is on each open socket of this instance, to close those whose session ends."""

    def __init__(self):
        self._by_sid: dict[str, Any] = {}
        self._lock = threading.Lock()

    def add(self, sid: str, principal) -> None:
        with self._lock:
            self._by_sid[sid] = principal

    def remove(self, sid: str) -> None:
        with self._lock:
            self._by_sid.pop(sid, None)

    def of_users(self, user_ids: set[str]) -> list[tuple[str, Any]]:
        with self._lock:
            return [(sid, p) for sid, p in self._by_sid.items() if p.id in user_ids]


def register(socketio: SocketIO, settings: Settings, sessions: SessionRevocations) -> None:
    connections = Connections()

    def close_ended(events: list[dict[str, Any]]) -> None:
        for sid, principal in connections.of_users({str(e["user_id"]) for e in events}):
            if sessions.is_ended(principal):
                logger.info("closing socket of user %s: session ended", principal.id)
                connections.remove(sid)
                socketio.server.disconnect(sid, namespace="/")

    sessions.add_listener(close_ended)

    @socketio.on("disconnect")
    def _disconnect(*_args):
        connections.remove(request.sid)

    @socketio.on("connect")
    def _connect(auth: Any = None):
        token = None
        if isinstance(auth, dict):
            token = auth.get("token")
        token = token or request.args.get("token")
        if not token or not isinstance(token, str):
            raise ConnectionRefusedError("A token is required: connect with auth={token: <JWT>}.")
        try:
            principal = authenticate(settings, f"Bearer {token}", sessions)
        except ApiError as exc:
            raise ConnectionRefusedError(exc.message) from None
        connections.add(request.sid, principal)
        join_room(user_room(principal.id))
        join_room(role_room(principal.role))   # notifications sent to a role (notification_service/live.py)
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


def emit_comment(socketio: SocketIO, comment: dict[str, Any], owner_id: str) -> None:
    """A new comment: to the admins, and to the reporter's room unless it is internal."""
    rooms = [ADMINS_ROOM] if comment["internal"] else [user_room(owner_id), ADMINS_ROOM]
    try:
        socketio.emit("ticket_commented", {"ticket_id": comment["ticket_id"], "comment": comment}, to=rooms,
                      namespace="/")
    except Exception:  # noqa: BLE001 - the comment is committed; a lost live update is only a hint
        logger.warning("could not emit a comment on ticket %s", comment["ticket_id"], exc_info=True)
