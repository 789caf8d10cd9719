-- Authentication policies (issue 16): the rules an organization applies to chosen sets of the
-- accounts it manages, and the rules for people it gives access but does not manage.

-- settings: the policy's rules as core's JSON. The SSO rule and the non-billable flag have
-- columns of their own too, so the identity provider cannot be deleted from under a policy that
-- enforces it, and a provider's "enforced" and an account's bill read in one join.
-- One default per organization; the default's name is unique like any other.
CREATE TABLE auth_policies (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    is_default INTEGER NOT NULL CHECK (is_default IN (0, 1)),
    sso_enforced INTEGER NOT NULL CHECK (sso_enforced IN (0, 1)),
    sso_idp_id TEXT REFERENCES identity_providers(id),
    non_billable INTEGER NOT NULL DEFAULT 0 CHECK (non_billable IN (0, 1)),
    settings TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (org_id, name_folded)
);
CREATE UNIQUE INDEX auth_policies_one_default ON auth_policies (org_id) WHERE is_default = 1;
CREATE INDEX auth_policies_idp ON auth_policies (sso_idp_id);

-- A managed account's policy: NULL is the organization's default. The row of the managing
-- organization is the account's only managed row, so an account is in exactly one policy.
ALTER TABLE org_accounts ADD COLUMN policy_id TEXT REFERENCES auth_policies(id) ON DELETE SET NULL;
CREATE INDEX org_accounts_policy ON org_accounts (policy_id);

-- The policy the accounts an identity provider creates (just in time) join; NULL: the default.
ALTER TABLE identity_providers ADD COLUMN default_policy_id TEXT REFERENCES auth_policies(id) ON DELETE SET NULL;

-- The rules for people with access who are not managed by the organization.
CREATE TABLE external_user_policies (
    org_id TEXT PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
    settings TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- A session's own idle timeout (seconds), from its account's policy; NULL is the server's.
ALTER TABLE sessions ADD COLUMN idle_secs INTEGER;
-- An external-users policy's emailed code: the digest of the code last mailed for the session,
-- when it stops working, and when the session proved its mailbox.
ALTER TABLE sessions ADD COLUMN email_code_digest TEXT;
ALTER TABLE sessions ADD COLUMN email_code_expires_at INTEGER;
ALTER TABLE sessions ADD COLUMN email_verified_at INTEGER;

-- The hashes of an account's earlier passwords, for a policy's "no reuse of the last N".
CREATE TABLE password_history (
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    hash TEXT NOT NULL,
    replaced_at INTEGER NOT NULL
);
CREATE INDEX password_history_account ON password_history (account_id, replaced_at);

-- A pending sign-in's next stage: its second step, enrolment in two-step verification, or a
-- new password; and whether a new password is due once that stage passed.
ALTER TABLE pending_signins ADD COLUMN stage TEXT NOT NULL DEFAULT 'second_step'
    CHECK (stage IN ('second_step', 'enrol', 'password'));
ALTER TABLE pending_signins ADD COLUMN password_due INTEGER NOT NULL DEFAULT 0 CHECK (password_due IN (0, 1));
-- What the steps passed so far proved (RFC 8176), for the session the last stage opens.
ALTER TABLE pending_signins ADD COLUMN amr TEXT NOT NULL DEFAULT '[]';
