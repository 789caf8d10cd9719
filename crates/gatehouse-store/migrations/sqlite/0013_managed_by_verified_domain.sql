-- Only a verified domain makes an organization the manager of an account (issue 11).
--
-- A directory that makes an account its organization does not manage inactive suspends it in
-- that organization only: its access to the organization's instances ends while the
-- suspension lasts, and the account itself is untouched. NULL: not suspended.
ALTER TABLE org_accounts ADD COLUMN suspended_at INTEGER;

-- Then the migration's data step (store/src/management.rs), in the same transaction: every
-- account managed by an organization that has not verified its email domain becomes
-- unmanaged, each with an `account.unmanaged` event in that organization's audit log.
