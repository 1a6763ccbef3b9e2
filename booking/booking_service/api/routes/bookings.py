"""Bookings: thin routes over bookings.py (the rules and the SQL). A route that commits
a change wakes the outbox, so its notification leaves at once rather than at the next poll."""
from __future__ import annotations

from datetime import timedelta
from typing import Literal, Optional

from fastapi import APIRouter, Path, Query, Response

from shared import idempotency
from shared.auth import Principal
from shared.errors import Forbidden, NotFound

from ... import bookings, feeds, ical
from ...models import (
    Availability,
    Booking,
    BookingCreate,
    BookingPage,
    Decision,
    FeedLink,
    RecurringCreate,
    Rejection,
    SeriesCancelled,
    SeriesCreated,
    Status,
)
from ..deps import Admin, Caller, ConfigDep, DbDep, DirectoryDep, FeedSettings, IdempotencyKey, OutboxDep, Person

router = APIRouter(prefix="/bookings", tags=["bookings"])
# The calendar feed: no Bearer token (calendar apps cannot send one); the secret URL is the key.
public_router = APIRouter(prefix="/bookings", tags=["bookings"])
StatusFilter = Optional[Status]
_ICS = {200: {"description": "An iCalendar file (RFC 5545).", "content": {"text/calendar": {"schema": {"type": "string"}}}}}


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
           directory: DirectoryDep, key: IdempotencyKey = None):
    """Book one slot for the token's user (an admin may name another: user_id, booking on
    behalf). 409 slot_taken if someone holds it, room_closed with the reason if it is closed.
    The answer's status is "pending" for a room that requires approval, else "confirmed"."""
    if body.user_id is not None and body.user_id != principal.id and not principal.is_admin:
        raise Forbidden("Only admins may book on behalf of someone else.", code="on_behalf_forbidden")
    once = idempotency.keyed_request(bookings.IDEMPOTENCY, principal.id, key, "POST /bookings", body)
    on_behalf = directory(body.user_id) if body.user_id not in (None, principal.id) else None
    booking = bookings.create_booking(db, cfg, principal, body.room_id, body.date, body.time_slot, body.purpose,
                                      once, on_behalf)
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


@router.get("", response_model=BookingPage)
def list_bookings(db: DbDep, cfg: ConfigDep, principal: Caller,
                  date_from: Optional[str] = Query(None, alias="from", max_length=32,
                                                   description="First campus date, YYYY-MM-DD."),
                  date_to: Optional[str] = Query(None, alias="to", max_length=32,
                                                 description="Last campus date, YYYY-MM-DD."),
                  upcoming: Optional[bool] = Query(None, description="Only bookings not yet over. Default: true "
                                                   "when neither from nor to is given and order=start."),
                  status: StatusFilter = None,
                  room_id: Optional[int] = Query(None, ge=1),
                  user_id: Optional[str] = Query(None, max_length=100, description="Admins: one person's."),
                  order: Literal["start", "newest"] = Query("start", description="start: by start time; newest: "
                                                            "most recently made first."),
                  page: int = Query(1, ge=1, le=100000),
                  per_page: int = Query(50, ge=1, le=200)):
    """A page of bookings: admins see everyone's (optionally one user's), everyone else their
    own. Without filters: your upcoming bookings by start time."""
    if not principal.is_privileged:
        if user_id is not None and user_id != principal.id:
            raise Forbidden("You may only see your own bookings.")
        user_id = principal.id
    return bookings.list_page(db, cfg, user_id=user_id, date_from=date_from, date_to=date_to, upcoming=upcoming,
                              status=status, room_id=room_id, order=order, page=page, per_page=per_page)


@router.get("/feed", response_model=FeedLink)
def feed(db: DbDep, principal: Person, feed_settings: FeedSettings):
    """Your calendar subscription URL (secret: anyone with it reads your bookings). Add it to
    Google Calendar, Outlook or Apple Calendar as a calendar "from URL"."""
    return _link(feeds.feed_token(db, feed_settings[0], principal.id), feed_settings[1])


@router.post("/feed/reset", response_model=FeedLink)
def reset_feed(db: DbDep, principal: Person, feed_settings: FeedSettings):
    """A new subscription URL; the old one stops working at once."""
    return _link(feeds.feed_token(db, feed_settings[0], principal.id, reset=True), feed_settings[1])


def _link(token: str, base: str) -> dict:
    path = "/api/booking" + feeds.FEED_PATH.format(token=token)
    return {"url": base + path, "path": path}


@public_router.get("/feed/{token}.ics", response_class=Response, responses=_ICS)
def feed_calendar(db: DbDep, cfg: ConfigDep, token: str = Path(..., min_length=20, max_length=100)):
    """The subscribed calendar (no Bearer token: the secret URL is the key): the owner's
    bookings from 30 days ago on, cancelled ones as STATUS:CANCELLED."""
    user_id = feeds.feed_owner(db, token)
    since = (cfg.today() - timedelta(days=30)).isoformat()
    items = bookings.list_bookings(db, cfg, user_id=user_id, date_from=since, limit=2000)
    return Response(ical.calendar(items), media_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "private, max-age=300"})


@router.get("/user/{user_id}", response_model=list[Booking])
def user_bookings(user_id: str, db: DbDep, cfg: ConfigDep, principal: Caller, upcoming: bool = False,
                  status: StatusFilter = None):
    _self_or_admin(principal, user_id)
    return bookings.list_bookings(db, cfg, user_id=user_id, upcoming=upcoming, status=status)


@router.get("/user/{user_id}/calendar.ics", response_class=Response, responses=_ICS)
def user_calendar(user_id: str, db: DbDep, cfg: ConfigDep, principal: Caller):
    """The user's confirmed bookings as an iCalendar file (for a calendar app to subscribe
    to, without a token: GET /bookings/feed)."""
    _self_or_admin(principal, user_id)
    items = bookings.list_bookings(db, cfg, user_id=user_id, status="confirmed", limit=5000)
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
    """Cancel every upcoming confirmed or pending booking of a weekly series (own, or any for admins)."""
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


@router.post("/{booking_id}/approve", response_model=Booking)
def approve(booking_id: int, db: DbDep, cfg: ConfigDep, outbox: OutboxDep, principal: Admin,
            body: Optional[Decision] = None):
    """Approve a pending booking (admins): it becomes confirmed and the requester is told."""
    booking = bookings.decide(db, cfg, principal, booking_id, True, body.reason if body else None)
    outbox.wake()
    return booking


@router.post("/{booking_id}/reject", response_model=Booking)
def reject(booking_id: int, body: Rejection, db: DbDep, cfg: ConfigDep, outbox: OutboxDep, principal: Admin):
    """Reject a pending booking with a reason (admins): the slot is free again and the requester is told."""
    booking = bookings.decide(db, cfg, principal, booking_id, False, body.reason)
    outbox.wake()
    return booking
