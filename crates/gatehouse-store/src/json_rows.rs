//! Multi-row inserts whose rows arrive as one bound JSON array.
//!
//! A `VALUES (...), (...)` list has a different text for every number of rows, so each batch
//! size is prepared anew (on PostgreSQL a round trip of its own) and crowds the statement
//! cache. Here every insert reads its rows from a single parameter: the text is the same for
//! one row or five hundred, and each engine prepares it once per connection.
//!
//! A row is a JSON array, its columns by position; `r ->> n` reads column `n` as text (a
//! number as its digits) on both engines, and `CAST` gives the column its type.

use crate::db::Db;
use crate::dialect::Dialect;
use crate::sql::Sql;
use gatehouse_core::audit::AuditEvent;
use gatehouse_core::directory::ScimUser;
use gatehouse_core::ports::{ManagedVia, OrgLink};
use gatehouse_core::{CoreError, Result, Timestamp};
use serde::Serialize;
use sqlx::AnyConnection;

/// One table's insert: the statement up to its row source, and the conflict clause that
/// follows the rows' `WHERE`.
pub(crate) struct Insert {
    pub(crate) head: &'static str,
    on_conflict: &'static str,
}

/// Links of accounts to organizations (organization, account, managed, linked at, how it is
/// managed or null, suspended since or null); a link already there stays as it is.
pub(crate) const ORG_LINKS: Insert = Insert {
    head: "INSERT INTO org_accounts (org_id, account_id, is_managed, added_at, managed_via, suspended_at) \
           SELECT r ->> 0, r ->> 1, CAST(r ->> 2 AS BIGINT), CAST(r ->> 3 AS BIGINT), r ->> 4, \
           CAST(r ->> 5 AS BIGINT) FROM ",
    on_conflict: " ON CONFLICT DO NOTHING",
};

pub(crate) const SCIM_USERS: Insert = Insert {
    head: "INSERT INTO scim_users (id, directory_id, account_id, user_name, user_name_folded, external_id, email, \
           active, resource, version, created_at, updated_at) SELECT r ->> 0, r ->> 1, r ->> 2, r ->> 3, r ->> 4, \
           r ->> 5, r ->> 6, CAST(r ->> 7 AS BIGINT), r ->> 8, CAST(r ->> 9 AS BIGINT), CAST(r ->> 10 AS BIGINT), \
           CAST(r ->> 11 AS BIGINT) FROM ",
    on_conflict: "",
};

pub(crate) const USER_VALUES: Insert = Insert {
    head: "INSERT INTO scim_user_values (directory_id, user_id, path, element, value, value_folded, value_num, \
           value_time) SELECT r ->> 0, r ->> 1, r ->> 2, CAST(r ->> 3 AS BIGINT), r ->> 4, r ->> 5, \
           CAST(r ->> 6 AS DOUBLE PRECISION), CAST(r ->> 7 AS BIGINT) FROM ",
    on_conflict: "",
};

pub(crate) const EVENTS: Insert = Insert {
    head: "INSERT INTO audit_events (id, org_id, occurred_at, actor_type, actor_id, actor_label, action, targets, ip, \
           user_agent, changes, search_text) SELECT r ->> 0, r ->> 1, CAST(r ->> 2 AS BIGINT), r ->> 3, r ->> 4, \
           r ->> 5, r ->> 6, r ->> 7, r ->> 8, r ->> 9, r ->> 10, r ->> 11 FROM ",
    on_conflict: "",
};

/// Memberships (group, account, organization, added at); one already there stays as it is.
pub(crate) const GROUP_MEMBERS: Insert = Insert {
    head: "INSERT INTO group_members (group_id, account_id, org_id, added_at) \
           SELECT r ->> 0, r ->> 1, r ->> 2, CAST(r ->> 3 AS BIGINT) FROM ",
    on_conflict: " ON CONFLICT DO NOTHING",
};

/// Rows per insert where a call may bring many: one bounded JSON parameter each.
pub(crate) const ROWS_PER_INSERT: usize = 5000;

/// An event may name the same target twice; the index keeps it once.
pub(crate) const EVENT_TARGETS: Insert = Insert {
    head: "INSERT INTO audit_targets (org_id, target_id, event_id) SELECT r ->> 0, r ->> 1, r ->> 2 FROM ",
    on_conflict: " ON CONFLICT DO NOTHING",
};

/// Rows as the JSON text one insert binds.
pub(crate) fn to_json<R: Serialize>(rows: &[R]) -> Result<String> {
    serde_json::to_string(rows).map_err(CoreError::internal)
}

/// The statement for one insert of `json` rows.
pub(crate) fn statement(dialect: Dialect, insert: &Insert, json: String) -> Sql {
    let mut q = Sql::new(insert.head);
    dialect.push_rows(&mut q, json);
    // `WHERE true`: SQLite would otherwise read an `ON CONFLICT` as the start of a join constraint.
    q.push(" WHERE true").push(insert.on_conflict);
    q
}

impl<C: std::ops::DerefMut<Target = AnyConnection> + Send> Db<C> {
    /// Inserts the rows (nothing when there are none); returns how many went in.
    pub(crate) async fn insert_rows<R: Serialize>(&mut self, insert: &Insert, rows: &[R]) -> Result<u64> {
        if rows.is_empty() {
            return Ok(0);
        }
        statement(self.dialect, insert, to_json(rows)?).execute(self.c()).await
    }
}

/// A link's row: organization, account, managed (1 or 0), linked at, how it is managed, and
/// suspended since.
pub(crate) type LinkRow = (String, String, i64, i64, Option<&'static str>, Option<i64>);

pub(crate) fn link_row(l: &OrgLink, at: Timestamp) -> LinkRow {
    (
        l.org.to_string(),
        l.account.to_string(),
        i64::from(l.managed_via.is_some()),
        at.millis(),
        l.managed_via.map(ManagedVia::as_str),
        l.suspended_at.map(Timestamp::millis),
    )
}

pub(crate) type ScimUserRow<'a> = (
    &'a str,
    String,
    String,
    &'a str,
    String,
    Option<&'a str>,
    Option<String>,
    i64,
    &'a str,
    i64,
    i64,
    i64,
);

pub(crate) fn scim_user_row(u: &ScimUser) -> ScimUserRow<'_> {
    (
        &u.id,
        u.directory_id.to_string(),
        u.account_id.to_string(),
        &u.user_name,
        u.user_name.to_lowercase(),
        u.external_id.as_deref(),
        u.email.as_ref().map(|e| e.to_lowercase()),
        i64::from(u.active),
        &u.resource,
        u.version,
        u.created_at.millis(),
        u.updated_at.millis(),
    )
}

pub(crate) type ValueRowJson = (String, String, String, i64, String, String, Option<f64>, Option<i64>);

/// The value-index rows of users' resources.
pub(crate) fn value_rows(users: &[ScimUser]) -> Vec<ValueRowJson> {
    let mut out = Vec::new();
    for u in users {
        push_value_rows(&u.directory_id.to_string(), &u.id, &u.resource, &mut out);
    }
    out
}

/// Appends the value-index rows of one user's resource.
pub(crate) fn push_value_rows(dir: &str, user: &str, resource: &str, out: &mut Vec<ValueRowJson>) {
    for v in crate::value_rows::flatten(resource) {
        let folded = v.value.to_lowercase();
        out.push((
            dir.to_owned(),
            user.to_owned(),
            v.path,
            v.element,
            v.value,
            folded,
            v.num,
            v.time,
        ));
    }
}

pub(crate) type EventRow = (
    String,
    String,
    i64,
    &'static str,
    Option<String>,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
);

/// An event target's row: organization, target, event.
pub(crate) type TargetRow = (String, String, String);

pub(crate) fn event_rows(events: &[AuditEvent]) -> Result<(Vec<EventRow>, Vec<TargetRow>)> {
    let mut rows = Vec::with_capacity(events.len());
    let mut targets = Vec::new();
    for e in events {
        rows.push((
            e.id.to_string(),
            e.org_id.to_string(),
            e.occurred_at.millis(),
            e.actor.kind.as_str(),
            e.actor.id.clone(),
            e.actor.label.clone(),
            e.action.clone(),
            serde_json::to_string(&e.targets).map_err(CoreError::internal)?,
            e.ip.clone(),
            e.user_agent.clone(),
            serde_json::to_string(&e.changes).map_err(CoreError::internal)?,
            e.search_text(),
        ));
        for t in &e.targets {
            targets.push((e.org_id.to_string(), t.id.clone(), e.id.to_string()));
        }
    }
    Ok((rows, targets))
}
