//! Emailed links, on both engines: a link is found while it works, taken once however many
//! transactions race for it, never taken for another purpose, and pruned once expired; the
//! proof of an address goes when the address changes.

use gatehouse_core::Timestamp;
use gatehouse_core::audit::RequestMeta;
use gatehouse_core::ids::AccountId;
use gatehouse_core::model::{Account, Session};
use gatehouse_core::ports::{EmailLink, LinkPurpose, prelude::*};
use gatehouse_core::product::AccountStatus;
use gatehouse_store::testing::TestDatabase;
use gatehouse_store::{Dialect, SqlStore};

macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Dialect::Sqlite).await } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Dialect::Postgres).await } )* }
    };
}

on_both_engines!(
    a_link_is_taken_once_by_racing_transactions_and_only_for_its_purpose,
    expired_links_are_pruned_and_an_address_change_drops_its_proof,
);

fn t(ms: i64) -> Timestamp {
    Timestamp::from_millis(1_800_000_000_000 + ms)
}

async fn store(engine: Dialect) -> (SqlStore, TestDatabase) {
    let db = TestDatabase::create(engine).await;
    let s = SqlStore::connect(&db.options).await.expect("connect");
    (s, db)
}

async fn account(s: &SqlStore, email: &str) -> Account {
    let a = Account {
        id: AccountId::new(),
        email: email.into(),
        display_name: "Someone".into(),
        status: AccountStatus::Active,
        created_at: t(0),
        last_active_at: None,
        delete_after: None,
    };
    let mut tx = s.begin().await.unwrap();
    assert!(tx.insert_account(&a).await.unwrap());
    tx.commit().await.unwrap();
    a
}

fn link(purpose: LinkPurpose, email: &str, account: Option<AccountId>, expires: i64) -> EmailLink {
    EmailLink {
        purpose,
        email: email.into(),
        account,
        expires_at: t(expires),
    }
}

async fn insert(s: &SqlStore, digest: &str, l: &EmailLink) {
    let mut tx = s.begin().await.unwrap();
    tx.insert_email_link(digest, l, t(0)).await.unwrap();
    tx.commit().await.unwrap();
}

async fn a_link_is_taken_once_by_racing_transactions_and_only_for_its_purpose(engine: Dialect) {
    let (s, _db) = store(engine).await;
    let signup = link(LinkPurpose::Signup, "new@example.com", None, 1000);
    insert(&s, "d1", &signup).await;
    let mut r = s.reader().await.unwrap();
    assert_eq!(
        r.find_email_link("d1", LinkPurpose::Signup, t(1)).await.unwrap(),
        Some(signup.clone())
    );
    assert_eq!(
        r.find_email_link("d1", LinkPurpose::EmailChange, t(1)).await.unwrap(),
        None
    );
    assert_eq!(
        r.find_email_link("d1", LinkPurpose::Signup, t(1000)).await.unwrap(),
        None,
        "expired"
    );
    drop(r);
    let mut tx = s.begin().await.unwrap();
    assert_eq!(
        tx.take_email_link("d1", LinkPurpose::EmailChange, t(1)).await.unwrap(),
        None
    );
    drop(tx);
    let takers = (0..4).map(|_| {
        let s = s.clone();
        tokio::spawn(async move {
            let mut tx = s.begin().await.unwrap();
            let got = tx.take_email_link("d1", LinkPurpose::Signup, t(1)).await.unwrap();
            tx.commit().await.unwrap();
            got
        })
    });
    let mut got = Vec::new();
    for t in takers.collect::<Vec<_>>() {
        got.push(t.await.unwrap());
    }
    assert_eq!(got.iter().filter(|g| g.is_some()).count(), 1, "{got:?}");
    assert_eq!(got.into_iter().flatten().next(), Some(signup));
}

async fn expired_links_are_pruned_and_an_address_change_drops_its_proof(engine: Dialect) {
    let (s, db) = store(engine).await;
    let a = account(&s, "ada@example.com").await;
    insert(
        &s,
        "old",
        &link(LinkPurpose::EmailChange, "x@example.com", Some(a.id), 10),
    )
    .await;
    insert(
        &s,
        "new",
        &link(LinkPurpose::EmailChange, "y@example.com", Some(a.id), 1000),
    )
    .await;
    insert(&s, "up", &link(LinkPurpose::Signup, "z@example.com", None, 1000)).await;
    let mut tx = s.begin().await.unwrap();
    assert_eq!(tx.prune_email_links(t(10)).await.unwrap(), 1);
    assert_eq!(
        tx.delete_email_links_of(a.id, LinkPurpose::EmailChange).await.unwrap(),
        1
    );
    assert!(
        tx.find_email_link("up", LinkPurpose::Signup, t(11))
            .await
            .unwrap()
            .is_some()
    );
    // Sessions: the one kept stays, the others go.
    for digest in ["keep", "other"] {
        let session = Session {
            id: gatehouse_core::ids::SessionId::new(),
            ip: None,
            user_agent: None,
            amr: vec!["pwd".into()],
            idle_secs: None,
            email_verified_at: None,
            account_id: a.id,
            csrf: "c".into(),
            created_at: t(0),
            last_seen_at: t(0),
            expires_at: t(100_000),
        };
        tx.insert_session(digest, &session, &RequestMeta::default())
            .await
            .unwrap();
    }
    assert_eq!(tx.delete_other_sessions(a.id, "keep").await.unwrap(), 1);
    assert!(tx.find_session("keep").await.unwrap().is_some());
    tx.mark_email_verified(a.id, t(5)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(verified_at(&db, a.id).await, Some(t(5).millis()));
    let mut tx = s.begin().await.unwrap();
    tx.update_account(&Account {
        display_name: "Ada".into(),
        ..a.clone()
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        verified_at(&db, a.id).await,
        Some(t(5).millis()),
        "the same address stays proven"
    );
    let mut tx = s.begin().await.unwrap();
    tx.update_account(&Account {
        email: "ada@elsewhere.com".into(),
        ..a.clone()
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        verified_at(&db, a.id).await,
        None,
        "a new address is not proven by the old one"
    );
}

/// The account's `email_verified_at`, read directly.
async fn verified_at(db: &TestDatabase, id: AccountId) -> Option<i64> {
    let pool = sqlx::AnyPool::connect(&db.options.url).await.unwrap();
    let sql = format!("SELECT email_verified_at FROM accounts WHERE id = '{id}'");
    let at: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    at
}
