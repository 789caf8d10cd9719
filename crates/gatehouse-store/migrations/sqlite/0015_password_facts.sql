-- Password facts (issue 12): what was measured of an account's password when it was set, for
-- later password policies. NULL is unknown: a password set before this change (or no password;
-- password_hash tells the two apart). Never the password nor anything derived from it beyond
-- these: its length in characters, zxcvbn's score (0 to 4), whether it is on the bundled list
-- of common passwords (0 or 1), and when it was set (Unix milliseconds).
ALTER TABLE accounts ADD COLUMN password_length INTEGER;
ALTER TABLE accounts ADD COLUMN password_strength INTEGER CHECK (password_strength BETWEEN 0 AND 4);
ALTER TABLE accounts ADD COLUMN password_common INTEGER CHECK (password_common IN (0, 1));
ALTER TABLE accounts ADD COLUMN password_set_at INTEGER;
