"""The campus grid of a day: every bookable room against the day's slots, each cell in one
state, as the caller should see it (GET /grid). Three queries whatever the number of
rooms: the rooms, the day's confirmed and pending bookings (by start instant, an index
range), and the closures of the day."""
from __future__ import annotations

from typing import Any

from shared.auth import Principal
from shared.database import Database, utc_iso

from . import rooms as rooms_module
from .bookings import release_if_due
from .closures import applies, closures_between
from .models import HOLDING_SQL, RoomSummary
from .timeslots import SLOT_LABELS, BookingConfig, parse_date, slot_hour


def _cell(label: str, state: str, booking_id: int | None = None, reason: str | None = None) -> dict[str, Any]:
    return {"slot": label, "state": state, "booking_id": booking_id, "reason": reason}


def campus_grid(db: Database, cfg: BookingConfig, principal: Principal, date_text: str,
                building: str | None = None, min_capacity: int | None = None, feature: str | None = None,
                accessibility: str | None = None) -> dict[str, Any]:
    day = parse_date(date_text)
    bounds = {label: cfg.slot_instants(day, label) for label in SLOT_LABELS}
    release_if_due(db, cfg)
    first, last = bounds[SLOT_LABELS[0]][0], bounds[SLOT_LABELS[-1]][1]
    with db.connection(readonly=True) as conn:
        every = rooms_module.bookable_rooms(conn)       # all of them: the filter choices
        held = conn.execute("SELECT id, room_id, start_at, user_id, status FROM bookings "
                            f"WHERE start_at >= ? AND start_at < ? AND status IN {HOLDING_SQL}",
                            (utc_iso(first), utc_iso(last))).fetchall()
        closures = closures_between(conn, day.isoformat(), day.isoformat())
    shown = rooms_module.matching(every, min_capacity, feature, building, accessibility)
    by_slot = {(int(b["room_id"]), b["start_at"]): b for b in held}
    now = cfg.now()
    privileged = principal.is_privileged
    grid_rooms = []
    for room in shown:
        closure = next((c for c in closures if applies(c, room)), None)
        open_hour, close_hour = (int(room[k][:2]) for k in ("open_time", "close_time"))
        cells = []
        for label, (start, _end) in bounds.items():
            booking = by_slot.get((room["id"], utc_iso(start)))
            mine = booking is not None and booking["user_id"] == principal.id
            shown_id = int(booking["id"]) if booking is not None and (mine or privileged) else None
            if not open_hour <= slot_hour(label) < close_hour:
                cells.append(_cell(label, "unavailable"))
            elif closure is not None:
                cells.append(_cell(label, "closed", reason=closure["reason"]))
            elif booking is not None and booking["status"] == "pending":
                cells.append(_cell(label, "pending", shown_id))
            elif booking is not None:
                cells.append(_cell(label, "yours" if mine else "taken", shown_id))
            elif start <= now:
                cells.append(_cell(label, "past"))
            else:
                cells.append(_cell(label, "free"))
        grid_rooms.append({k: room[k] for k in RoomSummary.model_fields} | {"cells": cells})
    return {"date": day.isoformat(), "today": now.date().isoformat(), "now": cfg.local_iso(now),
            "timezone": cfg.timezone.key, "slots": list(SLOT_LABELS),
            "buildings": sorted({r["building"] for r in every}),
            "features": sorted({f for r in every for f in r["features"]}),
            "accessibility": sorted({a for r in every for a in r["accessibility"]}),
            "rooms": grid_rooms}
