-- The console filters the audit log by an actor and an action together. With this index that
-- pair is read directly, newest first, like every single filter: through the actor's index
-- alone, an actor who never did the action had every one of their events checked, up to the
-- scan budget, on every page.
CREATE INDEX audit_events_actor_action ON audit_events (org_id, actor_id, action, id);
