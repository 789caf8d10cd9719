-- Sessions you can see and revoke, and admin rights by invitation (issue 12, items 3 and 5).

-- A session gets a public id: people and admins name it by this id, never by the digest of
-- its token (which finds it from the cookie and is never served). SQLite cannot add a NOT NULL
-- UNIQUE column to a table with rows, so the table is rebuilt; existing sessions get a
-- UUIDv7-shaped id from their creation time and random bits.
CREATE TABLE sessions_new (
    digest TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    ip TEXT,
    user_agent TEXT
);
INSERT INTO sessions_new (digest, id, account_id, csrf, created_at, last_seen_at, expires_at, ip, user_agent)
SELECT digest,
       printf('%08x-%04x-7%03x-%04x-%012x', created_at >> 16, created_at & 65535, abs(random()) % 4096,
              32768 | (abs(random()) % 16384), abs(random()) % 281474976710656),
       account_id, csrf, created_at, last_seen_at, expires_at, ip, user_agent
FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);

-- An invitation to become an admin of an organization that does not manage the account. One
-- per organization and account; it goes when the account leaves the organization.
CREATE TABLE admin_invitations (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    email TEXT NOT NULL,
    invited_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    FOREIGN KEY (org_id, account_id) REFERENCES org_accounts(org_id, account_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX admin_invitations_pair ON admin_invitations (org_id, account_id);
CREATE INDEX admin_invitations_account ON admin_invitations (account_id);
