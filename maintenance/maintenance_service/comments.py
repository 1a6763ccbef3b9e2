"""The conversation on a ticket. Anyone who may see a ticket may comment on it; staff may
mark a comment internal, and an internal comment is never shown or sent to the reporter.
A public comment notifies the reporter (unless they wrote it), any comment the assignee
(unless they wrote it), through the outbox in the comment's own transaction."""
from __future__ import annotations

from typing import Any

from shared.auth import Principal
from shared.database import Connection, Database, utc_now_iso
from shared.errors import Forbidden

from . import tickets  # a module reference: tickets.py imports this module too
from .models import CommentCreate, TicketComment


def comment_view(row: dict[str, Any]) -> dict[str, Any]:
    return TicketComment(id=int(row["id"]), ticket_id=int(row["ticket_id"]), body=row["body"],
                         author_id=row["author_id"], author_name=row["author_name"],
                         author_role=row["author_role"], internal=bool(row["internal"]),
                         created_at=row["created_at"]).model_dump()


def comments_for(conn: Connection, ticket_id: int, viewer: Principal) -> list[dict[str, Any]]:
    """Oldest first; internal ones only for staff."""
    internal = "" if tickets.is_staff(viewer) else " AND internal = ?"
    rows = conn.execute(f"SELECT * FROM ticket_comments WHERE ticket_id = ?{internal} ORDER BY id",
                        (ticket_id,) if tickets.is_staff(viewer) else (ticket_id, False)).fetchall()
    return [comment_view(r) for r in rows]


def write_comment(conn: Connection, row: dict[str, Any], body: str, internal: bool, author: Principal, at: str,
                  notify_reporter: bool = True) -> dict[str, Any]:
    """Store a comment on the (locked) ticket row and owe its notifications. A public comment
    from staff is the ticket's first response if none came before."""
    ticket_id = int(row["id"])
    name = author.name or author.email or author.id
    comment = comment_view(conn.execute(
        "INSERT INTO ticket_comments (ticket_id, author_id, author_name, author_role, body, internal, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *", (ticket_id, author.id, name, author.role, body, internal, at))
        .fetchone())
    if not internal and tickets.is_staff(author) and row.get("first_response_at") is None:
        conn.execute("UPDATE tickets SET updated_at = ?, first_response_at = ?, first_response_hours = ? WHERE id = ?",
                     (at, at, tickets.hours_since_filed(row, at), ticket_id))
    else:
        conn.execute("UPDATE tickets SET updated_at = ? WHERE id = ?", (at, ticket_id))
    quoted = f"{name}: {body}"
    if not internal and notify_reporter and author.id != row["user_id"]:
        tickets.notify(conn, f"ticket-comment:{comment['id']}:reporter", ticket_id,
               f"New comment on your ticket #{ticket_id}", quoted, user_id=row["user_id"])
    if row.get("assignee_id") and row["assignee_id"] != author.id:
        kind = "Internal note" if internal else "New comment"
        tickets.notify(conn, f"ticket-comment:{comment['id']}:assignee", ticket_id,
               f"{kind} on ticket #{ticket_id}", quoted, user_id=row["assignee_id"])
    return comment


def add_comment(db: Database, ticket_id: int, data: CommentCreate, author: Principal) -> tuple[dict, dict]:
    """POST /tickets/{id}/comments: returns the comment and the ticket's row (for the live update)."""
    if data.internal and not tickets.is_staff(author):
        raise Forbidden("Only staff may write internal comments.", code="internal_comment_forbidden")
    with db.connection() as conn:
        row = tickets.visible_ticket(conn, ticket_id, author, lock=True)
        comment = write_comment(conn, row, data.body, data.internal, author, utc_now_iso())
    return comment, row
