-- maintenance: tickets and their audit trail (every change is a row in ticket_events).
CREATE TABLE IF NOT EXISTS tickets (
    id BIGSERIAL PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    location TEXT,
    location_key TEXT,                        -- lower-cased, trimmed: duplicates compare this
    category TEXT NOT NULL,
    confidence DOUBLE PRECISION NOT NULL,
    classification_method TEXT NOT NULL,
    needs_review BOOLEAN NOT NULL,
    priority TEXT NOT NULL CHECK (priority IN ({PRIORITIES})),  -- generated from models.PRIORITIES
    impact TEXT NOT NULL,
    sla_hours INTEGER NOT NULL,
    sla_due_at TEXT NOT NULL,
    department TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ({STATUSES})),  -- generated from models.TRANSITIONS
    possible_duplicate_of BIGINT,
    user_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    user_email TEXT NOT NULL,
    embedding TEXT,                           -- JSON list of floats (L2-normalised), or NULL
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    resolved_at TEXT,
    closed_at TEXT
);
CREATE INDEX IF NOT EXISTS idx_tickets_user ON tickets (user_id, created_at);
CREATE INDEX IF NOT EXISTS idx_tickets_status ON tickets (status);
CREATE INDEX IF NOT EXISTS idx_tickets_location ON tickets (location_key, status);
CREATE INDEX IF NOT EXISTS idx_tickets_created ON tickets (created_at);

CREATE TABLE IF NOT EXISTS ticket_events (
    id BIGSERIAL PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    actor_id TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    event_type TEXT NOT NULL,                 -- created | status_changed | category_changed | department_changed | commented
    old_value TEXT,
    new_value TEXT,
    comment TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_ticket_events_ticket ON ticket_events (ticket_id, id);
