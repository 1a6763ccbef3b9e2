"""Shapes a client sends and the shapes it gets back.

The booker is never part of a request body: it comes from the token (extra fields are
refused). Dates and slots are checked in bookings.py so their errors carry precise codes.
"""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=500)


class BookingCreate(_Strict):
    room_id: StrictInt = Field(ge=1, description="A room id from GET /rooms.", examples=[1])
    date: str = Field(max_length=32, description="Campus local date, YYYY-MM-DD.", examples=["2025-12-20"])
    time_slot: str = Field(max_length=40, description="One of the ten hourly slots.",
                           examples=["10:00 AM - 11:00 AM"])
    purpose: Optional[str] = Field(default=None, max_length=500, examples=["Study group"])


class RecurringCreate(_Strict):
    room_id: StrictInt = Field(ge=1, examples=[1])
    start_date: str = Field(max_length=32, description="Date of the first week, YYYY-MM-DD.")
    time_slot: str = Field(max_length=40, examples=["10:00 AM - 11:00 AM"])
    weeks: StrictInt = Field(ge=1, description="Number of weekly occurrences (1..BOOKING_MAX_WEEKS).", examples=[4])
    purpose: Optional[str] = Field(default=None, max_length=500)
    skip_conflicts: StrictBool = Field(default=False, description="Book the free weeks and list the taken ones, "
                                                                 "instead of refusing the whole series.")


class Room(BaseModel):
    id: int
    name: str
    building: str
    capacity: int
    features: list[str]


_LOCAL = "The instant in the campus zone (BOOKING_TIMEZONE) with its UTC offset."
_UTC = "The same instant in UTC."


class Booking(BaseModel):
    id: int
    room_id: int
    room_name: str
    building: str
    date: str = Field(description="The campus-local date of the slot, YYYY-MM-DD.")
    time_slot: str = Field(description="The campus-local slot label, e.g. '08:00 AM - 09:00 AM'.")
    start: str = Field(description=_LOCAL, examples=["2025-07-01T08:00:00-07:00"])
    end: str = Field(description=_LOCAL, examples=["2025-07-01T09:00:00-07:00"])
    start_utc: str = Field(description=_UTC, examples=["2025-07-01T15:00:00Z"])
    end_utc: str = Field(description=_UTC, examples=["2025-07-01T16:00:00Z"])
    timezone: str = Field(description="The campus zone of start, end and checkin_deadline.",
                          examples=["America/Los_Angeles"])
    purpose: Optional[str]
    status: Literal["active", "cancelled", "released"]
    checked_in: bool
    checked_in_at: Optional[str]
    checkin_deadline: str = Field(description="Check in before this instant (campus zone) or the booking is "
                                              "released.")
    checkin_deadline_utc: str = Field(description=_UTC)
    series_id: Optional[str]
    user_id: str
    user_name: str
    created_at: str
    cancelled_at: Optional[str]


class Slot(BaseModel):
    time_slot: str
    start: str = Field(description=_LOCAL)
    end: str = Field(description=_LOCAL)
    start_utc: str = Field(description=_UTC)
    end_utc: str = Field(description=_UTC)
    available: bool
    state: Literal["free", "booked", "past"]


class Availability(BaseModel):
    room_id: int
    room_name: str
    building: str
    date: str
    slots: list[Slot]
    available_slots: list[str]


class SlotTimes(BaseModel):
    time_slot: str
    start: str = Field(description="Campus local time of day, HH:MM.", examples=["08:00"])
    end: str = Field(description="Campus local time of day, HH:MM.", examples=["09:00"])


class Campus(BaseModel):
    """The campus clock and booking-day rules, for clients that must not restate them."""
    timezone: str = Field(description="BOOKING_TIMEZONE, an IANA zone.", examples=["America/Los_Angeles"])
    utc_offset: str = Field(description="The zone's offset from UTC now.", examples=["-07:00"])
    now: str = Field(description="Now on campus, with the offset.", examples=["2025-07-01T17:30:00-07:00"])
    now_utc: str = Field(examples=["2025-07-02T00:30:00Z"])
    today: str = Field(description="The campus date, YYYY-MM-DD (not UTC's, not the browser's).")
    booking_cutoff: str = Field(description="Campus local time when the day's last slot ends; after it "
                                            "nothing is left to book today.", examples=["18:00"])
    first_bookable_date: str = Field(description="today, or tomorrow once the cut-off has passed.")
    last_bookable_date: str = Field(description="today + BOOKING_MAX_DAYS_AHEAD.")
    slots: list[SlotTimes]
    checkin_minutes: int
    max_weeks: int


class SeriesCreated(BaseModel):
    series_id: str
    created: list[Booking]
    conflicts: list[str]
    skipped: list[str]


class SeriesCancelled(BaseModel):
    series_id: str
    cancelled: int
    cancelled_ids: list[int]
    bookings: list[Booking]
