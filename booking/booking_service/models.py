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


class Booking(BaseModel):
    id: int
    room_id: int
    room_name: str
    building: str
    date: str
    time_slot: str
    start: str
    end: str
    purpose: Optional[str]
    status: Literal["active", "cancelled", "released"]
    checked_in: bool
    checked_in_at: Optional[str]
    checkin_deadline: str
    series_id: Optional[str]
    user_id: str
    user_name: str
    created_at: str
    cancelled_at: Optional[str]


class Slot(BaseModel):
    time_slot: str
    start: str
    end: str
    available: bool
    state: Literal["free", "booked", "past"]


class Availability(BaseModel):
    room_id: int
    room_name: str
    building: str
    date: str
    slots: list[Slot]
    available_slots: list[str]


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
