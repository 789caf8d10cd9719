//! What can go wrong with keys and tokens.

use super::alg::Alg;

/// Why a key could not be made, read or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
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
