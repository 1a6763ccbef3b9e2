"""Rooms: the seeded campus set and the queries over it."""
from __future__ import annotations

import json
from typing import Any

from shared.database import Connection, Database, utc_now_iso
from shared.errors import NotFound

# (id, name, building, capacity, features). Ids are fixed so the README's room_id 1 is stable.
SEED_ROOMS = (
    (1, "Lecture Hall A", "Science Building", 120, ["projector", "microphone", "whiteboard", "recording"]),
    (2, "Lecture Hall B", "Science Building", 80, ["projector", "microphone", "whiteboard"]),
    (3, "Chemistry Lab 101", "Science Building", 24, ["lab_benches", "fume_hood", "whiteboard"]),
    (4, "Seminar Room 2.14", "Humanities Building", 20, ["whiteboard", "tv_screen"]),
    (5, "Seminar Room 3.02", "Humanities Building", 30, ["projector", "whiteboard"]),
    (6, "Group Study Room 1", "Main Library", 6, ["whiteboard", "tv_screen"]),
    (7, "Group Study Room 2", "Main Library", 8, ["whiteboard"]),
    (8, "Quiet Study Room", "Main Library", 4, []),
    (9, "Computer Lab 204", "Engineering Building", 40, ["computers", "projector", "whiteboard"]),
    (10, "Design Studio", "Engineering Building", 25, ["projector", "whiteboard", "3d_printer"]),
    (11, "Conference Room", "Administration Building", 16, ["video_conference", "tv_screen", "whiteboard"]),
    (12, "Auditorium", "Student Center", 300, ["projector", "microphone", "stage", "recording"]),
)


def seed_rooms(db: Database) -> None:
    """Create the campus rooms on first start (an empty rooms table); safe with many workers."""
    with db.connection() as conn:
        if conn.execute("SELECT COUNT(*) AS n FROM rooms").scalar():
            return
        now = utc_now_iso()
        for room_id, name, building, capacity, features in SEED_ROOMS:
            conn.execute("INSERT INTO rooms (id, name, building, capacity, features, created_at) "
                         "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                         (room_id, name, building, capacity, json.dumps(features), now))
        if conn.kind == "postgresql":
            # Explicit ids do not advance the sequence; keep it past them for later inserts.
            conn.execute("SELECT setval(pg_get_serial_sequence('rooms', 'id'), "
                         "(SELECT MAX(id) FROM rooms))")


def public(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": int(row["id"]), "name": row["name"], "building": row["building"],
            "capacity": int(row["capacity"]), "features": json.loads(row["features"] or "[]")}


def list_rooms(db: Database, min_capacity: int | None = None, feature: str | None = None,
               building: str | None = None) -> list[dict[str, Any]]:
    where, params = [], []
    if min_capacity is not None:
        where.append("capacity >= ?")
        params.append(min_capacity)
    if building:
        where.append("LOWER(building) = LOWER(?)")
        params.append(building)
    sql = "SELECT * FROM rooms" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
    with db.connection(readonly=True) as conn:
        rooms = [public(r) for r in conn.execute(sql, params).fetchall()]
    if feature:
        wanted = feature.strip().lower()
        rooms = [r for r in rooms if wanted in (f.lower() for f in r["features"])]
    return rooms


def get_room_row(conn: Connection, room_id: int) -> dict[str, Any]:
    row = conn.execute("SELECT * FROM rooms WHERE id = ?", (room_id,)).fetchone()
    if row is None:
        raise NotFound(f"No room with id {room_id}.", code="room_not_found")
    return row


def get_room(db: Database, room_id: int) -> dict[str, Any]:
    with db.connection(readonly=True) as conn:
        return public(get_room_row(conn, room_id))
