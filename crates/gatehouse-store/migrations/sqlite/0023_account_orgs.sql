-- The organizations an account belongs to, without reading every organization's accounts: a
-- status change (a billing fact in each of them) and the account's own pages look them up by
-- account. Before this, `WHERE account_id = ...` read all of org_accounts (6 ms at 100,000 rows,
-- 60 ms at 1,000,000, measured by the billing benchmark).
CREATE INDEX org_accounts_account ON org_accounts (account_id, org_id);
