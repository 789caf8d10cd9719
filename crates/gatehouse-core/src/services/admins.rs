//! The organization's admins. An account the organization manages is made an admin at once;
//! any other account (the person's own, which the organization only sees) is invited, and
//! becomes an admin only when the person accepts (see [`invitations`]).

pub(crate) mod invitations;

use crate::audit::AuditAction;
use crate::authz::OrgAdmin;
use crate::error::{CoreError, Result};
use crate::ids::AccountId;
use crate::model::{AdminInvitation, OrgAdminRole};
use crate::ports::{Clock, Mailer, prelude::*};
use std::sync::Arc;

/// Where invitations are announced: the mail port, and the public URL the account page
/// (`{public_url}/account`) is under.
#[derive(Clone)]
pub(crate) struct InvitationMail {
    pub(crate) mailer: Arc<dyn Mailer>,
    pub(crate) public_url: String,
}

/// The organization's admins.
pub struct Admins<S: Store> {
    store: S,
    clock: Arc<dyn Clock>,
    mail: InvitationMail,
}

impl<S: Store> Clone for Admins<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            clock: Arc::clone(&self.clock),
            mail: self.mail.clone(),
        }
    }
}

/// What asking for an account to be made an admin did.
#[derive(Debug, Clone)]
pub enum AdminGrant {
    /// The organization manages the account: it is an admin now.
    Granted,
    /// The account is the person's own: they were invited (and told by mail), and have no role
    /// until they accept.
    Invited(AdminInvitation),
}

impl<S: Store> Admins<S> {
    pub(crate) fn new(store: S, clock: Arc<dyn Clock>, mail: InvitationMail) -> Self {
        Self { store, clock, mail }
    }

    /// The capability of a signed-in person who administers `org` (see
    /// [`crate::authz::authorize_signed_in`]).
    pub async fn authorize(
        &self,
        signed_in: &crate::authz::SignedIn,
        org: crate::ids::OrgId,
        meta: crate::audit::RequestMeta,
    ) -> Result<OrgAdmin> {
        crate::authz::authorize_signed_in(&self.store, signed_in, org, meta).await
    }

    /// The organizations this account administers.
    pub async fn list_orgs_of(&self, account: AccountId) -> Result<Vec<crate::model::Org>> {
        crate::authz::admin_orgs(&self.store, account).await
    }

    pub async fn list(&self, admin: &OrgAdmin) -> Result<Vec<OrgAdminRole>> {
        self.store.reader().await?.list_org_admins(admin.org()).await
    }

    /// Makes an account of this organization an admin: at once when the organization manages
    /// it; otherwise the person is invited (one pending invitation per account: a second is
    /// `invitation_pending`) and mailed, and the answer is the invitation. An account that is
    /// an admin already is `already_admin`.
    ///
    /// The invitation is committed before the mail is sent (no transaction waits on a mail
    /// server): if sending fails the caller gets the error, and the invitation stays pending,
    /// listed and cancellable, so it can be cancelled and sent again.
    pub async fn create(&self, admin: &OrgAdmin, account: AccountId) -> Result<AdminGrant> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let acc = tx
            .find_org_account(admin.org(), account)
            .await?
            .ok_or(CoreError::NotFound { entity: "account" })?;
        let already = || {
            CoreError::conflict(
                "already_admin",
                Some("account_id"),
                "The account is already an organization admin.",
            )
        };
        if !acc.is_managed {
            if tx
                .list_org_admins(admin.org())
                .await?
                .iter()
                .any(|a| a.account_id == account)
            {
                return Err(already());
            }
            let (invitation, org_name) = self.invite(&mut tx, admin, &acc.account, now).await?;
            tx.commit().await?;
            self.announce(&invitation, &org_name).await?;
            return Ok(AdminGrant::Invited(invitation));
        }
        if !tx.insert_org_admin(admin.org(), account, now).await? {
            return Err(already());
        }
        let ev = admin.acting().event(AuditAction::OrgAdminGranted, now).target(
            "account",
            account,
            Some(&acc.account.email),
        );
        tx.insert_event(&ev).await?;
        tx.commit().await?;
        Ok(AdminGrant::Granted)
    }

    /// Takes the org admin role away; the last admin keeps it. The organization row is locked
    /// first so two concurrent revocations cannot both pass the last-admin check.
    pub async fn delete(&self, admin: &OrgAdmin, account: AccountId) -> Result<()> {
        let mut tx = self.store.begin().await?;
        tx.lock_org(admin.org()).await?;
        let admins = tx.list_org_admins(admin.org()).await?;
        let Some(role) = admins.iter().find(|a| a.account_id == account) else {
            return Err(CoreError::NotFound { entity: "org admin" });
        };
        if admins.len() <= 1 {
            return Err(CoreError::conflict(
                "last_admin",
                None,
                "The organization must keep at least one admin.",
            ));
        }
        crate::sso::refuse_losing_last_break_glass(&mut tx, admin.org(), account).await?;
        let email = role.email.clone();
        tx.delete_org_admin(admin.org(), account).await?;
        let ev = admin
            .acting()
            .event(AuditAction::OrgAdminRevoked, self.clock.now())
            .target("account", account, Some(&email));
        tx.insert_event(&ev).await?;
        tx.commit().await
    }
}
