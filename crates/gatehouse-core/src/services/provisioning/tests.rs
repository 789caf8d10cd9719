//! Provisioning rules against a hand-written fake of the storage they use.

use super::super::directories::DirectoryCaller;
use super::fake::FakeTx;
use super::rules::{UNIQUENESS, check_version, deprovision};
use super::types::{ExpectedVersion, Valve, Written};
use super::users::{delete_in, provision_user, replace_in};
use crate::Timestamp;
use crate::audit::RequestMeta;
use crate::directory::{Directory, HeldChange, ProvisionedUser, ScimUser, SentChange, UserResource};
use crate::error::CoreError;
use crate::ids::{AccountId, DirectoryId, OrgId};
use crate::model::Account;
use crate::product::AccountStatus;
use crate::types::{Email, Name};
use serde_json::json;

pub(super) fn now() -> Timestamp {
    Timestamp::from_millis(1_700_000_000_000)
}

pub(super) fn caller(org: OrgId) -> DirectoryCaller {
    DirectoryCaller::releasing(Directory {
        id: DirectoryId::new(),
        org_id: org,
        name: "Okta".into(),
        created_at: now(),
        deactivation_limit_per_hour: 2,
    })
}

pub(super) fn resource(email: &str, active: bool) -> UserResource {
    UserResource {
        user: ProvisionedUser {
            user_name: email.to_owned(),
            external_id: None,
            email: Email::parse(email).unwrap(),
            display_name: Name::parse("Ada Lovelace", "displayName", 100).unwrap(),
            active,
        },
        resource: json!({"userName": email, "active": active}),
    }
}

pub(super) fn account(email: &str) -> Account {
    Account {
        id: AccountId::new(),
        email: email.to_owned(),
        display_name: "Ada".into(),
        status: AccountStatus::Active,
        created_at: now(),
        last_active_at: None,
        delete_after: None,
    }
}

pub(super) fn conflict_message(e: CoreError) -> String {
    match e {
        CoreError::Conflict { code, message, .. } if code == UNIQUENESS => message,
        other => panic!("expected a uniqueness conflict, got {other:?}"),
    }
}

/// Provisions `email` in a fresh fake and returns the fake, the directory and the user. The
/// directory's organization verified `verified` (if given).
pub(super) async fn provisioned_in(email: &str, verified: Option<&str>) -> (FakeTx, DirectoryCaller, ScimUser) {
    let c = caller(OrgId::new());
    let mut tx = FakeTx {
        verified: verified
            .map(|d| vec![(d.to_owned(), c.directory().org_id)])
            .unwrap_or_default(),
        ..FakeTx::default()
    };
    let meta = RequestMeta::default();
    let user = provision_user(&mut tx, &c, &meta, &resource(email, true), now())
        .await
        .unwrap();
    (tx, c, user)
}

/// A user on a domain the directory's organization verified: an account it manages.
pub(super) async fn provisioned(email: &str) -> (FakeTx, DirectoryCaller, ScimUser) {
    provisioned_in(email, Some("acme.test")).await
}

/// A user on a domain nobody verified: an account the organization does not manage.
pub(super) async fn provisioned_unmanaged(email: &str) -> (FakeTx, DirectoryCaller, ScimUser) {
    provisioned_in(email, None).await
}

#[tokio::test]
async fn a_new_email_on_a_domain_the_organization_verified_becomes_an_account_it_manages() {
    let (tx, c, user) = provisioned("ada@acme.test").await;
    assert_eq!(tx.accounts.len(), 1);
    assert_eq!(tx.managers.get(&user.account_id), Some(&c.directory().org_id));
    assert_eq!(tx.actions(), ["scim.user_created"]);
}

#[tokio::test]
async fn a_new_email_on_a_domain_nobody_verified_becomes_an_account_the_organization_does_not_manage() {
    let (tx, c, user) = provisioned_unmanaged("ada@acme.test").await;
    assert_eq!(tx.accounts.len(), 1);
    assert_eq!(
        tx.managers.get(&user.account_id),
        None,
        "no verified domain, no manager"
    );
    assert_eq!(
        tx.links.get(&(c.directory().org_id, user.account_id)),
        Some(&None),
        "linked, not suspended"
    );
    assert_eq!(tx.actions(), ["scim.user_created"]);
}

#[tokio::test]
async fn an_email_on_a_domain_another_organization_verified_is_refused_and_nothing_is_written() {
    let mut tx = FakeTx {
        verified: vec![("acme.test".into(), OrgId::new())],
        ..FakeTx::default()
    };
    let c = caller(OrgId::new());
    let e = provision_user(
        &mut tx,
        &c,
        &RequestMeta::default(),
        &resource("ada@acme.test", true),
        now(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        conflict_message(e),
        "This email's domain is verified by another organization."
    );
    assert!(tx.accounts.is_empty() && tx.events.is_empty());
}

#[tokio::test]
async fn an_existing_account_is_linked_not_duplicated_and_not_taken_over() {
    let existing = account("ada@acme.test");
    let theirs = OrgId::new();
    // Managed by another organization without a verified domain (as before migration 0013).
    let mut tx = FakeTx {
        accounts: vec![existing.clone()],
        managers: [(existing.id, theirs)].into(),
        ..FakeTx::default()
    };
    let c = caller(OrgId::new());
    let renamed = resource("ada@acme.test", false);
    let user = provision_user(&mut tx, &c, &RequestMeta::default(), &renamed, now())
        .await
        .unwrap();
    assert_eq!(user.account_id, existing.id);
    assert_eq!(
        tx.accounts,
        std::slice::from_ref(&existing),
        "the account itself is unchanged"
    );
    assert_eq!(tx.managers.get(&existing.id), Some(&theirs), "still theirs");
    assert_eq!(
        tx.links.get(&(c.directory().org_id, existing.id)),
        Some(&Some(now())),
        "inactive: suspended in this organization only"
    );
    assert!(tx.sessions_ended.is_empty());
    assert_eq!(tx.actions(), ["scim.user_created", "scim.user_suspended"]);
}

#[tokio::test]
async fn an_existing_account_the_organization_claimed_is_changed_by_its_directory() {
    let existing = account("ada@acme.test");
    let c = caller(OrgId::new());
    let org = c.directory().org_id;
    let mut tx = FakeTx {
        accounts: vec![existing.clone()],
        managers: [(existing.id, org)].into(),
        verified: vec![("acme.test".into(), org)],
        ..FakeTx::default()
    };
    provision_user(
        &mut tx,
        &c,
        &RequestMeta::default(),
        &resource("ada@acme.test", false),
        now(),
    )
    .await
    .unwrap();
    assert_eq!(tx.accounts[0].display_name, "Ada Lovelace");
    assert_eq!(tx.accounts[0].status, AccountStatus::Deactivated);
    assert_eq!(tx.sessions_ended, [existing.id]);
    assert_eq!(tx.grants_ended, [existing.id]);
}

#[tokio::test]
async fn deprovisioning_deactivates_cuts_off_and_gives_up_management() {
    let (mut tx, c, user) = provisioned("ada@acme.test").await;
    tx.tokens.insert(user.account_id, 3);
    let before = tx.accounts[0].clone();
    let org = c.directory().org_id;
    let after = deprovision(&mut tx, org, &c.actor(), &RequestMeta::default(), &before, now())
        .await
        .unwrap();
    assert_eq!(after.status, AccountStatus::Deactivated);
    assert_eq!(tx.accounts[0].status, AccountStatus::Deactivated);
    assert_eq!(tx.sessions_ended, [user.account_id]);
    assert!(tx.tokens.is_empty(), "its API tokens are revoked");
    assert!(!tx.managers.contains_key(&user.account_id), "no longer managed");
    assert_eq!(tx.actions().last(), Some(&"account.api_tokens_revoked"));
}

#[tokio::test]
async fn a_deactivation_cuts_the_account_off_and_is_recorded_as_such() {
    let (mut tx, c, user) = provisioned("ada@acme.test").await;
    let meta = RequestMeta::default();
    let off = resource("ada@acme.test", false);
    let w = replace_in(&mut tx, &c, &meta, user.clone(), off, Valve::Enforce, now())
        .await
        .unwrap();
    let Written::Applied(updated) = w else {
        panic!("applied")
    };
    assert_eq!(updated.version, user.version + 1);
    assert_eq!(tx.accounts[0].status, AccountStatus::Deactivated);
    assert_eq!(tx.sessions_ended, [user.account_id]);
    assert_eq!(
        tx.actions(),
        ["scim.user_created", "scim.user_updated", "scim.user_deactivated"]
    );
}

#[tokio::test]
async fn past_the_hourly_limit_a_deactivation_is_held_and_the_user_is_unchanged() {
    let (mut tx, c, user) = provisioned("ada@acme.test").await;
    tx.deactivations = 2;
    let meta = RequestMeta::default();
    let off = resource("ada@acme.test", false);
    let w = replace_in(&mut tx, &c, &meta, user.clone(), off.clone(), Valve::Enforce, now())
        .await
        .unwrap();
    assert_eq!(w, Written::Held(user.clone()));
    assert_eq!(tx.accounts[0].status, AccountStatus::Active);
    assert_eq!(tx.held.len(), 1);
    assert_eq!(tx.held[0].change, HeldChange::Replace(off));
    assert!(
        !delete_in(&mut tx, &c, &meta, &user, Valve::Enforce, now())
            .await
            .unwrap()
    );
    assert_eq!(
        tx.held.len(),
        1,
        "a later change held for the user replaces the earlier one"
    );
    assert_eq!(tx.held[0].change, HeldChange::Delete);
    assert_eq!(
        tx.actions(),
        ["scim.user_created", "scim.change_held", "scim.change_held"]
    );
}

#[tokio::test]
async fn an_admin_release_passes_the_valve() {
    let (mut tx, c, user) = provisioned("ada@acme.test").await;
    tx.deactivations = 100;
    let meta = RequestMeta::default();
    assert!(
        delete_in(&mut tx, &c, &meta, &user, Valve::Bypass, now())
            .await
            .unwrap()
    );
    assert!(tx.scim_users.is_empty() && tx.held.is_empty());
    assert_eq!(tx.accounts[0].status, AccountStatus::Deactivated);
    assert_eq!(tx.actions().last(), Some(&"scim.user_deleted"));
}

#[tokio::test]
async fn a_write_that_lost_a_race_fails_its_precondition() {
    let (mut tx, c, user) = provisioned("ada@acme.test").await;
    tx.lose_races = true;
    let e = replace_in(
        &mut tx,
        &c,
        &RequestMeta::default(),
        user,
        resource("ada@acme.test", true),
        Valve::Enforce,
        now(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, CoreError::PreconditionFailed { message } if message == "The user changed since it was read; read it again."),
        "{e:?}"
    );
}

#[test]
fn a_stale_version_fails_its_precondition_and_any_or_a_listed_one_passes() {
    let stale = check_version(3, &ExpectedVersion::OneOf(vec![1, 2]), "user").unwrap_err();
    assert_eq!(
        stale.to_string(),
        "The user changed since it was read (If-Match did not match)."
    );
    check_version(3, &ExpectedVersion::OneOf(vec![2, 3]), "user").unwrap();
    check_version(3, &ExpectedVersion::Any, "user").unwrap();
}

#[test]
fn a_held_replacement_reads_back_as_it_was_stored() {
    let change = HeldChange::Replace(resource("ada@acme.test", false));
    let back = HeldChange::from_stored(change.kind(), &change.to_stored()).unwrap();
    assert_eq!(back, change);
    let delete = HeldChange::Delete;
    assert_eq!(
        HeldChange::from_stored(delete.kind(), &delete.to_stored()).unwrap(),
        delete
    );
}

#[test]
fn changes_held_before_they_were_typed_read_as_sent() {
    let patch = json!({"Operations": [{"op": "replace", "value": {"active": false}}]});
    assert_eq!(
        HeldChange::from_stored("PATCH", &patch.to_string()).unwrap(),
        HeldChange::AsSent(SentChange::Edit(patch))
    );
    let put = json!({"userName": "ada@acme.test"});
    assert_eq!(
        HeldChange::from_stored("PUT", &put.to_string()).unwrap(),
        HeldChange::AsSent(SentChange::Replace(put))
    );
    assert_eq!(HeldChange::from_stored("DELETE", "").unwrap(), HeldChange::Delete);
}

#[test]
fn a_stored_change_that_does_not_parse_is_an_internal_error_not_an_empty_one() {
    assert!(matches!(
        HeldChange::from_stored("replace", "{not json"),
        Err(CoreError::Internal(_))
    ));
    assert!(matches!(
        HeldChange::from_stored("PATCH", ""),
        Err(CoreError::Internal(_))
    ));
    assert!(matches!(
        HeldChange::from_stored("POST", "{}"),
        Err(CoreError::Internal(_))
    ));
}
