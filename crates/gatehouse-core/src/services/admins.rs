use super::capability::capability;
use crate::audit::AuditAction;
use crate::authz::OrgAdmin;
use crate::error::{CoreError, Result};
use crate::ids::AccountId;
use crate::model::OrgAdminRole;
use crate::ports::prelude::*;

capability!(Admins, "The organization's admins.");

impl<S: Store> Admins<S> {
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

    /// Gives an account of this organization the org admin role.
    pub async fn create(&self, admin: &OrgAdmin, account: AccountId) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let acc = tx
            .find_org_account(admin.org(), account)
            .await?
            .ok_or(CoreError::NotFound { entity: "account" })?;
        if !tx.insert_org_admin(admin.org(), account, now).await? {
            return Err(CoreError::conflict(
                "already_admin",
                Some("account_id"),
                "The account is already an organization admin.",
            ));
        }
        let ev = admin.acting().event(AuditAction::OrgAdminGranted, now).target(
            "account",
            account,
            Some(&acc.account.email),
        );
        tx.insert_event(&ev).await?;
        tx.commit().await
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
