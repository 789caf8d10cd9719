//! PostgreSQL's estimate of how many events each fragment of the search text is in (the table
//! free-text search reads to keep away from common fragments): a log no larger than the sample
//! is counted exactly, only word trigrams seen twice or more are kept, and each run replaces
//! the last whole. SQLite's index counts its own fragments: the run there does nothing.

use gatehouse_core::Timestamp;
use gatehouse_core::audit::{Actor, AuditAction, AuditEvent, RequestMeta};
use gatehouse_core::ids::OrgId;
use gatehouse_core::model::Org;
use gatehouse_core::ports::prelude::*;
use gatehouse_core::product::Plan;
use gatehouse_store::testing::TestDatabase;
use gatehouse_store::{Dialect, SqlStore};

/// A store on a new database of `engine`, with one organization.
async fn arranged(engine: Dialect) -> (TestDatabase, SqlStore, OrgId) {
    let db = TestDatabase::create(engine).await;
    let s = SqlStore::connect(&db.options).await.unwrap();
    let o = Org {
        id: OrgId::new(),
        name: "Acme".into(),
        plan: Plan::Free,
        free: None,
        created_at: Timestamp::from_millis(1_800_000_000_000),
    };
    let mut tx = s.begin().await.unwrap();
    tx.insert_org(&o).await.unwrap();
    tx.commit().await.unwrap();
    (db, s, o.id)
}

/// `n` events by an actor named `label`.
async fn events(s: &SqlStore, org: OrgId, label: &str, n: usize) {
    let batch: Vec<AuditEvent> = (0..n)
        .map(|i| {
            AuditEvent::new(
                org,
                &Actor::system(label),
                &RequestMeta::default(),
                AuditAction::GroupUpdated,
                Timestamp::from_millis(1_800_000_000_000 + i64::try_from(i).unwrap()),
            )
        })
        .collect();
    let mut tx = s.begin().await.unwrap();
    tx.insert_events(&batch).await.unwrap();
    tx.commit().await.unwrap();
}

async fn refresh(s: &SqlStore) -> u64 {
    let mut tx = s.begin().await.unwrap();
    let kept = tx.refresh_text_statistics().await.unwrap();
    tx.commit().await.unwrap();
    kept
}

/// The fragments kept and their counts, in order.
async fn kept(db: &TestDatabase) -> Vec<(String, i64)> {
    let pool = sqlx::AnyPool::connect(&db.options.url).await.unwrap();
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT fragment, events FROM audit_text_fragments ORDER BY fragment")
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    rows
}

fn count_of(rows: &[(String, i64)], fragment: &str) -> Option<i64> {
    rows.iter().find(|(f, _)| f == fragment).map(|(_, n)| *n)
}

#[tokio::test]
async fn postgres_counts_a_small_log_exactly_and_each_run_replaces_the_last() {
    let (db, s, acme) = arranged(Dialect::Postgres).await;
    // The search text is "group.updated <label>": "zqx" and "qxw" in 7 events, "vvk" in one.
    events(&s, acme, "Zqxw Robot", 7).await;
    events(&s, acme, "Vvk Robot", 1).await;
    let n = refresh(&s).await;
    let rows = kept(&db).await;
    assert_eq!(usize::try_from(n).unwrap(), rows.len(), "the run answers what it kept");
    assert_eq!(count_of(&rows, "zqx"), Some(7));
    assert_eq!(count_of(&rows, "qxw"), Some(7));
    assert_eq!(count_of(&rows, "rob"), Some(8), "both labels");
    assert_eq!(count_of(&rows, "upd"), Some(8));
    assert_eq!(count_of(&rows, "vvk"), None, "seen once: not kept, so rare");
    assert!(
        rows.iter()
            .all(|(f, _)| f.len() == 3 && f.bytes().all(|b| b.is_ascii_alphanumeric())),
        "only word trigrams, no padded ones: {rows:?}"
    );
    // Another run over the same log keeps the same counts (no doubling), and one after the
    // events are gone keeps none of theirs.
    refresh(&s).await;
    assert_eq!(kept(&db).await, rows);
    let pool = sqlx::AnyPool::connect(&db.options.url).await.unwrap();
    sqlx::query("DELETE FROM audit_events").execute(&pool).await.unwrap();
    pool.close().await;
    assert_eq!(refresh(&s).await, 0);
    assert!(kept(&db).await.is_empty());
}

#[tokio::test]
async fn sqlite_has_nothing_to_count() {
    let (_db, s, acme) = arranged(Dialect::Sqlite).await;
    events(&s, acme, "Zqxw Robot", 3).await;
    assert_eq!(
        refresh(&s).await,
        0,
        "FTS5 counts its own fragments; SQLite has no table for them"
    );
}
