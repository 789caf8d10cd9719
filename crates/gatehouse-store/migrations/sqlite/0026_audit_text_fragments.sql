-- PostgreSQL keeps estimated counts of each text fragment's events in a table of this name.
-- Nothing to add here: SQLite's FTS5 index counts a fragment's events itself, exactly and in
-- microseconds, when a search asks.
SELECT 1;
