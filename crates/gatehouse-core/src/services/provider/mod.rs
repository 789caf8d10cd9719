//! The OpenID Connect provider's domain: which client is calling, who may sign in to it, and
//! the product sessions a sign-in leaves (codes, grants, refresh tokens), each step in one
//! transaction with its audit event. The protocol (parameters, JWTs, PKCE) is the server's,
//! through `gatehouse-oidc`; this never sees a JWT.

mod cache;
mod ending;
mod sessions;

pub use cache::{CLIENT_CACHE_MS, ClientCache};
pub use ending::TokenGrantCount;
pub(crate) use ending::{end_account_grants, end_session_grants};

use crate::Timestamp;
use crate::audit::{Actor, ActorKind, AuditAction, AuditEvent, RequestMeta};
use crate::authz::SignedIn;
use crate::error::{CoreError, Result};
use crate::ids::{ClientId, GrantId};
use crate::oauth::{Client, CodeGrant, EndedGrant, Grant, GrantType, Subject, Taken};
use crate::ports::prelude::*;
use crate::secret;
use std::sync::Arc;

/// How long what the provider issues lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderPolicy {
    pub code_ttl_secs: i64,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
}

impl Default for ProviderPolicy {
    /// Code 60 s, access token 10 minutes, refresh token 30 days.
    fn default() -> Self {
        Self {
            code_ttl_secs: 60,
            access_ttl_secs: 600,
            refresh_ttl_secs: 30 * 86_400,
        }
    }
}

/// A client that proved who it is (its secret), or a public client that named itself. Only
/// [`Provider::authenticate`] makes one.
#[derive(Debug, Clone)]
pub struct ProvenClient(Client);

impl ProvenClient {
    pub fn client(&self) -> &Client {
        &self.0
    }

    /// The client as the actor of what it does.
    pub fn actor(&self) -> Actor {
        Actor {
            kind: ActorKind::Client,
            id: Some(self.0.id.to_string()),
            label: self.0.name.clone(),
        }
    }
}

/// What an authorization request asks for, once the protocol layer has checked it.
#[derive(Debug, Clone)]
pub struct CodeRequest {
    pub redirect_uri: String,
    /// Granted scopes, space-separated.
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
}

/// The tokens' facts after a code exchange or a refresh: the grant, who it speaks of and,
/// when the grant has `offline_access`, the new refresh token (shown once).
#[derive(Debug, Clone)]
pub struct Issued {
    pub grant: Grant,
    pub subject: Subject,
    /// The authorization request's nonce (only on the code exchange's ID token).
    pub nonce: Option<String>,
    pub refresh_token: Option<String>,
}

/// The kind tag of authorization codes and refresh tokens.
const CODE_KIND: &str = "ghac";
const REFRESH_KIND: &str = "ghrt";

fn invalid_grant(message: &str) -> CoreError {
    CoreError::Unauthenticated {
        code: "invalid_grant",
        message: message.to_owned(),
    }
}

fn invalid_client() -> CoreError {
    CoreError::Unauthenticated {
        code: "invalid_client",
        message: "Client authentication failed.".to_owned(),
    }
}

/// The provider. Built by [`crate::services::Services`] with the installation's lifetimes.
pub struct Provider<S: Store> {
    store: S,
    clock: Arc<dyn crate::ports::Clock>,
    policy: ProviderPolicy,
    /// Clients that proved their credentials lately (shared with `Clients`, which empties
    /// it on every change).
    cache: Arc<ClientCache>,
}

impl<S: Store> Clone for Provider<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            clock: Arc::clone(&self.clock),
            policy: self.policy,
            cache: Arc::clone(&self.cache),
        }
    }
}

impl<S: Store> Provider<S> {
    pub(crate) fn new(
        store: S,
        clock: Arc<dyn crate::ports::Clock>,
        policy: ProviderPolicy,
        cache: Arc<ClientCache>,
    ) -> Self {
        Self {
            store,
            clock,
            policy,
            cache,
        }
    }

    /// The same provider (and cache) issuing with other lifetimes.
    #[must_use]
    pub(crate) fn with_policy(mut self, policy: ProviderPolicy) -> Self {
        self.policy = policy;
        self
    }

    pub fn policy(&self) -> &ProviderPolicy {
        &self.policy
    }

    /// The client an authorization request names; `NotFound` for anything else (the caller
    /// shows an error page: it must never redirect to an unverified address).
    pub async fn client(&self, client_id: &str) -> Result<Client> {
        let id = ClientId::parse(client_id).map_err(|_| CoreError::NotFound { entity: "client" })?;
        self.store
            .reader()
            .await?
            .find_client_by_id(id)
            .await?
            .ok_or(CoreError::NotFound { entity: "client" })
    }

    /// Checks the client's credentials (RFC 6749 §2.3): a confidential client must present a
    /// working secret, a public one none. Every failure is the same `invalid_client`.
    pub async fn authenticate(&self, client_id: &str, secret: Option<&str>) -> Result<ProvenClient> {
        let id = ClientId::parse(client_id).map_err(|_| invalid_client())?;
        let now = self.clock.now();
        let digest = secret.map(secret::digest);
        if let Some(client) = self.cache.get(id, digest.as_deref(), now) {
            return Ok(ProvenClient(client));
        }
        let mut r = self.store.reader().await?;
        let client = r.find_client_by_id(id).await?.ok_or_else(invalid_client)?;
        let proven = match (client.public, &digest) {
            (true, None) => true,
            (false, Some(d)) => r.client_secret_matches(id, d, now).await?,
            _ => false,
        };
        if !proven {
            return Err(invalid_client());
        }
        self.cache.put(&client, digest, now);
        Ok(ProvenClient(client))
    }

    /// Whether the signed-in person may sign in to the client (see [`crate::ports::OAuthReads`]:
    /// `may_use_instance`, `may_use_org`). A refusal is recorded in the client's organization.
    pub async fn admit(&self, client: &Client, who: &SignedIn, meta: &RequestMeta) -> Result<bool> {
        let account = who.account().id;
        let mut r = self.store.reader().await?;
        if admitted(&mut r, client, account).await? {
            return Ok(true);
        }
        drop(r);
        let mut tx = self.store.begin().await?;
        let ev = AuditEvent::new(
            client.org_id,
            &who.actor(),
            meta,
            AuditAction::OAuthAccessDenied,
            self.clock.now(),
        )
        .target("client", client.id, Some(&client.name))
        .after(&serde_json::json!({ "account_id": account.to_string() }));
        tx.insert_event(&ev).await?;
        tx.commit().await?;
        Ok(false)
    }

    /// Issues an authorization code for the admitted person (see [`Provider::admit`]) and
    /// records the sign-in in the client's organization. The code is shown once.
    pub async fn issue_code(
        &self,
        client: &Client,
        who: &SignedIn,
        req: CodeRequest,
        meta: &RequestMeta,
    ) -> Result<String> {
        let now = self.clock.now();
        let minted = secret::mint(CODE_KIND)?;
        let code = CodeGrant {
            grant_id: GrantId::new(),
            client_id: client.id,
            account_id: who.account().id,
            session_id: Some(who.session().id),
            redirect_uri: req.redirect_uri,
            scope: req.scope,
            nonce: req.nonce,
            code_challenge: req.code_challenge,
            auth_time: who.session().created_at,
            amr: session_amr(who),
            expires_at: now.plus_secs(self.policy.code_ttl_secs),
        };
        let mut tx = self.store.begin().await?;
        tx.insert_code(&minted.digest, &code, now).await?;
        let ev = AuditEvent::new(client.org_id, &who.actor(), meta, AuditAction::OAuthSignedIn, now)
            .target("client", client.id, Some(&client.name))
            .after(
                &serde_json::json!({ "account_id": code.account_id.to_string(), "scope": code.scope,
                "grant_id": code.grant_id.to_string() }),
            );
        tx.insert_event(&ev).await?;
        tx.commit().await?;
        Ok(minted.value)
    }

    /// Exchanges a code (RFC 6749 §4.1.3). `check_pkce` gets the stored challenge and answers
    /// whether the verifier presented matches it. A code presented a second time revokes
    /// everything the first exchange issued (RFC 6749 §4.1.2) and is recorded; any other
    /// failure changes nothing.
    pub async fn exchange_code(
        &self,
        client: &ProvenClient,
        code: &str,
        redirect_uri: Option<&str>,
        check_pkce: impl FnOnce(Option<&str>) -> Result<()>,
        meta: &RequestMeta,
    ) -> Result<Issued> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let c = match tx.take_code(&secret::digest(code), now).await? {
            Taken::Fresh(c) => c,
            Taken::Spent(grant) => {
                self.end_replayed(tx, client, grant, AuditAction::OAuthCodeReplayed, meta)
                    .await?;
                return Err(invalid_grant("The authorization code was already used."));
            }
            Taken::Missing => return Err(invalid_grant("The authorization code is not valid.")),
        };
        let c = check_code(c, client, redirect_uri, now)?;
        check_pkce(c.code_challenge.as_deref())?;
        let subject = self.live_subject(&mut tx, client.client(), c.account_id).await?;
        let grant = Grant {
            id: c.grant_id,
            client_id: c.client_id,
            org_id: client.client().org_id,
            account_id: c.account_id,
            session_id: c.session_id,
            scope: c.scope,
            auth_time: c.auth_time,
            amr: c.amr,
            created_at: now,
            last_used_at: now,
            revoked_at: None,
        };
        tx.insert_grant(&grant).await?;
        let refresh_token = self.refresh_token_for(&mut tx, client.client(), &grant, now).await?;
        tx.commit().await?;
        Ok(Issued {
            grant,
            subject,
            nonce: c.nonce,
            refresh_token,
        })
    }

    /// Uses a refresh token (RFC 6749 §6): it is spent and a new one issued in its place. A
    /// spent token presented again revokes its whole family (OAuth 2.0 Security BCP §4.14) and
    /// is recorded. `narrow` checks a requested scope against the granted one.
    pub async fn refresh(
        &self,
        client: &ProvenClient,
        token: &str,
        narrow: impl FnOnce(&str) -> Result<String>,
        meta: &RequestMeta,
    ) -> Result<Issued> {
        let now = self.clock.now();
        if !client.client().allows(GrantType::RefreshToken) {
            return Err(CoreError::Forbidden {
                code: "unauthorized_client",
                message: "This client may not use refresh tokens.".into(),
            });
        }
        let mut tx = self.store.begin().await?;
        let mut grant = match tx.take_refresh_token(&secret::digest(token), now).await? {
            Taken::Fresh(g) if g.client_id == client.client().id => g,
            Taken::Fresh(_) | Taken::Missing => return Err(invalid_grant("The refresh token is not valid.")),
            Taken::Spent(grant) => {
                self.end_replayed(tx, client, grant, AuditAction::OAuthRefreshReused, meta)
                    .await?;
                return Err(invalid_grant("The refresh token was already used."));
            }
        };
        let subject = match self.live_subject(&mut tx, client.client(), grant.account_id).await {
            Ok(s) => s,
            Err(e) => {
                // Whoever may no longer sign in keeps no product session either.
                let ended = tx.revoke_grant(grant.id, now).await?;
                tx.queue_logout_notices(&ended.into_iter().collect::<Vec<_>>(), now)
                    .await?;
                tx.commit().await?;
                return Err(e);
            }
        };
        grant.scope = narrow(&grant.scope)?;
        tx.touch_grant(grant.id, now).await?;
        grant.last_used_at = now;
        let refresh_token = self.refresh_token_for(&mut tx, client.client(), &grant, now).await?;
        tx.commit().await?;
        Ok(Issued {
            grant,
            subject,
            nonce: None,
            refresh_token,
        })
    }

    /// Whether the client may use the client-credentials grant (RFC 6749 §4.4).
    pub fn client_credentials(&self, client: &ProvenClient) -> Result<()> {
        if client.client().allows(GrantType::ClientCredentials) {
            Ok(())
        } else {
            Err(CoreError::Forbidden {
                code: "unauthorized_client",
                message: "This client may not use the client_credentials grant.".into(),
            })
        }
    }

    /// A live grant and who it speaks of, for userinfo and introspection: `None` when the
    /// grant was revoked (or pruned) or its account is no longer active.
    pub async fn live_grant(&self, id: GrantId) -> Result<Option<(Grant, Subject)>> {
        let mut r = self.store.reader().await?;
        let Some(grant) = r.find_grant(id).await?.filter(|g| g.revoked_at.is_none()) else {
            return Ok(None);
        };
        let subject = r.find_subject(grant.account_id).await?;
        Ok(subject
            .filter(|s| s.account.status == crate::product::AccountStatus::Active)
            .map(|s| (grant, s)))
    }

    /// Whether a client still exists (a deleted client's tokens stop passing introspection).
    pub async fn client_exists(&self, id: ClientId) -> Result<bool> {
        if self.cache.knows(id, self.clock.now()) {
            return Ok(true);
        }
        Ok(self.store.reader().await?.find_client_by_id(id).await?.is_some())
    }

    /// Revokes a refresh token's family (RFC 7009), when it is the client's. Anything else
    /// (another client's token, an unknown one) changes nothing and is not told apart.
    pub async fn revoke_refresh_token(&self, client: &ProvenClient, token: &str, meta: &RequestMeta) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let ended = tx
            .revoke_by_refresh_token(client.client().id, &secret::digest(token), now)
            .await?;
        self.record_revocation(&mut tx, client, ended, meta).await?;
        tx.commit().await
    }

    /// Revokes the grant an access token of this client carries (RFC 7009).
    pub async fn revoke_grant_of(&self, client: &ProvenClient, grant: GrantId, meta: &RequestMeta) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        match tx.find_grant(grant).await? {
            Some(g) if g.client_id == client.client().id => {}
            _ => return Ok(()),
        }
        let ended = tx.revoke_grant(grant, now).await?;
        self.record_revocation(&mut tx, client, ended, meta).await?;
        tx.commit().await
    }

    async fn record_revocation(
        &self,
        tx: &mut S::Tx,
        client: &ProvenClient,
        ended: Option<EndedGrant>,
        meta: &RequestMeta,
    ) -> Result<()> {
        let Some(e) = ended else { return Ok(()) };
        let now = self.clock.now();
        tx.queue_logout_notices(std::slice::from_ref(&e), now).await?;
        let ev = AuditEvent::new(e.org_id, &client.actor(), meta, AuditAction::OAuthSessionRevoked, now)
            .target("account", e.account_id, None)
            .after(
                &serde_json::json!({ "grant_id": e.grant_id.to_string(), "client_id": e.client_id.to_string(),
                "by": "revocation_endpoint" }),
            );
        tx.insert_event(&ev).await
    }

    /// A replayed code or refresh token: the grant it belongs to ends, and the attempt is
    /// recorded in the grant's organization (the presenting client's, if the grant is gone).
    async fn end_replayed(
        &self,
        mut tx: S::Tx,
        client: &ProvenClient,
        grant: GrantId,
        action: AuditAction,
        meta: &RequestMeta,
    ) -> Result<()> {
        let now = self.clock.now();
        let ended = tx.revoke_grant(grant, now).await?;
        let org = ended.as_ref().map_or(client.client().org_id, |e| e.org_id);
        tx.queue_logout_notices(&ended.iter().cloned().collect::<Vec<_>>(), now)
            .await?;
        let ev = AuditEvent::new(org, &client.actor(), meta, action, now)
            .target("client", client.client().id, Some(&client.client().name))
            .after(&serde_json::json!({ "grant_id": grant.to_string(), "revoked": ended.is_some() }));
        tx.insert_event(&ev).await?;
        tx.commit().await
    }

    /// The account, if it is active and still admitted to the client.
    async fn live_subject(&self, tx: &mut S::Tx, client: &Client, account: crate::ids::AccountId) -> Result<Subject> {
        let subject = tx
            .find_subject(account)
            .await?
            .filter(|s| s.account.status == crate::product::AccountStatus::Active);
        match subject {
            Some(s) if admitted(tx, client, account).await? => Ok(s),
            _ => Err(invalid_grant("The account may no longer sign in to this client.")),
        }
    }

    async fn refresh_token_for(
        &self,
        tx: &mut S::Tx,
        client: &Client,
        grant: &Grant,
        now: Timestamp,
    ) -> Result<Option<String>> {
        if !(grant.has_scope("offline_access") && client.allows(GrantType::RefreshToken)) {
            return Ok(None);
        }
        let minted = secret::mint(REFRESH_KIND)?;
        tx.insert_refresh_token(
            &minted.digest,
            grant.id,
            now,
            now.plus_secs(self.policy.refresh_ttl_secs),
        )
        .await?;
        Ok(Some(minted.value))
    }
}

/// The code's own checks at exchange (RFC 6749 §4.1.3): issued to this client, unexpired, and
/// for the same redirect URI.
fn check_code(c: CodeGrant, client: &ProvenClient, redirect_uri: Option<&str>, now: Timestamp) -> Result<CodeGrant> {
    if c.client_id != client.client().id {
        return Err(invalid_grant("The authorization code was issued to another client."));
    }
    if c.expires_at <= now {
        return Err(invalid_grant("The authorization code has expired."));
    }
    if redirect_uri != Some(c.redirect_uri.as_str()) {
        return Err(invalid_grant("redirect_uri does not match the authorization request."));
    }
    Ok(c)
}

/// Who may sign in to a client: to a client tied to an instance, those with access to it; to
/// any other, those its organization manages or gave access to any of its instances.
async fn admitted<R: OAuthReads + Send>(r: &mut R, client: &Client, account: crate::ids::AccountId) -> Result<bool> {
    match client.instance_id {
        Some(instance) => r.may_use_instance(client.org_id, instance, account).await,
        None => r.may_use_org(client.org_id, account).await,
    }
}

/// How the session's person authenticated (RFC 8176), as recorded when the session opened.
fn session_amr(who: &SignedIn) -> Vec<String> {
    who.session().amr.clone()
}

/// Now in whole seconds, as JWTs count.
pub fn unix_secs(t: Timestamp) -> i64 {
    t.millis().div_euclid(1000)
}
