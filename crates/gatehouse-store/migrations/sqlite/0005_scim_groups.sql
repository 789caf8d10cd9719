-- SCIM groups: org groups owned by a directory (read-only elsewhere); local again when the
-- directory is removed.

ALTER TABLE org_groups ADD COLUMN directory_id TEXT REFERENCES directories(id) ON DELETE SET NULL;

CREATE TABLE scim_groups (
    id TEXT PRIMARY KEY,
    directory_id TEXT NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
    group_id TEXT NOT NULL REFERENCES org_groups(id) ON DELETE CASCADE,
    display_name TEXT NOT NULL,
    display_name_folded TEXT NOT NULL,
    external_id TEXT,
    resource TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (directory_id, display_name_folded),
    UNIQUE (directory_id, external_id),
    UNIQUE (group_id)
);
CREATE INDEX scim_groups_directory ON scim_groups (directory_id, id);
