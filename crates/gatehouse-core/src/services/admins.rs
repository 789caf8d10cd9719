use super::Services;
use crate::audit::AuditEvent;
use crate::authz::OrgAdmin;
use crate::error::{CoreError, Result};
use crate::ids::AccountId;
use crate::model::OrgAdminRole;
use crate::ports::prelude::*;

impl<S: Store> Services<S> {
    pub async fn list_org_admins(&self, admin: &OrgAdmin) -> Result<Vec<OrgAdminRole>> {
        self.store.reader().await?.list_org_admins(admin.org()).await
    }

    /// Gives an account of this organization the org admin role.
    pub async fn grant_org_admin(&self, admin: &OrgAdmin, account: AccountId) -> Result<()> {
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
        let ev = AuditEvent::new(admin.org(), admin.actor(), admin.meta(), "org_admin.granted", now).target(
            "account",
            account,
            Some(&acc.account.email),
        );
        tx.insert_event(&ev).await?;
        tx.commit().await
    }

    /// Takes the org admin role away; the last admin keeps it. The organization row is locked
    /// first so two concurrent revocations cannot both pass the last-admin check.
    pub async fn revoke_org_admin(&self, admin: &OrgAdmin, account: AccountId) -> Result<()> {
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
        let ev = AuditEvent::new(
            admin.org(),
            admin.actor(),
            admin.meta(),
            "org_admin.revoked",
            self.clock.now(),
        )
        .target("account", account, Some(&email));
        tx.insert_event(&ev).await?;
        tx.commit().await
    }
}
