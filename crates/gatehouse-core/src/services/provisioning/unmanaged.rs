//! A directory writing to an account its organization does not manage (the person's own, or
//! another organization's): the SCIM resource keeps what the directory sent and answers as
//! usual, `active=false` suspends the account in this organization only (its access to the
//! organization's instances ends), and the account itself never changes.

use super::super::directories::DirectoryCaller;
use super::rules::{hold, over_limit, save_next_version};
use super::types::{Valve, Written};
use crate::Timestamp;
use crate::audit::{AuditAction, AuditEvent, RequestMeta};
use crate::directory::{HeldChange, ScimUser, UserResource};
use crate::error::{CoreError, Result};
use crate::ports::{AccountTx, AuditTx, DirectoryReads, DirectoryTx};

/// Replaces `existing` with `new` for an account the organization does not manage (or holds
/// a suspension past the directory's hourly limit, as the valve does for deactivations).
pub(super) async fn replace_unmanaged<T: AccountTx + DirectoryReads + DirectoryTx + AuditTx + Send>(
    tx: &mut T,
    caller: &DirectoryCaller,
    meta: &RequestMeta,
    existing: ScimUser,
    new: UserResource,
    valve: Valve,
    now: Timestamp,
) -> Result<Written> {
    let active = new.user.active;
    if valve == Valve::Enforce && existing.active && !active && over_limit(tx, caller.directory(), now).await? {
        hold(tx, caller, meta, &existing, HeldChange::Replace(new), now).await?;
        return Ok(Written::Held(existing));
    }
    let sent = new.resource.clone();
    let updated = save_next_version(tx, &existing, new, now).await?;
    if updated.resource != existing.resource {
        let before: serde_json::Value = serde_json::from_str(&existing.resource)
            .map_err(|e| CoreError::internal(format!("stored SCIM resource: {e}")))?;
        let ev = event(caller, meta, &updated, AuditAction::ScimUserUpdated, now)
            .before(&before)
            .after(&sent);
        tx.insert_event(&ev).await?;
    }
    if existing.active != active {
        let org = caller.directory().org_id;
        tx.set_org_suspension(org, existing.account_id, (!active).then_some(now))
            .await?;
        record_suspension(tx, caller, meta, &updated, !active, now).await?;
    }
    Ok(Written::Applied(updated))
}

/// Records that the directory suspended the user's account in its organization, or ended
/// that suspension.
pub(super) async fn record_suspension<T: AuditTx + Send>(
    tx: &mut T,
    caller: &DirectoryCaller,
    meta: &RequestMeta,
    user: &ScimUser,
    suspended: bool,
    now: Timestamp,
) -> Result<()> {
    let action = if suspended {
        AuditAction::ScimUserSuspended
    } else {
        AuditAction::ScimUserUnsuspended
    };
    let ev = event(caller, meta, user, action, now)
        .before(&serde_json::json!({ "suspended_in_organization": !suspended }))
        .after(&serde_json::json!({ "suspended_in_organization": suspended, "account_changed": false }));
    tx.insert_event(&ev).await
}

fn event(
    caller: &DirectoryCaller,
    meta: &RequestMeta,
    user: &ScimUser,
    action: AuditAction,
    now: Timestamp,
) -> AuditEvent {
    AuditEvent::new(caller.directory().org_id, &caller.actor(), meta, action, now)
        .target("account", user.account_id, user.email.as_deref())
        .target("scim_user", &user.id, Some(&user.user_name))
}
