-- The audit log at any size (issue 18): every filter has an index that leads with the
-- organization and the filtered value and ends with the event id (which carries the time).
-- The actor type was the one without: `actor_type=api_key` read the whole log when it matched
-- nothing.
CREATE INDEX audit_events_actor_type ON audit_events (org_id, actor_type, id);
