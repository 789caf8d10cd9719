-- Two-step verification (issue 15): authenticator apps, recovery codes, security keys and
-- passkeys, WebAuthn ceremonies, sign-ins waiting for their second step, and what each
-- session's sign-in used.

-- One row per account: the confirmed app (id, sealed_key, confirmed_at, last_step) and an
-- enrolment waiting for its first code (pending_*). Either half may be empty. The key is
-- sealed with the operator's key, bound to "totp.key:<id>".
CREATE TABLE totp_authenticators (
    account_id TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    id TEXT,
    sealed_key TEXT,
    confirmed_at BIGINT,
    last_step BIGINT NOT NULL DEFAULT 0,
    pending_id TEXT,
    pending_sealed_key TEXT,
    pending_at BIGINT
);

-- SHA-256 digests of 80-bit one-time codes.
CREATE TABLE recovery_codes (
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    digest TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (account_id, digest)
);

-- passkey: the WebAuthn library's credential (public key, id, counter) as JSON; nothing secret.
CREATE TABLE security_keys (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    credential_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    passkey TEXT NOT NULL,
    counter BIGINT NOT NULL,
    backup_eligible BIGINT NOT NULL CHECK (backup_eligible IN (0, 1)),
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX security_keys_account ON security_keys (account_id, created_at);

-- The server's half of a WebAuthn ceremony between its two requests, taken once.
CREATE TABLE webauthn_ceremonies (
    digest TEXT PRIMARY KEY,
    account_id TEXT REFERENCES accounts(id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('register', 'second_step', 'passwordless')),
    state TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX webauthn_ceremonies_expiry ON webauthn_ceremonies (expires_at);

-- A sign-in whose password passed, waiting for its second step.
CREATE TABLE pending_signins (
    digest TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    break_glass_org TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    email_code_digest TEXT,
    email_code_expires_at BIGINT
);
CREATE INDEX pending_signins_account ON pending_signins (account_id);
CREATE INDEX pending_signins_expiry ON pending_signins (expires_at);

-- What the session's sign-in used (RFC 8176 values, a JSON array). Sessions opened before
-- this migration came from a password.
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT '["pwd"]';
