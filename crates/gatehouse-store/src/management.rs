//! Migration 0013's data step: only a verified domain makes an organization the manager of an
//! account, so every account managed by an organization that has not verified its email
//! domain becomes unmanaged, each with an `account.unmanaged` event in that organization's
//! audit log. It runs once, in the migration's transaction, and is recorded with it.
//!
//! Why a Rust step rather than SQL: an event id is a UUIDv7 minted from its time, and its
//! search text is core's (`AuditEvent::search_text`); writing either in SQL would copy both
//! rules, twice (one per engine). Here the events are core's own, written by the same inserts
//! as every other event.

use crate::db::Db;
use crate::dialect::Dialect;
use crate::json_rows::{EVENT_TARGETS, EVENTS, event_rows};
use crate::rows;
use crate::sql::Sql;
use gatehouse_core::audit::{Actor, AuditAction, AuditEvent, RequestMeta};
use gatehouse_core::{Result, Timestamp};
use serde_json::json;
use sqlx::AnyConnection;

/// Managed links whose organization has not verified the account's email domain.
const UNVERIFIED: &str = " FROM org_accounts oa JOIN accounts a ON a.id = oa.account_id WHERE oa.is_managed = 1 \
    AND NOT EXISTS (SELECT 1 FROM domains d WHERE d.org_id = oa.org_id AND d.name = a.email_domain \
    AND d.status = 'verified')";

/// Events written per insert.
const EVENTS_PER_INSERT: usize = 500;

/// Unmanages the accounts managed without a verified domain (see the module documentation).
/// A deletion such an organization scheduled is cancelled as well: no organization may carry
/// it out any more (the account stays as it is otherwise, deactivated if it was).
pub(crate) async fn unmanage_without_verified_domain(conn: &mut AnyConnection, dialect: Dialect) -> Result<usize> {
    let now = Timestamp::now();
    let mut q = Sql::new("SELECT oa.org_id, oa.managed_via, a.id, a.email, a.delete_after");
    q.push(UNVERIFIED);
    let found = q.fetch_all(&mut *conn).await?;
    let actor = Actor::system("migration 0013: only a verified domain makes an organization an account's manager");
    let mut events = Vec::with_capacity(found.len());
    for r in &found {
        let (org, account) = (rows::org_id(r)?, rows::account_id(r)?);
        let email = rows::s(r, "email")?;
        let delete_after = rows::ot(r, "delete_after")?;
        if delete_after.is_some() {
            Sql::new("UPDATE accounts SET delete_after = NULL WHERE id = $1")
                .with(account.to_string())
                .execute(&mut *conn)
                .await?;
        }
        let before = json!({
            "is_managed": true,
            "managed_via": rows::os(r, "managed_via")?,
            "delete_after": delete_after.map(Timestamp::to_rfc3339),
        });
        let after = json!({ "is_managed": false, "managed_via": null, "delete_after": null });
        events.push(
            AuditEvent::new(org, &actor, &RequestMeta::default(), AuditAction::AccountUnmanaged, now)
                .target("account", account, Some(&email))
                .before(&before)
                .after(&after),
        );
    }
    let mut update = Sql::new("UPDATE org_accounts SET is_managed = 0, managed_via = NULL WHERE is_managed = 1 AND ");
    update.push(
        "NOT EXISTS (SELECT 1 FROM accounts a JOIN domains d ON d.name = a.email_domain WHERE \
         a.id = org_accounts.account_id AND d.org_id = org_accounts.org_id AND d.status = 'verified')",
    );
    update.execute(&mut *conn).await?;
    let mut db = Db { conn, dialect };
    for chunk in events.chunks(EVENTS_PER_INSERT) {
        let (rows, targets) = event_rows(chunk)?;
        db.insert_rows(&EVENTS, &rows).await?;
        db.insert_rows(&EVENT_TARGETS, &targets).await?;
    }
    Ok(events.len())
}
