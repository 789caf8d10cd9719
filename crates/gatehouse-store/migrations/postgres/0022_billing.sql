-- Billing (issue 17): who an organization pays for, its subscription, and its bills.

-- What the operator grants: a community or academic organization pays for nobody.
ALTER TABLE orgs ADD COLUMN free_kind TEXT CHECK (free_kind IN ('community', 'academic'));

-- Each account's billing facts in each organization, kept up to date by the store as access,
-- groups, instances, status and policies change (core's classifier turns facts into a rule):
-- a bit set (1 managed, 2 active, 4 product access, 8 non-billable policy, 16 paid Statuspage,
-- 32 access beyond the service desk portal, 64 such access below the enterprise edition).
-- -1: not yet counted. billing_dirty = 1: to be recomputed before the statement that changed
-- it returns (a new row starts so).
ALTER TABLE org_accounts ADD COLUMN billing_facts BIGINT NOT NULL DEFAULT -1;
ALTER TABLE org_accounts ADD COLUMN billing_dirty BIGINT NOT NULL DEFAULT 1 CHECK (billing_dirty IN (0, 1));
CREATE INDEX org_accounts_billing ON org_accounts (org_id, billing_facts, account_id);
CREATE INDEX org_accounts_billing_dirty ON org_accounts (org_id, billing_facts) WHERE billing_dirty = 1;

-- How many accounts of an organization have each set of facts: the bill reads this, not the
-- accounts. Rows with 0 accounts are removed.
CREATE TABLE billing_tallies (
    org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    facts BIGINT NOT NULL,
    accounts BIGINT NOT NULL,
    PRIMARY KEY (org_id, facts)
);

-- An organization's subscription: a trial first (once), then monthly or annual, cycles anchored
-- at started_at (UTC). cancel_at: the end of the cycle in which it was cancelled.
-- enforcement_paused_at: when enforcement paused for want of a subscription (operators who
-- require one), NULL while it applies.
CREATE TABLE subscriptions (
    org_id TEXT PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
    trial_started_at BIGINT,
    trial_ends_at BIGINT,
    cycle TEXT CHECK (cycle IN ('monthly', 'annual')),
    started_at BIGINT,
    annual_tier BIGINT,
    cancel_at BIGINT,
    enforcement_paused_at BIGINT,
    updated_at BIGINT NOT NULL
);

-- One billing run per organization and cycle: the snapshot of its counts per rule and its
-- amount, and the invoice record made from it (no payment processor).
CREATE TABLE billing_runs (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    cycle TEXT NOT NULL CHECK (cycle IN ('monthly', 'annual')),
    period_start BIGINT NOT NULL,
    period_end BIGINT NOT NULL,
    billable_users BIGINT NOT NULL,
    by_rule TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    currency TEXT NOT NULL,
    invoice_number TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, period_start)
);
CREATE INDEX billing_runs_org ON billing_runs (org_id, period_start);
