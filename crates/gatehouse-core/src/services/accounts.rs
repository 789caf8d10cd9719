use super::admins::invitations::cancel_on_removal;
use super::capability::capability;
use super::management::{self, not_managed};
use crate::Timestamp;
use crate::audit::AuditAction;
use crate::audit::{Actor, AuditEvent, RequestMeta};
use crate::authz::OrgAdmin;
use crate::domain::{ClaimMode, Domain};
use crate::error::{CoreError, Result, Validator};
use crate::ids::{AccountId, OrgId};
use crate::model::{Account, AccountFilter, EffectiveAccess, Group, OrgAccount};
use crate::page::{Page, PageRequest};
use crate::ports::{DueDeletion, ManagedVia, OrgLink, prelude::*};
use crate::product::AccountStatus;
use crate::types::{Email, Name};

const NOT_FOUND: CoreError = CoreError::NotFound { entity: "account" };

/// An account to create (or, if the email already has an account elsewhere, to add).
#[derive(Debug)]
pub struct NewAccount {
    pub email: Email,
    pub display_name: Name,
}

impl NewAccount {
    pub fn parse(email: &str, display_name: &str) -> Result<Self> {
        let mut v = Validator::default();
        let email = v.check(Email::parse(email));
        let display_name = v.check(Name::parse(display_name, "display_name", 100));
        v.finish()?;
        Ok(Self {
            email: email.expect("validated"),
            display_name: display_name.expect("validated"),
        })
    }
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Default)]
pub struct AccountPatch {
    pub display_name: Option<Name>,
    pub status: Option<AccountStatus>,
    /// A new email address, only on a domain the organization has verified.
    pub email: Option<Email>,
}

impl AccountPatch {
    pub fn parse(display_name: Option<&str>, status: Option<&str>) -> Result<Self> {
        Self::parse_with_email(display_name, status, None)
    }

    pub fn parse_with_email(display_name: Option<&str>, status: Option<&str>, email: Option<&str>) -> Result<Self> {
        let mut v = Validator::default();
        let display_name = display_name.and_then(|n| v.check(Name::parse(n, "display_name", 100)));
        let status = status.and_then(|s| v.check(AccountStatus::parse(s)));
        let email = email.and_then(|e| v.check(Email::parse(e)));
        v.finish()?;
        Ok(Self {
            display_name,
            status,
            email,
        })
    }
}

/// What removing an account did.
#[derive(Debug, Clone)]
pub enum Removal {
    /// An unmanaged account left the organization.
    Removed,
    /// A managed account is deactivated now and deleted when its grace period ends.
    DeletionScheduled(OrgAccount),
}

/// How long a managed account's deletion can still be cancelled.
pub const DELETION_GRACE_SECS: i64 = 14 * 86_400;

/// An account with what it has in this organization.
#[derive(Debug, Clone)]
pub struct AccountDetail {
    pub account: OrgAccount,
    pub groups: Vec<Group>,
    pub access: Vec<EffectiveAccess>,
    pub is_org_admin: bool,
}

capability!(
    Accounts,
    "Accounts as an organization sees them: create or add, change, remove, deletion."
);

impl<S: Store> Accounts<S> {
    /// Creates the account; this organization manages it when it verified the email's domain
    /// (see `management`). If the email already belongs to an account that this organization
    /// cannot see yet, that account is added instead (unmanaged, unless a claim made it this
    /// organization's already). If this organization already sees it: `email_taken`.
    pub async fn create(&self, admin: &OrgAdmin, new: NewAccount) -> Result<(OrgAccount, bool)> {
        let now = self.clock.now();
        let fresh = Account {
            id: AccountId::new(),
            email: new.email.to_string(),
            display_name: new.display_name.to_string(),
            status: AccountStatus::Active,
            created_at: now,
            last_active_at: None,
            delete_after: None,
        };
        let mut tx = self.store.begin().await?;
        let created = tx.insert_account(&fresh).await?;
        let account = if created {
            fresh
        } else {
            tx.find_account_by_email(new.email.as_str())
                .await?
                .ok_or_else(|| CoreError::internal("account vanished"))?
        };
        let verified = management::verified_domain_of(&mut tx, &new.email).await?;
        let link = if created {
            management::creator_link(admin.org(), account.id, verified.as_ref(), ManagedVia::Created)
        } else {
            OrgLink::unmanaged(admin.org(), account.id)
        };
        if tx.link_org_accounts(&[link], now).await? == 0 {
            return Err(CoreError::conflict(
                "email_taken",
                Some("email"),
                "An account with this email address is already in the organization.",
            ));
        }
        let action = if created {
            AuditAction::AccountCreated
        } else {
            AuditAction::AccountAdded
        };
        let ev = admin
            .acting()
            .event(action, now)
            .target("account", account.id, Some(&account.email))
            .after(&account);
        tx.insert_event(&ev).await?;
        // A new account on a domain another organization verified (and claims automatically)
        // is managed by that organization from the start.
        if let Some(d) = verified.filter(|d| created && d.claim_mode == ClaimMode::Automatic && d.org_id != admin.org())
        {
            claim_new_account(&mut tx, &d, &account, now).await?;
        }
        let view = tx.find_org_account(admin.org(), account.id).await?.ok_or(NOT_FOUND)?;
        tx.commit().await?;
        Ok((view, created))
    }

    pub async fn get(&self, admin: &OrgAdmin, id: AccountId) -> Result<AccountDetail> {
        let mut r = self.store.reader().await?;
        let account = r.find_org_account(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        let groups = r.list_account_groups(admin.org(), id).await?;
        let access = r.list_account_access(admin.org(), id).await?;
        let is_org_admin = r.is_org_admin(admin.org(), id).await?;
        Ok(AccountDetail {
            account,
            groups,
            access,
            is_org_admin,
        })
    }

    pub async fn list(&self, admin: &OrgAdmin, filter: &AccountFilter, page: &PageRequest) -> Result<Page<OrgAccount>> {
        self.store
            .reader()
            .await?
            .list_org_accounts(admin.org(), filter, page)
            .await
    }

    /// Changes the profile or status of an account this organization manages. A status change
    /// is recorded as `account.deactivated`/`account.reactivated`, a profile change as
    /// `account.updated`; a patch that changes nothing records nothing.
    pub async fn update(&self, admin: &OrgAdmin, id: AccountId, patch: AccountPatch) -> Result<OrgAccount> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let before = tx.find_org_account(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        if !before.is_managed {
            return Err(not_managed());
        }
        let mut after = before.account.clone();
        if let Some(n) = &patch.display_name {
            after.display_name = n.to_string();
        }
        if let Some(s) = patch.status {
            after.status = s;
        }
        if let Some(e) = &patch.email {
            management::refuse_unverified_email(&mut tx, admin.org(), e).await?;
            after.email = e.to_string();
        }
        if after == before.account {
            return Ok(before);
        }
        tx.update_account(&after)
            .await
            .map_err(super::capability::name_conflict(
                "email_taken",
                "email",
                "Another account has this email address.",
            ))?;
        if after.status == AccountStatus::Deactivated {
            cut_off(&mut tx, admin.org(), admin.actor(), admin.meta(), &after, now).await?;
        }
        let event = |action| {
            admin
                .acting()
                .event(action, now)
                .target("account", id, Some(&after.email))
                .before(&before.account)
                .after(&after)
        };
        if after.display_name != before.account.display_name {
            tx.insert_event(&event(AuditAction::AccountUpdated)).await?;
        }
        if after.email != before.account.email {
            tx.insert_event(&event(AuditAction::AccountEmailChanged)).await?;
        }
        if after.status != before.account.status {
            let action = match after.status {
                AccountStatus::Deactivated => AuditAction::AccountDeactivated,
                AccountStatus::Active => AuditAction::AccountReactivated,
            };
            tx.insert_event(&event(action)).await?;
        }
        tx.commit().await?;
        Ok(OrgAccount {
            account: after,
            ..before
        })
    }

    /// Schedules a managed account's deletion (deactivated now, deleted after the grace
    /// period unless cancelled), or removes an unmanaged one from this organization at once.
    /// The organization's last admin cannot be removed.
    pub async fn delete(&self, admin: &OrgAdmin, id: AccountId) -> Result<Removal> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.lock_org(admin.org()).await?;
        let before = tx.find_org_account(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        if tx.is_org_admin(admin.org(), id).await? && tx.list_org_admins(admin.org()).await?.len() <= 1 {
            return Err(CoreError::conflict(
                "last_admin",
                None,
                "This account is the organization's only admin; make another admin first.",
            ));
        }
        crate::sso::refuse_losing_last_break_glass(&mut tx, admin.org(), id).await?;
        if before.is_managed {
            if before.account.delete_after.is_some() {
                return Ok(Removal::DeletionScheduled(before));
            }
            let after = Account {
                status: AccountStatus::Deactivated,
                delete_after: Some(now.plus_secs(DELETION_GRACE_SECS)),
                ..before.account.clone()
            };
            tx.update_account(&after).await?;
            cut_off(&mut tx, admin.org(), admin.actor(), admin.meta(), &after, now).await?;
            let ev = admin
                .acting()
                .event(AuditAction::AccountDeletionScheduled, now)
                .target("account", id, Some(&after.email))
                .before(&before.account)
                .after(&after);
            tx.insert_event(&ev).await?;
            tx.commit().await?;
            return Ok(Removal::DeletionScheduled(OrgAccount {
                account: after,
                ..before
            }));
        }
        cancel_on_removal(&mut tx, admin.org(), admin.actor(), admin.meta(), &before.account, now).await?;
        tx.unlink_org_account(admin.org(), id).await?;
        let ev = admin
            .acting()
            .event(AuditAction::AccountRemoved, now)
            .target("account", id, Some(&before.account.email))
            .before(&before);
        tx.insert_event(&ev).await?;
        tx.commit().await?;
        Ok(Removal::Removed)
    }

    /// Cancels a scheduled deletion: the account is active again.
    pub async fn cancel_deletion(&self, admin: &OrgAdmin, id: AccountId) -> Result<OrgAccount> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let before = tx.find_org_account(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        if !before.is_managed || before.account.delete_after.is_none() {
            return Err(CoreError::conflict(
                "no_deletion_scheduled",
                None,
                "This account is not scheduled for deletion.",
            ));
        }
        let after = Account {
            status: AccountStatus::Active,
            delete_after: None,
            ..before.account.clone()
        };
        tx.update_account(&after).await?;
        let ev = admin
            .acting()
            .event(AuditAction::AccountDeletionCanceled, now)
            .target("account", id, Some(&after.email))
            .before(&before.account)
            .after(&after);
        tx.insert_event(&ev).await?;
        tx.commit().await?;
        Ok(OrgAccount {
            account: after,
            ..before
        })
    }

    /// Deletes accounts whose grace period is over (a job's pass); returns how many.
    pub async fn purge_deleted(&self) -> Result<usize> {
        let now = self.clock.now();
        let due = self
            .store
            .reader()
            .await?
            .list_accounts_due_for_deletion(now, 500)
            .await?;
        for DueDeletion { org, account } in &due {
            let mut tx = self.store.begin().await?;
            tx.delete_account(account.id).await?;
            let ev = AuditEvent::new(
                *org,
                &crate::audit::Actor::system("account deletion"),
                &crate::audit::RequestMeta::default(),
                AuditAction::AccountDeleted,
                now,
            )
            .target("account", account.id, Some(&account.email))
            .before(account);
            tx.insert_event(&ev).await?;
            tx.commit().await?;
        }
        Ok(due.len())
    }
}

/// Makes the organization that verified `d` (and claims automatically) the manager of an
/// account another organization just created on it, with its claim event.
async fn claim_new_account<T: DomainTx + AuditTx + Send>(
    tx: &mut T,
    d: &Domain,
    account: &Account,
    now: Timestamp,
) -> Result<()> {
    tx.claim_accounts(d.org_id, &[account.id], now, ManagedVia::Domain)
        .await?;
    let ev = AuditEvent::new(
        d.org_id,
        &Actor::system("domain claim"),
        &RequestMeta::default(),
        AuditAction::DomainAccountsClaimed,
        now,
    )
    .target("domain", d.id, Some(&d.name))
    .target("account", account.id, Some(&account.email))
    .after(&serde_json::json!({ "count": 1, "account_ids": [account.id.to_string()] }));
    tx.insert_event(&ev).await
}

/// Ends every way a deactivated account acts: its sessions end and its API tokens are revoked
/// (audited when there were any), in the caller's transaction.
#[allow(clippy::manual_async_fn)] // spelled out as a `Send` future: handlers hold it across awaits
pub fn cut_off<'a, T: SigninTx + KeyTx + AuditTx + GrantEndTx + Send>(
    tx: &'a mut T,
    org: OrgId,
    actor: &'a Actor,
    meta: &'a RequestMeta,
    account: &'a Account,
    now: Timestamp,
) -> impl std::future::Future<Output = Result<()>> + Send + 'a {
    async move { cut_off_now(tx, org, actor, meta, account, now).await }
}

async fn cut_off_now<T: SigninTx + KeyTx + AuditTx + GrantEndTx + Send>(
    tx: &mut T,
    org: OrgId,
    actor: &Actor,
    meta: &RequestMeta,
    account: &Account,
    now: Timestamp,
) -> Result<()> {
    tx.delete_sessions_of(account.id).await?;
    crate::services::provider::end_account_grants(tx, account.id, now).await?;
    let revoked = tx.revoke_user_api_tokens(account.id, now).await?;
    if revoked > 0 {
        let ev = AuditEvent::new(org, actor, meta, AuditAction::AccountApiTokensRevoked, now)
            .target("account", account.id, Some(&account.email))
            .after(&serde_json::json!({ "revoked": revoked }));
        tx.insert_event(&ev).await?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "cut_off_tests.rs"]
mod cut_off_tests;
