"""Rooms, the campus grid, slots and the campus clock. Reads for every signed-in role;
creating, editing and retiring rooms for admins (the rules live in rooms.py, grid.py and
timeslots.py)."""
from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Query

from ... import grid, rooms
from ...models import HOLDING, Campus, Grid, Room, RoomCreate, RoomUpdate
from ...timeslots import SLOT_LABELS, campus_day
from ..deps import Admin, Caller, ConfigDep, DbDep

router = APIRouter(tags=["rooms"])
_Building = Query(None, max_length=100, examples=["Science Building"])
_Feature = Query(None, max_length=60, examples=["projector"])
_Access = Query(None, max_length=60, examples=["step-free access"])
_Capacity = Query(None, ge=1, le=100000)


@router.get("/rooms", response_model=list[Room])
def list_rooms(db: DbDep, _: Caller, min_capacity: Optional[int] = _Capacity, feature: Optional[str] = _Feature,
               building: Optional[str] = _Building, accessibility: Optional[str] = _Access,
               include_retired: bool = Query(False, description="Also the retired rooms.")):
    """The bookable rooms, optionally only those with at least `min_capacity` seats, a
    `feature`, an `accessibility` feature, in a `building`."""
    return rooms.list_rooms(db, min_capacity, feature, building, accessibility, include_retired)


@router.post("/rooms", response_model=Room, status_code=201)
def create_room(body: RoomCreate, db: DbDep, _: Admin):
    """Add a room (admins). 409 room_name_taken for a name in use (whatever its case)."""
    return rooms.create_room(db, body.model_dump())


@router.get("/rooms/{room_id}", response_model=Room)
def get_room(room_id: int, db: DbDep, _: Caller):
    return rooms.get_room(db, room_id)


@router.put("/rooms/{room_id}", response_model=Room)
def update_room(room_id: int, body: RoomUpdate, db: DbDep, _: Admin):
    """Replace a room's description (admins). Existing bookings are kept as they are."""
    return rooms.update_room(db, room_id, body.model_dump())


@router.delete("/rooms/{room_id}", response_model=Room)
def retire_room(room_id: int, db: DbDep, _: Admin):
    """Retire a room (admins): no new bookings, gone from the lists and the grid; its
    existing bookings are kept."""
    return rooms.retire_room(db, room_id)


@router.get("/grid", response_model=Grid)
def campus_grid(db: DbDep, cfg: ConfigDep, principal: Caller,
                date: str = Query(..., max_length=32, examples=["2026-11-26"]),
                building: Optional[str] = _Building, min_capacity: Optional[int] = _Capacity,
                feature: Optional[str] = _Feature, accessibility: Optional[str] = _Access):
    """Every bookable room (filtered) against the day's slots; each cell free, taken, yours,
    pending, closed (with the reason), past (started, campus clock) or unavailable (outside
    the room's hours). booking_id is given for yours, your pending requests, and to admins."""
    return grid.campus_grid(db, cfg, principal, date, building, min_capacity, feature, accessibility)


@router.get("/slots", response_model=list[str])
def list_slots(_: Caller):
    """The ten hourly slot labels, 8 AM to 6 PM."""
    return SLOT_LABELS


@router.get("/campus", response_model=Campus)
def campus(cfg: ConfigDep, _: Caller):
    """The campus clock (BOOKING_TIMEZONE): today's date on campus, now, the slots and the
    6 PM cut-off, and which booking statuses hold a slot. Clients ask here instead of using
    their own clock or zone, or a list of their own."""
    return {**campus_day(cfg), "holding_statuses": list(HOLDING)}
