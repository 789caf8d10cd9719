-- The OpenID Connect provider (issue 13): product clients and their secrets, product sessions
-- (grants, codes, refresh tokens), the back-channel logout outbox, and signing keys.

-- A product client. Its id is the client_id the product presents. URI lists and grant types
-- are JSON arrays of strings. Deleting the instance a client is tied to deletes the client
-- (its product is gone), with its secrets and sessions.
CREATE TABLE oauth_clients (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    is_public BIGINT NOT NULL CHECK (is_public IN (0, 1)),
    redirect_uris TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    backchannel_logout_uri TEXT,
    grant_types TEXT NOT NULL,
    instance_id TEXT REFERENCES instances(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX oauth_clients_org ON oauth_clients (org_id, id);
CREATE INDEX oauth_clients_instance ON oauth_clients (instance_id);

-- Only a secret's digest is kept. A rotation gives the older secret an end (the overlap).
CREATE TABLE oauth_client_secrets (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
    prefix TEXT NOT NULL,
    digest TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT
);
CREATE INDEX oauth_client_secrets_client ON oauth_client_secrets (client_id);

-- A product session: one sign-in of an account to a client. session_id names the Gatehouse
-- session that signed in (no foreign key: the grant outlives a pruned session, but signing
-- out of it ends the grant).
CREATE TABLE oauth_grants (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
    org_id TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    session_id TEXT,
    scope TEXT NOT NULL,
    auth_time BIGINT NOT NULL,
    amr TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX oauth_grants_account ON oauth_grants (account_id);
CREATE INDEX oauth_grants_org_account ON oauth_grants (org_id, account_id);
CREATE INDEX oauth_grants_session ON oauth_grants (session_id);
CREATE INDEX oauth_grants_client ON oauth_grants (client_id);

-- An authorization code until it is exchanged (and a while after, so a replay is recognised
-- and revokes what the first exchange issued). grant_id is the grant the exchange creates.
CREATE TABLE oauth_codes (
    digest TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    session_id TEXT,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    nonce TEXT,
    code_challenge TEXT,
    auth_time BIGINT NOT NULL,
    amr TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX oauth_codes_expiry ON oauth_codes (expires_at);

-- Refresh tokens: one family per grant. A token is spent when used (rotation); a spent one
-- presented again revokes the family.
CREATE TABLE oauth_refresh_tokens (
    digest TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL REFERENCES oauth_grants(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX oauth_refresh_tokens_grant ON oauth_refresh_tokens (grant_id);
CREATE INDEX oauth_refresh_tokens_expiry ON oauth_refresh_tokens (expires_at);

-- Back-channel logouts to deliver, written in the transaction that ended the session.
CREATE TABLE oauth_logout_outbox (
    id BIGSERIAL PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    grant_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL
);
CREATE INDEX oauth_logout_outbox_due ON oauth_logout_outbox (next_attempt_at);

-- The provider's signing keys. The private key is sealed with the operator's key file.
CREATE TABLE oauth_signing_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    sealed_private TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT,
    publish_until BIGINT
);
