//! Admin invitations and session listing in the store, on both engines: one pending
//! invitation per organization and account (an expired one makes way), each taken by exactly
//! one conditional delete, gone with the account's link; sessions listed while live, ended by
//! id only for their own account.

use gatehouse_core::Timestamp;
use gatehouse_core::audit::RequestMeta;
use gatehouse_core::ids::{AccountId, AdminInvitationId, OrgId, SessionId};
use gatehouse_core::model::{Account, AdminInvitation, Org, Session};
use gatehouse_core::ports::{OrgLink, prelude::*};
use gatehouse_core::product::{AccountStatus, Plan};
use gatehouse_store::testing::TestDatabase;
use gatehouse_store::{Dialect, SqlStore};

macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test] async fn $name() { super::$name(super::Dialect::Sqlite).await } )* }
        mod postgres { $( #[tokio::test] async fn $name() { super::$name(super::Dialect::Postgres).await } )* }
    };
}

on_both_engines!(
    one_pending_invitation_per_org_and_account_taken_once,
    an_invitation_goes_with_the_accounts_link,
    sessions_are_listed_while_live_and_ended_by_id_for_their_account_only,
);

fn t(ms: i64) -> Timestamp {
    Timestamp::from_millis(1_800_000_000_000 + ms)
}

/// A store with an organization and an account linked to it (unmanaged).
async fn arranged(engine: Dialect) -> (SqlStore, TestDatabase, Org, Account) {
    let db = TestDatabase::create(engine).await;
    let s = SqlStore::connect(&db.options).await.expect("connect");
    let org = Org {
        id: OrgId::new(),
        name: "Acme".into(),
        plan: Plan::Free,
        free: None,
        created_at: t(0),
    };
    let acc = Account {
        id: AccountId::new(),
        email: "bob@elsewhere.test".into(),
        display_name: "Bob".into(),
        status: AccountStatus::Active,
        created_at: t(0),
        last_active_at: None,
        delete_after: None,
    };
    let mut tx = s.begin().await.unwrap();
    tx.insert_org(&org).await.unwrap();
    tx.insert_account(&acc).await.unwrap();
    tx.link_org_accounts(&[OrgLink::unmanaged(org.id, acc.id)], t(0))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (s, db, org, acc)
}

fn invitation(org: OrgId, account: AccountId, at: i64) -> AdminInvitation {
    AdminInvitation {
        id: AdminInvitationId::new(),
        org_id: org,
        account_id: account,
        email: "bob@elsewhere.test".into(),
        invited_by: "ada@acme.test".into(),
        created_at: t(at),
        expires_at: t(at + 1000),
    }
}

async fn one_pending_invitation_per_org_and_account_taken_once(engine: Dialect) {
    let (s, _db, org, acc) = arranged(engine).await;
    let first = invitation(org.id, acc.id, 0);
    let mut tx = s.begin().await.unwrap();
    assert!(tx.insert_admin_invitation(&first, t(0)).await.unwrap());
    assert!(
        !tx.insert_admin_invitation(&invitation(org.id, acc.id, 10), t(10))
            .await
            .unwrap(),
        "one pending per organization and account"
    );
    tx.commit().await.unwrap();
    let mut r = s.reader().await.unwrap();
    assert_eq!(
        r.list_admin_invitations(org.id, t(999)).await.unwrap(),
        std::slice::from_ref(&first)
    );
    assert!(
        r.list_admin_invitations(org.id, t(1000)).await.unwrap().is_empty(),
        "expired"
    );
    let mine = r.list_invitations_for(acc.id, t(5)).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!((mine[0].org_name.as_str(), &mine[0].invitation), ("Acme", &first));
    drop(r);

    let mut tx = s.begin().await.unwrap();
    assert!(
        tx.take_org_invitation(OrgId::new(), first.id).await.unwrap().is_none(),
        "another org's"
    );
    assert!(
        tx.take_account_invitation(AccountId::new(), first.id)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        tx.take_account_invitation(acc.id, first.id).await.unwrap(),
        Some(first.clone())
    );
    assert!(
        tx.take_org_invitation(org.id, first.id).await.unwrap().is_none(),
        "taken once"
    );
    tx.commit().await.unwrap();

    // An expired invitation makes way for a new one.
    let mut tx = s.begin().await.unwrap();
    assert!(tx.insert_admin_invitation(&first, t(0)).await.unwrap());
    let later = invitation(org.id, acc.id, 2000);
    assert!(tx.insert_admin_invitation(&later, t(2000)).await.unwrap());
    tx.commit().await.unwrap();
    let listed = s
        .reader()
        .await
        .unwrap()
        .list_admin_invitations(org.id, t(2001))
        .await
        .unwrap();
    assert_eq!(listed, [later]);
}

async fn an_invitation_goes_with_the_accounts_link(engine: Dialect) {
    let (s, _db, org, acc) = arranged(engine).await;
    let mut tx = s.begin().await.unwrap();
    tx.insert_admin_invitation(&invitation(org.id, acc.id, 0), t(0))
        .await
        .unwrap();
    tx.unlink_org_account(org.id, acc.id).await.unwrap();
    tx.commit().await.unwrap();
    let mut r = s.reader().await.unwrap();
    assert!(r.list_admin_invitations(org.id, t(1)).await.unwrap().is_empty());
    assert!(r.list_invitations_for(acc.id, t(1)).await.unwrap().is_empty());
}

fn session(account: AccountId, created: i64, seen: i64) -> Session {
    Session {
        id: SessionId::new(),
        account_id: account,
        csrf: "csrf".into(),
        created_at: t(created),
        last_seen_at: t(seen),
        expires_at: t(created + 10_000),
        ip: Some("192.0.2.1".into()),
        user_agent: Some("Firefox".into()),
        amr: vec!["pwd".into()],
        idle_secs: None,
        email_verified_at: None,
    }
}

async fn sessions_are_listed_while_live_and_ended_by_id_for_their_account_only(engine: Dialect) {
    let (s, _db, _org, acc) = arranged(engine).await;
    let (fresh, idle, old) = (
        session(acc.id, 0, 5000),
        session(acc.id, 100, 200),
        session(acc.id, -20_000, 5000),
    );
    let meta = RequestMeta {
        ip: fresh.ip.clone(),
        user_agent: fresh.user_agent.clone(),
    };
    let mut tx = s.begin().await.unwrap();
    for (n, x) in [&fresh, &idle, &old].into_iter().enumerate() {
        tx.insert_session(&format!("digest-{n}"), x, &meta).await.unwrap();
    }
    tx.commit().await.unwrap();
    let live = s
        .reader()
        .await
        .unwrap()
        .list_live_sessions(acc.id, t(6000), t(1000))
        .await
        .unwrap();
    assert_eq!(
        live,
        std::slice::from_ref(&fresh),
        "not idle since t(1000), not past its end"
    );

    let mut tx = s.begin().await.unwrap();
    assert!(
        !tx.delete_session_of(AccountId::new(), fresh.id).await.unwrap(),
        "not another account's"
    );
    assert!(tx.delete_session_of(acc.id, fresh.id).await.unwrap());
    assert!(!tx.delete_session_of(acc.id, fresh.id).await.unwrap(), "ended once");
    assert_eq!(tx.delete_sessions_of(acc.id).await.unwrap(), 2);
    tx.commit().await.unwrap();
}
