//! The relying party's view of its providers: discovery documents and key sets fetched
//! through the guarded outbound client, kept per issuer for [`TTL_SECS`], and the key set
//! fetched again (at most once per [`REFETCH_GAP_SECS`]) when a token names a key we do not
//! know, so a provider's key rotation is followed without letting a stream of forged `kid`s
//! make us hammer it. This file holds no `AppState`, so the state can hold it.

use super::refusals;
use crate::outbound::Outbound;
use gatehouse_core::Timestamp;
use gatehouse_core::services::sso::SsoRefusal;
use gatehouse_oidc::RemoteKeys;
use gatehouse_oidc::rp::{ProviderMetadata, discovery_url, is_allowed_endpoint};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// How long a discovery document or key set is used before it is fetched again.
pub const TTL_SECS: i64 = 10 * 60;
/// Least time between two fetches of a key set for an unknown `kid`, per issuer.
pub const REFETCH_GAP_SECS: i64 = 30;
/// Most issuers remembered; the oldest entry goes first.
pub const MAX_ISSUERS: usize = 256;

struct Entry<T> {
    value: Arc<T>,
    fetched_at: Timestamp,
}

/// Discovery and key sets by issuer, and the client that fetches them.
pub struct OidcRp {
    http: Outbound,
    metadata: Mutex<HashMap<String, Entry<ProviderMetadata>>>,
    keys: Mutex<HashMap<String, Entry<RemoteKeys>>>,
    /// When each issuer's keys were last fetched for an unknown `kid`.
    refetches: Mutex<HashMap<String, Timestamp>>,
}

fn age(now: Timestamp, then: Timestamp) -> i64 {
    (now.millis() - then.millis()) / 1000
}

/// Keeps `value` for `issuer`, dropping the oldest entry when full.
fn remember<T>(map: &Mutex<HashMap<String, Entry<T>>>, issuer: &str, value: Arc<T>, now: Timestamp) {
    let mut map = map.lock().unwrap_or_else(PoisonError::into_inner);
    if map.len() >= MAX_ISSUERS && !map.contains_key(issuer) {
        let oldest = map
            .iter()
            .min_by_key(|(_, e)| e.fetched_at.millis())
            .map(|(k, _)| k.clone());
        if let Some(k) = oldest {
            map.remove(&k);
        }
    }
    map.insert(issuer.to_owned(), Entry { value, fetched_at: now });
}

/// The value kept for `issuer` and when it was fetched.
fn kept<T>(map: &Mutex<HashMap<String, Entry<T>>>, issuer: &str) -> Option<(Arc<T>, Timestamp)> {
    let map = map.lock().unwrap_or_else(PoisonError::into_inner);
    map.get(issuer).map(|e| (Arc::clone(&e.value), e.fetched_at))
}

impl OidcRp {
    /// A relying party fetching through `http` (`AppState.sso_http`). That client lets plain
    /// `http` through, so every URL is checked here first ([`is_allowed_endpoint`]: https, or
    /// http on loopback only); whether loopback may be reached at all stays the outbound
    /// policy's address rule.
    pub fn new(http: Outbound) -> Self {
        Self {
            http,
            metadata: Mutex::new(HashMap::new()),
            keys: Mutex::new(HashMap::new()),
            refetches: Mutex::new(HashMap::new()),
        }
    }

    /// The issuer's metadata, from the cache while fresh, else from its discovery document.
    pub async fn metadata(&self, issuer: &str, now: Timestamp) -> Result<Arc<ProviderMetadata>, SsoRefusal> {
        if let Some((meta, at)) = kept(&self.metadata, issuer)
            && age(now, at) < TTL_SECS
        {
            return Ok(meta);
        }
        let url = discovery_url(issuer);
        if !is_allowed_endpoint(&url) {
            return Err(refusals::DISCOVERY_FAILED);
        }
        let doc = self.get_json(&url).await.ok_or(refusals::DISCOVERY_FAILED)?;
        let meta = ProviderMetadata::from_discovery(&doc, issuer).map_err(|e| {
            tracing::info!(%issuer, error = %e, "an identity provider's discovery document was refused");
            refusals::of(&e)
        })?;
        let meta = Arc::new(meta);
        remember(&self.metadata, issuer, Arc::clone(&meta), now);
        Ok(meta)
    }

    /// The provider's keys, from the cache while fresh, else from its `jwks_uri`.
    pub async fn keys(&self, meta: &ProviderMetadata, now: Timestamp) -> Result<Arc<RemoteKeys>, SsoRefusal> {
        if let Some((keys, at)) = kept(&self.keys, &meta.issuer)
            && age(now, at) < TTL_SECS
        {
            return Ok(keys);
        }
        self.fetch_keys(meta, now).await
    }

    /// The provider's keys fetched again because a token named a key we do not know (a
    /// rotation); `None` when that was done for this issuer less than [`REFETCH_GAP_SECS`]
    /// ago.
    pub async fn refetched_keys(
        &self,
        meta: &ProviderMetadata,
        now: Timestamp,
    ) -> Result<Option<Arc<RemoteKeys>>, SsoRefusal> {
        {
            let mut last = self.refetches.lock().unwrap_or_else(PoisonError::into_inner);
            if last
                .get(&meta.issuer)
                .is_some_and(|at| age(now, *at) < REFETCH_GAP_SECS)
            {
                return Ok(None);
            }
            if last.len() >= MAX_ISSUERS {
                last.retain(|_, at| age(now, *at) < REFETCH_GAP_SECS);
            }
            last.insert(meta.issuer.clone(), now);
        }
        self.fetch_keys(meta, now).await.map(Some)
    }

    async fn fetch_keys(&self, meta: &ProviderMetadata, now: Timestamp) -> Result<Arc<RemoteKeys>, SsoRefusal> {
        let doc = self.get_json(&meta.jwks_uri).await.ok_or(refusals::JWKS_FAILED)?;
        let keys = RemoteKeys::from_jwks(&doc).map_err(|e| {
            tracing::info!(issuer = %meta.issuer, error = %e, "an identity provider's JWKS was refused");
            refusals::JWKS_INVALID
        })?;
        let keys = Arc::new(keys);
        remember(&self.keys, &meta.issuer, Arc::clone(&keys), now);
        Ok(keys)
    }

    async fn get_json(&self, url: &str) -> Option<serde_json::Value> {
        match self.http.get(url).await {
            Ok(body) => serde_json::from_slice(&body).ok(),
            Err(e) => {
                tracing::info!(%url, reason = e.reason(), "fetching from an identity provider failed");
                None
            }
        }
    }
}
