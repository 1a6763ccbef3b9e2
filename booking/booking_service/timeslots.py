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


def parse_slot(value: str, field: str = "time_slot") -> str:
    label = " ".join(value.split()) if isinstance(value, str) else ""
    if label not in SLOT_HOURS:
        raise ValidationFailed(f"{field} must be one of the hourly slots from 8 AM to 6 PM, e.g. "
                               f"'{SLOT_LABELS[2]}'.", code="invalid_time_slot",
                               details=[{"field": field, "message": "must be one of: " + ", ".join(SLOT_LABELS)}])
    return label


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
