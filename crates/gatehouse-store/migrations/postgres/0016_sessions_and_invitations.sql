-- Sessions you can see and revoke, and admin rights by invitation (issue 12, items 3 and 5).

-- A session gets a public id: people and admins name it by this id, never by the digest of
-- its token (which finds it from the cookie and is never served). Existing sessions get a
-- UUIDv7-shaped id from their creation time and random bits.
ALTER TABLE sessions ADD COLUMN id TEXT;
UPDATE sessions SET id =
    lpad(to_hex(created_at >> 16), 8, '0') || '-' || lpad(to_hex(created_at & 65535), 4, '0') || '-7'
    || lpad(to_hex((random() * 4095)::int), 3, '0') || '-' || to_hex(32768 | (random() * 16383)::int) || '-'
    || lpad(to_hex((random() * 281474976710655)::bigint), 12, '0');
ALTER TABLE sessions ALTER COLUMN id SET NOT NULL;
CREATE UNIQUE INDEX sessions_id ON sessions (id);

-- An invitation to become an admin of an organization that does not manage the account. One
-- per organization and account; it goes when the account leaves the organization.
CREATE TABLE admin_invitations (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    email TEXT NOT NULL,
    invited_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    FOREIGN KEY (org_id, account_id) REFERENCES org_accounts(org_id, account_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX admin_invitations_pair ON admin_invitations (org_id, account_id);
CREATE INDEX admin_invitations_account ON admin_invitations (account_id);
