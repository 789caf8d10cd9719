-- PostgreSQL drops the foreign key from scim_user_values to scim_users here (its checks cost a
-- lookup per index row). SQLite keeps it: its checks run in-process and cost little, and dropping
-- it would mean rebuilding the table. The store deletes index rows itself on both engines.
SELECT 1;
