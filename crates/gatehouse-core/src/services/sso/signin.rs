//! Sign-ins through an identity provider: started (the request kept in the database), then
//! finished with what the provider's validated answer says, in one transaction: the request
//! taken, the assertion remembered, the account found, linked or created just in time, and
//! the audit event.

use super::jit;
use super::refusal::{REPLAYED, SsoRefusal, UNKNOWN_REQUEST, UNSOLICITED};
use crate::Timestamp;
use crate::audit::{Actor, AuditAction, AuditEvent, RequestMeta};
use crate::auth::Authenticated;
use crate::error::Result;
use crate::ids::IdpId;
use crate::ports::prelude::*;
use crate::ports::{Clock, SsoReads, SsoTx};
use crate::sso::{ExternalIdentity, IdentityProvider, REQUEST_SECS, SsoRequest, SsoSession};
use crate::types::Email;
use std::sync::Arc;

/// A finished sign-in.
#[derive(Debug)]
pub enum Finished {
    /// The person is authenticated; open their session, then send them to `return_to`.
    SignedIn {
        authenticated: Authenticated,
        return_to: String,
        /// The provider's subject and session index, kept with the session for single logout.
        subject: String,
        session_index: Option<String>,
    },
    /// An admin's test: show what came back; nobody signs in.
    Tested {
        identity: ExternalIdentity,
        return_to: String,
    },
}

/// Sign-ins through identity providers.
pub struct SsoSignIns<S: Store> {
    store: S,
    clock: Arc<dyn Clock>,
}

impl<S: Store> Clone for SsoSignIns<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            clock: Arc::clone(&self.clock),
        }
    }
}

impl<S: Store> SsoSignIns<S> {
    pub(crate) fn new(store: S, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// The provider of this id (its public endpoints).
    pub async fn provider(&self, id: IdpId) -> Result<Option<IdentityProvider>> {
        self.store.reader().await?.find_idp_by_id(id).await
    }

    /// The provider the address's domain signs in with, if any (home-realm discovery): from
    /// the domain alone, whether or not an account has the address.
    pub async fn route(&self, email: &Email) -> Result<Option<IdentityProvider>> {
        self.store.reader().await?.find_idp_for_domain(email.domain()).await
    }

    /// Keeps a started sign-in until the provider answers (at most [`REQUEST_SECS`]).
    #[allow(clippy::too_many_arguments)]
    pub async fn begin(
        &self,
        idp: &IdentityProvider,
        id: String,
        return_to: String,
        nonce: Option<String>,
        pkce_verifier: Option<String>,
        tester: Option<crate::ids::AccountId>,
    ) -> Result<SsoRequest> {
        let now = self.clock.now();
        let request = SsoRequest {
            id,
            idp_id: idp.id,
            return_to,
            nonce,
            pkce_verifier,
            tester,
            created_at: now,
            expires_at: now.plus_secs(REQUEST_SECS),
        };
        let mut tx = self.store.begin().await?;
        tx.insert_sso_request(&request).await?;
        tx.commit().await?;
        Ok(request)
    }

    /// Takes the provider's started sign-in of this id (OIDC: by `state`, before the code is
    /// exchanged); `None` when unknown, expired or already answered.
    pub async fn take(&self, idp: &IdentityProvider, id: &str) -> Result<Option<SsoRequest>> {
        let mut tx = self.store.begin().await?;
        let r = tx.take_sso_request(idp.id, id, self.clock.now()).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Finishes a sign-in with what the provider's validated answer says. `request` is the
    /// started sign-in it answers: `Answer::InResponseTo` (SAML, taken here, in the same
    /// transaction as everything else), `Answer::Taken` (OIDC, taken by `state` already) or
    /// `Answer::Unsolicited` (an IdP-initiated SAML response). A refusal is recorded with its
    /// reason and nothing else changes.
    pub async fn finish(
        &self,
        idp: &IdentityProvider,
        answer: Answer,
        identity: ExternalIdentity,
        meta: &RequestMeta,
    ) -> Result<std::result::Result<Finished, SsoRefusal>> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let outcome = match self.finish_in(&mut tx, idp, answer, &identity, meta, now).await? {
            Ok(f) => f,
            Err(refusal) => {
                drop(tx);
                self.refused(idp, &refusal, Some(&identity), meta).await?;
                return Ok(Err(refusal));
            }
        };
        tx.commit().await?;
        Ok(Ok(outcome))
    }

    async fn finish_in(
        &self,
        tx: &mut S::Tx,
        idp: &IdentityProvider,
        answer: Answer,
        identity: &ExternalIdentity,
        meta: &RequestMeta,
        now: Timestamp,
    ) -> Result<std::result::Result<Finished, SsoRefusal>> {
        let request = match answer {
            Answer::InResponseTo(id) => match tx.take_sso_request(idp.id, &id, now).await? {
                Some(r) => Some(r),
                None => return Ok(Err(UNKNOWN_REQUEST)),
            },
            Answer::Taken(r) => Some(r),
            Answer::Unsolicited if idp.allow_idp_initiated => None,
            Answer::Unsolicited => return Ok(Err(UNSOLICITED)),
        };
        if let Some((id, until)) = &identity.assertion
            && !tx.remember_assertion(idp.id, id, *until).await?
        {
            return Ok(Err(REPLAYED));
        }
        let return_to = request
            .as_ref()
            .map_or_else(|| "/account".to_owned(), |r| r.return_to.clone());
        if let Some(tester) = request.as_ref().and_then(|r| r.tester) {
            let actor = match tx.find_account(tester).await? {
                Some(a) => crate::authz::account_actor(&a),
                None => Actor::system("sso-test"),
            };
            let ev = AuditEvent::new(idp.org_id, &actor, meta, AuditAction::SsoTestSignIn, now)
                .target("identity_provider", idp.id, Some(&idp.name))
                .after(identity);
            tx.insert_event(&ev).await?;
            return Ok(Ok(Finished::Tested {
                identity: identity.clone(),
                return_to,
            }));
        }
        let account = match jit::account_for(tx, idp, identity, meta, now).await? {
            Ok(a) => a,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let ev = AuditEvent::new(
            idp.org_id,
            &crate::authz::account_actor(&account),
            meta,
            AuditAction::SsoSignedIn,
            now,
        )
        .target("account", account.id, Some(&account.email))
        .target("identity_provider", idp.id, Some(&idp.name))
        .after(&serde_json::json!({ "subject": identity.subject, "idp_initiated": request.is_none() }));
        tx.insert_event(&ev).await?;
        Ok(Ok(Finished::SignedIn {
            authenticated: Authenticated::external(account, meta, now),
            return_to,
            subject: identity.subject.clone(),
            session_index: identity.session_index.clone(),
        }))
    }

    /// Records a refused sign-in in the provider's organization's log, with its reason and
    /// what was asserted (if the answer got that far).
    pub async fn refused(
        &self,
        idp: &IdentityProvider,
        refusal: &SsoRefusal,
        identity: Option<&ExternalIdentity>,
        meta: &RequestMeta,
    ) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let ev = AuditEvent::new(
            idp.org_id,
            &Actor::system("sso"),
            meta,
            AuditAction::SsoSignInFailed,
            now,
        )
        .target("identity_provider", idp.id, Some(&idp.name))
        .after(&serde_json::json!({
            "reason": refusal.reason,
            "subject": identity.map(|i| &i.subject),
            "email": identity.and_then(|i| i.email.as_ref()),
        }));
        tx.insert_event(&ev).await?;
        tx.commit().await
    }

    /// Keeps what single logout needs of a session opened through a provider.
    pub async fn record_session(&self, session: &SsoSession) -> Result<()> {
        let mut tx = self.store.begin().await?;
        tx.insert_sso_session(session).await?;
        tx.commit().await
    }

    /// What single logout needs of a session that is ending, if a provider opened it.
    pub async fn take_session(&self, session: crate::ids::SessionId) -> Result<Option<SsoSession>> {
        let mut tx = self.store.begin().await?;
        let s = tx.take_sso_session(session).await?;
        tx.commit().await?;
        Ok(s)
    }

    /// Deletes expired started sign-ins and remembered assertions.
    pub async fn prune(&self) -> Result<u64> {
        let mut tx = self.store.begin().await?;
        let n = tx.prune_sso(self.clock.now()).await?;
        tx.commit().await?;
        Ok(n)
    }
}

/// Which started sign-in a provider's answer belongs to.
#[derive(Debug)]
pub enum Answer {
    /// A SAML response's InResponseTo.
    InResponseTo(String),
    /// Taken already (OIDC, by `state`).
    Taken(SsoRequest),
    /// Nobody asked (IdP-initiated SAML).
    Unsolicited,
}
