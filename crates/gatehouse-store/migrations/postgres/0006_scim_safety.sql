-- The deactivation safety valve: past a per-directory hourly limit, destructive SCIM changes
-- are held for an admin to release or discard.

ALTER TABLE directories ADD COLUMN deactivation_limit_per_hour BIGINT NOT NULL DEFAULT 50;

CREATE TABLE scim_held_operations (
    id TEXT PRIMARY KEY,
    directory_id TEXT NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
    resource_id TEXT NOT NULL,
    method TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (directory_id, resource_id)
);
