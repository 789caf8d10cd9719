-- Every string, number and boolean of a provisioned user, by attribute path and element, so
-- SCIM filters on any attribute (emails.value, name.familyName, value paths) run as indexed SQL.

CREATE TABLE scim_user_values (
    directory_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES scim_users(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    element INTEGER NOT NULL,
    value TEXT NOT NULL,
    value_folded TEXT NOT NULL
);
CREATE INDEX scim_user_values_lookup ON scim_user_values (directory_id, path, value_folded);
CREATE INDEX scim_user_values_user ON scim_user_values (user_id);
