-- SCIM /Groups filters and sorts (RFC 7644 §3.4.2.2, §3.4.2.3). Nothing to change here: SQLite
-- orders text by code point (BINARY) already, which PostgreSQL's migration of the same name
-- brings its columns to; and member filters are served by the group_members primary key
-- (group_id, account_id) and its (org_id, account_id) index.
SELECT 1;
