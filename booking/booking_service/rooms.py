"""Rooms: rows that admins create, edit and retire (the campus set is seeded once), and the
queries over them. A retired room keeps its row and its bookings but takes no new ones and
leaves the lists and the grid."""
from __future__ import annotations

import json
from typing import Any

from shared.database import Connection, Database, IntegrityViolation, utc_now_iso
from shared.errors import Conflict, NotFound, ValidationFailed

from .timeslots import FIRST_HOUR, LAST_HOUR, hour_text, parse_hour

# (id, name, building, floor, capacity, features, accessibility). Ids are fixed so the
# README's room_id 1 is stable; after the first start they are ordinary rows.
SEED_ROOMS = (
    (1, "Lecture Hall A", "Science Building", "0", 120, ["projector", "microphone", "whiteboard", "recording"],
     ["step-free access", "hearing loop"]),
    (2, "Lecture Hall B", "Science Building", "0", 80, ["projector", "microphone", "whiteboard"],
     ["step-free access"]),
    (3, "Chemistry Lab 101", "Science Building", "1", 24, ["lab_benches", "fume_hood", "whiteboard"], []),
    (4, "Seminar Room 2.14", "Humanities Building", "2", 20, ["whiteboard", "tv_screen"], ["step-free access"]),
    (5, "Seminar Room 3.02", "Humanities Building", "3", 30, ["projector", "whiteboard"], []),
    (6, "Group Study Room 1", "Main Library", "1", 6, ["whiteboard", "tv_screen"], ["step-free access"]),
    (7, "Group Study Room 2", "Main Library", "1", 8, ["whiteboard"], []),
    (8, "Quiet Study Room", "Main Library", "2", 4, [], []),
    (9, "Computer Lab 204", "Engineering Building", "2", 40, ["computers", "projector", "whiteboard"],
     ["step-free access"]),
    (10, "Design Studio", "Engineering Building", "1", 25, ["projector", "whiteboard", "3d_printer"], []),
    (11, "Conference Room", "Administration Building", "1", 16, ["video_conference", "tv_screen", "whiteboard"],
     ["step-free access", "hearing loop"]),
    (12, "Auditorium", "Student Center", "0", 300, ["projector", "microphone", "stage", "recording"],
     ["step-free access", "hearing loop"]),
)
_COLUMNS = ("name", "building", "floor", "capacity", "features", "accessibility", "description",
            "requires_approval", "open_hour", "close_hour")


def seed_rooms(db: Database) -> None:
    """Create the campus rooms on first start (an empty rooms table); safe with many workers."""
    with db.connection() as conn:
        if conn.execute("SELECT COUNT(*) AS n FROM rooms").scalar():
            return
        now = utc_now_iso()
        for room_id, name, building, floor, capacity, features, access in SEED_ROOMS:
            conn.execute("INSERT INTO rooms (id, name, building, floor, capacity, features, accessibility, "
                         "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                         (room_id, name, building, floor, capacity, json.dumps(features), json.dumps(access), now))
        if conn.kind == "postgresql":
            # Explicit ids do not advance the sequence; keep it past them for later inserts.
            conn.execute("SELECT setval(pg_get_serial_sequence('rooms', 'id'), "
                         "(SELECT MAX(id) FROM rooms))")


def public(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": int(row["id"]), "name": row["name"], "building": row["building"], "floor": row["floor"] or "",
            "capacity": int(row["capacity"]), "features": json.loads(row["features"] or "[]"),
            "accessibility": json.loads(row["accessibility"] or "[]"), "description": row["description"] or "",
            "requires_approval": bool(row["requires_approval"]),
            "open_time": hour_text(int(row["open_hour"])), "close_time": hour_text(int(row["close_hour"])),
            "retired": row["retired_at"] is not None, "retired_at": row["retired_at"]}


def _has(values: list[str], wanted: str | None) -> bool:
    return not wanted or wanted.strip().lower() in (v.lower() for v in values)


def bookable_rooms(conn: Connection, include_retired: bool = False) -> list[dict[str, Any]]:
    sql = "SELECT * FROM rooms" + ("" if include_retired else " WHERE retired_at IS NULL") + " ORDER BY id"
    return [public(r) for r in conn.execute(sql).fetchall()]


def matching(rooms: list[dict[str, Any]], min_capacity: int | None = None, feature: str | None = None,
             building: str | None = None, accessibility: str | None = None) -> list[dict[str, Any]]:
    """The rooms with at least min_capacity seats, a feature, an accessibility feature, in a building."""
    return [r for r in rooms if (min_capacity is None or r["capacity"] >= min_capacity)
            and (not building or r["building"].lower() == building.strip().lower())
            and _has(r["features"], feature) and _has(r["accessibility"], accessibility)]


def list_rooms(db: Database, min_capacity: int | None = None, feature: str | None = None,
               building: str | None = None, accessibility: str | None = None,
               include_retired: bool = False) -> list[dict[str, Any]]:
    with db.connection(readonly=True) as conn:
        rooms = bookable_rooms(conn, include_retired)
    return matching(rooms, min_capacity, feature, building, accessibility)


def get_room_row(conn: Connection, room_id: int) -> dict[str, Any]:
    row = conn.execute("SELECT * FROM rooms WHERE id = ?", (room_id,)).fetchone()
    if row is None:
        raise NotFound(f"No room with id {room_id}.", code="room_not_found")
    return row


def bookable_room_row(conn: Connection, room_id: int) -> dict[str, Any]:
    """The room, refused with 409 once it is retired."""
    row = get_room_row(conn, room_id)
    if row["retired_at"] is not None:
        raise Conflict(f"{row['name']} has been retired and takes no new bookings.", code="room_retired")
    return row


def get_room(db: Database, room_id: int) -> dict[str, Any]:
    with db.connection(readonly=True) as conn:
        return public(get_room_row(conn, room_id))


# ----------------------------------------------------------------------------- administration
def _values(body: dict[str, Any]) -> tuple:
    open_hour = parse_hour(body["open_time"], "open_time")
    close_hour = parse_hour(body["close_time"], "close_time")
    if close_hour <= open_hour:
        raise ValidationFailed("close_time must be after open_time.", code="invalid_hours",
                               details=[{"field": "close_time", "message": "must be after open_time "
                                         f"(bookable hours lie within {hour_text(FIRST_HOUR)}-{hour_text(LAST_HOUR)})"}])
    return (body["name"], body["building"], body["floor"].strip(), body["capacity"], json.dumps(body["features"]),
            json.dumps(body["accessibility"]), body["description"].strip(), body["requires_approval"],
            open_hour, close_hour)


def _duplicate(conn: Connection, name: str, room_id: int | None) -> None:
    row = conn.execute("SELECT id FROM rooms WHERE LOWER(name) = LOWER(?) AND id <> ?",
                       (name, room_id or 0)).fetchone()
    if row is not None:
        raise Conflict(f"A room named {name!r} already exists (id {row['id']}).", code="room_name_taken",
                       details=[{"field": "name", "message": "already used by another room"}])


def create_room(db: Database, body: dict[str, Any]) -> dict[str, Any]:
    values = _values(body)
    now = utc_now_iso()
    with db.connection() as conn:
        _duplicate(conn, body["name"], None)
        try:
            row = conn.execute(f"INSERT INTO rooms ({', '.join(_COLUMNS)}, created_at, updated_at) "
                               f"VALUES ({', '.join('?' * (len(_COLUMNS) + 2))}) RETURNING *",
                               (*values, now, now)).fetchone()
        except IntegrityViolation as exc:       # two creates of one name at once
            if exc.kind == "unique":
                raise Conflict(f"A room named {body['name']!r} already exists.", code="room_name_taken") from None
            raise
        return public(row)


def update_room(db: Database, room_id: int, body: dict[str, Any]) -> dict[str, Any]:
    values = _values(body)
    with db.connection() as conn:
        get_room_row(conn, room_id)
        _duplicate(conn, body["name"], room_id)
        try:
            row = conn.execute(f"UPDATE rooms SET {', '.join(c + ' = ?' for c in _COLUMNS)}, updated_at = ? "
                               "WHERE id = ? RETURNING *", (*values, utc_now_iso(), room_id)).fetchone()
        except IntegrityViolation as exc:
            if exc.kind == "unique":
                raise Conflict(f"A room named {body['name']!r} already exists.", code="room_name_taken") from None
            raise
        return public(row)


def retire_room(db: Database, room_id: int) -> dict[str, Any]:
    """No new bookings from now on; the room's existing bookings are kept (their holders may
    still use or cancel them). Retiring twice answers the retired room again."""
    with db.connection() as conn:
        get_room_row(conn, room_id)
        now = utc_now_iso()
        conn.execute("UPDATE rooms SET retired_at = ?, updated_at = ? WHERE id = ? AND retired_at IS NULL",
                     (now, now, room_id))
        return public(get_room_row(conn, room_id))
