//! A directory and the accounts its organization does not manage, against the fake: what it
//! writes stays on its SCIM resource and in its organization; the account never changes.

use super::tests::{caller, now, provisioned, provisioned_unmanaged, resource};
use super::types::{Valve, Written};
use super::users::{delete_in, provision_user, replace_in};
use crate::audit::RequestMeta;
use crate::directory::HeldChange;
use crate::error::CoreError;
use crate::ids::OrgId;
use crate::product::AccountStatus;
use crate::services::provisioning::fake::FakeTx;

#[tokio::test]
async fn a_directory_deactivating_an_account_it_does_not_manage_suspends_it_in_its_organization_only() {
    let (mut tx, c, user) = provisioned_unmanaged("ada@acme.test").await;
    tx.tokens.insert(user.account_id, 2);
    let before = tx.accounts[0].clone();
    let org = c.directory().org_id;
    let meta = RequestMeta::default();
    let off = resource("ada@acme.test", false);
    let w = replace_in(&mut tx, &c, &meta, user.clone(), off, Valve::Enforce, now())
        .await
        .unwrap();
    let Written::Applied(updated) = w else {
        panic!("applied")
    };
    assert!(!updated.active, "the directory reads back active: false");
    assert_eq!(
        tx.accounts,
        std::slice::from_ref(&before),
        "the account itself is unchanged"
    );
    assert_eq!(
        tx.links.get(&(org, user.account_id)),
        Some(&Some(now())),
        "suspended here"
    );
    assert!(tx.sessions_ended.is_empty(), "its sessions go on");
    assert_eq!(tx.tokens.get(&user.account_id), Some(&2), "its tokens stay");
    assert_eq!(
        tx.actions(),
        ["scim.user_created", "scim.user_updated", "scim.user_suspended"]
    );
    // Active again: the suspension ends, still without touching the account.
    let on = resource("ada@acme.test", true);
    replace_in(&mut tx, &c, &meta, updated, on, Valve::Enforce, now())
        .await
        .unwrap();
    assert_eq!(tx.links.get(&(org, user.account_id)), Some(&None));
    assert_eq!(tx.accounts, [before]);
    assert_eq!(tx.actions().last(), Some(&"scim.user_unsuspended"));
}

#[tokio::test]
async fn a_directory_renaming_an_account_it_does_not_manage_keeps_the_name_on_its_resource_only() {
    let (mut tx, c, user) = provisioned_unmanaged("ada@acme.test").await;
    let before = tx.accounts[0].clone();
    let mut renamed = resource("ada@elsewhere.test", true);
    renamed.user.display_name = crate::types::Name::parse("Ada King", "displayName", 100).unwrap();
    renamed.resource["displayName"] = "Ada King".into();
    let w = replace_in(
        &mut tx,
        &c,
        &RequestMeta::default(),
        user,
        renamed.clone(),
        Valve::Enforce,
        now(),
    )
    .await
    .unwrap();
    let Written::Applied(updated) = w else {
        panic!("applied")
    };
    assert_eq!(updated.email.as_deref(), Some("ada@elsewhere.test"));
    assert_eq!(
        updated.resource,
        renamed.resource.to_string(),
        "the resource keeps what was sent"
    );
    assert_eq!(tx.accounts, [before], "the account keeps its name and email");
    assert_eq!(tx.actions(), ["scim.user_created", "scim.user_updated"]);
}

#[tokio::test]
async fn deleting_a_user_the_organization_does_not_manage_removes_it_from_the_organization_only() {
    let (mut tx, c, user) = provisioned_unmanaged("ada@acme.test").await;
    let before = tx.accounts[0].clone();
    let org = c.directory().org_id;
    assert!(
        delete_in(&mut tx, &c, &RequestMeta::default(), &user, Valve::Enforce, now())
            .await
            .unwrap()
    );
    assert!(tx.scim_users.is_empty());
    assert_eq!(
        tx.links.get(&(org, user.account_id)),
        None,
        "no longer in the organization"
    );
    assert_eq!(tx.accounts, [before], "the account is untouched");
    assert!(tx.sessions_ended.is_empty());
    assert_eq!(tx.actions(), ["scim.user_created", "scim.user_deleted"]);
    assert_eq!(
        tx.events[1].changes.after.as_ref().unwrap()["removed_from_organization"],
        true
    );
}

#[tokio::test]
async fn past_the_hourly_limit_a_suspension_is_held_like_a_deactivation() {
    let (mut tx, c, user) = provisioned_unmanaged("ada@acme.test").await;
    tx.deactivations = 2;
    let off = resource("ada@acme.test", false);
    let w = replace_in(
        &mut tx,
        &c,
        &RequestMeta::default(),
        user.clone(),
        off.clone(),
        Valve::Enforce,
        now(),
    )
    .await
    .unwrap();
    assert_eq!(w, Written::Held(user.clone()));
    assert_eq!(tx.held[0].change, HeldChange::Replace(off));
    assert_eq!(tx.links.get(&(c.directory().org_id, user.account_id)), Some(&None));
}

#[tokio::test]
async fn a_directory_cannot_move_a_managed_account_to_a_domain_its_organization_has_not_verified() {
    let (mut tx, c, user) = provisioned("ada@acme.test").await;
    let e = replace_in(
        &mut tx,
        &c,
        &RequestMeta::default(),
        user,
        resource("ada@elsewhere.test", true),
        Valve::Enforce,
        now(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            &e,
            CoreError::Forbidden {
                code: "email_domain_not_verified",
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(tx.accounts[0].email, "ada@acme.test");
}

#[tokio::test]
async fn an_account_another_organization_manages_is_never_changed_by_this_organizations_directory() {
    let theirs = OrgId::new();
    let c = caller(OrgId::new());
    let mut existing = super::tests::account("ada@acme.test");
    existing.status = AccountStatus::Active;
    let mut tx = FakeTx {
        accounts: vec![existing.clone()],
        managers: [(existing.id, theirs)].into(),
        ..FakeTx::default()
    };
    let meta = RequestMeta::default();
    let user = provision_user(&mut tx, &c, &meta, &resource("ada@acme.test", true), now())
        .await
        .unwrap();
    replace_in(
        &mut tx,
        &c,
        &meta,
        user.clone(),
        resource("ada@acme.test", false),
        Valve::Enforce,
        now(),
    )
    .await
    .unwrap();
    delete_in(&mut tx, &c, &meta, &user, Valve::Bypass, now())
        .await
        .unwrap();
    assert_eq!(tx.accounts, [existing.clone()]);
    assert_eq!(tx.managers.get(&existing.id), Some(&theirs));
    assert!(tx.sessions_ended.is_empty());
}
