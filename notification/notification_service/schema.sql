-- notification: one row per notice; read and hidden state per recipient in their own tables.
CREATE TABLE IF NOT EXISTS notifications (
    id BIGSERIAL PRIMARY KEY,
    user_id TEXT,                                   -- audience: one user ...
    role TEXT CHECK (role IS NULL OR role IN ({ROLES})),  -- ... a role (shared.auth.ROLES) ...
    broadcast BOOLEAN NOT NULL DEFAULT FALSE,       -- ... or everyone: exactly one of the three
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    type TEXT NOT NULL,
    link TEXT,                                      -- relative URL of what it is about ("/booking?booking=12");
                                                    -- added to older tables by migrations.py
    important BOOLEAN NOT NULL DEFAULT FALSE,       -- an admin's announcement that is always e-mailed
    sender_id TEXT NOT NULL,
    sender_role TEXT NOT NULL,
    idempotency_key TEXT,                           -- the sender's Idempotency-Key, if any; the answer
                                                    -- per (sender, key) is in notification_idempotency
    created_at TEXT NOT NULL,
    deleted_at TEXT,                                -- deleted for everyone (DELETE with scope=all)
    CHECK ((CASE WHEN user_id IS NOT NULL THEN 1 ELSE 0 END)
         + (CASE WHEN role IS NOT NULL THEN 1 ELSE 0 END)
         + (CASE WHEN broadcast THEN 1 ELSE 0 END) = 1)
);
CREATE INDEX IF NOT EXISTS idx_notifications_user ON notifications (user_id, created_at);
CREATE INDEX IF NOT EXISTS idx_notifications_role ON notifications (role, created_at);
CREATE INDEX IF NOT EXISTS idx_notifications_created ON notifications (created_at, id);

-- A row here: this recipient has read this notification.
CREATE TABLE IF NOT EXISTS notification_reads (
    notification_id BIGINT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    read_at TEXT NOT NULL,
    PRIMARY KEY (notification_id, user_id)
);
CREATE INDEX IF NOT EXISTS idx_notification_reads_user ON notification_reads (user_id);

-- A row here: this recipient deleted the notification from their own feed.
CREATE TABLE IF NOT EXISTS notification_hidden (
    notification_id BIGINT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    hidden_at TEXT NOT NULL,
    PRIMARY KEY (notification_id, user_id)
);
CREATE INDEX IF NOT EXISTS idx_notification_hidden_user ON notification_hidden (user_id);

-- E-mail delivery (delivery.py). A job per notification, written in the same transaction
-- as the notification when SMTP_HOST is set; the sender expands its audience to people
-- (their addresses from user-management) and their choices into notification_emails.
CREATE TABLE IF NOT EXISTS notification_email_jobs (
    notification_id BIGINT PRIMARY KEY REFERENCES notifications (id) ON DELETE CASCADE,
    ics TEXT,                                       -- an iCalendar attachment (booking confirmations)
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_until TEXT,
    expanded_at TEXT,                               -- set once its recipients are in notification_emails
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS idx_notification_email_jobs_due ON notification_email_jobs (expanded_at, next_attempt_at);

-- One e-mail to one person: of one notification (UNIQUE: never two), or a daily digest
-- (UNIQUE per person and day). status: pending (to send), sent, dead (given up),
-- digest (waits for the person's daily digest), digested (went out in one).
CREATE TABLE IF NOT EXISTS notification_emails (
    id BIGSERIAL PRIMARY KEY,
    notification_id BIGINT REFERENCES notifications (id) ON DELETE CASCADE,
    digest_day TEXT,
    user_id TEXT NOT NULL,
    email TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'dead', 'digest', 'digested')),
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT,
    attachment_name TEXT,
    attachment_data TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_until TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    last_error TEXT,
    UNIQUE (notification_id, user_id),
    UNIQUE (digest_day, user_id)
);
CREATE INDEX IF NOT EXISTS idx_notification_emails_due ON notification_emails (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS idx_notification_emails_user ON notification_emails (user_id, status);

-- What each person wants e-mailed, per kind of notification (preferences.py); no row: the default.
CREATE TABLE IF NOT EXISTS notification_preferences (
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ({KINDS})),
    mode TEXT NOT NULL CHECK (mode IN ({MODES})),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (user_id, kind)
);
