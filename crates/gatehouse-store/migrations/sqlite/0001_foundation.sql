-- Foundation: organizations, accounts, products, groups, access, admins, API keys, audit.
-- Times are integer milliseconds since the Unix epoch (UTC); ids are UUIDv7 text.

CREATE TABLE orgs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    plan TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    display_name_folded TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'deactivated')),
    created_at INTEGER NOT NULL,
    last_active_at INTEGER
);

CREATE TABLE org_accounts (
    org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    is_managed INTEGER NOT NULL CHECK (is_managed IN (0, 1)),
    added_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, account_id)
);
CREATE UNIQUE INDEX org_accounts_one_manager ON org_accounts (account_id) WHERE is_managed = 1;

CREATE TABLE instances (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    product TEXT NOT NULL,
    name TEXT NOT NULL,
    url TEXT NOT NULL UNIQUE,
    edition TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX instances_org ON instances (org_id, id);

CREATE TABLE org_groups (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (org_id, name_folded)
);
CREATE INDEX org_groups_org ON org_groups (org_id, id);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES org_groups(id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    org_id TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, account_id),
    FOREIGN KEY (org_id, account_id) REFERENCES org_accounts(org_id, account_id) ON DELETE CASCADE
);
CREATE INDEX group_members_account ON group_members (org_id, account_id);

CREATE TABLE product_access (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    instance_id TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
    account_id TEXT,
    group_id TEXT REFERENCES org_groups(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    CHECK ((account_id IS NULL) <> (group_id IS NULL)),
    UNIQUE (instance_id, account_id),
    UNIQUE (instance_id, group_id),
    FOREIGN KEY (org_id, account_id) REFERENCES org_accounts(org_id, account_id) ON DELETE CASCADE
);
CREATE INDEX product_access_org ON product_access (org_id, id);
CREATE INDEX product_access_account ON product_access (org_id, account_id);
CREATE INDEX product_access_group ON product_access (group_id);

CREATE TABLE org_admins (
    org_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, account_id),
    FOREIGN KEY (org_id, account_id) REFERENCES org_accounts(org_id, account_id) ON DELETE CASCADE
);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    digest TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER,
    last_used_at INTEGER
);
CREATE INDEX api_keys_org ON api_keys (org_id, id);

-- Event ids are UUIDv7 minted from occurred_at, so id order is time order and a time range
-- is an id range on the same index.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    actor_type TEXT NOT NULL,
    actor_id TEXT,
    actor_label TEXT NOT NULL,
    action TEXT NOT NULL,
    targets TEXT NOT NULL,
    ip TEXT,
    user_agent TEXT,
    changes TEXT NOT NULL,
    search_text TEXT NOT NULL
);
CREATE INDEX audit_events_org ON audit_events (org_id, id);
CREATE INDEX audit_events_action ON audit_events (org_id, action, id);
CREATE INDEX audit_events_actor ON audit_events (org_id, actor_id, id);
CREATE INDEX audit_events_ip ON audit_events (org_id, ip, id);

CREATE TABLE audit_targets (
    org_id TEXT NOT NULL,
    target_id TEXT NOT NULL,
    event_id TEXT NOT NULL REFERENCES audit_events(id) ON DELETE CASCADE,
    PRIMARY KEY (org_id, target_id, event_id)
);
CREATE INDEX audit_targets_event ON audit_targets (event_id);

CREATE TABLE job_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);

-- Free-text search over events: an FTS5 trigram index matches any substring of 3+ characters
-- without scanning the log.
CREATE VIRTUAL TABLE audit_search USING fts5(
    search_text, content = 'audit_events', content_rowid = 'rowid', tokenize = 'trigram'
);
CREATE TRIGGER audit_events_search_insert AFTER INSERT ON audit_events BEGIN
    INSERT INTO audit_search (rowid, search_text) VALUES (new.rowid, new.search_text);
END;
CREATE TRIGGER audit_events_search_delete AFTER DELETE ON audit_events BEGIN
    INSERT INTO audit_search (audit_search, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
END;
