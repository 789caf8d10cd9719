//! The account an SSO sign-in is for: the one linked to the provider's subject, else the
//! managed account of the asserted email (then linked), else a new managed account created
//! just in time by the same rules as SCIM provisioning (see `management`).

use super::refusal::{INACTIVE, NO_EMAIL, NOT_MANAGED, OUTSIDE, SsoRefusal};
use crate::Timestamp;
use crate::audit::{AuditAction, AuditEvent, RequestMeta};
use crate::authz::account_actor;
use crate::error::{CoreError, Result};
use crate::ids::{AccountId, OrgId};
use crate::model::Account;
use crate::ports::ManagedVia;
use crate::ports::prelude::*;
use crate::product::AccountStatus;
use crate::services::management;
use crate::services::provisioning::rules::refuse_foreign;
use crate::sso::{ExternalIdentity, IdentityProvider};
use crate::types::{Email, Name};

type Decided<T> = Result<std::result::Result<T, SsoRefusal>>;

/// The account the sign-in is for, created or refreshed as the provider asserts.
pub(super) async fn account_for<T: Reads + Writes + Send>(
    tx: &mut T,
    idp: &IdentityProvider,
    identity: &ExternalIdentity,
    meta: &RequestMeta,
    now: Timestamp,
) -> Decided<Account> {
    let email = match asserted_email(idp, identity) {
        Ok(e) => e,
        Err(r) => return Ok(Err(r)),
    };
    let verified = management::verified_domain_of(tx, &email).await?;
    if !management::creator_manages(idp.org_id, verified.as_ref()) {
        return Ok(Err(OUTSIDE));
    }
    let account = if let Some(id) = tx.find_sso_link(idp.id, &identity.subject).await? {
        let a = tx
            .find_account(id)
            .await?
            .ok_or(CoreError::internal("linked account vanished"))?;
        if tx.find_account_manager(a.id).await? != Some(idp.org_id) {
            return Ok(Err(NOT_MANAGED));
        }
        refresh(tx, idp, &a, &email, identity, meta, now).await?
    } else {
        let a = match tx.find_account_by_email(email.as_str()).await? {
            Some(a) if tx.find_account_manager(a.id).await? == Some(idp.org_id) => {
                refresh(tx, idp, &a, &email, identity, meta, now).await?
            }
            Some(_) => return Ok(Err(NOT_MANAGED)),
            None => create(tx, idp, &email, identity, verified.as_ref(), meta, now).await?,
        };
        tx.insert_sso_link(idp.id, &identity.subject, a.id, now).await?;
        a
    };
    if account.status != AccountStatus::Active {
        return Ok(Err(INACTIVE));
    }
    if idp.map_groups {
        map_groups(tx, idp.org_id, account.id, &identity.groups, now).await?;
    }
    Ok(Ok(account))
}

/// The email the provider asserted (or a NameID that is one), on one of its domains.
fn asserted_email(idp: &IdentityProvider, identity: &ExternalIdentity) -> std::result::Result<Email, SsoRefusal> {
    let raw = identity.email.as_deref().unwrap_or(&identity.subject);
    let email = Email::parse(raw).map_err(|_| NO_EMAIL)?;
    if idp.serves(email.domain()) {
        Ok(email)
    } else {
        Err(OUTSIDE)
    }
}

fn display_name(identity: &ExternalIdentity, email: &Email) -> String {
    identity
        .display_name
        .as_deref()
        .and_then(|n| Name::parse(n, "display_name", 255).ok())
        .map_or_else(
            || email.as_str().split('@').next().unwrap_or_default().to_owned(),
            |n| n.to_string(),
        )
}

async fn create<T: Reads + Writes + Send>(
    tx: &mut T,
    idp: &IdentityProvider,
    email: &Email,
    identity: &ExternalIdentity,
    verified: Option<&crate::domain::Domain>,
    meta: &RequestMeta,
    now: Timestamp,
) -> Result<Account> {
    let org = idp.org_id;
    refuse_foreign(org, verified)?;
    let account = Account {
        id: AccountId::new(),
        email: email.to_string(),
        display_name: display_name(identity, email),
        status: AccountStatus::Active,
        created_at: now,
        last_active_at: None,
        delete_after: None,
    };
    if !tx.insert_account(&account).await? {
        return Err(CoreError::conflict(
            "unique_violation",
            None,
            "An account with this email was just created.",
        ));
    }
    let link = management::creator_link(org, account.id, verified, ManagedVia::Sso);
    tx.link_org_accounts(&[link], now).await?;
    // The provider's own default policy, for an account its organization manages.
    if let Some(policy) = idp.default_policy_id {
        tx.set_accounts_policy(org, &[account.id], policy).await?;
    }
    for group in tx.list_default_groups(org).await? {
        tx.add_group_members(org, group, &[account.id], now).await?;
    }
    let ev = AuditEvent::new(org, &account_actor(&account), meta, AuditAction::SsoAccountCreated, now)
        .target("account", account.id, Some(&account.email))
        .target("identity_provider", idp.id, Some(&idp.name))
        .after(&account);
    tx.insert_event(&ev).await?;
    Ok(account)
}

/// Brings the account's email and name in line with the assertion. An email another account
/// has is not taken: the sign-in goes on under the old one, and the conflict is recorded.
async fn refresh<T: Reads + Writes + Send>(
    tx: &mut T,
    idp: &IdentityProvider,
    account: &Account,
    email: &Email,
    identity: &ExternalIdentity,
    meta: &RequestMeta,
    now: Timestamp,
) -> Result<Account> {
    let mut after = account.clone();
    if let Some(n) = identity
        .display_name
        .as_deref()
        .and_then(|n| Name::parse(n, "display_name", 255).ok())
    {
        after.display_name = n.to_string();
    }
    if !account.email.eq_ignore_ascii_case(email.as_str()) {
        match tx.find_account_by_email(email.as_str()).await? {
            Some(other) if other.id != account.id => {
                let ev = AuditEvent::new(
                    idp.org_id,
                    &account_actor(account),
                    meta,
                    AuditAction::SsoEmailConflict,
                    now,
                )
                .target("account", account.id, Some(&account.email))
                .target("identity_provider", idp.id, Some(&idp.name))
                .after(&serde_json::json!({ "asserted_email": email.as_str(), "taken_by": other.id }));
                tx.insert_event(&ev).await?;
            }
            _ => after.email = email.to_string(),
        }
    }
    if after == *account {
        return Ok(after);
    }
    tx.update_account(&after).await?;
    let ev = AuditEvent::new(
        idp.org_id,
        &account_actor(&after),
        meta,
        AuditAction::SsoAccountUpdated,
        now,
    )
    .target("account", account.id, Some(&after.email))
    .before(account)
    .after(&after);
    tx.insert_event(&ev).await?;
    Ok(after)
}

/// Adds the account to the organization's local groups (none a directory owns) whose names
/// the provider asserted.
async fn map_groups<T: Reads + Writes + Send>(
    tx: &mut T,
    org: OrgId,
    account: AccountId,
    names: &[String],
    now: Timestamp,
) -> Result<()> {
    if names.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = names.iter().take(200).cloned().collect();
    for g in tx.find_local_groups(org, &names).await? {
        tx.add_group_members(org, g.id, &[account], now).await?;
    }
    Ok(())
}
