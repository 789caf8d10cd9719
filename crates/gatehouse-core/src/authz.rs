//! Authorization as a capability: services that act on an organization take an [`OrgAdmin`],
//! and the only ways to get one are the checks in this module.

use crate::audit::{Actor, ActorKind, RequestMeta};
use crate::error::{CoreError, Result};
use crate::ids::OrgId;
use crate::model::ApiKey;
use crate::ports::{Clock, prelude::*};
use crate::secret;

/// Proof that the caller may administer `org`. Fields are private: it cannot be forged.
#[derive(Debug, Clone)]
pub struct OrgAdmin {
    org: OrgId,
    actor: Actor,
    meta: RequestMeta,
}

impl OrgAdmin {
    pub fn org(&self) -> OrgId {
        self.org
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn meta(&self) -> &RequestMeta {
        &self.meta
    }
}

/// API keys are presented as `Bearer ghk_...`.
pub const API_KEY_KIND: &str = "ghk";

/// Checks an org API key against the organization in the request path.
///
/// An unknown, expired or revoked key is `Unauthenticated`. A valid key of another
/// organization gets `NotFound` for the organization, exactly as a nonexistent id would, so
/// keys cannot probe which organizations exist.
pub async fn authorize_api_key<S: Store>(
    store: &S,
    clock: &dyn Clock,
    presented: &str,
    org: OrgId,
    meta: RequestMeta,
) -> Result<OrgAdmin> {
    let invalid = || CoreError::Unauthenticated {
        code: "invalid_api_key",
        message: "The API key is not valid.".into(),
    };
    if !presented.starts_with("ghk_") || presented.len() > 100 {
        return Err(invalid());
    }
    let digest = secret::digest(presented);
    let mut r = store.reader().await?;
    let key = r.find_api_key_by_digest(&digest).await?.ok_or_else(invalid)?;
    let now = clock.now();
    if key.revoked_at.is_some() {
        return Err(CoreError::Unauthenticated {
            code: "api_key_revoked",
            message: "The API key has been revoked.".into(),
        });
    }
    if now >= key.expires_at {
        return Err(CoreError::Unauthenticated {
            code: "api_key_expired",
            message: "The API key has expired.".into(),
        });
    }
    if key.org_id != org {
        return Err(CoreError::NotFound { entity: "organization" });
    }
    // Last use is recorded at most once a minute: it is telemetry for admins deciding which
    // keys to revoke, not an audited change, so a failure to write it does not refuse the call.
    if key.last_used_at.is_none_or(|t| now.millis() - t.millis() > 60_000) {
        drop(r);
        let touched = ApiKey {
            last_used_at: Some(now),
            ..key.clone()
        };
        if let Ok(mut tx) = store.begin().await
            && tx.update_api_key(&touched).await.is_ok()
        {
            let _ = tx.commit().await;
        }
    }
    Ok(OrgAdmin {
        org,
        actor: Actor {
            kind: ActorKind::ApiKey,
            id: Some(key.id.to_string()),
            label: key.name.clone(),
        },
        meta,
    })
}

/// The capability for work the system does on its own (jobs, bootstrap).
pub fn system(org: OrgId, label: &str) -> OrgAdmin {
    OrgAdmin {
        org,
        actor: Actor::system(label),
        meta: RequestMeta::default(),
    }
}

/// The capability for an admin signed in to the console; only [`crate::signin::SignIn::authorize`]
/// calls this, after checking the account's admin role.
pub(crate) fn for_account(org: OrgId, actor: Actor, meta: RequestMeta) -> OrgAdmin {
    OrgAdmin { org, actor, meta }
}
