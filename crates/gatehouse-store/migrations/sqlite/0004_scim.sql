-- SCIM directories: an identity provider that provisions an organization's accounts.

CREATE TABLE directories (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX directories_org ON directories (org_id, id);

-- Bearer tokens are stored as SHA-256 digests; a rotated token keeps working until expires_at.
CREATE TABLE directory_tokens (
    id TEXT PRIMARY KEY,
    directory_id TEXT NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
    digest TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER
);
CREATE INDEX directory_tokens_directory ON directory_tokens (directory_id);

-- A provisioned user: the SCIM resource as the directory last wrote it, linked to its account.
CREATE TABLE scim_users (
    id TEXT PRIMARY KEY,
    directory_id TEXT NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    user_name TEXT NOT NULL,
    user_name_folded TEXT NOT NULL,
    external_id TEXT,
    email TEXT,
    active INTEGER NOT NULL,
    resource TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (directory_id, user_name_folded),
    UNIQUE (directory_id, external_id),
    UNIQUE (directory_id, account_id)
);
CREATE INDEX scim_users_directory ON scim_users (directory_id, id);
CREATE INDEX scim_users_email ON scim_users (directory_id, email);
