//! Provisioned users: create, replace (or edit), deprovision.

use super::super::admins::invitations::cancel_on_removal;
use super::super::directories::DirectoryCaller;
use super::super::management;
use super::rules::{
    apply_to_account, check_version, deprovision, hold, manages, over_limit, refuse_foreign, refuse_foreign_domain,
    save_next_version, unique_as,
};
use super::service::Provisioning;
use super::types::{ExpectedVersion, Valve, Written};
use super::unmanaged::{record_suspension, replace_unmanaged};
use crate::Timestamp;
use crate::audit::AuditAction;
use crate::audit::{AuditEvent, RequestMeta};
use crate::directory::{HeldChange, ScimUser, UserResource};
use crate::error::{CoreError, Result};
use crate::ids::AccountId;
use crate::model::Account;
use crate::ports::{
    AccountReads, AccountTx, AuditTx, Commit, DirectoryReads, DirectoryTx, DomainReads, GrantEndTx, InvitationTx,
    KeyTx, ManagedVia, OrgLink, SigninTx, Store,
};
use crate::product::AccountStatus;

const NOT_FOUND: CoreError = CoreError::NotFound { entity: "user" };

/// What provisioning a user writes: the account and its link, the SCIM user, the cut-off of
/// a deactivated account, and the events.
pub trait ProvisionTx:
    AccountReads
    + AccountTx
    + DomainReads
    + DirectoryReads
    + DirectoryTx
    + SigninTx
    + KeyTx
    + AuditTx
    + GrantEndTx
    + InvitationTx
    + Send
{
}

impl<T> ProvisionTx for T where
    T: AccountReads
        + AccountTx
        + DomainReads
        + DirectoryReads
        + DirectoryTx
        + SigninTx
        + KeyTx
        + AuditTx
        + GrantEndTx
        + InvitationTx
        + Send
{
}

impl<S: Store> Provisioning<S> {
    /// Provisions one user in its own transaction (the path for anything a batch does not take).
    pub async fn create_user(
        &self,
        caller: &DirectoryCaller,
        meta: &RequestMeta,
        new: &UserResource,
    ) -> Result<ScimUser> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let user = provision_user(&mut tx, caller, meta, new, now).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Replaces the user with what `compute` makes of it, in one transaction: `compute` sees
    /// the user as it is inside the transaction (a replacement ignores it; an edit applies to
    /// it). Past the directory's hourly limit a deactivation is held instead (`Valve::Enforce`).
    pub async fn replace_user<E, F>(
        &self,
        caller: &DirectoryCaller,
        meta: &RequestMeta,
        id: &str,
        expected: &ExpectedVersion,
        valve: Valve,
        compute: F,
    ) -> Result<Written, E>
    where
        E: From<CoreError>,
        F: FnOnce(&ScimUser) -> Result<UserResource, E>,
    {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let existing = tx.find_scim_user(caller.directory().id, id).await?.ok_or(NOT_FOUND)?;
        check_version(existing.version, expected, "user")?;
        let new = compute(&existing)?;
        let written = replace_in(&mut tx, caller, meta, existing, new, valve, now).await?;
        tx.commit().await?;
        Ok(written)
    }

    /// Deprovisions the user: the SCIM user goes; a managed account is deactivated (sessions
    /// end, tokens are revoked) and no longer managed by the organization, any other account
    /// leaves the organization and is otherwise untouched. Returns `false` when the safety
    /// valve held it instead.
    pub async fn delete_user(
        &self,
        caller: &DirectoryCaller,
        meta: &RequestMeta,
        id: &str,
        expected: &ExpectedVersion,
        valve: Valve,
    ) -> Result<bool> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let existing = tx.find_scim_user(caller.directory().id, id).await?.ok_or(NOT_FOUND)?;
        check_version(existing.version, expected, "user")?;
        let applied = delete_in(&mut tx, caller, meta, &existing, valve, now).await?;
        tx.commit().await?;
        Ok(applied)
    }
}

/// Provisions a user in the caller's transaction: a new account (managed when the
/// organization verified its email domain, see `management`), or the existing account with
/// that email, linked as it is: provisioning never takes an account over, a domain claim does.
pub async fn provision_user<T: ProvisionTx>(
    tx: &mut T,
    caller: &DirectoryCaller,
    meta: &RequestMeta,
    new: &UserResource,
    now: Timestamp,
) -> Result<ScimUser> {
    let (dir, f) = (caller.directory(), &new.user);
    let org = dir.org_id;
    let fresh = Account {
        id: AccountId::new(),
        email: f.email.to_string(),
        display_name: f.display_name.to_string(),
        status: AccountStatus::Active,
        created_at: now,
        last_active_at: None,
        delete_after: None,
    };
    let verified = management::verified_domain_of(tx, &f.email).await?;
    refuse_foreign(org, verified.as_ref())?;
    let (account, managed) = if tx.insert_account(&fresh).await? {
        let link = management::creator_link(org, fresh.id, verified.as_ref(), ManagedVia::Scim);
        tx.link_org_accounts(&[link], now).await?;
        (fresh, link.managed_via.is_some())
    } else {
        let account = tx
            .find_account_by_email(f.email.as_str())
            .await?
            .ok_or_else(|| CoreError::internal("account vanished"))?;
        tx.link_org_accounts(&[OrgLink::unmanaged(org, account.id)], now)
            .await?;
        let managed = manages(tx, org, account.id).await?;
        (account, managed)
    };
    let after = if managed {
        apply_to_account(tx, caller, meta, &account, f, now).await?
    } else {
        tx.set_org_suspension(org, account.id, (!f.active).then_some(now))
            .await?;
        account.clone()
    };
    let user = new.first_version(dir.id, account.id, now);
    tx.insert_scim_user(&user).await.map_err(unique_as(
        "A user with this userName, externalId or account already exists in this directory.",
    ))?;
    let ev = AuditEvent::new(org, &caller.actor(), meta, AuditAction::ScimUserCreated, now)
        .target("account", account.id, Some(&after.email))
        .target("scim_user", &user.id, Some(&user.user_name))
        .after(&after);
    tx.insert_event(&ev).await?;
    if !managed && !f.active {
        record_suspension(tx, caller, meta, &user, true, now).await?;
    }
    Ok(user)
}

/// Replaces `existing` with `new` in the caller's transaction (or holds it, see the valve). An
/// account the organization does not manage changes in this organization only.
pub(super) async fn replace_in<T: ProvisionTx>(
    tx: &mut T,
    caller: &DirectoryCaller,
    meta: &RequestMeta,
    existing: ScimUser,
    new: UserResource,
    valve: Valve,
    now: Timestamp,
) -> Result<Written> {
    let f = &new.user;
    let org = caller.directory().org_id;
    let account = tx
        .find_account(existing.account_id)
        .await?
        .ok_or_else(|| CoreError::internal("provisioned account vanished"))?;
    if !manages(tx, org, account.id).await? {
        return replace_unmanaged(tx, caller, meta, existing, new, valve, now).await;
    }
    if f.email.as_str() != account.email {
        refuse_foreign_domain(tx, org, &f.email).await?;
        management::refuse_unverified_email(tx, org, &f.email).await?;
    }
    if valve == Valve::Enforce
        && account.status == AccountStatus::Active
        && !f.active
        && over_limit(tx, caller.directory(), now).await?
    {
        hold(tx, caller, meta, &existing, HeldChange::Replace(new), now).await?;
        return Ok(Written::Held(existing));
    }
    let after = apply_to_account(tx, caller, meta, &account, f, now).await?;
    let updated = save_next_version(tx, &existing, new, now).await?;
    record_update(tx, caller, meta, (&existing, &updated), (&account, &after), now).await?;
    Ok(Written::Applied(updated))
}

/// The events of a replacement: `scim.user_updated` when anything changed, and the status
/// change if there was one.
async fn record_update<T: AuditTx + Send>(
    tx: &mut T,
    caller: &DirectoryCaller,
    meta: &RequestMeta,
    (existing, updated): (&ScimUser, &ScimUser),
    (before, after): (&Account, &Account),
    now: Timestamp,
) -> Result<()> {
    let event = |action| {
        AuditEvent::new(caller.directory().org_id, &caller.actor(), meta, action, now)
            .target("account", before.id, Some(&after.email))
            .target("scim_user", &updated.id, Some(&updated.user_name))
            .before(before)
            .after(after)
    };
    if updated.resource != existing.resource || after != before {
        tx.insert_event(&event(AuditAction::ScimUserUpdated)).await?;
    }
    let status_action = match (before.status, after.status) {
        (AccountStatus::Active, AccountStatus::Deactivated) => Some(AuditAction::ScimUserDeactivated),
        (AccountStatus::Deactivated, AccountStatus::Active) => Some(AuditAction::ScimUserReactivated),
        _ => None,
    };
    if let Some(action) = status_action {
        tx.insert_event(&event(action)).await?;
    }
    Ok(())
}

/// Deprovisions `existing` in the caller's transaction (or holds it, see the valve): a
/// managed account is deactivated and given up, any other account leaves this organization
/// only.
pub(super) async fn delete_in<T: ProvisionTx>(
    tx: &mut T,
    caller: &DirectoryCaller,
    meta: &RequestMeta,
    existing: &ScimUser,
    valve: Valve,
    now: Timestamp,
) -> Result<bool> {
    let dir = caller.directory();
    if valve == Valve::Enforce && existing.active && over_limit(tx, dir, now).await? {
        hold(tx, caller, meta, existing, HeldChange::Delete, now).await?;
        return Ok(false);
    }
    tx.delete_scim_user(dir.id, &existing.id).await?;
    if let Some(account) = tx.find_account(existing.account_id).await? {
        let ev = AuditEvent::new(dir.org_id, &caller.actor(), meta, AuditAction::ScimUserDeleted, now)
            .target("account", account.id, Some(&account.email))
            .target("scim_user", &existing.id, Some(&existing.user_name))
            .before(&account);
        let ev = if manages(tx, dir.org_id, account.id).await? {
            let after = deprovision(tx, dir.org_id, &caller.actor(), meta, &account, now).await?;
            ev.after(&after)
        } else {
            cancel_on_removal(tx, dir.org_id, &caller.actor(), meta, &account, now).await?;
            tx.unlink_org_account(dir.org_id, account.id).await?;
            ev.after(&serde_json::json!({ "removed_from_organization": true, "account_changed": false }))
        };
        tx.insert_event(&ev).await?;
    }
    Ok(true)
}
