//! Secrets handed out once (API keys, later SCIM and refresh tokens): 256 random bits,
//! stored only as a SHA-256 digest.

use crate::error::{CoreError, Result};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// A freshly minted secret. `Debug` never prints the value.
pub struct MintedSecret {
    pub value: String,
    pub digest: String,
    pub prefix: String,
}

impl std::fmt::Debug for MintedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MintedSecret")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// Mints `<kind>_<43 base64url chars>` from 32 bytes of OS randomness.
pub fn mint(kind: &str) -> Result<MintedSecret> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(CoreError::internal)?;
    let value = format!("{kind}_{}", URL_SAFE_NO_PAD.encode(bytes));
    let prefix = value.chars().take(kind.len() + 7).collect();
    Ok(MintedSecret {
        digest: digest(&value),
        prefix,
        value,
    })
}

/// The stored form of a secret: hex SHA-256. Lookup is by digest, so comparing secrets never
/// happens byte by byte on attacker-controlled input.
pub fn digest(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// Constant-time string equality, for the few places secrets are compared directly.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_secrets_are_distinct_and_carry_their_kind() {
        let a = mint("ghk").unwrap();
        let b = mint("ghk").unwrap();
        assert_ne!(a.value, b.value);
        assert!(a.value.starts_with("ghk_") && a.value.len() == 4 + 43);
        assert_eq!(a.digest, digest(&a.value));
        assert!(!format!("{a:?}").contains(&a.value));
    }
}
