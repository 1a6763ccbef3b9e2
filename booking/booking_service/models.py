"""Shapes a client sends and the shapes it gets back, and the booking statuses (their one
owner: schema.sql's CHECK is generated from STATUSES).

The booker comes from the token; only an admin may name another person ("user_id", booking
on behalf), which bookings.py checks. Dates and slots are checked in bookings.py so their
errors carry precise codes.
"""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator

from shared.database import sql_values
from shared.fields import non_blank

# confirmed: holds the slot. pending: waits for an admin's approval and holds the slot too.
# cancelled (by its holder, an admin or a closure), released (nobody checked in), rejected
# (an admin said no), expired (nobody decided 24 hours before the start).
STATUSES = ("confirmed", "pending", "cancelled", "released", "rejected", "expired")
HOLDING = ("confirmed", "pending")      # these take the slot and count toward the role's limit
HOLDING_SQL = f"({sql_values(HOLDING)})"   # for "status IN ..." (the unique index in schema.sql says it too)
Status = Literal["confirmed", "pending", "cancelled", "released", "rejected", "expired"]
CELL_STATES = ("free", "taken", "yours", "pending", "closed", "past", "unavailable")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=500)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value):
        """PostgreSQL cannot store a NUL character in text (SQLite can): refused alike on both."""
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise ValueError("must not contain a NUL character")
        return value


class BookingCreate(_Strict):
    room_id: StrictInt = Field(ge=1, description="A room id from GET /rooms.", examples=[1])
    date: str = Field(max_length=32, description="Campus local date, YYYY-MM-DD.", examples=["2025-12-20"])
    time_slot: str = Field(max_length=40, description="One of the ten hourly slots.",
                           examples=["10:00 AM - 11:00 AM"])
    purpose: Optional[str] = Field(default=None, max_length=500, examples=["Study group"])
    user_id: Optional[str] = Field(default=None, min_length=1, max_length=100,
                                   description="Admins only: book on behalf of this user (403 for anyone else).")


class RecurringCreate(_Strict):
    room_id: StrictInt = Field(ge=1, examples=[1])
    start_date: str = Field(max_length=32, description="Date of the first week, YYYY-MM-DD.")
    time_slot: str = Field(max_length=40, examples=["10:00 AM - 11:00 AM"])
    weeks: StrictInt = Field(ge=1, description="Number of weekly occurrences (1..BOOKING_MAX_WEEKS).", examples=[4])
    purpose: Optional[str] = Field(default=None, max_length=500)
    skip_conflicts: StrictBool = Field(default=False, description="Book the free weeks and list the taken ones, "
                                                                 "instead of refusing the whole series.")


_Tag = Field(min_length=1, max_length=60)


class RoomCreate(_Strict):
    name: str = Field(min_length=1, max_length=100, examples=["Seminar Room 4.01"])
    building: str = Field(min_length=1, max_length=100, examples=["Humanities Building"])
    floor: str = Field(default="", max_length=40, examples=["4"])
    capacity: StrictInt = Field(ge=1, le=100000, examples=[24])
    features: list[str] = Field(default_factory=list, max_length=30, examples=[["projector", "whiteboard"]])
    accessibility: list[str] = Field(default_factory=list, max_length=30, examples=[["step-free access"]])
    description: str = Field(default="", max_length=2000)
    requires_approval: StrictBool = False
    open_time: str = Field(default="08:00", max_length=20, description="First bookable hour (campus local).")
    close_time: str = Field(default="18:00", max_length=20, description="End of the last bookable slot.")

    _names = field_validator("name", "building")(non_blank)

    @field_validator("features", "accessibility")
    @classmethod
    def _tags(cls, values: list[str]) -> list[str]:
        cleaned = []
        for value in values:
            value = " ".join(value.split())
            if not value or len(value) > 60:
                raise ValueError("each entry must be 1 to 60 characters")
            if value.lower() not in (v.lower() for v in cleaned):
                cleaned.append(value)
        return cleaned


class RoomUpdate(RoomCreate):
    """PUT replaces the room's description; omitted optional fields take their defaults."""


class RoomSummary(BaseModel):
    """What a list or the grid shows of a room."""
    id: int
    name: str
    building: str
    floor: str
    capacity: int
    features: list[str]
    accessibility: list[str]
    requires_approval: bool


class Room(RoomSummary):
    description: str
    open_time: str = Field(examples=["08:00"])
    close_time: str = Field(examples=["18:00"])
    retired: bool
    retired_at: Optional[str]


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
    status: Status
    checked_in: bool
    checked_in_at: Optional[str]
    checkin_deadline: str = Field(description="Check in before this instant (campus zone) or the booking is "
                                              "released.")
    checkin_deadline_utc: str = Field(description=_UTC)
    series_id: Optional[str]
    user_id: str
    user_name: str
    booked_by: Optional[str] = Field(description="The admin who booked on behalf of user_id; null: the user.")
    booked_by_name: Optional[str]
    decided_by: Optional[str] = Field(description="The admin who approved or rejected it.")
    decided_at: Optional[str]
    reason: Optional[str] = Field(description="Why it was rejected, expired or cancelled by a closure.")
    created_at: str
    cancelled_at: Optional[str]


class BookingPage(BaseModel):
    items: list[Booking]
    page: int
    per_page: int
    total: int = Field(description="How many match, counted up to 10,000 (see total_exact).")
    total_exact: bool = Field(description="false: more than 10,000 match and total says 10,000.")


class Decision(_Strict):
    reason: Optional[str] = Field(default=None, max_length=500)


class Rejection(_Strict):
    reason: str = Field(min_length=1, max_length=500, examples=["The hall is reserved for exams."])

    _reason = field_validator("reason")(non_blank)


class Slot(BaseModel):
    time_slot: str
    start: str = Field(description=_LOCAL)
    end: str = Field(description=_LOCAL)
    start_utc: str = Field(description=_UTC)
    end_utc: str = Field(description=_UTC)
    available: bool
    state: Literal["free", "booked", "past", "closed", "unavailable"] = Field(
        description="booked: confirmed or pending; closed: a closure; unavailable: outside the room's hours "
                    "or the room is retired.")


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
    holding_statuses: list[Status] = Field(description="The statuses that hold a slot and count toward a "
                                                       "role's limit (HOLDING).", examples=[["confirmed", "pending"]])


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


class GridCell(BaseModel):
    slot: str
    state: Literal["free", "taken", "yours", "pending", "closed", "past", "unavailable"]
    booking_id: Optional[int] = Field(description="Yours, your pending request, or any booking for admins.")
    reason: Optional[str] = Field(description="The closure's reason for a closed cell.")


class GridRoom(RoomSummary):
    cells: list[GridCell]


class Grid(BaseModel):
    date: str
    today: str = Field(description="The campus date now.")
    now: str = Field(description="Now on campus, with the offset.")
    timezone: str
    slots: list[str]
    buildings: list[str] = Field(description="Every building with a bookable room (for the filters).")
    features: list[str]
    accessibility: list[str]
    rooms: list[GridRoom]


class ClosureCreate(_Strict):
    room_id: Optional[StrictInt] = Field(default=None, ge=1, description="One room; or give building; or neither "
                                                                         "for the whole campus.")
    building: Optional[str] = Field(default=None, min_length=1, max_length=100)
    start_date: str = Field(max_length=32, examples=["2026-12-24"])
    end_date: str = Field(max_length=32, examples=["2026-12-26"])
    reason: str = Field(min_length=1, max_length=300, examples=["Christmas"])
    confirm: StrictBool = Field(default=False, description="Cancel the bookings in the closure (and notify "
                                                           "their holders) instead of answering 409 with them.")

    _reason = field_validator("reason")(non_blank)


class Closure(BaseModel):
    id: int
    room_id: Optional[int]
    room_name: Optional[str]
    building: Optional[str]
    scope: Literal["room", "building", "campus"]
    start_date: str
    end_date: str
    reason: str
    created_by: str
    created_at: str


class ClosureCreated(BaseModel):
    closure: Closure
    cancelled: list[Booking]


class FeedLink(BaseModel):
    url: str = Field(description="The secret subscription URL (iCalendar); anyone with it can read your "
                                 "bookings, so reset it if it leaks.")
    path: str = Field(description="The same, relative to the gateway.")
