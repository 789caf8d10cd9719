//! Provisioning rules, each a function over the caller's transaction (as `cut_off` is), so
//! any service that provisions accounts applies the same ones in its own transaction.

use super::super::accounts::cut_off;
use super::super::directories::DirectoryCaller;
use super::types::ExpectedVersion;
use crate::Timestamp;
use crate::audit::AuditAction;
use crate::audit::{Actor, AuditEvent, RequestMeta};
use crate::directory::{Directory, HeldChange, HeldOperation, ProvisionedUser, ScimUser, UserResource};
use crate::domain::Domain;
use crate::error::{CoreError, Result};
use crate::ids::{AccountId, OrgId};
use crate::model::Account;
use crate::ports::{
    AccountReads, AccountTx, AuditTx, DirectoryReads, DirectoryTx, DomainReads, GrantEndTx, KeyTx, SigninTx,
};
use crate::product::AccountStatus;
use crate::types::Email;

/// The conflict code of every provisioning refusal that names something taken.
pub const UNIQUENESS: &str = "uniqueness";

/// A refusal because something is taken (SCIM's `uniqueness`).
pub fn taken(message: &str) -> CoreError {
    CoreError::conflict(UNIQUENESS, None, message)
}

/// Turns the store's generic uniqueness conflict into a provisioning refusal naming `what`.
pub fn unique_as(what: &'static str) -> impl Fn(CoreError) -> CoreError {
    move |e| match e {
        CoreError::Conflict {
            code: "unique_violation",
            ..
        } => taken(what),
        other => other,
    }
}

/// Refuses a version the caller did not expect: `what` names the resource in the message.
pub fn check_version(version: i64, expected: &ExpectedVersion, what: &str) -> Result<()> {
    match expected {
        ExpectedVersion::OneOf(versions) if !versions.contains(&version) => Err(CoreError::PreconditionFailed {
            message: format!("The {what} changed since it was read (If-Match did not match)."),
        }),
        _ => Ok(()),
    }
}

/// Refuses an email whose domain another organization verified: its people are that
/// organization's to provision.
pub async fn refuse_foreign_domain<T: DomainReads + Send>(tx: &mut T, org: OrgId, email: &Email) -> Result<()> {
    refuse_foreign(org, tx.find_verified_domain(email.domain()).await?.as_ref())
}

/// Refuses a domain (as `find_verified_domain` answered it) that another organization verified.
pub fn refuse_foreign(org: OrgId, verified: Option<&Domain>) -> Result<()> {
    match verified {
        Some(d) if d.org_id != org => Err(taken("This email's domain is verified by another organization.")),
        _ => Ok(()),
    }
}

/// Whether the directory's organization manages the account, so that the directory may change
/// it (see `management`); any other account is changed in this organization only.
pub async fn manages<T: AccountReads + Send>(tx: &mut T, org: OrgId, account: AccountId) -> Result<bool> {
    Ok(tx.find_account_manager(account).await? == Some(org))
}

/// Makes `account` reflect `user` (name, email, status); deactivation ends its sessions and
/// revokes its API tokens.
pub async fn apply_to_account<T: AccountTx + SigninTx + KeyTx + AuditTx + GrantEndTx + Send>(
    tx: &mut T,
    caller: &DirectoryCaller,
    meta: &RequestMeta,
    account: &Account,
    user: &ProvisionedUser,
    now: Timestamp,
) -> Result<Account> {
    let status = if user.active {
        AccountStatus::Active
    } else {
        AccountStatus::Deactivated
    };
    let after = Account {
        display_name: user.display_name.to_string(),
        email: user.email.to_string(),
        status,
        ..account.clone()
    };
    if after != *account {
        tx.update_account(&after)
            .await
            .map_err(unique_as("Another account has this email address."))?;
        if status == AccountStatus::Deactivated && account.status == AccountStatus::Active {
            let org = caller.directory().org_id;
            cut_off(tx, org, &caller.actor(), meta, &after, now).await?;
        }
    }
    Ok(after)
}

/// Deprovisions an account for `org`: deactivated, cut off (sessions end, API tokens are
/// revoked) and no longer managed by the organization (it stays visible to it). Returns the
/// account as it is now; the caller records why in its own event.
pub async fn deprovision<T: AccountTx + SigninTx + KeyTx + AuditTx + GrantEndTx + Send>(
    tx: &mut T,
    org: OrgId,
    actor: &Actor,
    meta: &RequestMeta,
    account: &Account,
    now: Timestamp,
) -> Result<Account> {
    let after = Account {
        status: AccountStatus::Deactivated,
        ..account.clone()
    };
    tx.update_account(&after).await?;
    cut_off(tx, org, actor, meta, &after, now).await?;
    tx.unmanage_account(org, account.id).await?;
    Ok(after)
}

/// Saves the next version of `existing`: what `new` says, if nobody wrote it first.
pub async fn save_next_version<T: DirectoryTx + Send>(
    tx: &mut T,
    existing: &ScimUser,
    new: UserResource,
    now: Timestamp,
) -> Result<ScimUser> {
    let f = new.user;
    let updated = ScimUser {
        user_name: f.user_name,
        external_id: f.external_id,
        email: Some(f.email.to_string()),
        active: f.active,
        resource: new.resource.to_string(),
        version: existing.version + 1,
        updated_at: now,
        ..existing.clone()
    };
    let saved = tx
        .update_scim_user(&updated, existing.version)
        .await
        .map_err(unique_as(
            "A user with this userName or externalId already exists in this directory.",
        ))?;
    if !saved {
        return Err(CoreError::PreconditionFailed {
            message: "The user changed since it was read; read it again.".into(),
        });
    }
    Ok(updated)
}

/// Whether the directory reached its hourly deactivation limit (the safety valve).
pub async fn over_limit<T: DirectoryReads + Send>(tx: &mut T, d: &Directory, now: Timestamp) -> Result<bool> {
    let recent = tx
        .count_directory_deactivations(d.org_id, d.id, now.plus_secs(-3600))
        .await?;
    Ok(recent >= d.deactivation_limit_per_hour)
}

/// Holds a change to `user` for an admin to release or discard; a later one held for the same
/// user replaces it.
pub async fn hold<T: DirectoryTx + AuditTx + Send>(
    tx: &mut T,
    caller: &DirectoryCaller,
    meta: &RequestMeta,
    user: &ScimUser,
    change: HeldChange,
    now: Timestamp,
) -> Result<()> {
    let d = caller.directory();
    let kind = change.kind();
    let op = HeldOperation {
        id: uuid::Uuid::now_v7().to_string(),
        directory_id: d.id,
        resource_id: user.id.clone(),
        change,
        created_at: now,
    };
    tx.upsert_held_operation(&op).await?;
    let ev = AuditEvent::new(d.org_id, &caller.actor(), meta, AuditAction::ScimChangeHeld, now)
        .target("account", user.account_id, user.email.as_deref())
        .target("scim_user", &user.id, Some(&user.user_name))
        .after(&serde_json::json!({ "change": kind, "limit_per_hour": d.deactivation_limit_per_hour }));
    tx.insert_event(&ev).await?;
    Ok(())
}
