-- notification: one row per notice; read and hidden state per recipient in their own tables.
CREATE TABLE IF NOT EXISTS notifications (
    id BIGSERIAL PRIMARY KEY,
    user_id TEXT,                                   -- audience: one user ...
    role TEXT CHECK (role IS NULL OR role IN ({ROLES})),  -- ... a role (shared.auth.ROLES) ...
    broadcast BOOLEAN NOT NULL DEFAULT FALSE,       -- ... or everyone: exactly one of the three
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    type TEXT NOT NULL,
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
