"""The ten hourly slots of a day (8 AM - 6 PM) and the campus clock.

Times are campus local time (BOOKING_TIMEZONE). `BookingConfig.now()` may be shifted by
BOOKING_CLOCK_OFFSET_MINUTES, a testing aid that is refused when FLASK_ENV=production.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.config import ConfigError, Settings
from shared.errors import ValidationFailed

FIRST_HOUR, LAST_HOUR = 8, 18          # slots start 08:00 .. 17:00, the last ends at 18:00
LOCAL_FORMAT = "%Y-%m-%dT%H:%M:%S"


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
        """Campus local time, naive (shifted by BOOKING_CLOCK_OFFSET_MINUTES in tests)."""
        return (datetime.now(self.timezone) + timedelta(minutes=self.clock_offset_minutes)).replace(tzinfo=None)

    def today(self) -> date:
        return self.now().date()

    def aware(self, local: datetime) -> datetime:
        return local.replace(tzinfo=self.timezone)


def local_text(moment: datetime) -> str:
    return moment.strftime(LOCAL_FORMAT)


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


def slot_bounds(day: date, label: str) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(SLOT_HOURS[label]))
    return start, start + timedelta(hours=1)
