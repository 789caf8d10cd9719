//! The organization's SSO settings: break-glass admins and the default groups of accounts
//! created at their first SSO sign-in.

use super::IdentityProviders;
use crate::audit::AuditAction;
use crate::authz::OrgAdmin;
use crate::error::{CoreError, Result};
use crate::ids::{AccountId, GroupId};
use crate::ports::prelude::*;

/// Most break-glass admins or default groups an organization names.
const MAX_LISTED: usize = 100;

impl<S: Store> IdentityProviders<S> {
    pub async fn break_glass(&self, admin: &OrgAdmin) -> Result<Vec<AccountId>> {
        self.store.reader().await?.list_break_glass(admin.org()).await
    }

    /// Names the admins who may still sign in with a password while SSO is enforced. Each must
    /// be an admin of the organization; the list cannot be emptied while a provider is
    /// enforced (someone must be able to get in when the provider is down).
    pub async fn set_break_glass(&self, admin: &OrgAdmin, accounts: Vec<AccountId>) -> Result<Vec<AccountId>> {
        let mut accounts = accounts;
        accounts.sort();
        accounts.dedup();
        if accounts.len() > MAX_LISTED {
            return Err(CoreError::validation(
                "account_ids",
                format!("at most {MAX_LISTED} accounts"),
            ));
        }
        let (org, now) = (admin.org(), self.clock.now());
        let mut tx = self.store.begin().await?;
        // Locked like the admin list, so removing an admin and emptying this list cannot race.
        tx.lock_org(org).await?;
        for id in &accounts {
            if !tx.is_org_admin(org, *id).await? {
                return Err(CoreError::validation(
                    "account_ids",
                    format!("{id} is not an admin of this organization"),
                ));
            }
        }
        let before = tx.list_break_glass(org).await?;
        if before == accounts {
            return Ok(before);
        }
        let enforced = tx.list_idps(org).await?.iter().any(|i| i.enforced);
        if accounts.is_empty() && enforced {
            return Err(CoreError::conflict(
                "last_break_glass_admin",
                Some("account_ids"),
                "The last break-glass admin cannot be removed while single sign-on is enforced: name another first, \
                 or stop enforcing.",
            ));
        }
        tx.set_break_glass(org, &accounts).await?;
        let ev = admin
            .acting()
            .event(AuditAction::SsoBreakGlassChanged, now)
            .target("organization", org, None)
            .before(&serde_json::json!({ "account_ids": before }))
            .after(&serde_json::json!({ "account_ids": accounts }));
        tx.insert_event(&ev).await?;
        tx.commit().await?;
        Ok(accounts)
    }

    pub async fn default_groups(&self, admin: &OrgAdmin) -> Result<Vec<GroupId>> {
        self.store.reader().await?.list_default_groups(admin.org()).await
    }

    /// Names the groups every account created at its first SSO sign-in joins.
    pub async fn set_default_groups(&self, admin: &OrgAdmin, groups: Vec<GroupId>) -> Result<Vec<GroupId>> {
        let mut groups = groups;
        groups.sort();
        groups.dedup();
        if groups.len() > MAX_LISTED {
            return Err(CoreError::validation(
                "group_ids",
                format!("at most {MAX_LISTED} groups"),
            ));
        }
        let (org, now) = (admin.org(), self.clock.now());
        let mut tx = self.store.begin().await?;
        for id in &groups {
            if tx.find_group(org, *id).await?.is_none() {
                return Err(CoreError::validation(
                    "group_ids",
                    format!("{id} is not a group of this organization"),
                ));
            }
        }
        let before = tx.list_default_groups(org).await?;
        if before == groups {
            return Ok(before);
        }
        tx.set_default_groups(org, &groups).await?;
        let ev = admin
            .acting()
            .event(AuditAction::SsoDefaultGroupsChanged, now)
            .target("organization", org, None)
            .before(&serde_json::json!({ "group_ids": before }))
            .after(&serde_json::json!({ "group_ids": groups }));
        tx.insert_event(&ev).await?;
        tx.commit().await?;
        Ok(groups)
    }
}
