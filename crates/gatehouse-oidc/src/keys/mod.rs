//! Signing keys, their public halves and the published key set (RFC 7515, RFC 7517, RFC 7518;
//! RFC 8037 for EdDSA; RFC 7638 key ids).
//!
//! Keys are generated and parsed with aws-lc-rs and kept parsed: a [`SigningKey`] holds the
//! aws-lc-rs key pair built once from its PKCS#8 DER, a [`PublicKey`] the parsed verification
//! key. jsonwebtoken's `EncodingKey` is only the DER bytes and its `encode` parses them again on
//! every call (an extra scalar multiplication for ES256, a key check for RS256), so the compact
//! JWS is assembled here instead.

mod alg;
mod error;
mod public;
mod set;
mod signing;

pub use alg::{Alg, UnsupportedAlg};
pub use error::{KeyError, VerifyError};
pub use public::PublicKey;
pub use set::{Expect, KeySet, MAX_TOKEN_LEN};
pub use signing::SigningKey;
