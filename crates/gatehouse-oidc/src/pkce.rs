//! Proof Key for Code Exchange with the `S256` method (RFC 7636).
//!
//! `plain` is never accepted: it protects nothing against an attacker who reads the authorization
//! request (RFC 7636 §7.2), and OAuth 2.1 drops it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::error::{ErrorCode, OAuthError, invalid_request};

/// RFC 7636 §4.1: `code-verifier = 43*128unreserved`.
fn is_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The `S256` challenge of a verifier: `BASE64URL(SHA256(ASCII(code_verifier)))` (RFC 7636 §4.2).
pub fn challenge_s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Checks a `code_verifier` at the token endpoint against the stored `S256` challenge.
///
/// A malformed verifier is `invalid_request`; a well-formed one that does not match is
/// `invalid_grant` (RFC 7636 §4.6). The comparison takes the same time wherever the strings differ.
pub fn verify_s256(verifier: &str, challenge: &str) -> Result<(), OAuthError> {
    if !is_verifier(verifier) {
        return Err(invalid_request(
            "The code_verifier parameter must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~.",
        ));
    }
    let computed = challenge_s256(verifier);
    if bool::from(computed.as_bytes().ct_eq(challenge.as_bytes())) {
        Ok(())
    } else {
        Err(OAuthError::new(
            ErrorCode::InvalidGrant,
            "The code_verifier parameter does not match the code challenge.",
        ))
    }
}

/// Checks a `code_challenge` at the authorization endpoint: an `S256` challenge is the unpadded
/// base64url encoding of 32 bytes, so exactly 43 characters (RFC 7636 §4.2), in canonical form.
pub fn check_challenge(challenge: &str) -> Result<(), OAuthError> {
    let ok = challenge.len() == 43 && URL_SAFE_NO_PAD.decode(challenge).is_ok_and(|bytes| bytes.len() == 32);
    if ok {
        Ok(())
    } else {
        Err(invalid_request(
            "The code_challenge parameter must be 43 base64url characters (RFC 7636 S256).",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifier_bounds() {
        assert!(!is_verifier(&"a".repeat(42)));
        assert!(is_verifier(&"a".repeat(43)));
        assert!(is_verifier(&"~".repeat(128)));
        assert!(!is_verifier(&"a".repeat(129)));
        assert!(!is_verifier(&format!("{}+", "a".repeat(42))));
    }

    #[test]
    fn challenge_must_be_canonical() {
        let good = challenge_s256(&"a".repeat(43));
        assert!(check_challenge(&good).is_ok());
        assert!(check_challenge(&good[..42]).is_err());
        assert!(check_challenge(&format!("{good}=")).is_err());
        // The last character carries 2 unused bits; "B" sets one, so it is never canonical.
        let odd = format!("{}B", &good[..42]);
        assert!(check_challenge(&odd).is_err());
    }
}
