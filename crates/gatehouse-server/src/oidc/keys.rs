//! The provider's signing keys: stored with their private half sealed by the operator's key
//! file, loaded at start (the first start makes one), reloaded so a rotation made by the CLI
//! or another node reaches this one, and published in the JWKS until what they signed has
//! expired.

use gatehouse_core::Timestamp;
use gatehouse_core::oauth::StoredSigningKey;
use gatehouse_core::sealing::KeyRing;
use gatehouse_core::services::Services;
use gatehouse_oidc::{Alg, KeySet, PublicKey, SigningKey};
use gatehouse_store::SqlStore;
use std::sync::{Arc, RwLock};

/// Where a signing key's private half is sealed (the sealing context binds it to its row).
fn context(kid: &str) -> String {
    format!("oauth_signing_keys.sealed_private:{kid}")
}

/// The key set every endpoint signs and verifies with, swapped whole on a reload.
pub struct ProviderKeys {
    current: RwLock<Arc<KeySet>>,
}

impl ProviderKeys {
    pub fn new(set: KeySet) -> Self {
        Self {
            current: RwLock::new(Arc::new(set)),
        }
    }

    pub fn get(&self) -> Arc<KeySet> {
        Arc::clone(&self.current.read().expect("the key lock is never poisoned"))
    }

    fn set(&self, set: KeySet) {
        *self.current.write().expect("the key lock is never poisoned") = Arc::new(set);
    }

    /// Reads the stored keys again (a rotation elsewhere becomes visible here).
    pub async fn reload(&self, services: &Services<SqlStore>, ring: &KeyRing, now: Timestamp) -> anyhow::Result<()> {
        if let Some(set) = key_set(&services.provider.signing_keys().await?, ring, now)? {
            self.set(set);
        }
        Ok(())
    }
}

/// The stored keys as a key set: the newest unretired key signs, the retired ones still
/// published verify. `None` when no key signs.
fn key_set(stored: &[StoredSigningKey], ring: &KeyRing, now: Timestamp) -> anyhow::Result<Option<KeySet>> {
    let Some(active) = stored.iter().find(|k| k.retired_at.is_none()) else {
        return Ok(None);
    };
    let alg: Alg = active
        .alg
        .parse()
        .map_err(|_| anyhow::anyhow!("stored signing key {} has an unknown alg", active.kid))?;
    let der = ring
        .open(&context(&active.kid), &active.sealed_private)
        .map_err(|e| anyhow::anyhow!("signing key {} does not open with the key file: {e}", active.kid))?;
    let signing = SigningKey::from_pkcs8(alg, &der).map_err(|e| anyhow::anyhow!("signing key {}: {e}", active.kid))?;
    let mut retired = Vec::new();
    for k in stored.iter().filter(|k| k.retired_at.is_some()) {
        if k.publish_until.is_some_and(|until| until <= now) {
            continue;
        }
        let jwk: serde_json::Value = serde_json::from_str(&k.public_jwk)?;
        retired.push(PublicKey::from_jwk(&jwk).map_err(|e| anyhow::anyhow!("signing key {}: {e}", k.kid))?);
    }
    Ok(Some(KeySet::new(signing, retired)))
}

/// A new key of `alg`, sealed, as it is stored.
fn new_key(alg: Alg, ring: &KeyRing, now: Timestamp) -> anyhow::Result<StoredSigningKey> {
    let key = SigningKey::generate(alg).map_err(|e| anyhow::anyhow!("making a signing key: {e}"))?;
    Ok(StoredSigningKey {
        kid: key.kid().to_owned(),
        alg: alg.as_str().to_owned(),
        sealed_private: ring.seal(&context(key.kid()), key.pkcs8_der())?,
        public_jwk: serde_json::to_string(key.public().jwk())?,
        created_at: now,
        retired_at: None,
        publish_until: None,
    })
}

/// The keys at start: the stored ones, or a first key of `alg` made now.
pub async fn load_or_create(
    services: &Services<SqlStore>,
    ring: &KeyRing,
    alg: Alg,
    publish_secs: i64,
) -> anyhow::Result<ProviderKeys> {
    let now = services.now();
    if let Some(set) = key_set(&services.provider.signing_keys().await?, ring, now)? {
        return Ok(ProviderKeys::new(set));
    }
    rotate(services, ring, alg, publish_secs).await?;
    let set = key_set(&services.provider.signing_keys().await?, ring, now)?
        .ok_or_else(|| anyhow::anyhow!("no signing key after making one"))?;
    Ok(ProviderKeys::new(set))
}

/// Makes a new key of `alg` the one that signs; the others stay published for `publish_secs`
/// (the longest life of what they signed). Answers the new key's id.
pub async fn rotate(
    services: &Services<SqlStore>,
    ring: &KeyRing,
    alg: Alg,
    publish_secs: i64,
) -> anyhow::Result<String> {
    let key = new_key(alg, ring, services.now())?;
    services.provider.activate_signing_key(&key, publish_secs).await?;
    Ok(key.kid)
}
