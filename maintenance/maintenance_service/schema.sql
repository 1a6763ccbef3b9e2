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
    closed_at TEXT,
    assignee_id TEXT,                         -- an admin's user id (checked at user-management), or NULL
    assignee_name TEXT,
    first_response_at TEXT,                   -- the first staff action the reporter sees
    -- Written with the change they measure, so analytics only add numbers up (analytics.py):
    first_response_hours DOUBLE PRECISION,    -- created_at to first_response_at
    resolution_hours DOUBLE PRECISION,        -- created_at to resolved_at (NULL again when reopened)
    sla_met BOOLEAN                           -- resolved_at <= sla_due_at; NULL until resolved
);
CREATE INDEX IF NOT EXISTS idx_tickets_user ON tickets (user_id, created_at);
CREATE INDEX IF NOT EXISTS idx_tickets_status ON tickets (status);
CREATE INDEX IF NOT EXISTS idx_tickets_location ON tickets (location_key, status);
CREATE INDEX IF NOT EXISTS idx_tickets_created ON tickets (created_at);
-- The queue: open work by due time; "mine" and "unassigned".
CREATE INDEX IF NOT EXISTS idx_tickets_queue ON tickets (status, sla_due_at, department);
-- Indexes on columns added since the first release: migrations.py, after it adds them.

CREATE TABLE IF NOT EXISTS ticket_events (
    id BIGSERIAL PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    actor_id TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    event_type TEXT NOT NULL,                 -- models.EVENT_TYPES
    old_value TEXT,
    new_value TEXT,
    comment TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_ticket_events_ticket ON ticket_events (ticket_id, id);

-- The conversation on a ticket. internal: staff only, never shown or sent to the reporter.
CREATE TABLE IF NOT EXISTS ticket_comments (
    id BIGSERIAL PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    author_id TEXT NOT NULL,
    author_name TEXT NOT NULL,
    author_role TEXT NOT NULL,
    body TEXT NOT NULL,
    internal BOOLEAN NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_ticket_comments_ticket ON ticket_comments (ticket_id, id);

-- SLA escalations sent: the primary key is the claim that makes one notification per ticket
-- and threshold however many instances run the job (escalation.py).
CREATE TABLE IF NOT EXISTS ticket_escalations (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    threshold TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (ticket_id, threshold)
);

-- Photos of a ticket, re-encoded without metadata (attachments.py); BYTEA is BLOB on SQLite.
CREATE TABLE IF NOT EXISTS ticket_attachments (
    id BIGSERIAL PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    content_type TEXT NOT NULL,               -- of the stored, decoded format: image/jpeg | image/png | image/webp
    size INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    data BYTEA NOT NULL,
    thumbnail BYTEA NOT NULL,                 -- the same format, at most 320 px on its longer side
    uploaded_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_ticket_attachments_ticket ON ticket_attachments (ticket_id, id);

-- The tickets added up per group, kept by triggers on tickets (stats.py); analytics read it.
CREATE TABLE IF NOT EXISTS ticket_stats (
    status TEXT NOT NULL,
    category TEXT NOT NULL,
    priority TEXT NOT NULL,
    department TEXT NOT NULL,
    method TEXT NOT NULL,
    n BIGINT NOT NULL DEFAULT 0,
    confidence DOUBLE PRECISION NOT NULL DEFAULT 0,
    needs_review BIGINT NOT NULL DEFAULT 0,
    duplicates BIGINT NOT NULL DEFAULT 0,
    resolved BIGINT NOT NULL DEFAULT 0,
    resolve_hours DOUBLE PRECISION NOT NULL DEFAULT 0,
    responded BIGINT NOT NULL DEFAULT 0,
    response_hours DOUBLE PRECISION NOT NULL DEFAULT 0,
    judged BIGINT NOT NULL DEFAULT 0,
    met BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (status, category, priority, department, method)
);

-- Tickets filed per day, kept by the same triggers (stats.py).
CREATE TABLE IF NOT EXISTS ticket_days (
    day TEXT PRIMARY KEY,
    n BIGINT NOT NULL DEFAULT 0
);
