-- SCIM /Groups filters and sorts (RFC 7644 §3.4.2.2, §3.4.2.3) order the groups' text columns
-- as 0008 made the users' ones: by code point (the "C" collation), as SQLite's BINARY collation
-- and the filter's folded strings do, whatever the database's locale; the btree indexes on them
-- then also serve prefix LIKE.
--
-- Member filters (members[value eq "…"]) need no index of their own: from a named user,
-- group_members (org_id, account_id) finds its groups; from a group, the primary key
-- (group_id, account_id) answers, however many members it has.

ALTER TABLE scim_groups
    ALTER COLUMN id TYPE TEXT COLLATE "C",
    ALTER COLUMN display_name_folded TYPE TEXT COLLATE "C",
    ALTER COLUMN external_id TYPE TEXT COLLATE "C";
