"""Bookings: the rules and the SQL. Routes call these; nothing here sees a request.

Double booking is refused by the database (a partial unique index over the rows that hold
their slot: confirmed and pending); a violation becomes 409 slot_taken. A room that
requires approval gives a pending booking (unless an admin books it), which an admin
approves or rejects. Expiry is done by `release_due`, lazily (every booking attempt, and
reads when something is due) and every BOOKING_RELEASE_INTERVAL_SECONDS (create_app's
`shared.periodic.Periodic`): confirmed
bookings nobody checked in to are released at their check-in deadline, pending ones
nobody decided expire BOOKING_APPROVAL_HOURS (24) before their start. Each is one
conditional UPDATE per row, so with several instances each booking is released, and its
holder told, exactly once.

Times: start_at, end_at and checkin_deadline are UTC instants (schema.sql says why text);
booking_date and time_slot are the campus-local names of the slot. Every comparison here
is between instants (the campus clock's now() against stored instants), never between
local wall-clock texts, so it is right whatever zone the server or a replica runs in.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from shared import idempotency
from shared.auth import Principal
from shared.database import Connection, Database, IntegrityViolation, utc_iso, utc_now_iso
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.outbox import enqueue

from . import ical
from .closures import check_open, closure_on, lock_for_booking
from .models import HOLDING
from .models import HOLDING_SQL as HELD
from .rooms import bookable_room_row, get_room_row
from .timeslots import SLOT_LABELS, BookingConfig, hour_text, parse_date, parse_slot, parse_stored, slot_hour, utc_z

OUTBOX = "booking_outbox"
IDEMPOTENCY = "booking_idempotency"   # answers to creates sent with an Idempotency-Key
SELECT = ("SELECT b.*, r.name AS room_name, r.building AS building "
          "FROM bookings b JOIN rooms r ON r.id = b.room_id")
_USER_LOCK = 817_001   # pg advisory lock namespace: one booking transaction per user at a time


# ----------------------------------------------------------------------------- shapes
def public(row: dict[str, Any], cfg: BookingConfig) -> dict[str, Any]:
    """date and time_slot name the slot on campus; start, end and checkin_deadline are the
    instants in the campus zone with their offset, *_utc the same instants in UTC."""
    start, end, deadline = (parse_stored(row[c]) for c in ("start_at", "end_at", "checkin_deadline"))
    return {
        "id": int(row["id"]), "room_id": int(row["room_id"]), "room_name": row["room_name"],
        "building": row["building"], "date": row["booking_date"], "time_slot": row["time_slot"],
        "start": cfg.local_iso(start), "end": cfg.local_iso(end),
        "start_utc": utc_z(start), "end_utc": utc_z(end), "timezone": cfg.timezone.key,
        "purpose": row["purpose"], "status": row["status"], "checked_in": bool(row["checked_in"]),
        "checked_in_at": row["checked_in_at"], "checkin_deadline": cfg.local_iso(deadline),
        "checkin_deadline_utc": utc_z(deadline),
        "series_id": row["series_id"], "user_id": row["user_id"], "user_name": row["user_name"],
        "booked_by": row["booked_by"], "booked_by_name": row["booked_by_name"],
        "decided_by": row["decided_by"], "decided_at": row["decided_at"], "reason": row["reason"],
        "created_at": row["created_at"], "cancelled_at": row["cancelled_at"],
    }


@dataclass(frozen=True)
class Holder:
    """Whose booking it is: the caller, or the person an admin books for (booked_by)."""
    id: str
    name: str
    email: str
    role: str
    booked_by: Principal | None = None

    @classmethod
    def of(cls, principal: Principal, on_behalf: dict[str, Any] | None = None) -> "Holder":
        if on_behalf is None or on_behalf["id"] == principal.id:
            return cls(principal.id, principal.name or "", principal.email or "", principal.role)
        if not principal.is_admin:
            raise Forbidden("Only admins may book on behalf of someone else.", code="on_behalf_forbidden")
        return cls(str(on_behalf["id"]), on_behalf.get("name") or "", on_behalf.get("email") or "",
                   on_behalf.get("role") or "", principal)


def _notify(conn: Connection, key: str, user_id: str, title: str, body: str, ics: str | None = None) -> None:
    """ics: the booking as an iCalendar text, attached to the e-mail of a confirmation."""
    payload = {"user_id": user_id, "title": title, "body": body, "type": "booking"}
    if ics:
        payload["ics"] = ics
    enqueue(conn, OUTBOX, key, payload)


def _ics(row: dict[str, Any], cfg: BookingConfig) -> str:
    return ical.calendar([public(row, cfg)], name="Campus booking")


def _describe(row: dict[str, Any]) -> str:
    return f"{row['room_name']} ({row['building']}) on {row['booking_date']}, {row['time_slot']}"


# ----------------------------------------------------------------------------- release
def release_due(conn: Connection, cfg: BookingConfig) -> int:
    """Release confirmed bookings nobody checked in to before the deadline; notify their owners."""
    now = utc_iso(cfg.now())
    # ORDER BY the indexed deadline: a walk of idx_bookings_release, never a scan of the table
    # (with a year of checked-in history the planner may otherwise guess a scan is cheaper).
    due = conn.execute("SELECT id FROM bookings WHERE status = 'confirmed' AND checked_in = ? "
                       "AND checkin_deadline <= ? ORDER BY checkin_deadline LIMIT 500", (False, now)).fetchall()
    released = 0
    for item in due:
        row = conn.execute(
            "UPDATE bookings SET status = 'released', updated_at = ? WHERE id = ? AND status = 'confirmed' "
            "AND checked_in = ? AND checkin_deadline <= ? RETURNING id",
            (utc_now_iso(), item["id"], False, now)).fetchone()
        if row is None:
            continue            # checked in or released by someone else meanwhile
        full = conn.execute(f"{SELECT} WHERE b.id = ?", (item["id"],)).fetchone()
        _notify(conn, f"booking-released:{full['id']}", full["user_id"], "Booking released",
                f"Your booking of {_describe(full)} was released because nobody checked in "
                f"within {cfg.checkin_minutes} minutes of the start.")
        released += 1
    return released + expire_undecided(conn, cfg)


def _decision_cutoff(cfg: BookingConfig) -> str:
    """Pending bookings starting before this instant are past their decision deadline."""
    return utc_iso(cfg.now() + timedelta(hours=cfg.approval_hours))


def expire_undecided(conn: Connection, cfg: BookingConfig) -> int:
    """Pending bookings nobody approved or rejected BOOKING_APPROVAL_HOURS before their start
    free their slot; the requester is told. One UPDATE ... RETURNING: a row another instance
    expired meanwhile is not returned here, so each is expired and announced once."""
    rows = conn.execute(
        "UPDATE bookings SET status = 'expired', reason = ?, updated_at = ? "
        "WHERE status = 'pending' AND start_at <= ? RETURNING id",
        (f"Nobody decided on it {cfg.approval_hours} hours before the start.", utc_now_iso(),
         _decision_cutoff(cfg))).fetchall()
    for item in rows:
        full = conn.execute(f"{SELECT} WHERE b.id = ?", (item["id"],)).fetchone()
        _notify(conn, f"booking-expired:{full['id']}", full["user_id"], "Booking request expired",
                f"Your request for {_describe(full)} was not approved in time "
                f"({cfg.approval_hours} hours before the start), so the slot was released.")
    return len(rows)


def release_if_due(db: Database, cfg: BookingConfig) -> int:
    """The cheap path for reads: a read-only look first, a write only when something is due."""
    now = utc_iso(cfg.now())
    with db.connection(readonly=True) as conn:
        # The earliest deadline of each kind, read off its index (one row each), then compared.
        unchecked = conn.execute("SELECT checkin_deadline AS at FROM bookings WHERE status = 'confirmed' "
                                 "AND checked_in = ? ORDER BY checkin_deadline LIMIT 1", (False,)).fetchone()
        undecided = conn.execute("SELECT start_at AS at FROM bookings WHERE status = 'pending' "
                                 "ORDER BY start_at LIMIT 1").fetchone()
    due = (unchecked is not None and unchecked["at"] <= now) or \
        (undecided is not None and undecided["at"] <= _decision_cutoff(cfg))
    if not due:
        return 0
    with db.connection() as conn:
        return release_due(conn, cfg)


# ----------------------------------------------------------------------------- validation
def _check_bookable(cfg: BookingConfig, day: date, label: str, field: str = "date") -> tuple[datetime, datetime]:
    now = cfg.now()             # campus zone: its date is the campus date
    if day < now.date():
        raise ValidationFailed(f"{day.isoformat()} is in the past; book today or a later date.",
                               code="date_in_past", details=[{"field": field, "message": "must not be in the past"}])
    if day > now.date() + timedelta(days=cfg.max_days_ahead):
        raise ValidationFailed(f"Bookings can be made at most {cfg.max_days_ahead} days ahead.",
                               code="too_far_ahead",
                               details=[{"field": field, "message": f"must be within {cfg.max_days_ahead} days"}])
    start, end = cfg.slot_instants(day, label)
    if end <= now:
        raise ValidationFailed(f"The slot {label} on {day.isoformat()} has already ended.", code="slot_ended",
                               details=[{"field": "time_slot", "message": "this slot has already ended"}])
    return start, end


def _lock_user(conn: Connection, principal: Principal | Holder) -> None:
    """Serialise one user's booking transactions so the per-role limit holds under races
    (SQLite already serialises every write transaction)."""
    if conn.kind == "postgresql":
        conn.execute("SELECT pg_advisory_xact_lock(?, hashtext(?))", (_USER_LOCK, principal.id))


def _active_count(conn: Connection, cfg: BookingConfig, user_id: str) -> int:
    return int(conn.execute(f"SELECT COUNT(*) AS n FROM bookings WHERE user_id = ? AND status IN {HELD} "
                            "AND end_at > ?", (user_id, utc_iso(cfg.now()))).scalar())


def _check_limit(conn: Connection, cfg: BookingConfig, principal: Principal | Holder, adding: int) -> None:
    """Confirmed and pending bookings count; an admin booking for someone decides past it."""
    if isinstance(principal, Holder) and principal.booked_by is not None:
        return
    limit = cfg.max_active.get(principal.role, 0)
    if not limit:
        return
    active = _active_count(conn, cfg, principal.id)
    if active + adding > limit:
        raise Conflict(f"A {principal.role} may hold at most {limit} upcoming bookings; you have {active}"
                       + (f" and asked for {adding} more" if adding > 1 else "")
                       + ". Cancel one first.", code="booking_limit",
                       details={"limit": limit, "active": active, "requested": adding})


def _insert(conn: Connection, cfg: BookingConfig, holder: Holder, room_id: int, day: date, label: str,
            start: datetime, end: datetime, purpose: str | None, series_id: str | None,
            status: str = "confirmed") -> int:
    now = cfg.now().replace(microsecond=0)
    deadline = min(end, max(start, now) + timedelta(minutes=cfg.checkin_minutes))
    stamp = utc_now_iso()
    by = holder.booked_by
    row = conn.execute(
        "INSERT INTO bookings (room_id, booking_date, time_slot, start_at, end_at, checkin_deadline, user_id, "
        "user_name, user_email, purpose, status, checked_in, series_id, created_at, updated_at, booked_by, "
        "booked_by_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (room_id, day.isoformat(), label, utc_iso(start), utc_iso(end), utc_iso(deadline), holder.id,
         holder.name, holder.email, purpose, status, False, series_id, stamp, stamp,
         by.id if by else None, (by.name or by.email or by.id) if by else None)).fetchone()
    return int(row["id"])


def _check_room(conn: Connection, cfg: BookingConfig, room: dict[str, Any], day: date, label: str) -> None:
    """The room's own rules: within its bookable hours, and not closed that day."""
    hour = slot_hour(label)
    if not int(room["open_hour"]) <= hour < int(room["close_hour"]):
        raise ValidationFailed(f"{room['name']} can be booked from {hour_text(int(room['open_hour']))} to "
                               f"{hour_text(int(room['close_hour']))} only.", code="outside_room_hours",
                               details=[{"field": "time_slot", "message": "outside the room's bookable hours"}])
    check_open(conn, room, day)


def _needs_approval(room: dict[str, Any], principal: Principal) -> bool:
    """An approval room's bookings wait for an admin, unless an admin makes them."""
    return bool(room["requires_approval"]) and not principal.is_admin


def _check_decision_time(cfg: BookingConfig, room: dict[str, Any], start: datetime) -> None:
    if start - cfg.now() < timedelta(hours=cfg.approval_hours):
        raise ValidationFailed(f"{room['name']} needs an administrator's approval: request it at least "
                               f"{cfg.approval_hours} hours before the start.", code="approval_too_late",
                               details=[{"field": "date", "message": f"must start at least {cfg.approval_hours} "
                                                                     "hours from now for this room"}])


def _get_row(conn: Connection, booking_id: int, lock: bool = False) -> dict[str, Any]:
    """lock: the caller changes the booking in this transaction (on PostgreSQL the row is
    locked until it commits, so two check-ins or cancels of one booking go one after the other)."""
    row = conn.execute(f"{SELECT} WHERE b.id = ?{conn.for_update('b') if lock else ''}", (booking_id,)).fetchone()
    if row is None:
        raise NotFound(f"No booking with id {booking_id}.", code="booking_not_found")
    return row


def _clean_purpose(purpose: str | None) -> str | None:
    if purpose is None:
        return None
    purpose = " ".join(purpose.split())
    return purpose or None


# ----------------------------------------------------------------------------- commands
def create_booking(db: Database, cfg: BookingConfig, principal: Principal, room_id: int, date_text: str,
                   slot_text: str, purpose: str | None,
                   once: idempotency.IdempotentRequest | None = None,
                   on_behalf: dict[str, Any] | None = None) -> dict[str, Any]:
    """on_behalf: the user an admin books for ({"id", "name", "email", "role"}), else None."""
    holder = Holder.of(principal, on_behalf)
    idempotency.answered(db, once)   # a repeat gets its first answer, even after the slot began
    day = parse_date(date_text)
    label = parse_slot(slot_text)
    start, end = _check_bookable(cfg, day, label)
    with db.connection() as conn:
        idempotency.reserve(conn, once)
        release_due(conn, cfg)
        lock_for_booking(conn)
        room = bookable_room_row(conn, room_id)
        _check_room(conn, cfg, room, day, label)
        status = "pending" if _needs_approval(room, principal) else "confirmed"
        if status == "pending":
            _check_decision_time(cfg, room, start)
        _lock_user(conn, holder)
        _check_limit(conn, cfg, holder, 1)
        try:
            booking_id = _insert(conn, cfg, holder, room_id, day, label, start, end,
                                 _clean_purpose(purpose), None, status)
        except IntegrityViolation as exc:
            if exc.kind == "unique":
                raise Conflict(f"{room['name']} is already booked on {day.isoformat()} at {label}.",
                               code="slot_taken") from None
            raise
        row = _get_row(conn, booking_id)
        _announce_created(conn, cfg, row, holder)
        booking = public(row, cfg)
        idempotency.record(conn, once, booking)
        return booking


def _announce_created(conn: Connection, cfg: BookingConfig, row: dict[str, Any], holder: Holder) -> None:
    key, what = f"booking-created:{row['id']}", _describe(row)
    checkin = (f" Check in within the first {cfg.checkin_minutes} minutes of the slot or it will be "
               "released.")
    by = holder.booked_by
    if row["status"] == "pending":
        _notify(conn, key, holder.id, "Booking requested",
                f"You asked for {what}. The room needs an administrator's approval; the slot is held for you "
                f"until a decision, at the latest {cfg.approval_hours} hours before the start.")
        enqueue(conn, OUTBOX, f"booking-approval-needed:{row['id']}",
                {"role": "admin", "type": "booking", "title": "Booking awaiting approval",
                 "body": f"{row['user_name'] or row['user_id']} asked for {what}. Approve or reject it "
                         f"(booking #{row['id']})."})
    elif by is not None:
        who = by.name or by.email or by.id
        _notify(conn, key, holder.id, "Booking made for you", f"{who} booked {what} for you.{checkin}",
                ics=_ics(row, cfg))
        _notify(conn, f"booking-created-by:{row['id']}", by.id, "Booking made on behalf",
                f"You booked {what} for {holder.name or holder.email or holder.id}.")
    else:
        _notify(conn, key, holder.id, "Booking confirmed", f"You booked {what}.{checkin}", ics=_ics(row, cfg))


def create_recurring(db: Database, cfg: BookingConfig, principal: Principal, room_id: int, start_text: str,
                     slot_text: str, weeks: int, purpose: str | None, skip_conflicts: bool,
                     once: idempotency.IdempotentRequest | None = None) -> dict[str, Any]:
    holder = Holder.of(principal)
    idempotency.answered(db, once)
    first = parse_date(start_text, "start_date")
    label = parse_slot(slot_text)
    if not 1 <= weeks <= cfg.max_weeks:
        raise ValidationFailed(f"weeks must be between 1 and {cfg.max_weeks}.", code="invalid_weeks",
                               details=[{"field": "weeks", "message": f"must be between 1 and {cfg.max_weeks}"}])
    # The first date is checked before any date arithmetic: 9999-12-31 plus a week is no date.
    _check_bookable(cfg, first, label, "start_date")
    dates = [first + timedelta(weeks=k) for k in range(weeks)]
    last_allowed = cfg.today() + timedelta(days=cfg.max_days_ahead)
    if dates[-1] > last_allowed:
        raise ValidationFailed(f"The last week ({dates[-1].isoformat()}) is more than {cfg.max_days_ahead} days "
                               "ahead; book fewer weeks.", code="too_far_ahead",
                               details=[{"field": "weeks", "message": f"the last date must be within "
                                                                     f"{cfg.max_days_ahead} days"}])
    series_id = uuid.uuid4().hex
    purpose = _clean_purpose(purpose)
    with db.connection() as conn:
        idempotency.reserve(conn, once)
        release_due(conn, cfg)
        lock_for_booking(conn)
        room = bookable_room_row(conn, room_id)
        status = "pending" if _needs_approval(room, principal) else "confirmed"
        if status == "pending":
            _check_decision_time(cfg, room, cfg.slot_instants(first, label)[0])
        _lock_user(conn, holder)
        created, clashes = [], []
        for day in dates:
            start, end = cfg.slot_instants(day, label)   # 08:00 on campus every week, across DST
            try:
                _check_room(conn, cfg, room, day, label)
            except Conflict:                              # closed that week: a clash like a taken slot
                clashes.append(day.isoformat())
                continue
            # A savepoint per week: a clash (found by the unique index, race-free) undoes
            # only that week's insert and the rest of the transaction carries on.
            conn.execute("SAVEPOINT week")
            try:
                created.append(_insert(conn, cfg, holder, room_id, day, label, start, end, purpose, series_id,
                                       status))
                conn.execute("RELEASE SAVEPOINT week")
            except IntegrityViolation as exc:
                conn.execute("ROLLBACK TO SAVEPOINT week")
                conn.execute("RELEASE SAVEPOINT week")
                if exc.kind != "unique":
                    raise
                clashes.append(day.isoformat())
        if clashes and not skip_conflicts:
            raise Conflict(f"{room['name']} is already booked at {label} on {len(clashes)} of the {weeks} dates; "
                           "nothing was booked. Send skip_conflicts=true to book the free dates only.",
                           code="slot_taken", details={"conflicts": clashes})
        if not created:
            raise Conflict(f"{room['name']} is already booked at {label} on every requested date.",
                           code="slot_taken", details={"conflicts": clashes})
        _check_limit_after(conn, cfg, holder, len(created))
        rows = [_get_row(conn, i) for i in created]
        if status == "pending":
            enqueue(conn, OUTBOX, f"booking-series-approval-needed:{series_id}",
                    {"role": "admin", "type": "booking", "title": "Weekly booking awaiting approval",
                     "body": f"{holder.name or holder.id} asked for {room['name']} every week at {label} "
                             f"({len(created)} dates from {rows[0]['booking_date']})."})
        _notify(conn, f"booking-series-created:{series_id}", principal.id,
                "Weekly booking requested" if status == "pending" else "Weekly booking confirmed",
                f"You booked {room['name']} ({room['building']}) every week at {label}: "
                f"{len(created)} dates from {rows[0]['booking_date']} to {rows[-1]['booking_date']}."
                + (f" Skipped (already taken): {', '.join(clashes)}." if clashes else ""))
        series = {"series_id": series_id, "created": [public(r, cfg) for r in rows], "conflicts": clashes,
                  "skipped": clashes}
        idempotency.record(conn, once, series)
        return series


def _check_limit_after(conn: Connection, cfg: BookingConfig, principal: Principal | Holder, added: int) -> None:
    """The limit, counted after the series' own inserts (rolled back if it is exceeded)."""
    if isinstance(principal, Holder) and principal.booked_by is not None:
        return
    limit = cfg.max_active.get(principal.role, 0)
    if limit and _active_count(conn, cfg, principal.id) > limit:
        before = _active_count(conn, cfg, principal.id) - added
        raise Conflict(f"A {principal.role} may hold at most {limit} upcoming bookings; you have {before} "
                       f"and asked for {added} more. Nothing was booked.", code="booking_limit",
                       details={"limit": limit, "active": before, "requested": added})


def cancel_booking(db: Database, cfg: BookingConfig, principal: Principal, booking_id: int) -> dict[str, Any]:
    with db.connection() as conn:
        release_due(conn, cfg)
        row = _get_row(conn, booking_id, lock=True)
        if not principal.is_privileged and row["user_id"] != principal.id:
            raise Forbidden("You may only cancel your own bookings.")
        if row["status"] not in HOLDING:
            raise Conflict(f"This booking is already {row['status']}.", code="booking_not_active")
        if row["end_at"] <= utc_iso(cfg.now()):
            raise Conflict("This booking has already ended and cannot be cancelled.", code="booking_ended")
        changed = conn.execute("UPDATE bookings SET status = 'cancelled', cancelled_at = ?, cancelled_by = ?, "
                               f"updated_at = ? WHERE id = ? AND status IN {HELD}",
                               (utc_now_iso(), principal.id, utc_now_iso(), booking_id)).rowcount
        if changed != 1:
            raise Conflict("This booking was changed meanwhile; reload it.", code="booking_not_active")
        row = _get_row(conn, booking_id)
        by_other = principal.id != row["user_id"]
        _notify(conn, f"booking-cancelled:{booking_id}", row["user_id"], "Booking cancelled",
                f"Your booking of {_describe(row)} was cancelled"
                + (f" by an administrator ({principal.name or principal.email or principal.id})." if by_other else "."))
        return public(row, cfg)


def cancel_series(db: Database, cfg: BookingConfig, principal: Principal, series_id: str) -> dict[str, Any]:
    now = utc_iso(cfg.now())
    with db.connection() as conn:
        release_due(conn, cfg)
        rows = conn.execute(f"{SELECT} WHERE b.series_id = ? ORDER BY b.start_at", (series_id,)).fetchall()
        if not rows:
            raise NotFound(f"No booking series {series_id}.", code="series_not_found")
        owner = rows[0]["user_id"]
        if not principal.is_privileged and owner != principal.id:
            raise Forbidden("You may only cancel your own bookings.")
        stamp = utc_now_iso()
        cancelled = conn.execute(
            "UPDATE bookings SET status = 'cancelled', cancelled_at = ?, cancelled_by = ?, updated_at = ? "
            f"WHERE series_id = ? AND status IN {HELD} AND start_at > ? RETURNING id",
            (stamp, principal.id, stamp, series_id, now)).fetchall()
        ids = sorted(int(r["id"]) for r in cancelled)
        if ids:
            first = rows[0]
            by_other = principal.id != owner
            _notify(conn, f"booking-series-cancelled:{series_id}:{ids[0]}", owner, "Weekly booking cancelled",
                    f"{len(ids)} upcoming weekly booking(s) of {first['room_name']} at {first['time_slot']} "
                    "were cancelled" + (" by an administrator." if by_other else "."))
        rows = conn.execute(f"{SELECT} WHERE b.series_id = ? ORDER BY b.start_at", (series_id,)).fetchall()
        return {"series_id": series_id, "cancelled": len(ids), "cancelled_ids": ids,
                "bookings": [public(r, cfg) for r in rows]}


def check_in(db: Database, cfg: BookingConfig, principal: Principal, booking_id: int) -> dict[str, Any]:
    with db.connection() as conn:
        release_due(conn, cfg)
        row = _get_row(conn, booking_id, lock=True)
        if row["user_id"] != principal.id:
            raise Forbidden("Only the person who booked may check in.")
        if row["status"] == "released":
            raise Conflict("The check-in window has passed and this booking was released.",
                           code="checkin_closed")
        if row["status"] != "confirmed":
            raise Conflict(f"This booking is {row['status']}; there is nothing to check in to.",
                           code="booking_not_active")
        if row["checked_in"]:
            return public(row, cfg)
        now = utc_iso(cfg.now())
        if now < row["start_at"]:
            raise Conflict(f"Check-in opens when the slot starts ({row['time_slot']} on {row['booking_date']}) and "
                           f"stays open for {cfg.checkin_minutes} minutes.", code="checkin_not_open")
        changed = conn.execute("UPDATE bookings SET checked_in = ?, checked_in_at = ?, updated_at = ? "
                               "WHERE id = ? AND status = 'confirmed' AND checked_in = ? AND checkin_deadline > ?",
                               (True, utc_now_iso(), utc_now_iso(), booking_id, False, now)).rowcount
        if changed != 1:
            raise Conflict("The check-in window has passed.", code="checkin_closed")
        return public(_get_row(conn, booking_id), cfg)


def decide(db: Database, cfg: BookingConfig, principal: Principal, booking_id: int, approve: bool,
           reason: str | None) -> dict[str, Any]:
    """An admin approves (pending -> confirmed) or rejects (pending -> rejected, the slot is
    free again) a request; the requester is told either way, in the same transaction."""
    with db.connection() as conn:
        release_due(conn, cfg)              # an undecided request past its deadline is expired first
        row = _get_row(conn, booking_id, lock=True)
        if row["status"] != "pending":
            raise Conflict(f"This booking is {row['status']}, not pending; there is nothing to decide.",
                           code="booking_not_pending")
        status, stamp = ("confirmed" if approve else "rejected"), utc_now_iso()
        reason = " ".join((reason or "").split()) or None
        conn.execute("UPDATE bookings SET status = ?, decided_by = ?, decided_at = ?, reason = ?, updated_at = ? "
                     "WHERE id = ? AND status = 'pending'",
                     (status, principal.id, stamp, reason, stamp, booking_id))
        row = _get_row(conn, booking_id)
        if approve:
            _notify(conn, f"booking-approved:{booking_id}", row["user_id"], "Booking approved",
                    f"Your request for {_describe(row)} was approved." + (f" Note: {reason}" if reason else "")
                    + f" Check in within the first {cfg.checkin_minutes} minutes of the slot.", ics=_ics(row, cfg))
        else:
            _notify(conn, f"booking-rejected:{booking_id}", row["user_id"], "Booking rejected",
                    f"Your request for {_describe(row)} was rejected: {reason}")
        return public(row, cfg)


# ----------------------------------------------------------------------------- queries
def get_booking(db: Database, cfg: BookingConfig, principal: Principal, booking_id: int) -> dict[str, Any]:
    release_if_due(db, cfg)
    with db.connection(readonly=True) as conn:
        row = _get_row(conn, booking_id)
    if not principal.is_privileged and row["user_id"] != principal.id:
        raise Forbidden("You may only see your own bookings.")
    return public(row, cfg)


def _filters(cfg: BookingConfig, *, user_id: str | None = None, room_id: int | None = None,
             status: str | None = None, series_id: str | None = None, date_from: str | None = None,
             date_to: str | None = None, upcoming: bool = False) -> tuple[str, list[Any]]:
    """The WHERE clause of a booking query. Dates bound the start instant (campus-local days)
    and "upcoming" is a start bound too (end_at = start_at + 1 h), so each filter is a range
    over an index: (start_at), (room_id, start_at), (user_id, start_at), (status, start_at)."""
    where, params = [], []
    for column, value in (("user_id", user_id), ("room_id", room_id), ("status", status), ("series_id", series_id)):
        if value is not None and value != "":
            where.append(f"b.{column} = ?")
            params.append(value)
    if date_from:
        where.append("b.start_at >= ?")
        params.append(_midnight(cfg, parse_date(date_from, "from")))
    if date_to:
        where.append("b.start_at < ?")
        params.append(_midnight(cfg, parse_date(date_to, "to"), days=1))
    if upcoming:
        now = cfg.now()
        where.append("b.start_at > ? AND b.end_at > ?")
        params += [utc_iso(now - timedelta(hours=1)), utc_iso(now)]
    return (" WHERE " + " AND ".join(where) if where else ""), params


def list_bookings(db: Database, cfg: BookingConfig, *, limit: int = 500, **filters: Any) -> list[dict[str, Any]]:
    """Bookings by start time, at most `limit` (filters: those of `_filters`)."""
    release_if_due(db, cfg)
    clause, params = _filters(cfg, **filters)
    with db.connection(readonly=True) as conn:
        rows = conn.execute(f"{SELECT}{clause} ORDER BY b.start_at, b.room_id, b.id LIMIT ?",
                            [*params, limit]).fetchall()
    return [public(r, cfg) for r in rows]


ORDERS = {"start": "b.start_at, b.id", "newest": "b.created_at DESC, b.id DESC"}
TOTAL_CAP = 10_000


def list_page(db: Database, cfg: BookingConfig, *, order: str, page: int, per_page: int,
              upcoming: bool | None = None, **filters: Any) -> dict[str, Any]:
    """One page of bookings and the total. By default (no dates, by start) only upcoming ones."""
    release_if_due(db, cfg)
    if upcoming is None:
        upcoming = not filters.get("date_from") and not filters.get("date_to") and order == "start"
    clause, params = _filters(cfg, upcoming=upcoming, **filters)
    with db.connection(readonly=True) as conn:
        # Counted up to TOTAL_CAP: a count of every upcoming booking of a big campus would cost
        # more than the page itself (a second or so at a million rows); past the cap, pages go on.
        total = int(conn.execute(f"SELECT COUNT(*) AS n FROM (SELECT 1 AS x FROM bookings b{clause} LIMIT ?) AS t",
                                 [*params, TOTAL_CAP + 1]).scalar())
        rows = conn.execute(f"{SELECT}{clause} ORDER BY {ORDERS[order]} LIMIT ? OFFSET ?",
                            [*params, per_page, (page - 1) * per_page]).fetchall()
    return {"items": [public(r, cfg) for r in rows], "page": page, "per_page": per_page,
            "total": min(total, TOTAL_CAP), "total_exact": total <= TOTAL_CAP}


def _midnight(cfg: BookingConfig, day: date, days: int = 0) -> str:
    """The UTC instant of a campus date's midnight (`days` later), stored form."""
    try:
        return utc_iso(datetime.combine(day, time(0), tzinfo=cfg.timezone) + timedelta(days=days))
    except OverflowError:
        raise ValidationFailed(f"{day.isoformat()} is out of range.", code="invalid_date") from None


def availability(db: Database, cfg: BookingConfig, room_id: int, date_text: str) -> dict[str, Any]:
    day = parse_date(date_text)
    release_if_due(db, cfg)
    bounds = {label: cfg.slot_instants(day, label) for label in SLOT_LABELS}
    first, last = bounds[SLOT_LABELS[0]][0], bounds[SLOT_LABELS[-1]][1]
    with db.connection(readonly=True) as conn:
        room = get_room_row(conn, room_id)
        # Taken means: a confirmed or pending booking of the room starts at the slot's instant.
        taken = {r["start_at"] for r in conn.execute(
            f"SELECT start_at FROM bookings WHERE room_id = ? AND status IN {HELD} AND start_at >= ? "
            "AND start_at < ?", (room_id, utc_iso(first), utc_iso(last))).fetchall()}
        closed = closure_on(conn, room, day) is not None
    now = cfg.now()
    hours = range(int(room["open_hour"]), int(room["close_hour"]))
    slots = []
    for label, (start, end) in bounds.items():
        state = ("booked" if utc_iso(start) in taken else "past" if end <= now else "closed" if closed
                 else "free" if slot_hour(label) in hours and room["retired_at"] is None else "unavailable")
        slots.append({"time_slot": label, "start": cfg.local_iso(start), "end": cfg.local_iso(end),
                      "start_utc": utc_z(start), "end_utc": utc_z(end),
                      "available": state == "free", "state": state})
    return {"room_id": int(room["id"]), "room_name": room["name"], "building": room["building"],
            "date": day.isoformat(), "slots": slots,
            "available_slots": [s["time_slot"] for s in slots if s["available"]]}
