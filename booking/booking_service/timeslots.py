"""The ten hourly slots of a day (8 AM - 6 PM) and the campus clock.

A slot is named in campus terms: a local date and a label such as '10:00 AM - 11:00 AM'
in BOOKING_TIMEZONE. Its start and end are instants: aware datetimes here, stored as UTC
text (shared.database.utc_iso) and shown both in UTC ('...Z') and in the campus zone
('...-07:00'). Every comparison of times is one of instants, so it holds across DST and
whatever zone the server runs in. `BookingConfig.now()` may be shifted by
BOOKING_CLOCK_OFFSET_MINUTES, a testing aid that is refused when FLASK_ENV=production.
This module owns the booking-day rules (slots, the 6 PM cut-off, "today" on campus);
the web page asks GET /campus for them instead of restating them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.config import ConfigError, Settings
from shared.errors import ValidationFailed

FIRST_HOUR, LAST_HOUR = 8, 18          # slots start 08:00 .. 17:00, the last ends at 18:00
STORED_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"   # shared.database.utc_iso: UTC, fixed width


def _label(hour: int) -> str:
    return time(hour).strftime("%I:%M %p")


SLOTS: list[tuple[str, int]] = [(f"{_label(h)} - {_label(h + 1)}", h) for h in range(FIRST_HOUR, LAST_HOUR)]
SLOT_HOURS: dict[str, int] = dict(SLOTS)
SLOT_LABELS: list[str] = [label for label, _ in SLOTS]
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class BookingConfig:
    timezone: ZoneInfo
    max_active: dict[str, int]        # role -> limit; 0 means unlimited
    max_days_ahead: int
    max_weeks: int
    checkin_minutes: int
    clock_offset_minutes: int
    approval_hours: int = 24          # a pending booking undecided this long before its start expires
    # The clock itself: an aware "now". In-process tests put a fixed one here
    # (dataclasses.replace(cfg, clock=...)); processes shift it with the offset above.
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc), compare=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> "BookingConfig":
        env = settings.env
        tz_name = env.str("BOOKING_TIMEZONE", "UTC")
        try:
            tz = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"BOOKING_TIMEZONE must be an IANA time zone such as Europe/Berlin, got {tz_name!r}") from None
        offset = env.int("BOOKING_CLOCK_OFFSET_MINUTES", 0)
        if offset and settings.is_production:
            raise ConfigError("BOOKING_CLOCK_OFFSET_MINUTES is a testing aid and must not be set when FLASK_ENV=production")
        return cls(
            timezone=tz,
            max_active={"student": env.int("BOOKING_MAX_ACTIVE_STUDENT", 5, minimum=0),
                        "faculty": env.int("BOOKING_MAX_ACTIVE_FACULTY", 20, minimum=0),
                        "admin": env.int("BOOKING_MAX_ACTIVE_ADMIN", 0, minimum=0)},
            max_days_ahead=env.int("BOOKING_MAX_DAYS_AHEAD", 90, minimum=0),
            max_weeks=env.int("BOOKING_MAX_WEEKS", 12, minimum=1, maximum=104),
            checkin_minutes=env.int("BOOKING_CHECKIN_MINUTES", 15, minimum=1, maximum=60),
            clock_offset_minutes=offset,
            approval_hours=env.int("BOOKING_APPROVAL_HOURS", 24, minimum=0, maximum=24 * 30),
        )

    # ------------------------------------------------------------------ clock
    def now(self) -> datetime:
        """The campus clock: an aware datetime in the campus zone (shifted by
        BOOKING_CLOCK_OFFSET_MINUTES in tests; the shift is added in UTC, so it is exact
        across a DST change)."""
        return (self.clock() + timedelta(minutes=self.clock_offset_minutes)).astimezone(self.timezone)

    def today(self) -> date:
        """The date on campus, which is not the server's or UTC's date near midnight."""
        return self.now().date()

    def slot_instants(self, day: date, label: str) -> tuple[datetime, datetime]:
        """The slot's start and end on a campus date, as aware datetimes in the campus zone.
        A date at the very edge of the calendar (0001-01-01, 9999-12-31) may have no UTC
        instant for its slots: that is a 400, not an OverflowError later."""
        hour = SLOT_HOURS[label]
        start = datetime.combine(day, time(hour), tzinfo=self.timezone)
        end = datetime.combine(day, time(hour + 1), tzinfo=self.timezone)
        try:
            start.astimezone(timezone.utc), end.astimezone(timezone.utc)
        except OverflowError:
            raise ValidationFailed(f"{day.isoformat()} is outside the dates this service can book.",
                                   code="invalid_date",
                                   details=[{"field": "date", "message": "out of range"}]) from None
        return start, end

    def first_bookable_date(self, now: datetime | None = None) -> date:
        """Today, or tomorrow once today's last slot has ended (the 6 PM cut-off)."""
        now = (now or self.now()).astimezone(self.timezone)
        _, last_end = self.slot_instants(now.date(), SLOT_LABELS[-1])
        return now.date() + timedelta(days=1) if now >= last_end else now.date()

    def local_iso(self, moment: datetime) -> str:
        """An instant in the campus zone with its offset, e.g. 2025-07-01T08:00:00-07:00."""
        return moment.astimezone(self.timezone).isoformat(timespec="seconds")


def parse_stored(text: str) -> datetime:
    """A stored instant ('YYYY-MM-DDTHH:MM:SS.ffffffZ') as an aware UTC datetime."""
    return datetime.strptime(text, STORED_FORMAT).replace(tzinfo=timezone.utc)


def utc_z(moment: datetime) -> str:
    """An instant in UTC for clients, to the second: 2025-07-01T15:00:00Z."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_date(value: str, field: str = "date") -> date:
    """A strict ISO date (YYYY-MM-DD), else 400 with a field error."""
    text = value.strip() if isinstance(value, str) else ""
    parsed = None
    if _ISO_DATE.match(text):
        try:
            parsed = date.fromisoformat(text)
        except ValueError:
            parsed = None
    if parsed is None:
        raise ValidationFailed(f"{field} must be a date in the form YYYY-MM-DD, e.g. 2025-12-20.",
                               code="invalid_date",
                               details=[{"field": field, "message": "must be an ISO date YYYY-MM-DD"}])
    return parsed


# One time of day: "2", "2:00", "02:00", "14:00", each optionally with AM/PM ("2 PM", "2:00pm").
_TIME = r"(\d{1,2})(?::(\d{2}))?\s*([AaPp]\.?[Mm]\.?)?"
_RANGE = re.compile(rf"^{_TIME}\s*(?:-|\u2013|to)\s*{_TIME}$")
_START = re.compile(rf"^{_TIME}$")


def _hour(hour: str, minute: str | None, half: str | None) -> int | None:
    """The hour of day of a written time, or None when it is no full hour (or no time)."""
    h, m = int(hour), int(minute) if minute is not None else 0
    if m != 0:
        return None
    if half:
        if not 1 <= h <= 12:
            return None
        return h % 12 + (12 if half[0] in "Pp" else 0)
    if minute is None:          # a bare "14" is too easily a typo; 24-hour times need minutes
        return None
    return h if h <= 23 else None


def parse_slot(value: str, field: str = "time_slot") -> str:
    """A slot as a person writes it, answered as the canonical label: "2:00 PM - 3:00 PM",
    "02:00 PM - 03:00 PM", "2 PM - 3 PM", "14:00-15:00" or just the start ("14:00", "2 PM").
    Anything else (half hours, two hours, hours outside 8 AM - 6 PM) is a field error."""
    text = " ".join(value.split()) if isinstance(value, str) else ""
    start = None
    if (match := _RANGE.match(text)) is not None:
        start, end = _hour(*match.group(1, 2, 3)), _hour(*match.group(4, 5, 6))
        if start is None or end is None or end != start + 1:
            start = None
    elif (match := _START.match(text)) is not None:
        start = _hour(*match.group(1, 2, 3))
    if start is None or not FIRST_HOUR <= start < LAST_HOUR:
        raise ValidationFailed(f"{field} must be one of the hourly slots from 8 AM to 6 PM, e.g. "
                               f"'{SLOT_LABELS[2]}', '2 PM - 3 PM' or '14:00'.", code="invalid_time_slot",
                               details=[{"field": field, "message": "must be one of: " + ", ".join(SLOT_LABELS)}])
    return SLOT_LABELS[start - FIRST_HOUR]


def parse_hour(value: str, field: str) -> int:
    """A room's opening or closing time, a full hour within the campus day ("08:00", "6 PM")."""
    text = " ".join(value.split()) if isinstance(value, str) else ""
    match = _START.match(text)
    hour = _hour(*match.group(1, 2, 3)) if match else None
    if hour is None or not FIRST_HOUR <= hour <= LAST_HOUR:
        raise ValidationFailed(f"{field} must be a full hour from {hour_text(FIRST_HOUR)} to "
                               f"{hour_text(LAST_HOUR)}, e.g. '09:00'.", code="invalid_hours",
                               details=[{"field": field, "message": f"must be a full hour from "
                                                                   f"{hour_text(FIRST_HOUR)} to {hour_text(LAST_HOUR)}"}])
    return hour


def hour_text(hour: int) -> str:
    return time(hour).strftime("%H:%M") if hour < 24 else "24:00"


def slot_hour(label: str) -> int:
    """The start hour of a canonical slot label."""
    return SLOT_HOURS[label]


def campus_day(cfg: BookingConfig) -> dict:
    """What GET /campus answers: the campus clock and the booking-day rules, so a client
    (the web page) asks for "today" and the cut-off instead of working them out itself."""
    now = cfg.now()
    today = now.date()
    return {"timezone": cfg.timezone.key, "utc_offset": cfg.local_iso(now)[-6:], "now": cfg.local_iso(now),
            "now_utc": utc_z(now), "today": today.isoformat(), "booking_cutoff": time(LAST_HOUR).strftime("%H:%M"),
            "first_bookable_date": cfg.first_bookable_date(now).isoformat(),
            "last_bookable_date": (today + timedelta(days=cfg.max_days_ahead)).isoformat(),
            "slots": [{"time_slot": label, "start": time(hour).strftime("%H:%M"),
                       "end": time(hour + 1).strftime("%H:%M")} for label, hour in SLOTS],
            "checkin_minutes": cfg.checkin_minutes, "max_weeks": cfg.max_weeks}
