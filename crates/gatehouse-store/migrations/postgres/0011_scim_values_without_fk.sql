-- The SCIM value index is derived from scim_users.resource and rewritten with it; the store
-- deletes a user's rows itself wherever the user goes (delete_scim_user, delete_directory,
-- delete_account). A foreign key would check every index row on every write: one check per
-- value of every provisioned user, the largest share of PostgreSQL's cost per row here.
ALTER TABLE scim_user_values DROP CONSTRAINT IF EXISTS scim_user_values_user_id_fkey;
