//! Org notices, on both engines: one query finds missing domain proofs and held directory
//! changes of one organization, in a stable order, and nothing of another organization.

use gatehouse_core::Timestamp;
use gatehouse_core::directory::{Directory, HeldOperation};
use gatehouse_core::domain::{ClaimMode, Domain, DomainStatus};
use gatehouse_core::ids::{DirectoryId, DomainId, OrgId};
use gatehouse_core::model::Org;
use gatehouse_core::notices::{NoticeReads, OrgNotice};
use gatehouse_core::ports::prelude::*;
use gatehouse_core::product::Plan;
use gatehouse_store::testing::TestDatabase;
use gatehouse_store::{Dialect, SqlStore};

fn t(ms: i64) -> Timestamp {
    Timestamp::from_millis(1_800_000_000_000 + ms)
}

fn domain(org: OrgId, name: &str, failing_since: Option<Timestamp>) -> Domain {
    Domain {
        id: DomainId::new(),
        org_id: org,
        name: name.into(),
        token: format!("token-{name}"),
        status: DomainStatus::Verified,
        claim_mode: ClaimMode::Manual,
        created_at: t(0),
        verify_by: t(1),
        verified_at: Some(t(1)),
        verified_method: None,
        last_checked_at: None,
        last_check_detail: None,
        failing_since,
    }
}

fn directory(org: OrgId, name: &str) -> Directory {
    Directory {
        id: DirectoryId::new(),
        org_id: org,
        name: name.into(),
        created_at: t(0),
        deactivation_limit_per_hour: 50,
    }
}

fn held(d: &Directory, resource: &str) -> HeldOperation {
    HeldOperation {
        id: format!("{}-{resource}", d.id),
        directory_id: d.id,
        resource_id: resource.into(),
        change: gatehouse_core::directory::HeldChange::Delete,
        created_at: t(2),
    }
}

/// Two organizations: Acme with two failing domains, a healthy one, two directories holding
/// changes and one holding none; Globex with a failing domain and held changes of its own.
async fn arrange(s: &SqlStore) -> OrgId {
    let acme = OrgId::new();
    let globex = OrgId::new();
    let (okta, entra, quiet, other) = (
        directory(acme, "Okta"),
        directory(acme, "Entra"),
        directory(acme, "Quiet"),
        directory(globex, "Globex Okta"),
    );
    let mut tx = s.begin().await.unwrap();
    for (id, name) in [(acme, "Acme"), (globex, "Globex")] {
        let o = Org {
            id,
            name: name.into(),
            plan: Plan::Free,
            free: None,
            created_at: t(0),
        };
        tx.insert_org(&o).await.unwrap();
    }
    for d in [
        domain(acme, "zeta.test", Some(t(5))),
        domain(acme, "alpha.test", Some(t(7))),
        domain(acme, "fine.test", None),
        domain(globex, "globex.test", Some(t(9))),
    ] {
        // A domain is added pending and its checks set the rest, as the domain service does.
        tx.insert_domain(&d).await.unwrap();
        tx.update_domain(&d).await.unwrap();
    }
    for d in [&okta, &entra, &quiet, &other] {
        tx.insert_directory(d).await.unwrap();
    }
    for op in [
        held(&okta, "u1"),
        held(&okta, "u2"),
        held(&entra, "u3"),
        held(&other, "u4"),
    ] {
        tx.upsert_held_operation(&op).await.unwrap();
    }
    tx.commit().await.unwrap();
    acme
}

async fn one_query_lists_an_orgs_notices_in_order_and_nothing_of_another(engine: Dialect) {
    let db = TestDatabase::create(engine).await;
    let s = SqlStore::connect(&db.options).await.expect("connect");
    let acme = arrange(&s).await;
    let notices = s.reader().await.unwrap().list_org_notices(acme).await.unwrap();
    let missing = |domain: &str, ms| OrgNotice::DomainProofMissing {
        domain: domain.into(),
        since: t(ms),
    };
    let held = |directory: &str, count| OrgNotice::ChangesHeld {
        directory: directory.into(),
        count,
    };
    assert_eq!(
        notices,
        vec![
            missing("alpha.test", 7),
            missing("zeta.test", 5),
            held("Okta", 2),
            held("Entra", 1),
        ],
        "domains by name, then directories oldest first; healthy ones and Globex's absent"
    );
    assert!(
        s.reader()
            .await
            .unwrap()
            .list_org_notices(OrgId::new())
            .await
            .unwrap()
            .is_empty(),
        "an unknown organization has none"
    );
}

mod sqlite {
    #[tokio::test]
    async fn one_query_lists_an_orgs_notices_in_order_and_nothing_of_another() {
        super::one_query_lists_an_orgs_notices_in_order_and_nothing_of_another(super::Dialect::Sqlite).await;
    }
}

mod postgres {
    #[tokio::test]
    async fn one_query_lists_an_orgs_notices_in_order_and_nothing_of_another() {
        super::one_query_lists_an_orgs_notices_in_order_and_nothing_of_another(super::Dialect::Postgres).await;
    }
}
