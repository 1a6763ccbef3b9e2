"""Notifications: the logic and SQL of the domain. Routes call these; nothing here sees a request.

A notification has one audience: a user (user_id), a role, or everyone (broadcast).
Read state is per recipient (notification_reads) and so is deleting from one's own feed
(notification_hidden): marking a role-wide notice read, or deleting it, touches only the
caller. Deleting for everyone (scope "all", admins, services or the sender) sets
deleted_at; the row stays (the admin console lists it with include_deleted). A create
sent with an Idempotency-Key is answered once per sender and key (notification_idempotency,
shared/idempotency.py): that is how the producers' outboxes never deliver a notice twice.
"""
from __future__ import annotations

from typing import Any

from shared import idempotency
from shared.auth import Principal
from shared.database import Connection, Database, IntegrityViolation, utc_now_iso
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed

from . import delivery
from .models import (
    NotificationCreate,
    NotificationDeleted,
    NotificationFeed,
    NotificationPublic,
    SentNotification,
    SentPage,
)

MAX_KEY_LENGTH = 200
IDEMPOTENCY = "notification_idempotency"   # answers to POST /notifications sent with a key

# A notification is in the feed of (user id, role) when addressed to the id, the role or
# everyone, not deleted for everyone, and not deleted by that user. Params: VISIBLE_PARAMS.
VISIBLE = ("n.deleted_at IS NULL AND (n.user_id = ? OR n.role = ? OR n.broadcast = ?) "
           "AND NOT EXISTS (SELECT 1 FROM notification_hidden h "
           "WHERE h.notification_id = n.id AND h.user_id = ?)")


def _visible_params(user_id: str, role: str | None) -> list[Any]:
    return [user_id, role, True, user_id]


def _audience(row: dict[str, Any]) -> str:
    if row["user_id"] is not None:
        return "user"
    return "role" if row["role"] is not None else "broadcast"


def public(row: dict[str, Any]) -> dict[str, Any]:
    data = {k: row.get(k) for k in NotificationPublic.model_fields}
    data["audience"] = _audience(row)
    data["broadcast"] = bool(row["broadcast"])
    data["important"] = bool(row.get("important"))
    data["read_at"] = row.get("read_at")
    data["read"] = data["read_at"] is not None
    return NotificationPublic(**data).model_dump()


def sent(row: dict[str, Any]) -> dict[str, Any]:
    data = {k: row.get(k) for k in SentNotification.model_fields}
    data.update(audience=_audience(row), broadcast=bool(row["broadcast"]), important=bool(row.get("important")),
                read_at=row.get("read_at"),
                read=row.get("read_at") is not None, read_count=int(row.get("read_count") or 0))
    return SentNotification(**data).model_dump()


def check_audience(data: NotificationCreate) -> None:
    chosen = [name for name, on in (("user_id", data.user_id is not None), ("role", data.role is not None),
                                    ("broadcast", data.broadcast)) if on]
    if len(chosen) != 1:
        detail = f" (got {' and '.join(chosen)})" if chosen else ""
        message = f"Give exactly one audience: user_id, role, or broadcast: true{detail}."
        raise ValidationFailed(message, details=[{"field": "audience", "message": message}])


def idempotency_key(header: str | None, body_key: str | None) -> str | None:
    header = header.strip() if header is not None else None
    if header == "":
        header = None
    if header is not None and len(header) > MAX_KEY_LENGTH:
        raise ValidationFailed(f"Idempotency-Key must be at most {MAX_KEY_LENGTH} characters.",
                               details=[{"field": "Idempotency-Key", "message": "too long"}])
    body_key = body_key.strip() if body_key is not None else None
    if header and body_key and header != body_key:
        raise ValidationFailed("The Idempotency-Key header and the body's idempotency_key differ.",
                               details=[{"field": "idempotency_key", "message": "differs from the header"}])
    return header or body_key or None


def create(db: Database, data: NotificationCreate, once: idempotency.IdempotentRequest | None,
           sender: Principal, email: bool = False) -> dict[str, Any]:
    """Store a notification. With a key (`once`), the same request again gets the first answer
    and makes nothing new, also when two race (shared/idempotency.py). email: e-mail is on
    (SMTP_HOST), so its e-mails are owed in the same transaction (delivery.py)."""
    check_audience(data)
    now = utc_now_iso()
    try:
        with db.connection() as conn:
            idempotency.reserve(conn, once)
            new_id = conn.execute(
                "INSERT INTO notifications (user_id, role, broadcast, title, body, type, link, important, sender_id, "
                "sender_role, idempotency_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (data.user_id, data.role, bool(data.broadcast), data.title, data.body, data.type, data.link,
                 bool(data.important), sender.id, sender.role, once.key if once else None, now)).scalar()
            if email:
                delivery.enqueue_job(conn, new_id, data.ics, now)
            notification = public(conn.execute("SELECT * FROM notifications WHERE id = ?", (new_id,)).fetchone())
            idempotency.record(conn, once, notification)
            return notification
    except IntegrityViolation as exc:
        if exc.kind != "unique" or once is None:
            raise
    # A database made before notification_idempotency keeps idempotency_key UNIQUE: a key the
    # sender used back then answers with that notification; another sender's key is refused.
    with db.connection(readonly=True) as conn:
        row = conn.execute("SELECT * FROM notifications WHERE idempotency_key = ?", (once.key,)).fetchone()
    if row is None or row["sender_id"] != sender.id:
        raise Conflict("This Idempotency-Key is taken; send a new key.", code="idempotency_key_reused")
    raise idempotency.Replayed(once.status, public(row))


def _feed_query(user_id: str, role: str | None, unread_only: bool, type_: str | None) -> tuple[str, list[Any]]:
    where = VISIBLE
    params: list[Any] = [user_id, *_visible_params(user_id, role)]
    if unread_only:
        where += " AND r.read_at IS NULL"
    if type_:
        where += " AND n.type = ?"
        params.append(type_)
    sql = ("FROM notifications n LEFT JOIN notification_reads r "
           f"ON r.notification_id = n.id AND r.user_id = ? WHERE {where}")
    return sql, params


def feed(db: Database, user_id: str, role: str | None, *, page: int, per_page: int,
         unread_only: bool = False, type_: str | None = None) -> dict[str, Any]:
    """The notifications addressed to this user id, this role, or everyone, newest first."""
    sql, params = _feed_query(user_id, role, unread_only, type_)
    with db.connection(readonly=True) as conn:
        total = int(conn.execute(f"SELECT COUNT(*) AS n {sql}", params).scalar())
        rows = conn.execute(f"SELECT n.*, r.read_at AS read_at {sql} "
                            "ORDER BY n.created_at DESC, n.id DESC LIMIT ? OFFSET ?",
                            [*params, per_page, (page - 1) * per_page]).fetchall()
        unread = _unread(conn, user_id, role)
    return NotificationFeed(notifications=[public(r) for r in rows], page=page, per_page=per_page, total=total,
                            pages=(total + per_page - 1) // per_page, unread=unread).model_dump()


def _unread(conn: Connection, user_id: str, role: str | None) -> int:
    sql, params = _feed_query(user_id, role, True, None)
    return int(conn.execute(f"SELECT COUNT(*) AS n {sql}", params).scalar())


def unread_count(db: Database, user_id: str, role: str | None) -> int:
    with db.connection(readonly=True) as conn:
        return _unread(conn, user_id, role)


def list_sent(db: Database, *, page: int, per_page: int, include_deleted: bool = False,
              type_: str | None = None, viewer_id: str = "") -> dict[str, Any]:
    """Everything sent, for the admin console, with how many recipients have read each."""
    where, params = [], []
    if not include_deleted:
        where.append("n.deleted_at IS NULL")
    if type_:
        where.append("n.type = ?")
        params.append(type_)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    with db.connection(readonly=True) as conn:
        total = int(conn.execute(f"SELECT COUNT(*) AS n FROM notifications n {clause}", params).scalar())
        rows = conn.execute(
            "SELECT n.*, r.read_at AS read_at, "
            "(SELECT COUNT(*) FROM notification_reads c WHERE c.notification_id = n.id) AS read_count "
            "FROM notifications n LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.user_id = ? "
            f"{clause} ORDER BY n.created_at DESC, n.id DESC LIMIT ? OFFSET ?",
            [viewer_id, *params, per_page, (page - 1) * per_page]).fetchall()
    return SentPage(notifications=[sent(r) for r in rows], page=page, per_page=per_page, total=total,
                    pages=(total + per_page - 1) // per_page).model_dump()


MAX_ID = 2 ** 63 - 1


def _visible_row(conn: Connection, notification_id: int, user_id: str, role: str | None) -> dict[str, Any]:
    if not 0 < notification_id <= MAX_ID:
        raise NotFound(f"No notification {notification_id} in your notifications.")
    row = conn.execute(
        "SELECT n.*, r.read_at AS read_at FROM notifications n LEFT JOIN notification_reads r "
        f"ON r.notification_id = n.id AND r.user_id = ? WHERE n.id = ? AND {VISIBLE}",
        [user_id, notification_id, *_visible_params(user_id, role)]).fetchone()
    if row is None:
        # Same answer whether it does not exist or is someone else's: nothing leaks.
        raise NotFound(f"No notification {notification_id} in your notifications.")
    return row


def get(db: Database, notification_id: int, principal: Principal) -> dict[str, Any]:
    with db.connection(readonly=True) as conn:
        return public(_visible_row(conn, notification_id, principal.id, principal.role))


def set_read(db: Database, notification_id: int, principal: Principal, read: bool) -> dict[str, Any]:
    """Mark read (or unread again) for the caller only."""
    with db.connection() as conn:
        _visible_row(conn, notification_id, principal.id, principal.role)
        if read:
            conn.execute("INSERT INTO notification_reads (notification_id, user_id, read_at) VALUES (?, ?, ?) "
                         "ON CONFLICT (notification_id, user_id) DO NOTHING",
                         (notification_id, principal.id, utc_now_iso()))
        else:
            conn.execute("DELETE FROM notification_reads WHERE notification_id = ? AND user_id = ?",
                         (notification_id, principal.id))
        return public(_visible_row(conn, notification_id, principal.id, principal.role))


def read_all(db: Database, principal: Principal) -> int:
    """Mark every unread notification in the caller's feed read; how many were marked."""
    with db.connection() as conn:
        result = conn.execute(
            "INSERT INTO notification_reads (notification_id, user_id, read_at) "
            f"SELECT n.id, ?, ? FROM notifications n WHERE {VISIBLE} AND NOT EXISTS "
            "(SELECT 1 FROM notification_reads x WHERE x.notification_id = n.id AND x.user_id = ?) "
            "ON CONFLICT (notification_id, user_id) DO NOTHING",
            [principal.id, utc_now_iso(), *_visible_params(principal.id, principal.role), principal.id])
        return max(int(result.rowcount or 0), 0)


def delete(db: Database, notification_id: int, principal: Principal, scope: str) -> dict[str, Any]:
    """scope "me": hide it from the caller's feed (others keep it). scope "all": delete it for
    every recipient; admins, services and the sender only."""
    with db.connection() as conn:
        if scope == "all":
            if not 0 < notification_id <= MAX_ID:
                raise NotFound(f"No notification {notification_id}.")
            row = conn.execute("SELECT * FROM notifications WHERE id = ? AND deleted_at IS NULL",
                               (notification_id,)).fetchone()
            allowed = row is not None and (principal.is_privileged or row["sender_id"] == principal.id)
            if not allowed:
                if row is not None and conn.execute(
                        f"SELECT 1 AS ok FROM notifications n WHERE n.id = ? AND {VISIBLE}",
                        [notification_id, *_visible_params(principal.id, principal.role)]).fetchone():
                    raise Forbidden("Only an admin or the sender may delete a notification for everyone; "
                                    "delete it without scope=all to remove it from your own list.")
                raise NotFound(f"No notification {notification_id}.")
            conn.execute("UPDATE notifications SET deleted_at = ? WHERE id = ?", (utc_now_iso(), notification_id))
        else:
            _visible_row(conn, notification_id, principal.id, principal.role)
            conn.execute("INSERT INTO notification_hidden (notification_id, user_id, hidden_at) VALUES (?, ?, ?) "
                         "ON CONFLICT (notification_id, user_id) DO NOTHING",
                         (notification_id, principal.id, utc_now_iso()))
    return NotificationDeleted(deleted=notification_id, scope=scope).model_dump()
