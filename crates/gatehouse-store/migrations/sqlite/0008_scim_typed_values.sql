-- Typed copies of indexed SCIM values, so filters and sorts compare JSON numbers numerically and
-- RFC 3339 dateTimes as instants (RFC 7644 §3.4.2.2, §3.4.2.3): value_num holds a number's value,
-- value_time a dateTime string's instant in epoch milliseconds (UTC). Each is NULL for every other
-- value, so a string never compares as a number.
--
-- Existing rows: the migration runner rebuilds every user's value index from its resource in the
-- same transaction (migrate.rs, data_step): SQL cannot tell a JSON number from a numeric string.

ALTER TABLE scim_user_values ADD COLUMN value_num REAL;
ALTER TABLE scim_user_values ADD COLUMN value_time INTEGER;
CREATE INDEX scim_user_values_num ON scim_user_values (directory_id, path, value_num) WHERE value_num IS NOT NULL;
CREATE INDEX scim_user_values_time ON scim_user_values (directory_id, path, value_time) WHERE value_time IS NOT NULL;
