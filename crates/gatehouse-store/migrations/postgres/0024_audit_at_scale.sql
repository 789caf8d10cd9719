-- The audit log at any size (issue 18): every filter has an index that leads with the
-- organization and the filtered value and ends with the event id (which carries the time).
-- The actor type was the one without: `actor_type=api_key` read the whole log when it matched
-- nothing.
CREATE INDEX audit_events_actor_type ON audit_events (org_id, actor_type, id);

-- Free text: the trigram index leads with the organization too (btree_gin lets a GIN index
-- hold the plain org_id), so text rare in one organization is found without reading the
-- matches of every other one. It replaces the trigram index over all organizations.
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE INDEX audit_events_org_search ON audit_events USING gin (org_id, search_text gin_trgm_ops);
DROP INDEX audit_events_search;
