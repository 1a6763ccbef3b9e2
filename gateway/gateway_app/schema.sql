-- gateway: only what the gateway itself needs. No users, no passwords (DESIGN decision 1).
-- (Ended sessions are user-management's session_revocations: one record for every service.)

-- Failed sign-ins (store.py LoginThrottle), per (account, client address) and per address
-- (email_key ''). email_key is shared.accounts.normalize_email(email).
DROP TABLE IF EXISTS login_failures;      -- its predecessor, keyed on the email alone
CREATE TABLE IF NOT EXISTS login_throttle (
    email_key TEXT NOT NULL,
    address TEXT NOT NULL,
    failures INTEGER NOT NULL,            -- wrong passwords (attempts let through) in the current run
    refused INTEGER NOT NULL,             -- attempts refused with 429 while waiting
    last_attempt_ms BIGINT NOT NULL,      -- unix milliseconds of the last attempt let through
    delay_ms BIGINT NOT NULL,             -- how long the next attempt must wait after it
    window_start_ms BIGINT NOT NULL,      -- unix milliseconds: when this run of failures began
    PRIMARY KEY (email_key, address)
);

-- Single sign-on attempts in flight (oidc.py): made by GET /auth/oidc/start, deleted by
-- the one callback that uses them, dropped after 10 minutes. Hashes only of the state
-- (it travels in URLs) and of the cookie that binds an attempt to its browser.
CREATE TABLE IF NOT EXISTS oidc_sign_in_attempts (
    state_hash TEXT PRIMARY KEY,
    browser_hash TEXT NOT NULL,
    nonce TEXT NOT NULL,
    code_verifier TEXT NOT NULL,          -- PKCE (RFC 7636), sent only to the token endpoint
    redirect_uri TEXT NOT NULL,
    next_page TEXT NOT NULL,              -- the page of this site to go on to
    created_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_oidc_sign_in_attempts_created ON oidc_sign_in_attempts (created_ms);
