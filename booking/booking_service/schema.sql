-- booking: rooms and their bookings.
-- Instants (start_at, end_at, checkin_deadline and every *_at) are UTC, stored as text in
-- one fixed-width form, 'YYYY-MM-DDTHH:MM:SS.ffffffZ' (shared.database.utc_iso). Why text
-- and not timestamptz: one SQL with '?' parameters runs on SQLite and PostgreSQL alike, a
-- row reads back as the same string on both (no datetime on one, str on the other), and
-- scripts/migrate_to_postgresql.py copies values as they are; because every value has the
-- same width and the same zone (Z), text order is time order, so `<`, ORDER BY and the
-- indexes compare instants. booking_date and time_slot are the campus-local (BOOKING_TIMEZONE)
-- names of the slot that the person chose; the API shows the instants in that zone too.
CREATE TABLE IF NOT EXISTS rooms (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    building TEXT NOT NULL,
    capacity INTEGER NOT NULL CHECK (capacity > 0),
    features TEXT NOT NULL DEFAULT '[]',     -- JSON list of strings
    created_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS bookings (
    id BIGSERIAL PRIMARY KEY,
    room_id BIGINT NOT NULL REFERENCES rooms (id),
    booking_date TEXT NOT NULL,              -- YYYY-MM-DD (campus local date)
    time_slot TEXT NOT NULL,                 -- one of the ten labels, e.g. '10:00 AM - 11:00 AM'
    start_at TEXT NOT NULL,                  -- UTC instant, YYYY-MM-DDTHH:MM:SS.ffffffZ
    end_at TEXT NOT NULL,                    -- UTC instant
    checkin_deadline TEXT NOT NULL,          -- UTC instant; unchecked active bookings are released after it
    user_id TEXT NOT NULL,                   -- from the token's sub, never from the body
    user_name TEXT NOT NULL DEFAULT '',
    user_email TEXT NOT NULL DEFAULT '',
    purpose TEXT,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'cancelled', 'released')),
    checked_in BOOLEAN NOT NULL DEFAULT FALSE,
    checked_in_at TEXT,
    series_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    cancelled_at TEXT,
    cancelled_by TEXT
);
-- The database, not the code, prevents double booking. Only ACTIVE rows take part, so a
-- cancelled or released booking never blocks booking the same slot again. A slot is its
-- start instant: the same hour is the same slot whatever zone the booking service runs in
-- (the index on the local date and label that it replaces could not say so).
DROP INDEX IF EXISTS uq_bookings_active_slot;
CREATE UNIQUE INDEX IF NOT EXISTS uq_bookings_active_start
    ON bookings (room_id, start_at) WHERE status = 'active';
CREATE INDEX IF NOT EXISTS idx_bookings_user ON bookings (user_id, status, end_at);
CREATE INDEX IF NOT EXISTS idx_bookings_release ON bookings (status, checked_in, checkin_deadline);
CREATE INDEX IF NOT EXISTS idx_bookings_series ON bookings (series_id);
CREATE INDEX IF NOT EXISTS idx_bookings_date ON bookings (booking_date, room_id);

-- Start-up data migrations applied to this database (migrations.py), one row each, so a
-- migration runs once however many workers, replicas or restarts follow.
CREATE TABLE IF NOT EXISTS booking_migrations (
    name TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''          -- what it did, e.g. the zone and the rows converted
);
