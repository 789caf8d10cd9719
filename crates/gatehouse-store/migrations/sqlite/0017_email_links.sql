-- Emailed links (issue 12): a sign-up confirmation or an email change, each proving that whoever
-- follows it reads the address. Only the token's digest is stored; a link is taken (deleted) by
-- one conditional statement, so it works once however many times it is followed at once.
CREATE TABLE email_links (
    digest TEXT PRIMARY KEY,
    purpose TEXT NOT NULL CHECK (purpose IN ('signup', 'email_change')),
    -- The address the link was mailed to (normalized): the new account's, or the new address.
    email TEXT NOT NULL,
    -- The account whose address changes; none for a sign-up.
    account_id TEXT REFERENCES accounts(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX email_links_expiry ON email_links (expires_at);
CREATE INDEX email_links_account ON email_links (account_id);

-- When a mailed link last proved the account reads its address (sign-up, email change, a
-- reset link used); none until then, and none again once the address changes otherwise.
ALTER TABLE accounts ADD COLUMN email_verified_at INTEGER;
