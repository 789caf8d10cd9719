//! Access tokens this node verified lately, by the SHA-256 of their text, so a resource server
//! introspecting the same token on every call costs one signature check, not one per call.
//! A hit still checks the token's expiry (and the caller still checks its grant is live);
//! only the signature and the fixed claims are remembered. Bounded: when full, it starts over.

use gatehouse_oidc::AccessTokenClaims;
use std::collections::HashMap;
use std::sync::Mutex;

const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
pub struct VerifiedTokens {
    entries: Mutex<HashMap<String, AccessTokenClaims>>,
}

fn key(token: &str) -> String {
    gatehouse_core::secret::digest(token)
}

impl VerifiedTokens {
    /// The claims of a token verified before, if it has not expired at `now`.
    pub fn get(&self, token: &str, now: i64) -> Option<AccessTokenClaims> {
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.get(&key(token)).filter(|c| c.exp > now).cloned()
    }

    pub fn put(&self, token: &str, claims: &AccessTokenClaims) {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key(token), claims.clone());
    }

    /// Forgets everything (the signing keys changed).
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }
}
