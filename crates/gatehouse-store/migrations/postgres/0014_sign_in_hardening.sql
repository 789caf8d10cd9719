-- Sign-in hardening (issue 11): attempts counted before they are checked, reset links bound
-- to the password they replace, and the server's own keys.

-- The throttle now counts attempts (not failures) per key: "pair:<email digest>:<client>",
-- "email:<email digest>", "ip:<client>", "forgot:<email digest>". A key is forgotten at
-- forget_at (a window after its last attempt or lock); the cleanup job deletes it then.
-- Its old rows counted something else and are dropped with it.
DROP TABLE sign_in_throttle;
CREATE TABLE sign_in_throttle (
    key TEXT PRIMARY KEY,
    attempts BIGINT NOT NULL,
    locked_until BIGINT NOT NULL,
    forget_at BIGINT NOT NULL
);
CREATE INDEX sign_in_throttle_forget ON sign_in_throttle (forget_at);

-- Every password change moves the generation on; a reset link works only for the generation
-- it was issued for, so an older link dies once a newer one is used.
ALTER TABLE accounts ADD COLUMN password_generation BIGINT NOT NULL DEFAULT 0;
ALTER TABLE password_resets ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
CREATE INDEX password_resets_expiry ON password_resets (expires_at);

-- For the cleanup job.
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);

-- Keys the server makes for itself (the sign-in forms' CSRF token key), shared by every node.
CREATE TABLE server_keys (
    name TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
