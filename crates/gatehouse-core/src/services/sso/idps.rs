//! The organization's identity providers: added, changed and removed by its admins, each
//! change one transaction with its audit event.

use crate::audit::AuditAction;
use crate::authz::OrgAdmin;
use crate::error::{CoreError, Result};
use crate::ids::IdpId;
use crate::ports::prelude::*;
use crate::ports::{Clock, SsoReads, SsoTx};
use crate::sso::{IdentityProvider, IdpSpec};
use std::sync::Arc;

const NOT_FOUND: CoreError = CoreError::NotFound {
    entity: "identity_provider",
};

/// The organization's identity providers.
pub struct IdentityProviders<S: Store> {
    pub(super) store: S,
    pub(super) clock: Arc<dyn Clock>,
}

impl<S: Store> Clone for IdentityProviders<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            clock: Arc::clone(&self.clock),
        }
    }
}

impl<S: Store> IdentityProviders<S> {
    pub(crate) fn new(store: S, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Adds a provider for domains the organization verified (and no other provider has).
    pub async fn create(&self, admin: &OrgAdmin, spec: IdpSpec) -> Result<IdentityProvider> {
        let spec = spec.checked()?;
        let now = self.clock.now();
        let idp = IdentityProvider {
            id: spec.id,
            org_id: admin.org(),
            name: spec.name.to_string(),
            enforced: spec.enforced,
            allow_idp_initiated: spec.allow_idp_initiated,
            map_groups: spec.map_groups,
            default_policy_id: spec.default_policy_id,
            domains: spec.domains,
            settings: spec.settings,
            sealed_secret: spec.sealed_secret,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store.begin().await?;
        check_domains(&mut tx, &idp).await?;
        check_policy(&mut tx, &idp).await?;
        tx.insert_idp(&idp).await?;
        tx.set_idp_domains(&idp).await.map_err(domain_taken)?;
        let ev = admin
            .acting()
            .event(AuditAction::IdpCreated, now)
            .target("identity_provider", idp.id, Some(&idp.name))
            .after(&idp);
        tx.insert_event(&ev).await?;
        if idp.enforced {
            crate::services::policies::idp_switch(&mut tx, admin.acting(), idp.id, true, now).await?;
        }
        tx.commit().await?;
        self.get(admin, idp.id).await
    }

    pub async fn list(&self, admin: &OrgAdmin) -> Result<Vec<IdentityProvider>> {
        self.store.reader().await?.list_idps(admin.org()).await
    }

    pub async fn get(&self, admin: &OrgAdmin, id: IdpId) -> Result<IdentityProvider> {
        self.store
            .reader()
            .await?
            .find_idp(admin.org(), id)
            .await?
            .ok_or(NOT_FOUND)
    }

    /// Applies a change: `change` turns the stored provider into what the admin asked for (a
    /// spec whose `sealed_secret` is `None` keeps the stored secret).
    pub async fn update(
        &self,
        admin: &OrgAdmin,
        id: IdpId,
        change: impl FnOnce(&IdentityProvider) -> Result<IdpSpec>,
    ) -> Result<IdentityProvider> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let before = tx.find_idp(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        let spec = change(&before)?.checked()?;
        if spec.settings.protocol() != before.protocol() {
            return Err(CoreError::validation(
                "protocol",
                "cannot change; add a new identity provider instead",
            ));
        }
        let after = IdentityProvider {
            name: spec.name.to_string(),
            enforced: spec.enforced,
            allow_idp_initiated: spec.allow_idp_initiated,
            map_groups: spec.map_groups,
            default_policy_id: spec.default_policy_id,
            domains: spec.domains,
            settings: spec.settings,
            sealed_secret: spec.sealed_secret.or_else(|| before.sealed_secret.clone()),
            updated_at: now,
            ..before.clone()
        };
        let unchanged = IdentityProvider {
            updated_at: before.updated_at,
            ..after.clone()
        } == before;
        if unchanged {
            return Ok(before);
        }
        check_domains(&mut tx, &after).await?;
        check_policy(&mut tx, &after).await?;
        tx.update_idp(&after).await?;
        tx.set_idp_domains(&after).await.map_err(domain_taken)?;
        let mut ev = admin
            .acting()
            .event(AuditAction::IdpUpdated, now)
            .target("identity_provider", id, Some(&after.name))
            .before(&before)
            .after(&after);
        if after.sealed_secret != before.sealed_secret {
            ev = ev.after(&serde_json::json!({ "idp": &after, "secret_changed": true }));
        }
        tx.insert_event(&ev).await?;
        if spec.enforced != before.enforced {
            crate::services::policies::idp_switch(&mut tx, admin.acting(), id, spec.enforced, now).await?;
        }
        tx.commit().await?;
        self.get(admin, id).await
    }

    /// Removes a provider: its people sign in with their passwords again.
    pub async fn delete(&self, admin: &OrgAdmin, id: IdpId) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let before = tx.find_idp(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        // A policy that enforces SSO through this provider stops enforcing: its people sign in
        // with their passwords again, as they did when the switch was the provider's.
        for p in tx.list_policies(admin.org()).await? {
            if p.settings.sso.identity_provider_id == Some(id) {
                let mut after = p.clone();
                after.settings.sso = crate::policy::SsoRule::default();
                after.updated_at = now;
                tx.update_policy(&after).await?;
                let ev = admin
                    .acting()
                    .event(AuditAction::PolicyUpdated, now)
                    .target("policy", p.id, Some(&p.name))
                    .target("identity_provider", id, Some(&before.name))
                    .before(&p)
                    .after(&after);
                tx.insert_event(&ev).await?;
            }
        }
        tx.delete_idp(admin.org(), id).await?;
        let ev = admin
            .acting()
            .event(AuditAction::IdpDeleted, now)
            .target("identity_provider", id, Some(&before.name))
            .before(&before);
        tx.insert_event(&ev).await?;
        tx.commit().await
    }
}

/// The policy the provider's accounts join must be one of its organization's.
async fn check_policy<T: PolicyReads + Send>(tx: &mut T, idp: &IdentityProvider) -> Result<()> {
    if let Some(p) = idp.default_policy_id
        && tx.find_policy(idp.org_id, p).await?.is_none()
    {
        return Err(CoreError::validation(
            "default_policy_id",
            "is not an authentication policy of this organization",
        ));
    }
    Ok(())
}

/// Every domain must be verified by the provider's organization.
async fn check_domains<T: DomainReads + Send>(tx: &mut T, idp: &IdentityProvider) -> Result<()> {
    for name in &idp.domains {
        let verified = tx.find_verified_domain(name).await?;
        if verified.is_none_or(|d| d.org_id != idp.org_id) {
            return Err(CoreError::validation(
                "domains",
                format!("{name} is not a domain this organization has verified"),
            ));
        }
    }
    Ok(())
}

fn domain_taken(e: CoreError) -> CoreError {
    match e {
        CoreError::Conflict {
            code: "unique_violation",
            ..
        } => CoreError::conflict(
            "domain_taken",
            Some("domains"),
            "A domain in this list already signs in through another identity provider.",
        ),
        other => other,
    }
}
