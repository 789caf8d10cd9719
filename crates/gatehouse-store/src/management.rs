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
use gatehouse_core::ids::AccountId;
use gatehouse_core::{CoreError, Result, Timestamp};
use serde_json::json;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

/// Managed links whose organization has not verified the account's email domain.
const UNVERIFIED: &str = " FROM org_accounts oa JOIN accounts a ON a.id = oa.account_id WHERE oa.is_managed = 1 \
    AND NOT EXISTS (SELECT 1 FROM domains d WHERE d.org_id = oa.org_id AND d.name = a.email_domain \
    AND d.status = 'verified')";

/// Links read (and events written) at a time, so memory stays bounded on a large database.
const CHUNK: i64 = 1000;

/// Unmanages the accounts managed without a verified domain (see the module documentation).
/// A deletion such an organization scheduled is cancelled as well: no organization may carry
/// it out any more (the account stays as it is otherwise, deactivated if it was).
pub(crate) async fn unmanage_without_verified_domain(conn: &mut AnyConnection, dialect: Dialect) -> Result<usize> {
    unmanage_in_chunks(conn, dialect, CHUNK).await
}

async fn unmanage_in_chunks(conn: &mut AnyConnection, dialect: Dialect, chunk: i64) -> Result<usize> {
    let now = Timestamp::now();
    let actor = Actor::system("migration 0013: only a verified domain makes an organization an account's manager");
    let mut db = Db { conn, dialect };
    let mut after: Option<(String, String)> = None;
    let mut total = 0;
    // The events first, a chunk at a time in (organization, account) order; the links they
    // describe change afterwards, all at once, under the same condition in the same
    // transaction.
    loop {
        let mut q = Sql::new("SELECT oa.org_id, oa.account_id, oa.managed_via, a.email, a.delete_after");
        q.push(UNVERIFIED);
        if let Some((org, account)) = &after {
            q.push(" AND (oa.org_id > ")
                .bind(org.clone())
                .push(" OR (oa.org_id = ")
                .bind(org.clone())
                .push(" AND oa.account_id > ")
                .bind(account.clone())
                .push("))");
        }
        q.push(" ORDER BY oa.org_id, oa.account_id LIMIT ").bind(chunk);
        let found = q.fetch_all(db.c()).await?;
        let Some(last) = found.last() else {
            break;
        };
        after = Some((rows::s(last, "org_id")?, rows::s(last, "account_id")?));
        let events = found
            .iter()
            .map(|r| event(r, &actor, now))
            .collect::<Result<Vec<_>>>()?;
        let (rows, targets) = event_rows(&events)?;
        db.insert_rows(&EVENTS, &rows).await?;
        db.insert_rows(&EVENT_TARGETS, &targets).await?;
        total += events.len();
    }
    let mut cancel = Sql::new(
        "UPDATE accounts SET delete_after = NULL WHERE delete_after IS NOT NULL AND id IN (SELECT oa.account_id",
    );
    cancel.push(UNVERIFIED).push(")");
    cancel.execute(db.c()).await?;
    let mut update = Sql::new("UPDATE org_accounts SET is_managed = 0, managed_via = NULL WHERE is_managed = 1 AND ");
    update.push(
        "NOT EXISTS (SELECT 1 FROM accounts a JOIN domains d ON d.name = a.email_domain WHERE \
         a.id = org_accounts.account_id AND d.org_id = org_accounts.org_id AND d.status = 'verified')",
    );
    update.execute(db.c()).await?;
    Ok(total)
}

/// The `account.unmanaged` event of one link found.
fn event(r: &AnyRow, actor: &Actor, now: Timestamp) -> Result<AuditEvent> {
    let org = rows::org_id(r)?;
    let account = AccountId::parse(&rows::s(r, "account_id")?).map_err(CoreError::internal)?;
    let email = rows::s(r, "email")?;
    let delete_after = rows::ot(r, "delete_after")?;
    let before = json!({
        "is_managed": true,
        "managed_via": rows::os(r, "managed_via")?,
        "delete_after": delete_after.map(Timestamp::to_rfc3339),
    });
    let after = json!({ "is_managed": false, "managed_via": null, "delete_after": null });
    Ok(
        AuditEvent::new(org, actor, &RequestMeta::default(), AuditAction::AccountUnmanaged, now)
            .target("account", account, Some(&email))
            .before(&before)
            .after(&after),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestDatabase;
    use sqlx::{Connection, Row};

    /// Five links to unmanage, read two at a time: every one gets its event, none twice.
    async fn every_link_is_unmanaged_once_however_many_chunks_it_takes(engine: Dialect) {
        let db = TestDatabase::create(engine).await;
        crate::SqlStore::connect(&db.options).await.unwrap();
        let mut conn = AnyConnection::connect(&engine.normalize_url(&db.options.url))
            .await
            .unwrap();
        let orgs = [
            "0190f0aa-0000-7000-8000-0000000000b1",
            "0190f0aa-0000-7000-8000-0000000000b2",
        ];
        for o in orgs {
            sqlx::query("INSERT INTO orgs (id, name, plan, created_at) VALUES ($1, 'Org', 'free', 0)")
                .bind(o)
                .execute(&mut conn)
                .await
                .unwrap();
        }
        for n in 0..5 {
            let id = AccountId::new().to_string();
            sqlx::query(
                "INSERT INTO accounts (id, email, display_name, display_name_folded, status, created_at, \
                 email_domain) VALUES ($1, $2, 'P', 'p', 'active', 0, 'nobody.test')",
            )
            .bind(id.clone())
            .bind(format!("p{n}@nobody.test"))
            .execute(&mut conn)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO org_accounts (org_id, account_id, is_managed, added_at, managed_via) \
                 VALUES ($1, $2, 1, 0, 'created')",
            )
            .bind(orgs[n % 2])
            .bind(id)
            .execute(&mut conn)
            .await
            .unwrap();
        }
        assert_eq!(unmanage_in_chunks(&mut conn, engine, 2).await.unwrap(), 5);
        let managed = sqlx::query("SELECT COUNT(*) AS n FROM org_accounts WHERE is_managed = 1")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(managed.get::<i64, _>("n"), 0);
        let events = sqlx::query(
            "SELECT COUNT(DISTINCT t.target_id) AS n FROM audit_events e JOIN audit_targets t ON t.event_id = e.id \
             WHERE e.action = 'account.unmanaged'",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert_eq!(events.get::<i64, _>("n"), 5, "one event per account");
        assert_eq!(
            unmanage_in_chunks(&mut conn, engine, 2).await.unwrap(),
            0,
            "nothing left"
        );
    }

    #[tokio::test]
    async fn sqlite_every_link_is_unmanaged_once_however_many_chunks_it_takes() {
        sqlx::any::install_default_drivers();
        every_link_is_unmanaged_once_however_many_chunks_it_takes(Dialect::Sqlite).await;
    }

    #[tokio::test]
    async fn postgres_every_link_is_unmanaged_once_however_many_chunks_it_takes() {
        sqlx::any::install_default_drivers();
        every_link_is_unmanaged_once_however_many_chunks_it_takes(Dialect::Postgres).await;
    }
}
