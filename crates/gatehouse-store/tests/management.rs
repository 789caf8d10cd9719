//! Who manages an account, in the store, on both engines: a suspension in one organization
//! ends the account's access and admin role there and nothing else; a batch of provisioned
//! users is written only while each email domain's verification is what core decided on;
//! unverifying a domain releases every account managed on it.

use gatehouse_core::Timestamp;
use gatehouse_core::audit::{Actor, AuditAction, AuditEvent, RequestMeta};
use gatehouse_core::directory::{Directory, ScimUser};
use gatehouse_core::domain::{ClaimMode, Domain, DomainStatus};
use gatehouse_core::ids::{AccessId, AccountId, DirectoryId, DomainId, InstanceId, OrgId};
use gatehouse_core::model::{Access, Account, Instance, Org, Principal};
use gatehouse_core::ports::{ManagedVia, NewProvisionedUser, OrgLink, ProvisionedUsers, prelude::*};
use gatehouse_core::product::{AccountStatus, Edition, Plan, Product, Role};
use gatehouse_store::testing::TestDatabase;
use gatehouse_store::{Dialect, SqlStore};

macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test] async fn $name() { super::$name(super::Dialect::Sqlite).await } )* }
        mod postgres { $( #[tokio::test] async fn $name() { super::$name(super::Dialect::Postgres).await } )* }
    };
}

on_both_engines!(
    a_suspension_ends_access_admin_role_and_bill_in_one_organization_only,
    a_batch_writes_a_user_only_while_its_domain_is_verified_as_its_link_assumed,
    unverifying_a_domain_releases_every_account_managed_on_it,
);

fn t(ms: i64) -> Timestamp {
    Timestamp::from_millis(1_800_000_000_000 + ms)
}

async fn store(engine: Dialect) -> (SqlStore, TestDatabase) {
    let db = TestDatabase::create(engine).await;
    let s = SqlStore::connect(&db.options).await.expect("connect");
    (s, db)
}

fn account(email: &str) -> Account {
    Account {
        id: AccountId::new(),
        email: email.into(),
        display_name: "Someone".into(),
        status: AccountStatus::Active,
        created_at: t(0),
        last_active_at: None,
        delete_after: None,
    }
}

fn verified(org: OrgId, name: &str) -> Domain {
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
        failing_since: None,
    }
}

fn managed(org: OrgId, account: AccountId, via: ManagedVia) -> OrgLink {
    OrgLink {
        managed_via: Some(via),
        ..OrgLink::unmanaged(org, account)
    }
}

async fn orgs(s: &SqlStore, n: usize) -> Vec<OrgId> {
    let mut tx = s.begin().await.unwrap();
    let mut out = Vec::new();
    for i in 0..n {
        let o = Org {
            id: OrgId::new(),
            name: format!("Org {i}"),
            plan: Plan::Free,
            free: None,
            created_at: t(0),
        };
        tx.insert_org(&o).await.unwrap();
        out.push(o.id);
    }
    tx.commit().await.unwrap();
    out
}

async fn a_suspension_ends_access_admin_role_and_bill_in_one_organization_only(engine: Dialect) {
    let (s, _db) = store(engine).await;
    let o = orgs(&s, 2).await;
    let (ours, theirs) = (o[0], o[1]);
    let acc = account("ann@example.com");
    let inst = |org| Instance {
        id: InstanceId::new(),
        org_id: org,
        product: Product::JiraSoftware,
        name: "Jira".into(),
        url: format!("https://{}.example.net", InstanceId::new()),
        edition: Edition::Standard,
        created_at: t(0),
    };
    let mut tx = s.begin().await.unwrap();
    tx.insert_account(&acc).await.unwrap();
    for org in [ours, theirs] {
        let i = inst(org);
        tx.insert_instance(&i).await.unwrap();
        tx.link_org_accounts(&[OrgLink::unmanaged(org, acc.id)], t(0))
            .await
            .unwrap();
        let grant = Access {
            id: AccessId::new(),
            org_id: org,
            instance_id: i.id,
            principal: Principal::Account(acc.id),
            role: Role::User,
            created_at: t(0),
        };
        tx.insert_access(&grant).await.unwrap();
        tx.insert_org_admin(org, acc.id, t(0)).await.unwrap();
    }
    tx.set_org_suspension(ours, acc.id, Some(t(5))).await.unwrap();
    // A second suspension keeps the first one's start.
    tx.set_org_suspension(ours, acc.id, Some(t(9))).await.unwrap();
    tx.commit().await.unwrap();

    let mut r = s.reader().await.unwrap();
    let here = r.find_org_account(ours, acc.id).await.unwrap().unwrap();
    assert_eq!(here.suspended_at, Some(t(5)));
    assert!(!here.has_product_access(), "no access while suspended");
    assert!(r.list_account_access(ours, acc.id).await.unwrap().is_empty());
    assert!(
        !r.is_org_admin(ours, acc.id).await.unwrap(),
        "no admin role while suspended"
    );
    assert!(
        r.list_admin_orgs(acc.id)
            .await
            .unwrap()
            .iter()
            .all(|org| org.id != ours)
    );
    let there = r.find_org_account(theirs, acc.id).await.unwrap().unwrap();
    assert_eq!(there.suspended_at, None);
    assert!(there.has_product_access(), "another organization is not affected");
    assert!(r.is_org_admin(theirs, acc.id).await.unwrap());
    assert_eq!(
        r.find_account(acc.id).await.unwrap(),
        Some(acc.clone()),
        "the account is untouched"
    );
    drop(r);

    let mut tx = s.begin().await.unwrap();
    tx.set_org_suspension(ours, acc.id, None).await.unwrap();
    tx.commit().await.unwrap();
    let mut r = s.reader().await.unwrap();
    let back = r.find_org_account(ours, acc.id).await.unwrap().unwrap();
    assert_eq!(back.suspended_at, None);
    assert!(back.has_product_access(), "the grants were kept and apply again");
    assert_eq!(r.list_account_access(ours, acc.id).await.unwrap().len(), 1);
}

/// A new user for the batch: its account, a link as given, a SCIM user and an event.
fn new_user(dir: &Directory, email: &str, link: impl Fn(AccountId) -> OrgLink) -> NewProvisionedUser {
    let account = account(email);
    let user = ScimUser {
        id: uuid::Uuid::now_v7().to_string(),
        directory_id: dir.id,
        account_id: account.id,
        user_name: email.into(),
        external_id: None,
        email: Some(email.into()),
        active: true,
        resource: serde_json::json!({ "userName": email }).to_string(),
        version: 1,
        created_at: t(0),
        updated_at: t(0),
    };
    let event = AuditEvent::new(
        dir.org_id,
        &Actor::system("test"),
        &RequestMeta::default(),
        AuditAction::ScimUserCreated,
        t(0),
    )
    .target("account", account.id, Some(email));
    NewProvisionedUser {
        link: link(account.id),
        account,
        user,
        event,
    }
}

async fn a_batch_writes_a_user_only_while_its_domain_is_verified_as_its_link_assumed(engine: Dialect) {
    let (s, _db) = store(engine).await;
    let o = orgs(&s, 2).await;
    let (ours, theirs) = (o[0], o[1]);
    let dir = Directory {
        id: DirectoryId::new(),
        org_id: ours,
        name: "Okta".into(),
        created_at: t(0),
        deactivation_limit_per_hour: 50,
    };
    let mut tx = s.begin().await.unwrap();
    tx.insert_directory(&dir).await.unwrap();
    tx.insert_domain(&verified(ours, "ours.test")).await.unwrap();
    tx.insert_domain(&verified(theirs, "theirs.test")).await.unwrap();
    tx.commit().await.unwrap();
    let users = [
        // As core decides: managed on our domain, unmanaged on a domain nobody verified.
        new_user(&dir, "a@ours.test", |a| managed(ours, a, ManagedVia::Scim)),
        new_user(&dir, "b@nobody.test", |a| OrgLink::unmanaged(ours, a)),
        // What changed since core read the domains: these go alone.
        new_user(&dir, "c@nobody.test", |a| managed(ours, a, ManagedVia::Scim)),
        new_user(&dir, "d@ours.test", |a| OrgLink::unmanaged(ours, a)),
        new_user(&dir, "e@theirs.test", |a| OrgLink::unmanaged(ours, a)),
    ];
    let written = s
        .insert_provisioned_users(&ProvisionedUsers {
            users: &users,
            linked_at: t(1),
        })
        .await
        .unwrap();
    let written_emails: Vec<&str> = users
        .iter()
        .filter(|u| written.contains(&u.account.id))
        .map(|u| u.account.email.as_str())
        .collect();
    assert_eq!(written_emails, ["a@ours.test", "b@nobody.test"]);
    let mut r = s.reader().await.unwrap();
    for (u, is_managed) in [(&users[0], true), (&users[1], false)] {
        let link = r.find_org_account(ours, u.account.id).await.unwrap().unwrap();
        assert_eq!(link.is_managed, is_managed, "{}", u.account.email);
        assert_eq!(link.suspended_at, None);
    }
    assert_eq!(r.find_account_manager(users[1].account.id).await.unwrap(), None);
    for u in &users[2..] {
        assert!(
            r.find_account(u.account.id).await.unwrap().is_none(),
            "{}",
            u.account.email
        );
    }
}

async fn unverifying_a_domain_releases_every_account_managed_on_it(engine: Dialect) {
    let (s, _db) = store(engine).await;
    let org = orgs(&s, 1).await[0];
    let (created, claimed, elsewhere) = (
        account("made@acme.test"),
        account("claimed@acme.test"),
        account("other@globex.test"),
    );
    let mut tx = s.begin().await.unwrap();
    for (a, via) in [
        (&created, ManagedVia::Created),
        (&claimed, ManagedVia::Domain),
        (&elsewhere, ManagedVia::Created),
    ] {
        tx.insert_account(a).await.unwrap();
        tx.link_org_accounts(&[managed(org, a.id, via)], t(0)).await.unwrap();
    }
    let mut released = tx.release_domain_accounts(org, "acme.test").await.unwrap();
    tx.commit().await.unwrap();
    released.sort();
    let mut expected = vec![created.id, claimed.id];
    expected.sort();
    assert_eq!(released, expected, "created and claimed alike");
    let mut r = s.reader().await.unwrap();
    assert_eq!(r.find_account_manager(created.id).await.unwrap(), None);
    assert_eq!(r.find_account_manager(claimed.id).await.unwrap(), None);
    assert_eq!(r.find_account_manager(elsewhere.id).await.unwrap(), Some(org));
}
