use super::capability::capability;
use crate::Timestamp;
use crate::audit::AuditAction;

use crate::authz::{API_KEY_KIND, OrgAdmin};
use crate::error::{CoreError, Result, Validator};
use crate::ids::ApiKeyId;
use crate::model::ApiKey;
use crate::page::{Page, PageRequest};
use crate::ports::prelude::*;
use crate::secret;
use crate::types::Name;

/// Longest lifetime a key may have: keys must expire.
pub const MAX_KEY_DAYS: i64 = 365;
pub const DEFAULT_KEY_DAYS: i64 = 90;

/// A key to create.
#[derive(Debug)]
pub struct NewApiKey {
    pub name: Name,
    pub expires_in_days: i64,
}

impl NewApiKey {
    pub fn parse(name: &str, expires_in_days: Option<i64>) -> Result<Self> {
        let mut v = Validator::default();
        let name = v.check(Name::parse(name, "name", 100));
        let days = expires_in_days.unwrap_or(DEFAULT_KEY_DAYS);
        if !(1..=MAX_KEY_DAYS).contains(&days) {
            v.check::<()>(Err(CoreError::validation(
                "expires_in_days",
                format!("must be between 1 and {MAX_KEY_DAYS}"),
            )));
        }
        v.finish()?;
        Ok(Self {
            name: name.expect("validated"),
            expires_in_days: days,
        })
    }
}

/// A created key and its secret, which is shown this once and never again.
#[derive(Debug)]
pub struct CreatedApiKey {
    pub key: ApiKey,
    pub secret: String,
}

pub(super) async fn mint_key<T: Writes>(
    tx: &mut T,
    admin: &OrgAdmin,
    spec: &NewApiKey,
    now: Timestamp,
) -> Result<(ApiKey, String)> {
    let minted = secret::mint(API_KEY_KIND)?;
    let key = ApiKey {
        id: ApiKeyId::new(),
        org_id: admin.org(),
        name: spec.name.to_string(),
        prefix: minted.prefix.clone(),
        created_at: now,
        expires_at: now.plus_secs(spec.expires_in_days * 86_400),
        revoked_at: None,
        last_used_at: None,
    };
    tx.insert_api_key(&key, &minted.digest).await?;
    let ev = admin
        .acting()
        .event(AuditAction::ApiKeyCreated, now)
        .target("api_key", key.id, Some(&key.name))
        .after(&key);
    tx.insert_event(&ev).await?;
    Ok((key, minted.value))
}

capability!(ApiKeys, "The organization's API keys.");

impl<S: Store> ApiKeys<S> {
    /// Checks a presented key against the organization in the request path (see
    /// [`crate::authz::authorize_api_key`]).
    pub async fn authorize(
        &self,
        presented: &str,
        org: crate::ids::OrgId,
        meta: crate::audit::RequestMeta,
    ) -> Result<OrgAdmin> {
        crate::authz::authorize_api_key(&self.store, self.clock.as_ref(), presented, org, meta).await
    }

    pub async fn create(&self, admin: &OrgAdmin, spec: NewApiKey) -> Result<CreatedApiKey> {
        let mut tx = self.store.begin().await?;
        let (key, secret) = mint_key(&mut tx, admin, &spec, self.clock.now()).await?;
        tx.commit().await?;
        Ok(CreatedApiKey { key, secret })
    }

    pub async fn list(&self, admin: &OrgAdmin, page: &PageRequest) -> Result<Page<ApiKey>> {
        self.store.reader().await?.list_api_keys(admin.org(), page).await
    }

    pub async fn get(&self, admin: &OrgAdmin, id: ApiKeyId) -> Result<ApiKey> {
        let mut r = self.store.reader().await?;
        r.find_api_key(admin.org(), id)
            .await?
            .ok_or(CoreError::NotFound { entity: "api key" })
    }

    /// Revokes a key at once. Revoking a revoked key changes nothing and records nothing.
    pub async fn revoke(&self, admin: &OrgAdmin, id: ApiKeyId) -> Result<ApiKey> {
        let mut tx = self.store.begin().await?;
        let before = tx
            .find_api_key(admin.org(), id)
            .await?
            .ok_or(CoreError::NotFound { entity: "api key" })?;
        if before.revoked_at.is_some() {
            return Ok(before);
        }
        let now = self.clock.now();
        let after = ApiKey {
            revoked_at: Some(now),
            ..before.clone()
        };
        tx.update_api_key(&after).await?;
        let ev = admin
            .acting()
            .event(AuditAction::ApiKeyRevoked, now)
            .target("api_key", after.id, Some(&after.name))
            .before(&before)
            .after(&after);
        tx.insert_event(&ev).await?;
        tx.commit().await?;
        Ok(after)
    }
}
