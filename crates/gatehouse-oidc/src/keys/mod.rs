//! Signing keys, their public halves and the published key set (RFC 7515, RFC 7517, RFC 7518;
//! RFC 8037 for EdDSA; RFC 7638 key ids).
//!
//! Keys are generated and parsed with aws-lc-rs and kept parsed: a [`SigningKey`] holds the
//! aws-lc-rs key pair built once from its PKCS#8 DER, a [`PublicKey`] the parsed verification
//! key. jsonwebtoken's `EncodingKey` is only the DER bytes and its `encode` parses them again on
//! every call (an extra scalar multiplication for ES256, a key check for RS256), so the compact
//! JWS is assembled here instead.

mod public;
mod set;
mod signing;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use public::PublicKey;
pub use set::{Expect, KeySet, MAX_TOKEN_LEN};
pub use signing::SigningKey;

/// The JWS algorithms this provider signs with (RFC 7518 §3.1, RFC 8037 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    /// ECDSA with P-256 and SHA-256: the default.
    Es256,
    /// EdDSA with Ed25519.
    EdDsa,
    /// RSASSA-PKCS1-v1_5 with SHA-256 and a 2048-bit key, for clients that know nothing else.
    Rs256,
}

impl Alg {
    /// Every algorithm, default first.
    pub const ALL: [Alg; 3] = [Alg::Es256, Alg::EdDsa, Alg::Rs256];

    /// The registered `alg` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
            Self::Rs256 => "RS256",
        }
    }
}

impl FromStr for Alg {
    type Err = KeyError;

    /// Exact, case-sensitive match: `alg` values are case-sensitive (RFC 7515 §4.1.1).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Alg::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or(KeyError::UnsupportedAlg)
    }
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Alg {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Alg {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

/// Why a key could not be made, read or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not one of ES256, EdDSA, RS256.
    #[error("unsupported signing algorithm (use ES256, EdDSA or RS256)")]
    UnsupportedAlg,
    /// The random generator or the key generation failed.
    #[error("key generation failed")]
    Generate,
    /// The DER is not a PKCS#8 private key of the stated algorithm (RSA: at least 2048 bits).
    #[error("the PKCS#8 document is not a valid {0} private key")]
    InvalidPkcs8(Alg),
    /// The JWK is not a usable public key; the text says which rule it breaks.
    #[error("invalid JWK: {0}")]
    InvalidJwk(&'static str),
    /// The claims could not be serialized to a JSON object.
    #[error("the claims could not be serialized")]
    Claims,
    /// The signature operation failed.
    #[error("signing failed")]
    Sign,
}

/// Why a token was refused. The variants are for logs and tests; a client only ever learns
/// `invalid_token` or `{"active":false}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Not three base64url parts of JSON, too long, or with a `crit` header.
    #[error("the token is malformed")]
    Malformed,
    /// `alg` is `none`, HMAC, unknown, or not the algorithm of the key named by `kid`.
    #[error("the token's algorithm is refused")]
    Algorithm,
    /// `kid` is missing or names no published key.
    #[error("the token names no published key")]
    UnknownKey,
    /// The signature does not verify with the key named by `kid`.
    #[error("the token's signature is invalid")]
    Signature,
    /// The `typ` header is missing or not the expected type.
    #[error("the token has the wrong type")]
    Type,
    /// `iss` is missing or not this issuer.
    #[error("the token has the wrong issuer")]
    Issuer,
    /// `aud` is missing or does not include the expected audience.
    #[error("the token has the wrong audience")]
    Audience,
    /// `exp` has passed (beyond the leeway).
    #[error("the token has expired")]
    Expired,
    /// `nbf` is still in the future (beyond the leeway).
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `exp` is missing, or the claims do not have the expected shape.
    #[error("the token's claims are invalid")]
    Claims,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alg_names_are_exact() {
        for alg in Alg::ALL {
            assert_eq!(alg.as_str().parse::<Alg>().unwrap(), alg);
        }
        assert!("es256".parse::<Alg>().is_err());
        assert!("none".parse::<Alg>().is_err());
        assert!("HS256".parse::<Alg>().is_err());
        assert_eq!(serde_json::to_string(&Alg::EdDsa).unwrap(), "\"EdDSA\"");
    }
}
