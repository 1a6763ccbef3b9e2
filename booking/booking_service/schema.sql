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
    created_at TEXT NOT NULL,
    -- Added with room administration (migrations.py adds them to an older table):
    floor TEXT NOT NULL DEFAULT '',
    accessibility TEXT NOT NULL DEFAULT '[]', -- JSON list of strings, e.g. ["step-free access"]
    description TEXT NOT NULL DEFAULT '',
    requires_approval BOOLEAN NOT NULL DEFAULT FALSE,
    open_hour INTEGER NOT NULL DEFAULT 8,    -- bookable hours, campus local, within 8..18
    close_hour INTEGER NOT NULL DEFAULT 18,
    updated_at TEXT,
    retired_at TEXT                          -- set: no new bookings, gone from lists and the grid
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
    status TEXT NOT NULL DEFAULT 'confirmed' CHECK (status IN ({STATUSES})),
    checked_in BOOLEAN NOT NULL DEFAULT FALSE,
    checked_in_at TEXT,
    series_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    cancelled_at TEXT,
    cancelled_by TEXT,
    -- Added with approvals and booking on behalf (migrations.py adds them to an older table):
    booked_by TEXT,                          -- the admin who booked for user_id; NULL: the user
    booked_by_name TEXT,
    decided_by TEXT,                         -- who approved or rejected a pending booking
    decided_at TEXT,
    reason TEXT                              -- why it was rejected, expired or cancelled by a closure
);
-- The database, not the code, prevents double booking. Only rows that hold their slot
-- (confirmed, and pending approval) take part, so a cancelled, released, rejected or
-- expired booking never blocks booking the same slot again. A slot is its start instant:
-- the same hour is the same slot whatever zone the booking service runs in.
DROP INDEX IF EXISTS uq_bookings_active_slot;
DROP INDEX IF EXISTS uq_bookings_active_start;
CREATE UNIQUE INDEX IF NOT EXISTS uq_bookings_held_start
    ON bookings (room_id, start_at) WHERE status IN ({HOLDING});
DROP INDEX IF EXISTS idx_bookings_user;
CREATE INDEX IF NOT EXISTS idx_bookings_user_start ON bookings (user_id, start_at);
CREATE INDEX IF NOT EXISTS idx_bookings_release ON bookings (status, checked_in, checkin_deadline);
CREATE INDEX IF NOT EXISTS idx_bookings_series ON bookings (series_id);
CREATE INDEX IF NOT EXISTS idx_bookings_date ON bookings (booking_date, room_id);
-- The access paths of the paginated list: everything by start, a room's bookings, one
-- status (the pending queue; the expiry of undecided requests), newest first.
CREATE INDEX IF NOT EXISTS idx_bookings_start ON bookings (start_at, id);
-- The day of the whole campus (the grid): only the rows that hold a slot, by start.
CREATE INDEX IF NOT EXISTS idx_bookings_held_by_start ON bookings (start_at) WHERE status IN ({HOLDING});
CREATE INDEX IF NOT EXISTS idx_bookings_room_start ON bookings (room_id, start_at);
CREATE INDEX IF NOT EXISTS idx_bookings_status_start ON bookings (status, start_at);
CREATE INDEX IF NOT EXISTS idx_bookings_created ON bookings (created_at, id);

-- Closures (holidays, exam weeks, works): one room, one building, or the whole campus
-- (both NULL), for campus-local dates start_date..end_date inclusive.
CREATE TABLE IF NOT EXISTS booking_closures (
    id BIGSERIAL PRIMARY KEY,
    room_id BIGINT REFERENCES rooms (id),
    building TEXT,
    start_date TEXT NOT NULL,                -- YYYY-MM-DD
    end_date TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CHECK (room_id IS NULL OR building IS NULL)
);
CREATE INDEX IF NOT EXISTS idx_booking_closures_dates ON booking_closures (end_date, start_date);

-- Calendar subscriptions: one secret per user. token_hash is the SHA-256 of the URL's
-- token; the token is an HMAC of the random nonce under the service's secret, so the
-- owner can be shown it again while the table alone gives nothing away.
CREATE TABLE IF NOT EXISTS booking_feeds (
    user_id TEXT PRIMARY KEY,
    nonce TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

-- Start-up data migrations applied to this database (migrations.py), one row each, so a
-- migration runs once however many workers, replicas or restarts follow.
CREATE TABLE IF NOT EXISTS booking_migrations (
    name TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''          -- what it did, e.g. the zone and the rows converted
);
