-- Single sign-on (issue 14): identity providers, the domains each signs in, started sign-ins,
-- the assertion replay cache, subject links, break-glass admins and default groups.

-- settings: the protocol's JSON (SAML entity id, URLs and certificates; OIDC issuer, client
-- id and scopes). sealed_secret: the SAML SP private key or the OIDC client secret, sealed
-- by the operator's key.
CREATE TABLE identity_providers (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    protocol TEXT NOT NULL CHECK (protocol IN ('saml', 'oidc')),
    enforced BIGINT NOT NULL CHECK (enforced IN (0, 1)),
    allow_idp_initiated BIGINT NOT NULL CHECK (allow_idp_initiated IN (0, 1)),
    map_groups BIGINT NOT NULL CHECK (map_groups IN (0, 1)),
    settings TEXT NOT NULL,
    sealed_secret TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX identity_providers_org ON identity_providers (org_id, created_at);

-- A domain signs in through one provider at most.
CREATE TABLE identity_provider_domains (
    domain TEXT PRIMARY KEY,
    idp_id TEXT NOT NULL REFERENCES identity_providers(id) ON DELETE CASCADE,
    org_id TEXT NOT NULL
);
CREATE INDEX identity_provider_domains_idp ON identity_provider_domains (idp_id);

-- A sign-in sent to a provider, taken once by its answer (SAML request id or OIDC state).
CREATE TABLE sso_requests (
    id TEXT NOT NULL,
    idp_id TEXT NOT NULL REFERENCES identity_providers(id) ON DELETE CASCADE,
    return_to TEXT NOT NULL,
    nonce TEXT,
    pkce_verifier TEXT,
    tester_id TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (idp_id, id)
);
CREATE INDEX sso_requests_expiry ON sso_requests (expires_at);

-- Assertion ids already used, until the assertion would have expired anyway: a replay is
-- refused on every node sharing the database.
CREATE TABLE sso_seen_assertions (
    idp_id TEXT NOT NULL REFERENCES identity_providers(id) ON DELETE CASCADE,
    assertion_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (idp_id, assertion_id)
);
CREATE INDEX sso_seen_assertions_expiry ON sso_seen_assertions (expires_at);

-- The account a provider's subject (SAML NameID, OIDC sub) signs in as.
CREATE TABLE sso_links (
    idp_id TEXT NOT NULL REFERENCES identity_providers(id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (idp_id, subject)
);
CREATE INDEX sso_links_account ON sso_links (account_id);

-- Admins who may sign in with a password while SSO is enforced.
CREATE TABLE sso_break_glass (
    org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    PRIMARY KEY (org_id, account_id)
);

-- Groups every account the organization's SSO creates joins.
CREATE TABLE org_default_groups (
    org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    group_id TEXT NOT NULL REFERENCES org_groups(id) ON DELETE CASCADE,
    PRIMARY KEY (org_id, group_id)
);

-- A Gatehouse session opened through a provider: what single logout needs (the SAML NameID
-- and session index, the OIDC ID token to hint with). No foreign key to sessions: the row
-- is read when the session ends and deleted with it.
CREATE TABLE sso_sessions (
    session_id TEXT PRIMARY KEY,
    idp_id TEXT NOT NULL REFERENCES identity_providers(id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    session_index TEXT,
    id_token TEXT,
    created_at BIGINT NOT NULL
);
