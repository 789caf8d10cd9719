//! The server's key for pre-session form tokens (see `form_token`): made at the first start,
//! kept in the database, so every node sharing it checks the tokens any node made.

use crate::Timestamp;
use crate::error::{CoreError, Result};
use crate::ports::prelude::*;
use hmac::{KeyInit, Mac};
use sha2::Sha256;

/// The name of the key in the store.
const KEY_NAME: &str = "presession-form-tokens";

pub(super) type HmacSha256 = hmac::Hmac<Sha256>;

/// The server's key for form tokens. No `Debug`: it is never printed.
pub(super) struct FormKey(Vec<u8>);

impl FormKey {
    /// The key every node shares, stored with the first start's random key.
    pub(super) async fn load<S: Store>(store: &S, now: Timestamp) -> Result<Self> {
        let mut candidate = [0u8; 32];
        getrandom::fill(&mut candidate).map_err(CoreError::internal)?;
        let mut tx = store.begin().await?;
        let stored = tx.ensure_server_key(KEY_NAME, &hex::encode(candidate), now).await?;
        tx.commit().await?;
        let key = hex::decode(stored).map_err(CoreError::internal)?;
        if key.len() < 32 {
            return Err(CoreError::internal("the stored form token key is too short"));
        }
        Ok(Self(key))
    }

    /// The MAC of a token's nonce and issue time, ready to finish or verify.
    pub(super) fn mac(&self, nonce: &str, issued: i64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(b"gatehouse form token\0");
        mac.update(nonce.as_bytes());
        mac.update(b"\0");
        mac.update(issued.to_string().as_bytes());
        mac
    }

    /// The MAC of a passkey sign-in's ceremony: its state (as the token carries it) and when it
    /// expires. Its own label: a form token's MAC never passes for a ceremony's, nor the reverse.
    pub(super) fn ceremony_mac(&self, state: &str, expires: i64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(b"gatehouse passkey ceremony\0");
        mac.update(expires.to_string().as_bytes());
        mac.update(b"\0");
        mac.update(state.as_bytes());
        mac
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mac_binds_the_nonce_and_the_issue_time() {
        let key = FormKey(vec![7; 32]);
        let other = FormKey(vec![8; 32]);
        let tag = key.mac("abc", 5).finalize().into_bytes();
        assert!(key.mac("abc", 5).verify_slice(&tag).is_ok());
        assert!(key.mac("abd", 5).verify_slice(&tag).is_err());
        assert!(key.mac("abc", 6).verify_slice(&tag).is_err());
        assert!(other.mac("abc", 5).verify_slice(&tag).is_err());
    }

    #[test]
    fn a_ceremony_mac_binds_the_state_and_the_expiry_and_is_not_a_form_tokens() {
        let key = FormKey(vec![7; 32]);
        let tag = key.ceremony_mac("abc", 5).finalize().into_bytes();
        assert!(key.ceremony_mac("abc", 5).verify_slice(&tag).is_ok());
        assert!(key.ceremony_mac("abd", 5).verify_slice(&tag).is_err());
        assert!(key.ceremony_mac("abc", 6).verify_slice(&tag).is_err());
        assert!(key.mac("abc", 5).verify_slice(&tag).is_err());
    }
}
