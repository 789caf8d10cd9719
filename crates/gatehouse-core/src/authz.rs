//! Authorization as a capability: one checked type per kind of caller, each with private
//! fields so that only its check can make one.
//!
//! - [`OrgAdmin`]: may administer one organization (an org API key, a console admin, the system).
//! - [`SignedIn`]: a person with a live session; only [`crate::auth`] makes one.
//! - [`crate::services::DirectoryCaller`]: a directory presenting its valid SCIM token.
//! - [`Operator`]: the installation's operator, at the command line.
//!
//! End-user sessions for products and product clients (OIDC) will each get theirs here.

use crate::acting::Acting;
use crate::audit::{Actor, ActorKind, RequestMeta};
use crate::error::{CoreError, Result};
use crate::ids::{AccountId, OrgId};
use crate::model::{Account, ApiKey, Org, Session};
use crate::ports::{Clock, prelude::*};
use crate::secret;

/// Proof that the caller may administer `org`. Fields are private: it cannot be forged.
#[derive(Debug, Clone)]
pub struct OrgAdmin {
    acting: Acting,
}

impl OrgAdmin {
    fn new(org: OrgId, actor: Actor, meta: RequestMeta) -> Self {
        Self {
            acting: Acting::new(org, actor, meta),
        }
    }

    /// Who acts, on which organization, from where.
    pub fn acting(&self) -> &Acting {
        &self.acting
    }

    /// The organization administered.
    pub fn org(&self) -> OrgId {
        self.acting.org()
    }

    /// The party acting, as the audit log names it.
    pub fn actor(&self) -> &Actor {
        self.acting.actor()
    }

    /// Where the request came from.
    pub fn meta(&self) -> &RequestMeta {
        self.acting.meta()
    }
}

/// Proof that a person signed in and their session is live: not expired, not idle too long,
/// and their account still active. Only the authentication module makes one, from a session
/// token it has checked.
#[derive(Debug, Clone)]
pub struct SignedIn {
    account: Account,
    session: Session,
    /// The stored digest of the session token (the token itself stays with the browser).
    digest: String,
}

impl SignedIn {
    /// Made by [`crate::auth`] once it has found and checked the session.
    pub(crate) fn new(account: Account, session: Session, digest: String) -> Self {
        Self {
            account,
            session,
            digest,
        }
    }

    /// The signed-in person's account.
    pub fn account(&self) -> &Account {
        &self.account
    }

    /// The live session.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The token every form of this session must carry (synchronizer-token CSRF defence).
    pub fn csrf(&self) -> &str {
        &self.session.csrf
    }

    pub(crate) fn digest(&self) -> &str {
        &self.digest
    }

    /// The audit actor: the person's account.
    pub fn actor(&self) -> Actor {
        account_actor(&self.account)
    }
}

/// An account as the audit log names it when it acts itself.
pub(crate) fn account_actor(a: &Account) -> Actor {
    Actor {
        kind: ActorKind::Account,
        id: Some(a.id.to_string()),
        label: a.email.clone(),
    }
}

/// The org admin capability for a signed-in person in `org`. An organization the account does
/// not administer is "not found", like one that does not exist.
pub async fn authorize_signed_in<S: Store>(
    store: &S,
    signed_in: &SignedIn,
    org: OrgId,
    meta: RequestMeta,
) -> Result<OrgAdmin> {
    let mut r = store.reader().await?;
    if r.find_org(org).await?.is_none() || !r.is_org_admin(org, signed_in.account.id).await? {
        return Err(CoreError::NotFound { entity: "organization" });
    }
    Ok(OrgAdmin::new(org, signed_in.actor(), meta))
}

/// The organizations an account administers, by name: the console admits a person who has
/// at least one and offers them as its choice of organization.
pub async fn admin_orgs<S: Store>(store: &S, account: AccountId) -> Result<Vec<Org>> {
    store.reader().await?.list_admin_orgs(account).await
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
    let actor = Actor {
        kind: ActorKind::ApiKey,
        id: Some(key.id.to_string()),
        label: key.name.clone(),
    };
    Ok(OrgAdmin::new(org, actor, meta))
}

/// The capability for work the system does on its own (jobs, bootstrap).
pub fn system(org: OrgId, label: &str) -> OrgAdmin {
    OrgAdmin::new(org, Actor::system(label), RequestMeta::default())
}

/// Proof that the installation's operator acts: whoever runs the server's command line (and so
/// holds its database). Only [`operator`] makes one, and no HTTP path calls it: an
/// organization's own API key or admin never holds it.
#[derive(Debug, Clone)]
pub struct Operator {
    actor: Actor,
}

impl Operator {
    /// The party acting, as the audit log names it (a system actor).
    pub fn actor(&self) -> &Actor {
        &self.actor
    }
}

/// The operator's capability, for the command line (`gatehouse org ...`).
pub fn operator(label: &str) -> Operator {
    Operator {
        actor: Actor::system(label),
    }
}
