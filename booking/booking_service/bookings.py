"""Bookings: the rules and the SQL. Routes call these; nothing here sees a request.

Double booking is refused by the database (a partial unique index over ACTIVE rows);
a violation becomes 409 slot_taken. No-shows are released lazily: every read of
availability or bookings, and every booking attempt, first releases active bookings
that were not checked in before their check-in deadline.

Times: start_at, end_at and checkin_deadline are UTC instants (schema.sql says why text);
booking_date and time_slot are the campus-local names of the slot. Every comparison here
is between instants (the campus clock's now() against stored instants), never between
local wall-clock texts, so it is right whatever zone the server or a replica runs in.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from shared import idempotency
from shared.auth import Principal
from shared.database import Connection, Database, IntegrityViolation, utc_iso, utc_now_iso
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.outbox import enqueue

from .rooms import get_room_row
from .timeslots import SLOT_LABELS, BookingConfig, parse_date, parse_slot, parse_stored, utc_z

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
        "created_at": row["created_at"], "cancelled_at": row["cancelled_at"],
    }


def _notify(conn: Connection, key: str, user_id: str, title: str, body: str) -> None:
    enqueue(conn, OUTBOX, key, {"user_id": user_id, "title": title, "body": body, "type": "booking"})


def _describe(row: dict[str, Any]) -> str:
    return f"{row['room_name']} ({row['building']}) on {row['booking_date']}, {row['time_slot']}"


# ----------------------------------------------------------------------------- release
def release_due(conn: Connection, cfg: BookingConfig) -> int:
    """Release active bookings nobody checked in to before the deadline; notify their owners."""
    now = utc_iso(cfg.now())
    due = conn.execute("SELECT id FROM bookings WHERE status = 'active' AND checked_in = ? "
                       "AND checkin_deadline <= ? LIMIT 500", (False, now)).fetchall()
    released = 0
    for item in due:
        row = conn.execute(
            "UPDATE bookings SET status = 'released', updated_at = ? WHERE id = ? AND status = 'active' "
            "AND checked_in = ? AND checkin_deadline <= ? RETURNING id",
            (utc_now_iso(), item["id"], False, now)).fetchone()
        if row is None:
            continue            # checked in or released by someone else meanwhile
        full = conn.execute(f"{SELECT} WHERE b.id = ?", (item["id"],)).fetchone()
        _notify(conn, f"booking-released:{full['id']}", full["user_id"], "Booking released",
                f"Your booking of {_describe(full)} was released because nobody checked in "
                f"within {cfg.checkin_minutes} minutes of the start.")
        released += 1
    return released


def release_if_due(db: Database, cfg: BookingConfig) -> int:
    """The cheap path for reads: a read-only look first, a write only when something is due."""
    now = utc_iso(cfg.now())
    with db.connection(readonly=True) as conn:
        pending = conn.execute("SELECT 1 AS x FROM bookings WHERE status = 'active' AND checked_in = ? "
                               "AND checkin_deadline <= ? LIMIT 1", (False, now)).fetchone()
    if pending is None:
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


def _lock_user(conn: Connection, principal: Principal) -> None:
    """Serialise one user's booking transactions so the per-role limit holds under races
    (SQLite already serialises every write transaction)."""
    if conn.kind == "postgresql":
        conn.execute("SELECT pg_advisory_xact_lock(?, hashtext(?))", (_USER_LOCK, principal.id))


def _active_count(conn: Connection, cfg: BookingConfig, user_id: str) -> int:
    return int(conn.execute("SELECT COUNT(*) AS n FROM bookings WHERE user_id = ? AND status = 'active' "
                            "AND end_at > ?", (user_id, utc_iso(cfg.now()))).scalar())


def _check_limit(conn: Connection, cfg: BookingConfig, principal: Principal, adding: int) -> None:
    limit = cfg.max_active.get(principal.role, 0)
    if not limit:
        return
    active = _active_count(conn, cfg, principal.id)
    if active + adding > limit:
        raise Conflict(f"A {principal.role} may hold at most {limit} upcoming bookings; you have {active}"
                       + (f" and asked for {adding} more" if adding > 1 else "")
                       + ". Cancel one first.", code="booking_limit",
                       details={"limit": limit, "active": active, "requested": adding})


def _insert(conn: Connection, cfg: BookingConfig, principal: Principal, room_id: int, day: date, label: str,
            start: datetime, end: datetime, purpose: str | None, series_id: str | None) -> int:
    now = cfg.now().replace(microsecond=0)
    deadline = min(end, max(start, now) + timedelta(minutes=cfg.checkin_minutes))
    stamp = utc_now_iso()
    row = conn.execute(
        "INSERT INTO bookings (room_id, booking_date, time_slot, start_at, end_at, checkin_deadline, user_id, "
        "user_name, user_email, purpose, status, checked_in, series_id, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?) RETURNING id",
        (room_id, day.isoformat(), label, utc_iso(start), utc_iso(end), utc_iso(deadline), principal.id,
         principal.name, principal.email, purpose, False, series_id, stamp, stamp)).fetchone()
    return int(row["id"])


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
                   once: idempotency.IdempotentRequest | None = None) -> dict[str, Any]:
    idempotency.answered(db, once)   # a repeat gets its first answer, even after the slot began
    day = parse_date(date_text)
    label = parse_slot(slot_text)
    start, end = _check_bookable(cfg, day, label)
    with db.connection() as conn:
        idempotency.reserve(conn, once)
        release_due(conn, cfg)
        room = get_room_row(conn, room_id)
        _lock_user(conn, principal)
        _check_limit(conn, cfg, principal, 1)
        try:
            booking_id = _insert(conn, cfg, principal, room_id, day, label, start, end,
                                 _clean_purpose(purpose), None)
        except IntegrityViolation as exc:
            if exc.kind == "unique":
                raise Conflict(f"{room['name']} is already booked on {day.isoformat()} at {label}.",
                               code="slot_taken") from None
            raise
        row = _get_row(conn, booking_id)
        _notify(conn, f"booking-created:{booking_id}", principal.id, "Booking confirmed",
                f"You booked {_describe(row)}. Check in within the first {cfg.checkin_minutes} "
                "minutes of the slot or it will be released.")
        booking = public(row, cfg)
        idempotency.record(conn, once, booking)
        return booking


def create_recurring(db: Database, cfg: BookingConfig, principal: Principal, room_id: int, start_text: str,
                     slot_text: str, weeks: int, purpose: str | None, skip_conflicts: bool,
                     once: idempotency.IdempotentRequest | None = None) -> dict[str, Any]:
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
        room = get_room_row(conn, room_id)
        _lock_user(conn, principal)
        created, clashes = [], []
        for day in dates:
            start, end = cfg.slot_instants(day, label)   # 08:00 on campus every week, across DST
            # A savepoint per week: a clash (found by the unique index, race-free) undoes
            # only that week's insert and the rest of the transaction carries on.
            conn.execute("SAVEPOINT week")
            try:
                created.append(_insert(conn, cfg, principal, room_id, day, label, start, end, purpose, series_id))
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
        _check_limit_after(conn, cfg, principal, len(created))
        rows = [_get_row(conn, i) for i in created]
        _notify(conn, f"booking-series-created:{series_id}", principal.id, "Weekly booking confirmed",
                f"You booked {room['name']} ({room['building']}) every week at {label}: "
                f"{len(created)} dates from {rows[0]['booking_date']} to {rows[-1]['booking_date']}."
                + (f" Skipped (already taken): {', '.join(clashes)}." if clashes else ""))
        series = {"series_id": series_id, "created": [public(r, cfg) for r in rows], "conflicts": clashes,
                  "skipped": clashes}
        idempotency.record(conn, once, series)
        return series


def _check_limit_after(conn: Connection, cfg: BookingConfig, principal: Principal, added: int) -> None:
    """The limit, counted after the series' own inserts (rolled back if it is exceeded)."""
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
        if row["status"] != "active":
            raise Conflict(f"This booking is already {row['status']}.", code="booking_not_active")
        if row["end_at"] <= utc_iso(cfg.now()):
            raise Conflict("This booking has already ended and cannot be cancelled.", code="booking_ended")
        changed = conn.execute("UPDATE bookings SET status = 'cancelled', cancelled_at = ?, cancelled_by = ?, "
                               "updated_at = ? WHERE id = ? AND status = 'active'",
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
            "WHERE series_id = ? AND status = 'active' AND start_at > ? RETURNING id",
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
        if row["status"] != "active":
            raise Conflict(f"This booking is {row['status']}; there is nothing to check in to.",
                           code="booking_not_active")
        if row["checked_in"]:
            return public(row, cfg)
        now = utc_iso(cfg.now())
        if now < row["start_at"]:
            raise Conflict(f"Check-in opens when the slot starts ({row['time_slot']} on {row['booking_date']}) and "
                           f"stays open for {cfg.checkin_minutes} minutes.", code="checkin_not_open")
        changed = conn.execute("UPDATE bookings SET checked_in = ?, checked_in_at = ?, updated_at = ? "
                               "WHERE id = ? AND status = 'active' AND checked_in = ? AND checkin_deadline > ?",
                               (True, utc_now_iso(), utc_now_iso(), booking_id, False, now)).rowcount
        if changed != 1:
            raise Conflict("The check-in window has passed.", code="checkin_closed")
        return public(_get_row(conn, booking_id), cfg)


# ----------------------------------------------------------------------------- queries
def get_booking(db: Database, cfg: BookingConfig, principal: Principal, booking_id: int) -> dict[str, Any]:
    release_if_due(db, cfg)
    with db.connection(readonly=True) as conn:
        row = _get_row(conn, booking_id)
    if not principal.is_privileged and row["user_id"] != principal.id:
        raise Forbidden("You may only see your own bookings.")
    return public(row, cfg)


def list_bookings(db: Database, cfg: BookingConfig, *, user_id: str | None = None, date_from: str | None = None,
                  date_to: str | None = None, upcoming: bool = False, status: str | None = None,
                  room_id: int | None = None, series_id: str | None = None,
                  limit: int = 500) -> list[dict[str, Any]]:
    release_if_due(db, cfg)
    where, params = [], []
    if user_id is not None:
        where.append("b.user_id = ?")
        params.append(user_id)
    if date_from:
        where.append("b.booking_date >= ?")
        params.append(parse_date(date_from, "date_from").isoformat())
    if date_to:
        where.append("b.booking_date <= ?")
        params.append(parse_date(date_to, "date_to").isoformat())
    if upcoming:
        where.append("b.end_at > ?")
        params.append(utc_iso(cfg.now()))
    if status:
        where.append("b.status = ?")
        params.append(status)
    if room_id is not None:
        where.append("b.room_id = ?")
        params.append(room_id)
    if series_id:
        where.append("b.series_id = ?")
        params.append(series_id)
    sql = SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY b.start_at, b.room_id, b.id LIMIT ?"
    with db.connection(readonly=True) as conn:
        rows = conn.execute(sql, [*params, limit]).fetchall()
    return [public(r, cfg) for r in rows]


def availability(db: Database, cfg: BookingConfig, room_id: int, date_text: str) -> dict[str, Any]:
    day = parse_date(date_text)
    release_if_due(db, cfg)
    bounds = {label: cfg.slot_instants(day, label) for label in SLOT_LABELS}
    first, last = bounds[SLOT_LABELS[0]][0], bounds[SLOT_LABELS[-1]][1]
    with db.connection(readonly=True) as conn:
        room = get_room_row(conn, room_id)
        # Taken means: an active booking of the room starts at the slot's instant.
        taken = {r["start_at"] for r in conn.execute(
            "SELECT start_at FROM bookings WHERE room_id = ? AND status = 'active' AND start_at >= ? "
            "AND start_at < ?", (room_id, utc_iso(first), utc_iso(last))).fetchall()}
    now = cfg.now()
    slots = []
    for label, (start, end) in bounds.items():
        state = "booked" if utc_iso(start) in taken else ("past" if end <= now else "free")
        slots.append({"time_slot": label, "start": cfg.local_iso(start), "end": cfg.local_iso(end),
                      "start_utc": utc_z(start), "end_utc": utc_z(end),
                      "available": state == "free", "state": state})
    return {"room_id": int(room["id"]), "room_name": room["name"], "building": room["building"],
            "date": day.isoformat(), "slots": slots,
            "available_slots": [s["time_slot"] for s in slots if s["available"]]}
