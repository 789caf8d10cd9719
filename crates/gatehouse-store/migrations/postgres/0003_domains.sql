-- Verified domains and the accounts an organization manages through them.

CREATE TABLE domains (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'verified', 'failed')),
    claim_mode TEXT NOT NULL CHECK (claim_mode IN ('automatic', 'manual')),
    created_at BIGINT NOT NULL,
    verify_by BIGINT NOT NULL,
    verified_at BIGINT,
    verified_method TEXT,
    last_checked_at BIGINT,
    last_check_detail TEXT,
    failing_since BIGINT,
    UNIQUE (org_id, name)
);
-- A domain is verified by one organization at most: the database refuses a second one, even
-- when two verifications race.
CREATE UNIQUE INDEX domains_one_verified ON domains (name) WHERE status = 'verified';
CREATE INDEX domains_due ON domains (status, last_checked_at);

CREATE TABLE domain_checks (
    id TEXT PRIMARY KEY,
    domain_id TEXT NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    checked_at BIGINT NOT NULL,
    method TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX domain_checks_domain ON domain_checks (domain_id, id);

ALTER TABLE accounts ADD COLUMN email_domain TEXT NOT NULL DEFAULT '';
UPDATE accounts SET email_domain = split_part(email, '@', 2);
CREATE INDEX accounts_email_domain ON accounts (email_domain);
ALTER TABLE accounts ADD COLUMN delete_after BIGINT;

-- How an organization came to manage an account: 'created' (it made it), 'domain' (claimed
-- through a verified domain) or NULL when it does not manage it.
ALTER TABLE org_accounts ADD COLUMN managed_via TEXT;
UPDATE org_accounts SET managed_via = 'created' WHERE is_managed = 1;
