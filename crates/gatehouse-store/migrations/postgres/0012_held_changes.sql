-- Held changes are typed: `kind` says what releasing one does (`replace` or `delete`) and
-- `change` holds it as JSON, instead of an HTTP method and body replayed at release. Held
-- deletions carry nothing more, so they are rewritten here; PUT and PATCH rows written before
-- keep their kind and body as sent, and the SCIM edge turns them into replacements at release
-- (a PATCH needs the SCIM PATCH engine and the user as it is then).

ALTER TABLE scim_held_operations RENAME COLUMN method TO kind;
ALTER TABLE scim_held_operations RENAME COLUMN body TO change;
UPDATE scim_held_operations SET kind = 'delete', change = '{}' WHERE kind = 'DELETE';
