"""HTTP routes of the booking service: thin; the rules live in bookings.py and rooms.py."""
from __future__ import annotations

from typing import Literal, Optional

from fastapi import APIRouter, Depends, Query, Response
from fastapi.openapi.docs import get_swagger_ui_html

from shared import idempotency
from shared.auth import Principal, fastapi_auth
from shared.errors import Forbidden, NotFound

from . import bookings, ical, rooms
from .models import Availability, Booking, BookingCreate, Campus, RecurringCreate, Room, SeriesCancelled, SeriesCreated
from .timeslots import SLOT_LABELS, campus_day

DOCS_ASSETS = "docs-assets"


def _self_or_admin(principal: Principal, user_id: str) -> None:
    if not principal.is_privileged and principal.id != user_id:
        raise Forbidden("You may only see your own bookings.")


def build_router(settings, db, cfg, dispatcher) -> APIRouter:
    router = APIRouter()
    anyone = fastapi_auth(settings)
    person = fastapi_auth(settings, "admin", "faculty", "student")

    def committed() -> None:
        dispatcher.wake()

    # ------------------------------------------------------------------ docs
    @router.get("/docs", include_in_schema=False)
    def docs():
        # Relative URLs: the page works at /docs here and at /api/booking/docs behind the gateway.
        return get_swagger_ui_html(openapi_url="openapi.json", title="Booking service - API docs",
                                   swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
                                   swagger_ui_parameters={"persistAuthorization": True})

    # ------------------------------------------------------------------ rooms
    @router.get("/rooms", response_model=list[Room], tags=["rooms"])
    def list_rooms(min_capacity: Optional[int] = Query(None, ge=1, le=100000),
                   feature: Optional[str] = Query(None, max_length=50, examples=["projector"]),
                   building: Optional[str] = Query(None, max_length=100),
                   _: Principal = Depends(anyone)):
        """All rooms, optionally only those with at least `min_capacity` seats and a `feature`."""
        return rooms.list_rooms(db, min_capacity, feature, building)

    @router.get("/rooms/{room_id}", response_model=Room, tags=["rooms"])
    def get_room(room_id: int, _: Principal = Depends(anyone)):
        return rooms.get_room(db, room_id)

    @router.get("/slots", response_model=list[str], tags=["rooms"])
    def list_slots(_: Principal = Depends(anyone)):
        """The ten hourly slot labels, 8 AM to 6 PM."""
        return SLOT_LABELS

    @router.get("/campus", response_model=Campus, tags=["rooms"])
    def campus(_: Principal = Depends(anyone)):
        """The campus clock (BOOKING_TIMEZONE): today's date on campus, now, the slots and the
        6 PM cut-off. Clients ask here instead of using their own clock or zone."""
        return campus_day(cfg)

    # ------------------------------------------------------------------ bookings
    @router.get("/bookings/available", response_model=Availability, tags=["bookings"])
    def available(room_id: int = Query(..., ge=1), date: str = Query(..., max_length=32, examples=["2025-12-20"]),
                  _: Principal = Depends(anyone)):
        """The room's ten slots on a date, each free or not, plus the labels of the free ones."""
        return bookings.availability(db, cfg, room_id, date)

    @router.post("/bookings", response_model=Booking, status_code=201, tags=["bookings"])
    def create(body: BookingCreate, principal: Principal = Depends(person),
               key: Optional[str] = idempotency.fastapi_header()):
        """Book one slot. The booker is the token's user. 409 slot_taken if someone has it."""
        once = idempotency.keyed_request(bookings.IDEMPOTENCY, principal.id, key, "POST /bookings", body)
        booking = bookings.create_booking(db, cfg, principal, body.room_id, body.date, body.time_slot, body.purpose,
                                          once)
        committed()
        return booking

    @router.post("/bookings/recurring", response_model=SeriesCreated, status_code=201, tags=["bookings"])
    def create_recurring(body: RecurringCreate, principal: Principal = Depends(person),
                         key: Optional[str] = idempotency.fastapi_header()):
        """Book the same slot weekly. All or nothing unless skip_conflicts is true."""
        once = idempotency.keyed_request(bookings.IDEMPOTENCY, principal.id, key, "POST /bookings/recurring", body)
        result = bookings.create_recurring(db, cfg, principal, body.room_id, body.start_date, body.time_slot,
                                           body.weeks, body.purpose, body.skip_conflicts, once)
        committed()
        return result

    @router.get("/bookings", response_model=list[Booking], tags=["bookings"])
    def list_bookings(date_from: Optional[str] = Query(None, max_length=32),
                      date_to: Optional[str] = Query(None, max_length=32),
                      upcoming: bool = False,
                      status: Optional[Literal["active", "cancelled", "released"]] = None,
                      room_id: Optional[int] = Query(None, ge=1),
                      user_id: Optional[str] = Query(None, max_length=100),
                      limit: int = Query(500, ge=1, le=5000),
                      principal: Principal = Depends(anyone)):
        """Admins see every booking (optionally one user's); everyone else sees their own."""
        if not principal.is_privileged:
            if user_id is not None and user_id != principal.id:
                raise Forbidden("You may only see your own bookings.")
            user_id = principal.id
        return bookings.list_bookings(db, cfg, user_id=user_id, date_from=date_from, date_to=date_to,
                                      upcoming=upcoming, status=status, room_id=room_id, limit=limit)

    @router.get("/bookings/user/{user_id}", response_model=list[Booking], tags=["bookings"])
    def user_bookings(user_id: str, upcoming: bool = False,
                      status: Optional[Literal["active", "cancelled", "released"]] = None,
                      principal: Principal = Depends(anyone)):
        _self_or_admin(principal, user_id)
        return bookings.list_bookings(db, cfg, user_id=user_id, upcoming=upcoming, status=status)

    @router.get("/bookings/user/{user_id}/calendar.ics", tags=["bookings"],
                responses={200: {"content": {"text/calendar": {}}}})
    def user_calendar(user_id: str, principal: Principal = Depends(anyone)):
        """The user's active bookings as an iCalendar file."""
        _self_or_admin(principal, user_id)
        items = bookings.list_bookings(db, cfg, user_id=user_id, status="active", limit=5000)
        return Response(ical.calendar(items), media_type="text/calendar; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="bookings.ics"'})

    @router.get("/bookings/series/{series_id}", response_model=list[Booking], tags=["bookings"])
    def get_series(series_id: str, principal: Principal = Depends(anyone)):
        items = bookings.list_bookings(db, cfg, series_id=series_id)
        if items and not principal.is_privileged and items[0]["user_id"] != principal.id:
            raise Forbidden("You may only see your own bookings.")
        if not items:
            raise NotFound(f"No booking series {series_id}.", code="series_not_found")
        return items

    @router.delete("/bookings/series/{series_id}", response_model=SeriesCancelled, tags=["bookings"])
    def cancel_series(series_id: str, principal: Principal = Depends(anyone)):
        """Cancel every upcoming active booking of a weekly series (own, or any for admins)."""
        result = bookings.cancel_series(db, cfg, principal, series_id)
        committed()
        return result

    @router.get("/bookings/{booking_id}", response_model=Booking, tags=["bookings"])
    def get_booking(booking_id: int, principal: Principal = Depends(anyone)):
        return bookings.get_booking(db, cfg, principal, booking_id)

    @router.delete("/bookings/{booking_id}", response_model=Booking, tags=["bookings"])
    def cancel(booking_id: int, principal: Principal = Depends(anyone)):
        """Cancel a booking: your own, or anyone's if you are an admin. The slot is free again."""
        booking = bookings.cancel_booking(db, cfg, principal, booking_id)
        committed()
        return booking

    @router.post("/bookings/{booking_id}/check-in", response_model=Booking, tags=["bookings"])
    def check_in(booking_id: int, principal: Principal = Depends(person)):
        """Check in during the first BOOKING_CHECKIN_MINUTES of the slot, or the booking is released."""
        booking = bookings.check_in(db, cfg, principal, booking_id)
        committed()
        return booking

    return router
