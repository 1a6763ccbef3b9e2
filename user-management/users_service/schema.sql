-- user-management: the only place passwords live (as Werkzeug hashes).
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,          -- shared.accounts.normalize_email(email): one account per address
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ({ROLES})),   -- generated from shared.auth.ROLES
    password_hash TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,  -- a one-time password: no sign-in until changed
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_users_role ON users (role);
CREATE INDEX IF NOT EXISTS idx_users_created ON users (created_at, id);

-- Ended sessions (shared/revocation.py): a logged-out token (jti), or every token of a user
-- issued before not_before (role change, deletion, password change, sign out everywhere).
-- Every service reads this table in id order; rows go once expires_at has passed.
CREATE TABLE IF NOT EXISTS session_revocations (
    id BIGSERIAL PRIMARY KEY,
    user_id TEXT NOT NULL,
    jti TEXT,
    not_before DOUBLE PRECISION,           -- unix seconds, millisecond precision
    expires_at BIGINT NOT NULL,            -- unix seconds
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CHECK ((jti IS NULL) <> (not_before IS NULL))
);
CREATE INDEX IF NOT EXISTS idx_session_revocations_expiry ON session_revocations (expires_at);
