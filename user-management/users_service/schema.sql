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

-- Identities at the university's identity provider (OpenID Connect; identities.py): the
-- provider's issuer and subject name one account for good, whatever its email becomes.
CREATE TABLE IF NOT EXISTS user_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    last_sign_in_at TEXT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX IF NOT EXISTS idx_user_identities_user ON user_identities (user_id);

-- Password reset links (password_reset.py): only the SHA-256 of the link's token is kept;
-- a link works once (used_at), for PASSWORD_RESET_MINUTES, and a newer one revokes it.
CREATE TABLE IF NOT EXISTS password_resets (
    id BIGSERIAL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    revoked_at TEXT
);
CREATE INDEX IF NOT EXISTS idx_password_resets_user ON password_resets (user_id);

-- Imports of users from CSV (bulk.py): one row per import, its progress updated in the
-- same transaction as each chunk of users it creates.
CREATE TABLE IF NOT EXISTS user_imports (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    total INTEGER NOT NULL,         -- data rows in the file
    importable INTEGER NOT NULL,    -- rows good on their own (imported unless their address is taken)
    done INTEGER NOT NULL,          -- importable rows handled so far
    created INTEGER NOT NULL,       -- accounts created
    skipped INTEGER NOT NULL,       -- bad rows, and rows whose address already had an account
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    error TEXT
);
