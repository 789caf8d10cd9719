//! Product sessions as organizations see and end them, the rules that end them with a
//! Gatehouse session or an account, the back-channel logout outbox, counted token grants, and
//! the signing keys' storage.

use super::Provider;
use super::ending::TokenGrantCount;
use crate::Timestamp;
use crate::audit::{Actor, AuditAction, AuditEvent, RequestMeta};
use crate::authz::OrgAdmin;
use crate::error::{CoreError, Result};
use crate::ids::{AccountId, GrantId, OrgId};
use crate::oauth::{EndedGrant, LogoutNotice, ProductSession, StoredSigningKey};
use crate::ports::prelude::*;

impl<S: Store> Provider<S> {
    /// The account's product sessions with the organization's clients. Any account the
    /// organization sees, managed or not: these sessions are the organization's own.
    pub async fn list_product_sessions(&self, admin: &OrgAdmin, account: AccountId) -> Result<Vec<ProductSession>> {
        let mut r = self.store.reader().await?;
        seen(&mut r, admin.org(), account).await?;
        r.list_product_sessions(admin.org(), account).await
    }

    /// Ends one product session of the account with the organization's clients.
    pub async fn revoke_product_session(&self, admin: &OrgAdmin, account: AccountId, grant: GrantId) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        seen(&mut tx, admin.org(), account).await?;
        let owned = tx
            .find_grant(grant)
            .await?
            .is_some_and(|g| g.org_id == admin.org() && g.account_id == account && g.revoked_at.is_none());
        if !owned {
            return Err(CoreError::NotFound {
                entity: "product session",
            });
        }
        let ended: Vec<EndedGrant> = tx.revoke_grant(grant, now).await?.into_iter().collect();
        record_admin_revocation(&mut tx, admin, account, &ended, now).await?;
        tx.commit().await
    }

    /// Ends every product session of the account with the organization's clients; how many.
    pub async fn revoke_product_sessions(&self, admin: &OrgAdmin, account: AccountId) -> Result<usize> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        seen(&mut tx, admin.org(), account).await?;
        let ended = tx.revoke_org_account_grants(admin.org(), account, now).await?;
        if !ended.is_empty() {
            record_admin_revocation(&mut tx, admin, account, &ended, now).await?;
        }
        tx.commit().await?;
        Ok(ended.len())
    }

    /// Back-channel logouts due now, at most `limit`.
    pub async fn due_logout_notices(&self, limit: i64) -> Result<Vec<LogoutNotice>> {
        let now = self.clock.now();
        self.store.reader().await?.due_logout_notices(now, limit).await
    }

    /// A notice was delivered, or failed for the last time: it goes.
    pub async fn finish_logout_notice(&self, id: i64) -> Result<()> {
        let mut tx = self.store.begin().await?;
        tx.delete_logout_notice(id).await?;
        tx.commit().await
    }

    /// A notice failed; it is tried again after `after_secs`.
    pub async fn retry_logout_notice(&self, id: i64, after_secs: i64) -> Result<()> {
        let mut tx = self.store.begin().await?;
        tx.retry_logout_notice(id, self.clock.now().plus_secs(after_secs))
            .await?;
        tx.commit().await
    }

    /// Records a minute of token grants: one `oauth.tokens_granted` event per client, in one
    /// transaction, so that a busy client costs the audit log one row a minute.
    pub async fn record_token_grants(&self, minute_start: Timestamp, counts: &[TokenGrantCount]) -> Result<()> {
        if counts.is_empty() {
            return Ok(());
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        for c in counts {
            let actor = Actor {
                kind: crate::audit::ActorKind::Client,
                id: Some(c.client_id.to_string()),
                label: c.client_id.to_string(),
            };
            let ev = AuditEvent::new(
                c.org_id,
                &actor,
                &RequestMeta::default(),
                AuditAction::OAuthTokensGranted,
                now,
            )
            .target("client", c.client_id, None)
            .after(&serde_json::json!({
                "minute": minute_start.to_rfc3339(),
                "client_credentials": c.client_credentials,
                "refresh_token": c.refresh,
            }));
            tx.insert_event(&ev).await?;
        }
        tx.commit().await
    }

    /// Every stored signing key, newest first.
    pub async fn signing_keys(&self) -> Result<Vec<StoredSigningKey>> {
        self.store.reader().await?.list_signing_keys().await
    }

    /// Makes `key` the one that signs; every other key stops signing now and stays published
    /// until `publish_secs` from now (the longest life of what it signed).
    pub async fn activate_signing_key(&self, key: &StoredSigningKey, publish_secs: i64) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.insert_signing_key(key).await?;
        tx.retire_signing_keys(&key.kid, now, now.plus_secs(publish_secs))
            .await?;
        tx.commit().await
    }

    /// Deletes spent codes, expired refresh tokens, ended grants and unpublished keys.
    pub async fn prune(&self) -> Result<u64> {
        let mut tx = self.store.begin().await?;
        // A grant is kept a day past its last use, well beyond its access tokens' life.
        let n = tx
            .prune_oauth(self.clock.now(), (self.policy.access_ttl_secs * 2).max(86_400))
            .await?;
        tx.commit().await?;
        Ok(n)
    }
}

/// The account exists for the organization (managed by it or not); else `NotFound`.
async fn seen<R: AccountReads + Send>(r: &mut R, org: OrgId, account: AccountId) -> Result<()> {
    r.find_org_account(org, account)
        .await?
        .map(|_| ())
        .ok_or(CoreError::NotFound { entity: "account" })
}

async fn record_admin_revocation<T: Writes + Send>(
    tx: &mut T,
    admin: &OrgAdmin,
    account: AccountId,
    ended: &[EndedGrant],
    now: Timestamp,
) -> Result<()> {
    tx.queue_logout_notices(ended, now).await?;
    for e in ended {
        let ev = admin
            .acting()
            .event(AuditAction::OAuthSessionRevoked, now)
            .target("account", account, None)
            .after(&serde_json::json!({ "grant_id": e.grant_id.to_string(), "client_id": e.client_id.to_string() }));
        tx.insert_event(&ev).await?;
    }
    Ok(())
}
