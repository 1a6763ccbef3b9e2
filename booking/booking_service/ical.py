"""A hand-written iCalendar (RFC 5545) export: CRLF line ends, 75-octet folding, escaping.

Times are UTC ("FORM #2" of RFC 5545 3.3.5, a trailing Z), taken from the bookings' UTC
instants, so a calendar shows the right hour wherever it is opened and whatever zone the
service runs in; no VTIMEZONE component is needed. Each booking keeps its UID, and its
STATUS follows the booking (3.8.1.11): a pending request is TENTATIVE, a booking that no
longer holds its slot (cancelled, released, rejected, expired) CANCELLED, so a subscribed
calendar updates or removes the event it already has."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable


def escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """Split a content line into pieces of at most 75 octets, never inside a UTF-8 character."""
    out, current, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        limit = 75 if not out else 74       # continuation lines start with one space
        if size + width > limit:
            out.append(current)
            current, size = "", 0
        current += char
        size += width
    out.append(current)
    return "\r\n ".join(out)


def _utc(iso: str) -> str:
    """An ISO-8601 instant with an offset or Z as an iCalendar UTC date-time."""
    return datetime.fromisoformat(iso).astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


_STATUS = {"confirmed": "CONFIRMED", "pending": "TENTATIVE"}
# SEQUENCE (3.8.7.4) grows with each change a booking can make (pending -> confirmed ->
# cancelled or released; pending -> rejected, expired or cancelled), so a calendar that keeps
# the event takes the newer version.
_SEQUENCE = {"pending": 0, "confirmed": 1}


def calendar(bookings: Iterable[dict[str, Any]], name: str = "Campus bookings") -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Campus Services Hub//Booking//EN",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH", f"X-WR-CALNAME:{escape(name)}",
             "REFRESH-INTERVAL;VALUE=DURATION:PT1H", "X-PUBLISHED-TTL:PT1H"]
    for b in bookings:
        description = f"Booking #{b['id']} ({b['time_slot']})"
        if b.get("purpose"):
            description += f": {b['purpose']}"
        lines += ["BEGIN:VEVENT",
                  f"UID:booking-{b['id']}@campus-services-hub",
                  f"DTSTAMP:{stamp}",
                  f"DTSTART:{_utc(b['start_utc'])}",
                  f"DTEND:{_utc(b['end_utc'])}",
                  f"SUMMARY:{escape(b['room_name'] + (' - ' + b['purpose'] if b.get('purpose') else ''))}",
                  f"LOCATION:{escape(b['room_name'] + ', ' + b['building'])}",
                  f"DESCRIPTION:{escape(description)}",
                  f"STATUS:{_STATUS.get(b['status'], 'CANCELLED')}",
                  f"SEQUENCE:{_SEQUENCE.get(b['status'], 2)}",
                  "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
