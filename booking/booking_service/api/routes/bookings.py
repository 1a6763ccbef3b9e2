"""Bookings: thin routes over bookings.py (the rules and the SQL). A route that commits
a change wakes the outbox, so its notification leaves at once rather than at the next poll."""
from __future__ import annotations

from typing import Literal, Optional

from fastapi import APIRouter, Query, Response

from shared import idempotency
from shared.auth import Principal
from shared.errors import Forbidden, NotFound

from ... import bookings, ical
from ...models import Availability, Booking, BookingCreate, RecurringCreate, SeriesCancelled, SeriesCreated
from ..deps import Caller, ConfigDep, DbDep, IdempotencyKey, OutboxDep, Person

router = APIRouter(prefix="/bookings", tags=["bookings"])
Status = Optional[Literal["active", "cancelled", "released"]]


def _self_or_admin(principal: Principal, user_id: str) -> None:
    if not principal.is_privileged and principal.id != user_id:
        raise Forbidden("You may only see your own bookings.")


@router.get("/available", response_model=Availability)
def available(db: DbDep, cfg: ConfigDep, _: Caller, room_id: int = Query(..., ge=1),
              date: str = Query(..., max_length=32, examples=["2025-12-20"])):
    """The room's ten slots on a date, each free or not, plus the labels of the free ones."""
    return bookings.availability(db, cfg, room_id, date)


@router.post("", response_model=Booking, status_code=201)
def create(body: BookingCreate, db: DbDep, cfg: ConfigDep, outbox: OutboxDep, principal: Person,
           key: IdempotencyKey = None):
    """Book one slot. The booker is the token's user. 409 slot_taken if someone has it."""
    once = idempotency.keyed_request(bookings.IDEMPOTENCY, principal.id, key, "POST /bookings", body)
    booking = bookings.create_booking(db, cfg, principal, body.room_id, body.date, body.time_slot, body.purpose,
                                      once)
    outbox.wake()
    return booking


@router.post("/recurring", response_model=SeriesCreated, status_code=201)
def create_recurring(body: RecurringCreate, db: DbDep, cfg: ConfigDep, outbox: OutboxDep, principal: Person,
                     key: IdempotencyKey = None):
    """Book the same slot weekly. All or nothing unless skip_conflicts is true."""
    once = idempotency.keyed_request(bookings.IDEMPOTENCY, principal.id, key, "POST /bookings/recurring", body)
    result = bookings.create_recurring(db, cfg, principal, body.room_id, body.start_date, body.time_slot,
                                       body.weeks, body.purpose, body.skip_conflicts, once)
    outbox.wake()
    return result


@router.get("", response_model=list[Booking])
def list_bookings(db: DbDep, cfg: ConfigDep, principal: Caller,
                  date_from: Optional[str] = Query(None, max_length=32),
                  date_to: Optional[str] = Query(None, max_length=32),
                  upcoming: bool = False,
                  status: Status = None,
                  room_id: Optional[int] = Query(None, ge=1),
                  user_id: Optional[str] = Query(None, max_length=100),
                  limit: int = Query(500, ge=1, le=5000)):
    """Admins see every booking (optionally one user's); everyone else sees their own."""
    if not principal.is_privileged:
        if user_id is not None and user_id != principal.id:
            raise Forbidden("You may only see your own bookings.")
        user_id = principal.id
    return bookings.list_bookings(db, cfg, user_id=user_id, date_from=date_from, date_to=date_to,
                                  upcoming=upcoming, status=status, room_id=room_id, limit=limit)


@router.get("/user/{user_id}", response_model=list[Booking])
def user_bookings(user_id: str, db: DbDep, cfg: ConfigDep, principal: Caller, upcoming: bool = False,
                  status: Status = None):
    _self_or_admin(principal, user_id)
    return bookings.list_bookings(db, cfg, user_id=user_id, upcoming=upcoming, status=status)


@router.get("/user/{user_id}/calendar.ics", response_class=Response,
            responses={200: {"description": "An iCalendar file (RFC 5545).",
                             "content": {"text/calendar": {"schema": {"type": "string"}}}}})
def user_calendar(user_id: str, db: DbDep, cfg: ConfigDep, principal: Caller):
    """The user's active bookings as an iCalendar file."""
    _self_or_admin(principal, user_id)
    items = bookings.list_bookings(db, cfg, user_id=user_id, status="active", limit=5000)
    return Response(ical.calendar(items), media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="bookings.ics"'})


@router.get("/series/{series_id}", response_model=list[Booking])
def get_series(series_id: str, db: DbDep, cfg: ConfigDep, principal: Caller):
    items = bookings.list_bookings(db, cfg, series_id=series_id)
    if items and not principal.is_privileged and items[0]["user_id"] != principal.id:
        raise Forbidden("You may only see your own bookings.")
    if not items:
        raise NotFound(f"No booking series {series_id}.", code="series_not_found")
    return items


@router.delete("/series/{series_id}", response_model=SeriesCancelled)
def cancel_series(series_id: str, db: DbDep, cfg: ConfigDep, outbox: OutboxDep, principal: Caller):
    """Cancel every upcoming active booking of a weekly series (own, or any for admins)."""
    result = bookings.cancel_series(db, cfg, principal, series_id)
    outbox.wake()
    return result


@router.get("/{booking_id}", response_model=Booking)
def get_booking(booking_id: int, db: DbDep, cfg: ConfigDep, principal: Caller):
    return bookings.get_booking(db, cfg, principal, booking_id)


@router.delete("/{booking_id}", response_model=Booking)
def cancel(booking_id: int, db: DbDep, cfg: ConfigDep, outbox: OutboxDep, principal: Caller):
    """Cancel a booking: your own, or anyone's if you are an admin. The slot is free again."""
    booking = bookings.cancel_booking(db, cfg, principal, booking_id)
    outbox.wake()
    return booking


@router.post("/{booking_id}/check-in", response_model=Booking)
def check_in(booking_id: int, db: DbDep, cfg: ConfigDep, outbox: OutboxDep, principal: Person):
    """Check in during the first BOOKING_CHECKIN_MINUTES of the slot, or the booking is released."""
    booking = bookings.check_in(db, cfg, principal, booking_id)
    outbox.wake()
    return booking
