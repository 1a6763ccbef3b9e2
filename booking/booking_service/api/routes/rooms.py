"""Rooms, slots and the campus clock: read-only routes (the rules live in rooms.py and
timeslots.py)."""
from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Query

from ... import rooms
from ...models import Campus, Room
from ...timeslots import SLOT_LABELS, campus_day
from ..deps import Caller, ConfigDep, DbDep

router = APIRouter(tags=["rooms"])


@router.get("/rooms", response_model=list[Room])
def list_rooms(db: DbDep, _: Caller,
               min_capacity: Optional[int] = Query(None, ge=1, le=100000),
               feature: Optional[str] = Query(None, max_length=50, examples=["projector"]),
               building: Optional[str] = Query(None, max_length=100)):
    """All rooms, optionally only those with at least `min_capacity` seats and a `feature`."""
    return rooms.list_rooms(db, min_capacity, feature, building)


@router.get("/rooms/{room_id}", response_model=Room)
def get_room(room_id: int, db: DbDep, _: Caller):
    return rooms.get_room(db, room_id)


@router.get("/slots", response_model=list[str])
def list_slots(_: Caller):
    """The ten hourly slot labels, 8 AM to 6 PM."""
    return SLOT_LABELS


@router.get("/campus", response_model=Campus)
def campus(cfg: ConfigDep, _: Caller):
    """The campus clock (BOOKING_TIMEZONE): today's date on campus, now, the slots and the
    6 PM cut-off. Clients ask here instead of using their own clock or zone."""
    return campus_day(cfg)
