-- Typed copies of indexed SCIM values, so filters and sorts compare JSON numbers numerically and
-- RFC 3339 dateTimes as instants (RFC 7644 §3.4.2.2, §3.4.2.3): value_num holds a number's value,
-- value_time a dateTime string's instant in epoch milliseconds (UTC). Each is NULL for every other
-- value, so a string never compares as a number.
--
-- Existing rows: the migration runner rebuilds every user's value index from its resource in the
-- same transaction (migrate.rs, data_step): SQL cannot tell a JSON number from a numeric string.
--
-- The text SCIM filters order (gt/ge/lt/le, sortBy) and the attribute paths take the "C" collation:
-- code-point order, as SQLite's BINARY collation and the filter's folded strings compare, whatever
-- the database's locale; it also lets the btree indexes serve prefix LIKE and path ranges.

ALTER TABLE scim_user_values
    ADD COLUMN value_num DOUBLE PRECISION,
    ADD COLUMN value_time BIGINT,
    ALTER COLUMN path TYPE TEXT COLLATE "C",
    ALTER COLUMN value TYPE TEXT COLLATE "C",
    ALTER COLUMN value_folded TYPE TEXT COLLATE "C";
ALTER TABLE scim_users
    ALTER COLUMN user_name_folded TYPE TEXT COLLATE "C",
    ALTER COLUMN external_id TYPE TEXT COLLATE "C",
    ALTER COLUMN email TYPE TEXT COLLATE "C";
CREATE INDEX scim_user_values_num ON scim_user_values (directory_id, path, value_num) WHERE value_num IS NOT NULL;
CREATE INDEX scim_user_values_time ON scim_user_values (directory_id, path, value_time) WHERE value_time IS NOT NULL;
