"""Closures: days a room, a building or the whole campus cannot be booked (holidays, exam
weeks, works), with a reason that the grid shows and a refused booking quotes.

Declaring a closure over existing bookings answers 409 with them, unless the admin
confirms: then they are cancelled and their holders told, in the closure's transaction.
A booking and a closure never cross: on PostgreSQL a booking takes a shared advisory lock
and a closure the exclusive one, so a booking either sees the closure or is seen by it
(SQLite serialises every write transaction already).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from shared.database import Connection, Database, utc_iso, utc_now_iso
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.outbox import enqueue

from .models import HOLDING_SQL
from .timeslots import BookingConfig, parse_date

_CLOSURE_LOCK = 817_003      # pg advisory lock: closures exclusive, bookings shared
SELECT = "SELECT c.*, r.name AS room_name FROM booking_closures c LEFT JOIN rooms r ON r.id = c.room_id"
# A closure applies to a room when it names the room, the room's building, or nothing (campus).
_APPLIES = ("(c.room_id = ? OR (c.building IS NOT NULL AND LOWER(c.building) = LOWER(?)) "
            "OR (c.room_id IS NULL AND c.building IS NULL))")


def public(row: dict[str, Any]) -> dict[str, Any]:
    scope = "room" if row["room_id"] is not None else ("building" if row["building"] else "campus")
    return {"id": int(row["id"]), "room_id": int(row["room_id"]) if row["room_id"] is not None else None,
            "room_name": row.get("room_name"), "building": row["building"], "scope": scope,
            "start_date": row["start_date"], "end_date": row["end_date"], "reason": row["reason"],
            "created_by": row["created_by"], "created_at": row["created_at"]}


def lock_for_booking(conn: Connection) -> None:
    if conn.kind == "postgresql":
        conn.execute("SELECT pg_advisory_xact_lock_shared(?)", (_CLOSURE_LOCK,))


def closure_on(conn: Connection, room: dict[str, Any], day: date) -> dict[str, Any] | None:
    text = day.isoformat()
    return conn.execute(f"{SELECT} WHERE c.start_date <= ? AND c.end_date >= ? AND {_APPLIES} ORDER BY c.id LIMIT 1",
                        (text, text, room["id"], room["building"])).fetchone()


def check_open(conn: Connection, room: dict[str, Any], day: date) -> None:
    closure = closure_on(conn, room, day)
    if closure is not None:
        raise Conflict(f"{room['name']} is closed on {day.isoformat()}: {closure['reason']}", code="room_closed",
                       details={"reason": closure["reason"], "closure_id": int(closure["id"])})


def closures_between(conn: Connection, first: str, last: str) -> list[dict[str, Any]]:
    """Closures overlapping the dates first..last (YYYY-MM-DD, inclusive)."""
    return conn.execute(f"{SELECT} WHERE c.start_date <= ? AND c.end_date >= ? ORDER BY c.start_date, c.id",
                        (last, first)).fetchall()


def applies(closure: dict[str, Any], room: dict[str, Any]) -> bool:
    if closure["room_id"] is not None:
        return int(closure["room_id"]) == int(room["id"])
    if closure["building"]:
        return closure["building"].lower() == room["building"].lower()
    return True


def list_closures(db: Database, cfg: BookingConfig, include_past: bool = False) -> list[dict[str, Any]]:
    with db.connection(readonly=True) as conn:
        sql = SELECT + ("" if include_past else " WHERE c.end_date >= ?") + " ORDER BY c.start_date, c.id"
        rows = conn.execute(sql, () if include_past else (cfg.today().isoformat(),)).fetchall()
    return [public(r) for r in rows]


def create_closure(db: Database, cfg: BookingConfig, principal, body: dict[str, Any]) -> dict[str, Any]:
    # bookings.py imports this module (a booking checks closures), so the way back is imported here.
    from .bookings import OUTBOX
    from .bookings import SELECT as BOOKING_SELECT
    from .bookings import public as booking_public

    first = parse_date(body["start_date"], "start_date")
    last = parse_date(body["end_date"], "end_date")
    if last < first:
        raise ValidationFailed("end_date must not be before start_date.", code="invalid_date",
                               details=[{"field": "end_date", "message": "must not be before start_date"}])
    room_id, building = body.get("room_id"), (body.get("building") or "").strip() or None
    if room_id is not None and building is not None:
        raise ValidationFailed("Give room_id or building (or neither, for the whole campus), not both.",
                               code="invalid_scope", details=[{"field": "building", "message": "not with room_id"}])
    reason = " ".join(body["reason"].split())
    with db.connection() as conn:
        if conn.kind == "postgresql":
            conn.execute("SELECT pg_advisory_xact_lock(?)", (_CLOSURE_LOCK,))
        where, params = ["b.status IN " + HOLDING_SQL, "b.booking_date >= ?", "b.booking_date <= ?", "b.end_at > ?"], \
            [first.isoformat(), last.isoformat(), utc_iso(cfg.now())]
        if room_id is not None:
            if conn.execute("SELECT id FROM rooms WHERE id = ?", (room_id,)).fetchone() is None:
                raise NotFound(f"No room with id {room_id}.", code="room_not_found")
            where.append("b.room_id = ?")
            params.append(room_id)
        elif building is not None:
            known = conn.execute("SELECT building FROM rooms WHERE LOWER(building) = LOWER(?) LIMIT 1",
                                 (building,)).fetchone()
            if known is None:
                raise ValidationFailed(f"No room is in a building called {building!r}.", code="unknown_building",
                                       details=[{"field": "building", "message": "no room is in this building"}])
            building = known["building"]
            where.append("LOWER(r.building) = LOWER(?)")
            params.append(building)
        affected = conn.execute(f"{BOOKING_SELECT} WHERE {' AND '.join(where)} ORDER BY b.start_at, b.id"
                                f"{conn.for_update('b')}", params).fetchall()
        if affected and not body.get("confirm"):
            raise Conflict(f"{len(affected)} booking(s) fall in this closure. Send confirm=true to cancel them "
                           "(their holders are told) and close.", code="closure_has_bookings",
                           details={"bookings": [booking_public(r, cfg) for r in affected]})
        stamp = utc_now_iso()
        row = conn.execute("INSERT INTO booking_closures (room_id, building, start_date, end_date, reason, "
                           "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                           (room_id, building, first.isoformat(), last.isoformat(), reason, principal.id,
                            stamp)).fetchone()
        closure_id = int(row["id"])
        cancelled = []
        for booking in affected:
            conn.execute("UPDATE bookings SET status = 'cancelled', cancelled_at = ?, cancelled_by = ?, reason = ?, "
                         f"updated_at = ? WHERE id = ? AND status IN {HOLDING_SQL}",
                         (stamp, principal.id, f"Closed: {reason}", stamp, booking["id"]))
            full = conn.execute(f"{BOOKING_SELECT} WHERE b.id = ?", (booking["id"],)).fetchone()
            enqueue(conn, OUTBOX, f"booking-closed:{booking['id']}",
                    {"user_id": full["user_id"], "type": "booking", "title": "Booking cancelled: room closed",
                     "body": f"Your booking of {full['room_name']} ({full['building']}) on {full['booking_date']}, "
                             f"{full['time_slot']} was cancelled because the room is closed: {reason}"})
            cancelled.append(booking_public(full, cfg))
        closure = conn.execute(f"{SELECT} WHERE c.id = ?", (closure_id,)).fetchone()
        return {"closure": public(closure), "cancelled": cancelled}


def delete_closure(db: Database, closure_id: int) -> dict[str, Any]:
    """Reopen: the closure goes; bookings it cancelled stay cancelled."""
    with db.connection() as conn:
        row = conn.execute(f"{SELECT} WHERE c.id = ?", (closure_id,)).fetchone()
        if row is None:
            raise NotFound(f"No closure with id {closure_id}.", code="closure_not_found")
        conn.execute("DELETE FROM booking_closures WHERE id = ?", (closure_id,))
        return public(row)
