-- booking: rooms and their bookings. Local times (BOOKING_TIMEZONE) are stored as
-- 'YYYY-MM-DDTHH:MM:SS' text so they compare correctly as strings on both databases.
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
    start_at TEXT NOT NULL,                  -- local start, YYYY-MM-DDTHH:MM:SS
    end_at TEXT NOT NULL,                    -- local end
    checkin_deadline TEXT NOT NULL,          -- local; unchecked active bookings are released after it
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
-- cancelled or released booking never blocks booking the same slot again.
CREATE UNIQUE INDEX IF NOT EXISTS uq_bookings_active_slot
    ON bookings (room_id, booking_date, time_slot) WHERE status = 'active';
CREATE INDEX IF NOT EXISTS idx_bookings_user ON bookings (user_id, status, end_at);
CREATE INDEX IF NOT EXISTS idx_bookings_release ON bookings (status, checked_in, checkin_deadline);
CREATE INDEX IF NOT EXISTS idx_bookings_series ON bookings (series_id);
CREATE INDEX IF NOT EXISTS idx_bookings_date ON bookings (booking_date, room_id);
