//! Signing keys, their public halves and the published key set (RFC 7515, RFC 7517, RFC 7518;
//! RFC 8037 for EdDSA; RFC 7638 key ids), and the key sets other providers publish.
//!
//! Keys are generated and parsed with aws-lc-rs and kept parsed: a [`SigningKey`] holds the
//! aws-lc-rs key pair built once from its PKCS#8 DER, a [`PublicKey`] the parsed verification
//! key. jsonwebtoken's `EncodingKey` is only the DER bytes and its `encode` parses them again on
//! every call (an extra scalar multiplication for ES256, a key check for RS256), so the compact
//! JWS is assembled here instead. Verification (`jws.rs`) is one function for our own
//! [`KeySet`] and an identity provider's [`RemoteKeys`]: only how the key is chosen differs.

mod alg;
mod error;
mod jws;
mod public;
mod remote;
mod set;
mod signing;

pub use alg::{Alg, UnsupportedAlg};
pub use error::{KeyError, VerifyError};
pub(crate) use jws::numeric_date;
pub use jws::{Expect, MAX_TOKEN_LEN};
pub use public::PublicKey;
pub use remote::RemoteKeys;
pub use set::KeySet;
pub use signing::SigningKey;
