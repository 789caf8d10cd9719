//! Writing a batch of newly provisioned users: their accounts, links, SCIM users, value index
//! and audit events, from the JSON rows `json_rows` builds. Apart from `json_rows` because it
//! is a method of the store itself, which the row builders must not depend on.

use crate::SqlStore;
use crate::error::db_err;
use crate::json_rows::{
    EVENT_TARGETS, EVENTS, EventRow, LinkRow, ORG_LINKS, SCIM_USERS, ScimUserRow, TargetRow, USER_VALUES, ValueRowJson,
    event_rows, link_row, push_value_rows, scim_user_row, statement, to_json,
};
use crate::sql::Sql;
use gatehouse_core::ids::AccountId;
use gatehouse_core::model::Account;
use gatehouse_core::ports::{NewProvisionedUser, OrgLink, ProvisionedUsers};
use gatehouse_core::{CoreError, Result, Timestamp};
use serde::Serialize;
use std::collections::HashSet;

/// New accounts of provisioned users: only those whose email no account has and whose email
/// domain's verification is still what core decided the link on (column 9: the organization
/// that verified it, empty for none); it answers the ids it wrote. The conflict target is the
/// unique email index, so no plan can scan.
const NEW_ACCOUNTS: &str = "INSERT INTO accounts (id, email, display_name, display_name_folded, status, created_at, \
    last_active_at, email_domain, delete_after) SELECT r ->> 0, r ->> 1, r ->> 2, r ->> 3, r ->> 4, \
    CAST(r ->> 5 AS BIGINT), CAST(r ->> 6 AS BIGINT), r ->> 7, CAST(r ->> 8 AS BIGINT) FROM ";
const NEW_ACCOUNTS_WHERE: &str = " WHERE COALESCE((SELECT d.org_id FROM domains d WHERE d.status = 'verified' \
    AND d.name = r ->> 7), '') = r ->> 9 ON CONFLICT (email) DO NOTHING RETURNING id";

/// A new account's row, with the organization its link assumes verified its domain last (for
/// the domain check).
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

fn account_row(a: &Account, link: &OrgLink) -> AccountRow {
    // Core links an account as managed only on a domain its organization verified, and as
    // unmanaged only on a domain nobody verified (another organization's goes alone).
    let verifier = if link.managed_via.is_some() {
        link.org.to_string()
    } else {
        String::new()
    };
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
        verifier,
    )
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
    links: Vec<LinkRow>,
    users: Vec<ScimUserRow<'a>>,
    values: Vec<ValueRowJson>,
    events: Vec<(EventRow, String)>,
    targets: Vec<(TargetRow, String)>,
}

impl<'a> Parts<'a> {
    fn of(users: impl Iterator<Item = &'a NewProvisionedUser>, at: Timestamp) -> Result<Self> {
        let mut p = Parts {
            links: Vec::new(),
            users: Vec::new(),
            values: Vec::new(),
            events: Vec::new(),
            targets: Vec::new(),
        };
        for n in users {
            let key = n.account.id.to_string();
            p.links.push(link_row(&n.link, at));
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
        let at = p.linked_at;
        let accounts = to_json(
            &p.users
                .iter()
                .map(|n| account_row(&n.account, &n.link))
                .collect::<Vec<_>>(),
        )?;
        let written = if self.dialect.writes_batches_as_one_statement() {
            self.write_provisioned_at_once(p, at, accounts).await?
        } else {
            self.write_provisioned_in_tx(p, at, accounts).await?
        };
        // The new links start marked; their organizations count them now (until then the
        // tallies' reader counts marked accounts itself).
        let orgs: std::collections::BTreeSet<_> = p.users.iter().map(|n| n.link.org).collect();
        let mut db = crate::Db {
            conn: self.writer.begin().await.map_err(db_err)?,
            dialect: self.dialect,
        };
        for org in orgs {
            db.billing_lock(org).await?;
            db.billing_refresh(org).await?;
        }
        db.conn.commit().await.map_err(db_err)?;
        Ok(written)
    }

    /// One statement, each insert a `WITH` clause; the accounts go first, and every other
    /// clause keeps only the rows of the accounts that went in.
    async fn write_provisioned_at_once(
        &self,
        p: &ProvisionedUsers<'_>,
        at: Timestamp,
        accounts: String,
    ) -> Result<HashSet<AccountId>> {
        let d = self.dialect;
        let parts = Parts::of(p.users.iter(), at)?;
        // Each clause: its insert, its rows, and what keeps only the rows of accounts
        // written (the values: of SCIM users written), up to the next clause.
        let clauses = [
            (
                ORG_LINKS.head,
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
        at: Timestamp,
        accounts: String,
    ) -> Result<HashSet<AccountId>> {
        let d = self.dialect;
        let mut tx = self.writer.begin().await.map_err(db_err)?;
        let mut q = Sql::new(NEW_ACCOUNTS);
        d.push_rows(&mut q, accounts);
        q.push(NEW_ACCOUNTS_WHERE);
        let written = written_ids(&q.fetch_all(&mut tx).await?)?;
        let kept = p.users.iter().filter(|n| written.contains(&n.account.id));
        let parts = Parts::of(kept, at)?;
        let events: Vec<&EventRow> = parts.events.iter().map(|(r, _)| r).collect();
        let targets: Vec<&TargetRow> = parts.targets.iter().map(|(r, _)| r).collect();
        for (insert, json) in [
            (&ORG_LINKS, to_json(&parts.links)?),
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
