//! The person's own account: what the account page shows and lets them change. Every action
//! here needs a live session ([`SignedIn`]); the ones a stolen session must not be enough for
//! (a new password, deleting the account) also need the current password, checked and
//! counted exactly as a sign-in attempt is.

use super::audience::audience;
use super::flow::FailureReason;
use super::passwords::check_password;
use super::service::Auth;
use super::sessions::sign_out_everywhere;
use super::throttle::{Admission, ThrottleKeys, refund_in};
use crate::audit::{AuditAction, AuditEvent, RequestMeta};
use crate::authz::SignedIn;
use crate::error::{CoreError, Result};
use crate::ids::OrgId;
use crate::model::Account;
use crate::ports::{AccountOrg, prelude::*};
use crate::types::Name;

/// Longest display name, as the admin API allows.
const MAX_NAME: usize = 100;

impl<S: Store> Auth<S> {
    /// The organizations the person belongs to, and how (managed, admin, suspended).
    pub async fn my_orgs(&self, me: &SignedIn) -> Result<Vec<AccountOrg>> {
        self.store.reader().await?.list_account_orgs(me.account().id).await
    }

    /// Sets the person's own display name; audited where their sign-ins are.
    pub async fn rename(&self, me: &SignedIn, name: &str, meta: &RequestMeta) -> Result<Account> {
        let name = Name::parse(name, "display_name", MAX_NAME)?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let before = tx
            .find_account(me.account().id)
            .await?
            .ok_or(CoreError::NotFound { entity: "account" })?;
        let after = Account {
            display_name: name.as_str().to_owned(),
            ..before.clone()
        };
        tx.update_account(&after).await?;
        for org in audience(&mut tx, after.id).await? {
            let ev = AuditEvent::new(org, &me.actor(), meta, AuditAction::AccountUpdated, now)
                .target("account", after.id, Some(&after.email))
                .before(&serde_json::json!({ "display_name": before.display_name }))
                .after(&serde_json::json!({ "display_name": after.display_name }));
            tx.insert_event(&ev).await?;
        }
        tx.commit().await?;
        Ok(after)
    }

    /// Replaces the person's password, given the current one. Every session of the account
    /// ends, this one included: whoever knew the old password is signed out everywhere, and
    /// the person signs in again with the new one.
    pub async fn change_password(&self, me: &SignedIn, current: &str, new: &str, meta: &RequestMeta) -> Result<()> {
        check_password(new)?;
        let (admission, generation) = self.confirm_password(me, current, meta).await?;
        let hash = match self.hash_password(new).await {
            Err(e @ CoreError::Overloaded { .. }) => {
                self.refund(&admission).await?;
                return Err(e);
            }
            other => other?,
        };
        let account = me.account();
        let now = self.clock.now();
        let facts = self.measure(account, new, now);
        if new == current {
            return Err(CoreError::validation(
                "password",
                "must differ from your current password",
            ));
        }
        let earlier = self.store.reader().await?.find_credentials(&account.email).await?;
        self.check_policy_password(account, new, &facts, earlier.and_then(|c| c.password_hash))
            .await?;
        let mut tx = self.store.begin().await?;
        if !tx.replace_password(account.id, &hash, &facts, generation).await? {
            return Err(CoreError::conflict(
                "password_changed",
                Some("current_password"),
                "Your password was changed meanwhile. Sign in again.",
            ));
        }
        refund_in(&mut tx, &admission).await?;
        sign_out_everywhere(&mut tx, account.id, now).await?;
        for org in audience(&mut tx, account.id).await? {
            let ev = AuditEvent::new(org, &me.actor(), meta, AuditAction::AuthPasswordChanged, now).target(
                "account",
                account.id,
                Some(&account.email),
            );
            tx.insert_event(&ev).await?;
        }
        tx.commit().await
    }

    /// Leaves an organization: the account, its memberships, access and admin role there are
    /// removed from it. The organization that manages the account cannot be left (the
    /// account is its), nor one whose last admin the person is.
    pub async fn leave_org(&self, me: &SignedIn, org: OrgId, meta: &RequestMeta) -> Result<()> {
        let account = me.account();
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.lock_org(org).await?;
        let Some(link) = tx
            .list_account_orgs(account.id)
            .await?
            .into_iter()
            .find(|o| o.org.id == org)
        else {
            return Err(CoreError::NotFound { entity: "organization" });
        };
        if link.managed {
            return Err(CoreError::Forbidden {
                code: "account_managed",
                message: format!(
                    "{} manages your account, so you cannot leave it. Ask its admins.",
                    link.org.name
                ),
            });
        }
        if link.admin && tx.list_org_admins(org).await?.len() <= 1 {
            return Err(last_admin(&link.org.name));
        }
        tx.unlink_org_account(org, account.id).await?;
        let ev = AuditEvent::new(org, &me.actor(), meta, AuditAction::AccountLeftOrg, now).target(
            "account",
            account.id,
            Some(&account.email),
        );
        tx.insert_event(&ev).await?;
        tx.commit().await
    }

    /// Deletes the person's own account, given its password: only an account no organization
    /// manages (a managed account is its organization's to delete), and not while the person
    /// is the last admin of an organization. Every organization it belonged to hears of it.
    pub async fn delete_own_account(&self, me: &SignedIn, password: &str, meta: &RequestMeta) -> Result<()> {
        let (admission, _) = self.confirm_password(me, password, meta).await?;
        let account = me.account();
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let orgs = tx.list_account_orgs(account.id).await?;
        if let Some(manager) = orgs.iter().find(|o| o.managed) {
            return Err(CoreError::Forbidden {
                code: "account_managed",
                message: format!(
                    "{} manages your account: only its admins can delete it.",
                    manager.org.name
                ),
            });
        }
        for o in orgs.iter().filter(|o| o.admin) {
            tx.lock_org(o.org.id).await?;
            if tx.list_org_admins(o.org.id).await?.len() <= 1 {
                return Err(last_admin(&o.org.name));
            }
        }
        for o in &orgs {
            let ev = AuditEvent::new(o.org.id, &me.actor(), meta, AuditAction::AccountDeletedByOwner, now).target(
                "account",
                account.id,
                Some(&account.email),
            );
            tx.insert_event(&ev).await?;
        }
        refund_in(&mut tx, &admission).await?;
        tx.delete_account(account.id).await?;
        tx.commit().await
    }

    /// Checks the signed-in person's password, counted as a sign-in attempt for their address
    /// from this client (so a stolen session cannot guess it without limit). A wrong one is
    /// recorded like a failed sign-in and answered as a field error. Returns the counted
    /// attempt (to take back once the action succeeds) and the password generation checked.
    pub(super) async fn confirm_password(
        &self,
        me: &SignedIn,
        password: &str,
        meta: &RequestMeta,
    ) -> Result<(Admission, i64)> {
        let account = me.account();
        let now = self.clock.now();
        let keys = ThrottleKeys::new(&account.email, meta);
        let admission = self.admit(self.sign_in_limits(&keys), now).await?;
        let creds = self.store.reader().await?.find_credentials(&account.email).await?;
        let hash = creds
            .as_ref()
            .and_then(|c| c.password_hash.clone())
            .unwrap_or_else(|| self.dummy_hash.clone());
        let matches = match self.hasher.verify(password.to_owned(), hash).await {
            Err(e @ CoreError::Overloaded { .. }) => {
                self.refund(&admission).await?;
                return Err(e);
            }
            other => other?,
        };
        match creds {
            Some(c) if matches && c.password_hash.is_some() => Ok((admission, c.password_generation)),
            c => {
                let reason = if c.is_some_and(|c| c.password_hash.is_none()) {
                    FailureReason::NoPassword
                } else {
                    FailureReason::WrongPassword
                };
                self.record_failure(Some(account), reason, &admission, meta, now)
                    .await?;
                Err(CoreError::validation(
                    "current_password",
                    "is not your current password",
                ))
            }
        }
    }
}

fn last_admin(org: &str) -> CoreError {
    CoreError::conflict(
        "last_admin",
        None,
        format!("You are the last admin of {org}. Make someone else an admin first."),
    )
}
