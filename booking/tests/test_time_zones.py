"""Time zones: bookings are instants stored in UTC and shown in the campus zone.

Real booking processes with different BOOKING_TIMEZONE values share one database (SQLite
and PostgreSQL): a booking made at 08:00 in Los Angeles is 15:00Z in summer and 16:00Z in
winter, and every instance, whatever its zone, reports that same instant and puts it in
its iCal feed. GET /campus says the campus date, which is not UTC's near midnight, and an
old database whose times were stored as zone-less local text is converted once at start.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import requests

from shared.auth import issue_token
from shared.config import load_settings
from tests.harness import TEST_SECRET, ServiceProcess, assert_envelope, free_port

LA = "America/Los_Angeles"
LA_ZONE = ZoneInfo(LA)
EIGHT = "08:00 AM - 09:00 AM"
# What 08:00 in Los Angeles is, by the zone's UTC offset on that date (PDT or PST).
PACIFIC = {-7: {"offset": "-07:00", "utc_start": "150000", "utc_end": "160000", "tokyo": "00:00:00+09:00"},
           -8: {"offset": "-08:00", "utc_start": "160000", "utc_end": "170000", "tokyo": "01:00:00+09:00"}}


def _token(role: str, user_id: str) -> str:
    settings = load_settings({"JWT_SECRET_KEY": TEST_SECRET, "FLASK_ENV": "testing"})
    return issue_token(settings, user_id=user_id, email=f"{user_id}@example.com", name=user_id.title(), role=role)


def _pacific_hours(day: date) -> int:
    """-7 (PDT) or -8 (PST): Los Angeles' offset from UTC at 08:00 on that day."""
    return int(LA_ZONE.utcoffset(datetime.combine(day, time(8))).total_seconds() // 3600)


def _second_booking(stack, **env: str) -> ServiceProcess:
    """Another booking instance on the same database, with its own port and settings."""
    port = free_port()
    process = ServiceProcess(stack, "booking", port, {**stack.env, "BOOKING_PORT": str(port), **env})
    stack.services[f"booking-{port}"] = process        # stopped with the stack
    return process.start()


def _offset_minutes_to(moment: datetime) -> str:
    """BOOKING_CLOCK_OFFSET_MINUTES that makes the service's clock read about `moment`."""
    return str(int((moment - datetime.now(timezone.utc)).total_seconds() // 60))


def _get(base: str, path: str, token: str) -> requests.Response:
    return requests.get(f"{base}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30)


def _campus(base: str, token: str) -> dict:
    response = _get(base, "/campus", token)
    assert response.status_code == 200, response.text
    return response.json()


def _events(ics: str) -> dict[str, dict[str, str]]:
    """VEVENTs of an iCalendar text by UID, each as {property: value} (lines unfolded)."""
    lines = ics.replace("\r\n ", "").split("\r\n")
    events, current = {}, None
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            events[current["UID"]] = current
            current = None
        elif current is not None and ":" in line:
            name, value = line.split(":", 1)
            current[name] = value
    return events


def test_an_8am_los_angeles_booking_is_the_same_instant_for_every_instance(make_stack, backend):
    stack = make_stack(backend, extra_env={"BOOKING_TIMEZONE": LA, "BOOKING_MAX_DAYS_AHEAD": "400"})
    stack.start(["user-management", "booking"])
    tokyo = _second_booking(stack, BOOKING_TIMEZONE="Asia/Tokyo")
    here = stack.url("booking")
    owner = _token("faculty", "tz-owner")
    today = date.fromisoformat(_campus(here, owner)["today"])

    # A weekly 08:00 series across the next change between PDT and PST: 08:00 on campus
    # every week, so its UTC hour moves by one.
    change = next(today + timedelta(days=n) for n in range(16, 400)
                  if _pacific_hours(today + timedelta(days=n)) != _pacific_hours(today + timedelta(days=n - 1)))
    first = change - timedelta(weeks=2)
    made = stack.api("POST", "/bookings/recurring", owner, service="booking",
                     json={"room_id": 5, "start_date": first.isoformat(), "time_slot": EIGHT, "weeks": 4})
    assert made.status_code == 201, made.text
    series = made.json()["created"]
    assert [b["date"] for b in series] == [(first + timedelta(weeks=k)).isoformat() for k in range(4)]
    assert {_pacific_hours(date.fromisoformat(b["date"])) for b in series} == {-7, -8}

    calendars = {}
    for name, base in (("los angeles", here), ("tokyo", tokyo.url)):
        response = _get(base, "/bookings/user/tz-owner/calendar.ics", owner)
        assert response.status_code == 200, response.text
        calendars[name] = _events(response.text)

    for booking in series:
        day = date.fromisoformat(booking["date"])
        expect = PACIFIC[_pacific_hours(day)]
        compact = booking["date"].replace("-", "")
        utc_start = f"{booking['date']}T{expect['utc_start'][:2]}:00:00Z"
        utc_end = f"{booking['date']}T{expect['utc_end'][:2]}:00:00Z"
        # The instance in Los Angeles: campus labels, local times with the offset, UTC with Z.
        assert booking["time_slot"] == EIGHT and booking["timezone"] == LA
        assert booking["start"] == f"{booking['date']}T08:00:00{expect['offset']}"
        assert booking["end"] == f"{booking['date']}T09:00:00{expect['offset']}"
        assert (booking["start_utc"], booking["end_utc"]) == (utc_start, utc_end)
        stored = stack.sql("bookings.db", "SELECT start_at, end_at FROM bookings WHERE id = ?", (booking["id"],))
        assert stored == [(utc_start.replace("Z", ".000000Z"), utc_end.replace("Z", ".000000Z"))]

        # The instance in Tokyo reads the same row as the same instant (midnight or 1 AM
        # there, the next day); the slot keeps the name it was booked under.
        assert _get(here, f"/bookings/{booking['id']}", owner).json() == booking
        there = _get(tokyo.url, f"/bookings/{booking['id']}", owner).json()
        assert (there["start_utc"], there["end_utc"]) == (utc_start, utc_end)
        assert there["start"] == f"{(day + timedelta(days=1)).isoformat()}T{expect['tokyo']}"
        assert there["timezone"] == "Asia/Tokyo" and (there["date"], there["time_slot"]) == (booking["date"], EIGHT)

        # Both iCal feeds: DTSTART/DTEND in UTC, on the date in Los Angeles.
        for name in ("los angeles", "tokyo"):
            event = calendars[name][f"booking-{booking['id']}@campus-services-hub"]
            assert event["DTSTART"] == f"{compact}T{expect['utc_start']}Z", (name, event)
            assert event["DTEND"] == f"{compact}T{expect['utc_end']}Z", (name, event)

    # The slot is the instant: availability on campus shows it taken, a second booking clashes.
    slots = _get(here, f"/bookings/available?room_id=5&date={series[-1]['date']}", owner).json()["slots"]
    eight = next(s for s in slots if s["time_slot"] == EIGHT)
    assert eight["state"] == "booked" and eight["start_utc"] == series[-1]["start_utc"]
    assert eight["start"] == series[-1]["start"]
    rival = stack.api("POST", "/bookings", _token("student", "tz-rival"), service="booking",
                      json={"room_id": 5, "date": series[-1]["date"], "time_slot": EIGHT})
    assert_envelope(rival, 409, "slot_taken")


def test_campus_today_is_the_campus_date_when_utc_is_already_on_the_next(make_stack, backend):
    # 19:30 in Los Angeles, five days on (the service's test clock): UTC's date is already
    # the next one, and the day's last slot ended at 18:00.
    campus_date = datetime.now(LA_ZONE).date() + timedelta(days=5)
    evening = datetime.combine(campus_date, time(19, 30), tzinfo=LA_ZONE)
    stack = make_stack(backend, extra_env={"BOOKING_TIMEZONE": LA,
                                           "BOOKING_CLOCK_OFFSET_MINUTES": _offset_minutes_to(evening)})
    stack.start(["user-management", "booking"])
    token = _token("student", "tz-campus")
    tomorrow = (campus_date + timedelta(days=1)).isoformat()

    campus = _campus(stack.url("booking"), token)
    offset = PACIFIC[_pacific_hours(campus_date)]["offset"]
    assert campus["timezone"] == LA and campus["utc_offset"] == offset
    assert campus["today"] == campus_date.isoformat()
    assert campus["now"].startswith(f"{campus_date.isoformat()}T19:") and campus["now"].endswith(offset)
    assert campus["now_utc"].startswith(f"{tomorrow}T0") and campus["now_utc"].endswith("Z")
    assert campus["booking_cutoff"] == "18:00" and campus["first_bookable_date"] == tomorrow
    assert campus["last_bookable_date"] == (campus_date + timedelta(days=90)).isoformat()
    assert campus["slots"][0] == {"time_slot": EIGHT, "start": "08:00", "end": "09:00"}
    assert len(campus["slots"]) == 10 and campus["slots"][-1]["end"] == "18:00"

    # The rules the page is told are the ones the service applies.
    last = "05:00 PM - 06:00 PM"
    assert_envelope(stack.api("POST", "/bookings", token, service="booking",
                              json={"room_id": 6, "date": campus_date.isoformat(), "time_slot": last}),
                    400, "slot_ended")
    today_slots = _get(stack.url("booking"), f"/bookings/available?room_id=6&date={campus_date}", token).json()
    assert {s["state"] for s in today_slots["slots"]} == {"past"}
    # The last date of the calendar has no UTC instant for its slots here: 400, never a 500.
    assert_envelope(_get(stack.url("booking"), "/bookings/available?room_id=6&date=9999-12-31", token),
                    400, "invalid_date")
    made = stack.api("POST", "/bookings", token, service="booking",
                     json={"room_id": 6, "date": tomorrow, "time_slot": EIGHT})
    assert made.status_code == 201, made.text


def _old_schema(backend: str) -> list[str]:
    """The booking tables as the version before UTC instants made them."""
    serial = "BIGSERIAL PRIMARY KEY" if backend == "postgresql" else "INTEGER PRIMARY KEY AUTOINCREMENT"
    return [
        f"CREATE TABLE rooms (id {serial}, name TEXT NOT NULL UNIQUE, building TEXT NOT NULL, "
        "capacity INTEGER NOT NULL CHECK (capacity > 0), features TEXT NOT NULL DEFAULT '[]', created_at TEXT NOT NULL)",
        f"CREATE TABLE bookings (id {serial}, room_id BIGINT NOT NULL REFERENCES rooms (id), "
        "booking_date TEXT NOT NULL, time_slot TEXT NOT NULL, start_at TEXT NOT NULL, end_at TEXT NOT NULL, "
        "checkin_deadline TEXT NOT NULL, user_id TEXT NOT NULL, user_name TEXT NOT NULL DEFAULT '', "
        "user_email TEXT NOT NULL DEFAULT '', purpose TEXT, status TEXT NOT NULL DEFAULT 'active' "
        "CHECK (status IN ('active', 'cancelled', 'released')), checked_in BOOLEAN NOT NULL DEFAULT FALSE, "
        "checked_in_at TEXT, series_id TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, "
        "cancelled_at TEXT, cancelled_by TEXT)",
        "CREATE UNIQUE INDEX uq_bookings_active_slot ON bookings (room_id, booking_date, time_slot) "
        "WHERE status = 'active'",
        "INSERT INTO rooms (id, name, building, capacity, features, created_at) "
        "VALUES (1, 'Lecture Hall A', 'Science Building', 120, '[]', '2025-01-01T00:00:00.000000Z')",
    ]


def _old_booking(stack, day: str, slot: str, hour: int, status: str) -> int:
    """A row as the old version wrote it: campus wall-clock text, no zone."""
    stamp = "2025-01-01T00:00:00.000000Z"
    row = stack.sql("bookings.db",
                    "INSERT INTO bookings (room_id, booking_date, time_slot, start_at, end_at, checkin_deadline, "
                    "user_id, user_name, status, checked_in, created_at, updated_at) "
                    "VALUES (1, ?, ?, ?, ?, ?, 'old-owner', 'Old Owner', ?, ?, ?, ?) RETURNING id",
                    (day, slot, f"{day}T{hour:02d}:00:00", f"{day}T{hour + 1:02d}:00:00", f"{day}T{hour:02d}:15:00",
                     status, False, stamp, stamp))
    return int(row[0][0])


def test_old_local_times_are_converted_to_utc_once(make_stack, backend):
    stack = make_stack(backend, extra_env={"BOOKING_TIMEZONE": LA})
    for statement in _old_schema(backend):
        stack.sql("bookings.db", statement)
    summer = _old_booking(stack, "2025-07-01", EIGHT, 8, "cancelled")
    winter = _old_booking(stack, "2025-01-15", "10:00 AM - 11:00 AM", 10, "cancelled")
    upcoming_day = datetime.now(LA_ZONE).date() + timedelta(days=10)
    upcoming = _old_booking(stack, upcoming_day.isoformat(), EIGHT, 8, "active")
    pacific = PACIFIC[_pacific_hours(upcoming_day)]
    converted = {
        summer: ("2025-07-01T15:00:00.000000Z", "2025-07-01T16:00:00.000000Z", "2025-07-01T15:15:00.000000Z"),
        winter: ("2025-01-15T18:00:00.000000Z", "2025-01-15T19:00:00.000000Z", "2025-01-15T18:15:00.000000Z"),
        upcoming: tuple(f"{upcoming_day}T{h}:{m}:00.000000Z" for h, m in (
            (pacific["utc_start"][:2], "00"), (pacific["utc_end"][:2], "00"), (pacific["utc_start"][:2], "15"))),
    }

    def stored():
        rows = stack.sql("bookings.db", "SELECT id, start_at, end_at, checkin_deadline FROM bookings ORDER BY id")
        return {int(r[0]): tuple(r[1:]) for r in rows}

    def markers():
        return stack.sql("bookings.db", "SELECT name, detail FROM booking_migrations")

    # First start of the new version (two workers racing to migrate): converted, recorded once.
    stack.start(["user-management", "booking"])
    assert stored() == converted
    migrated = [("utc_instants", f"3 booking(s) read as {LA} local time"),
                ("rooms_and_approvals", "1 active booking(s) now confirmed")]
    assert sorted(markers()) == sorted(migrated)
    indexes = stack.sql("bookings.db", "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE ?"
                        if backend == "sqlite" else
                        "SELECT indexname FROM pg_indexes WHERE tablename = 'bookings' AND indexname LIKE ?",
                        ("uq_bookings%",))
    assert [r[0] for r in indexes] == ["uq_bookings_held_start"]
    admin = _token("admin", "tz-admin")
    here = stack.url("booking")
    old = _get(here, f"/bookings/{summer}", admin).json()
    assert (old["date"], old["time_slot"], old["status"]) == ("2025-07-01", EIGHT, "cancelled")
    assert (old["start"], old["start_utc"]) == ("2025-07-01T08:00:00-07:00", "2025-07-01T15:00:00Z")
    assert old["checkin_deadline"] == "2025-07-01T08:15:00-07:00"
    assert _get(here, f"/bookings/{winter}", admin).json()["start"] == "2025-01-15T10:00:00-08:00"
    # The converted booking still holds its slot.
    slots = _get(here, f"/bookings/available?room_id=1&date={upcoming_day}", admin).json()["slots"]
    assert next(s for s in slots if s["time_slot"] == EIGHT)["state"] == "booked"
    # The old "active" is the new "confirmed"; the rooms got their new columns' defaults.
    assert _get(here, f"/bookings/{upcoming}", admin).json()["status"] == "confirmed"
    room = _get(here, "/rooms/1", admin).json()
    assert (room["open_time"], room["close_time"], room["requires_approval"], room["retired"]) == \
        ("08:00", "18:00", False, False)
    assert_envelope(stack.api("POST", "/bookings", _token("student", "tz-late"), service="booking",
                              json={"room_id": 1, "date": upcoming_day.isoformat(), "time_slot": EIGHT}),
                    409, "slot_taken")

    # Restarted with another zone: nothing is converted again; the same instants, shown in Tokyo.
    stack.services["booking"].stop()
    stack.service("booking", BOOKING_TIMEZONE="Asia/Tokyo").start()
    assert stored() == converted
    assert sorted(markers()) == sorted(migrated)
    seen = _get(here, f"/bookings/{summer}", admin).json()
    assert (seen["start"], seen["start_utc"]) == ("2025-07-02T00:00:00+09:00", "2025-07-01T15:00:00Z")
