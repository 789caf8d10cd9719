-- How many events each 3-character fragment of the search text is in, installation-wide,
-- estimated from a sample of events by the `audit-text-statistics` job. The trigram index
-- keeps no count of its own, and reading a fragment held by millions of events costs it
-- hundreds of milliseconds; with these counts a search reads the index only through rare
-- fragments. Only fragments common enough to matter are kept: one that is absent is rare.
CREATE TABLE audit_text_fragments (
    fragment TEXT PRIMARY KEY,
    events BIGINT NOT NULL
);

-- New entries wait in the trigram index's pending list until it reaches this size (kB), and
-- every search reads the whole list. At the default 4 MB a search read 233 pages of it
-- before its own postings (0.9 ms of a 1.2 ms lookup at 10,000,000 events), and the write
-- that found the list full merged it into the index, 150 ms; at 64 kB, 60 writes of 50
-- events took the same time in all, the slowest 8 ms against 45 ms.
ALTER INDEX audit_events_org_search SET (gin_pending_list_limit = 64);
