//! Multi-row inserts whose rows arrive as one bound JSON array.
//!
//! A `VALUES (...), (...)` list has a different text for every number of rows, so each batch
//! size is prepared anew (on PostgreSQL a round trip of its own) and crowds the statement
//! cache. Here every insert reads its rows from a single parameter: the text is the same for
//! one row or five hundred, and each engine prepares it once per connection.
//!
//! A row is a JSON array, its columns by position; `r ->> n` reads column `n` as text (a
//! number as its digits) on both engines, and `CAST` gives the column its type.

use crate::dialect::Dialect;
use crate::error::db_err;
use crate::sql::Sql;
use crate::{Db, SqlStore};
use gatehouse_core::audit::AuditEvent;
use gatehouse_core::directory::ScimUser;
use gatehouse_core::ids::{AccountId, OrgId};
use gatehouse_core::model::Account;
use gatehouse_core::ports::{NewProvisionedUser, ProvisionedUsers};
use gatehouse_core::{CoreError, Result};
use serde::Serialize;
use sqlx::AnyConnection;
use std::collections::HashSet;

/// One table's insert: the statement up to its row source, and the conflict clause that
/// follows the rows' `WHERE`.
pub(crate) struct Insert {
    head: &'static str,
    on_conflict: &'static str,
}

/// Managed links (organization, account, linked at, how); a link already there stays as it is.
pub(crate) const MANAGED_LINKS: Insert = Insert {
    head: "INSERT INTO org_accounts (org_id, account_id, is_managed, added_at, managed_via) \
           SELECT r ->> 0, r ->> 1, 1, CAST(r ->> 2 AS BIGINT), r ->> 3 FROM ",
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

/// New accounts of provisioned users: only those whose email no account has and whose email
/// domain no other organization has verified (column 9 is the organization); it answers the
/// ids it wrote. The conflict target is the unique email index, so no plan can scan.
const NEW_ACCOUNTS: &str = "INSERT INTO accounts (id, email, display_name, display_name_folded, status, created_at, \
    last_active_at, email_domain, delete_after) SELECT r ->> 0, r ->> 1, r ->> 2, r ->> 3, r ->> 4, \
    CAST(r ->> 5 AS BIGINT), CAST(r ->> 6 AS BIGINT), r ->> 7, CAST(r ->> 8 AS BIGINT) FROM ";
const NEW_ACCOUNTS_WHERE: &str = " WHERE NOT EXISTS (SELECT 1 FROM domains d WHERE d.status = 'verified' \
    AND d.name = r ->> 7 AND d.org_id <> r ->> 9) ON CONFLICT (email) DO NOTHING RETURNING id";

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

/// A new account's row, with its managing organization last (for the domain check).
type AccountRow = (
    String,
    String,
    String,
    String,
    &'static str,
    i64,
    Option<i64>,
    String,
    Option<i64>,
    String,
);

fn account_row(a: &Account, org: OrgId) -> AccountRow {
    (
        a.id.to_string(),
        a.email.clone(),
        a.display_name.clone(),
        a.display_name.to_lowercase(),
        a.status.as_str(),
        a.created_at.millis(),
        a.last_active_at.map(gatehouse_core::Timestamp::millis),
        crate::db::email_domain(&a.email),
        a.delete_after.map(gatehouse_core::Timestamp::millis),
        org.to_string(),
    )
}

pub(crate) fn link_row(org: OrgId, account: AccountId, at: i64, via: &str) -> (String, String, i64, &str) {
    (org.to_string(), account.to_string(), at, via)
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
    for v in crate::scim::flatten(resource) {
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

/// Rows with a trailing column naming the account each belongs to, so a statement can keep
/// only the rows of the accounts it wrote.
fn keyed<R: Serialize>(rows: &[(R, String)]) -> Result<String> {
    let mut out = Vec::with_capacity(rows.len());
    for (row, key) in rows {
        let mut v = serde_json::to_value(row).map_err(CoreError::internal)?;
        if let serde_json::Value::Array(cols) = &mut v {
            cols.push(serde_json::Value::String(key.clone()));
        }
        out.push(v);
    }
    to_json(&out)
}

/// The rows of provisioned users beyond their accounts; events and targets keyed by the
/// account they belong to.
struct Parts<'a> {
    links: Vec<(String, String, i64, &'a str)>,
    users: Vec<ScimUserRow<'a>>,
    values: Vec<ValueRowJson>,
    events: Vec<(EventRow, String)>,
    targets: Vec<(TargetRow, String)>,
}

impl<'a> Parts<'a> {
    fn of(users: impl Iterator<Item = &'a NewProvisionedUser>, at: i64, via: &'a str) -> Result<Self> {
        let mut p = Parts {
            links: Vec::new(),
            users: Vec::new(),
            values: Vec::new(),
            events: Vec::new(),
            targets: Vec::new(),
        };
        for n in users {
            let key = n.account.id.to_string();
            p.links.push(link_row(n.org, n.account.id, at, via));
            p.users.push(scim_user_row(&n.user));
            push_value_rows(
                &n.user.directory_id.to_string(),
                &n.user.id,
                &n.user.resource,
                &mut p.values,
            );
            let (e, t) = event_rows(std::slice::from_ref(&n.event))?;
            p.events.extend(e.into_iter().map(|r| (r, key.clone())));
            p.targets.extend(t.into_iter().map(|r| (r, key.clone())));
        }
        Ok(p)
    }
}

impl SqlStore {
    /// Writes newly provisioned users (see `Store::insert_provisioned_users`).
    ///
    /// On PostgreSQL it is one statement, each insert a data-modifying `WITH` clause: one
    /// round trip, atomic without a transaction around it, foreign keys checked at its end.
    /// The accounts go first, and every other clause keeps only the rows of the accounts that
    /// went in. SQLite, in-process, runs the inserts in a transaction, the accounts first.
    pub(crate) async fn write_provisioned(&self, p: &ProvisionedUsers<'_>) -> Result<HashSet<AccountId>> {
        let at = p.linked_at.millis();
        let accounts = to_json(
            &p.users
                .iter()
                .map(|n| account_row(&n.account, n.org))
                .collect::<Vec<_>>(),
        )?;
        if self.dialect.writes_batches_as_one_statement() {
            self.write_provisioned_at_once(p, at, accounts).await
        } else {
            self.write_provisioned_in_tx(p, at, accounts).await
        }
    }

    /// One statement, each insert a `WITH` clause; the accounts go first, and every other
    /// clause keeps only the rows of the accounts that went in.
    async fn write_provisioned_at_once(
        &self,
        p: &ProvisionedUsers<'_>,
        at: i64,
        accounts: String,
    ) -> Result<HashSet<AccountId>> {
        let d = self.dialect;
        let parts = Parts::of(p.users.iter(), at, p.via.as_str())?;
        // Each clause: its insert, its rows, and what keeps only the rows of accounts
        // written (the values: of SCIM users written), up to the next clause.
        let clauses = [
            (
                MANAGED_LINKS.head,
                to_json(&parts.links)?,
                " WHERE r ->> 1 IN (SELECT id FROM a)), u AS (",
            ),
            (
                SCIM_USERS.head,
                to_json(&parts.users)?,
                " WHERE r ->> 2 IN (SELECT id FROM a) RETURNING id), v AS (",
            ),
            (
                USER_VALUES.head,
                to_json(&parts.values)?,
                " WHERE r ->> 1 IN (SELECT id FROM u)), e AS (",
            ),
            (
                EVENTS.head,
                keyed(&parts.events)?,
                " WHERE r ->> 12 IN (SELECT id FROM a)), t AS (",
            ),
            (
                EVENT_TARGETS.head,
                keyed(&parts.targets)?,
                " WHERE r ->> 3 IN (SELECT id FROM a) ON CONFLICT DO NOTHING) SELECT id FROM a",
            ),
        ];
        let mut q = Sql::new("WITH a AS (");
        q.push(NEW_ACCOUNTS);
        d.push_rows(&mut q, accounts);
        q.push(NEW_ACCOUNTS_WHERE).push("), l AS (");
        for (head, json, rest) in clauses {
            q.push(head);
            d.push_rows(&mut q, json);
            q.push(rest);
        }
        let mut conn = self.writer.acquire().await.map_err(db_err)?;
        let rows = q.fetch_all(&mut conn).await?;
        written_ids(&rows)
    }

    /// The accounts first, then the rest for the accounts written, in one transaction.
    async fn write_provisioned_in_tx(
        &self,
        p: &ProvisionedUsers<'_>,
        at: i64,
        accounts: String,
    ) -> Result<HashSet<AccountId>> {
        let d = self.dialect;
        let mut tx = self.writer.begin().await.map_err(db_err)?;
        let mut q = Sql::new(NEW_ACCOUNTS);
        d.push_rows(&mut q, accounts);
        q.push(NEW_ACCOUNTS_WHERE);
        let written = written_ids(&q.fetch_all(&mut tx).await?)?;
        let kept = p.users.iter().filter(|n| written.contains(&n.account.id));
        let parts = Parts::of(kept, at, p.via.as_str())?;
        let events: Vec<&EventRow> = parts.events.iter().map(|(r, _)| r).collect();
        let targets: Vec<&TargetRow> = parts.targets.iter().map(|(r, _)| r).collect();
        for (insert, json) in [
            (&MANAGED_LINKS, to_json(&parts.links)?),
            (&SCIM_USERS, to_json(&parts.users)?),
            (&USER_VALUES, to_json(&parts.values)?),
            (&EVENTS, to_json(&events)?),
            (&EVENT_TARGETS, to_json(&targets)?),
        ] {
            statement(d, insert, json).execute(&mut tx).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(written)
    }
}

fn written_ids(rows: &[sqlx::any::AnyRow]) -> Result<HashSet<AccountId>> {
    rows.iter()
        .map(|r| AccountId::parse(&crate::rows::s(r, "id")?).map_err(CoreError::internal))
        .collect()
}
