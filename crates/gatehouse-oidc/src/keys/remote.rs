//! The public keys another provider publishes at its `jwks_uri` (RFC 7517 §5), for checking
//! the ID tokens it issues to us (OIDC Core §10.1).

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::jws::verify_jws;
use super::{Expect, KeyError, PublicKey, VerifyError};

/// Most keys read from one JWKS; a provider publishes a handful.
pub const MAX_REMOTE_KEYS: usize = 64;

/// An identity provider's signing keys, read from its JWKS document.
///
/// Keys this crate cannot verify with are left out rather than failing the whole set: a
/// provider may publish encryption keys (`use: enc`), or keys of algorithms we do not accept
/// (RS384, PS256, P-384...), beside the one that signs our ID tokens. A token naming a key
/// that was left out is then refused as naming no known key.
#[derive(Debug, Clone, Default)]
pub struct RemoteKeys {
    keys: Vec<PublicKey>,
}

impl RemoteKeys {
    /// Reads a JWKS document `{"keys": [...]}`, keeping the usable signature keys (see
    /// [`PublicKey::from_jwk`]: P-256, Ed25519, RSA of 2048 bits or more, no private member).
    ///
    /// # Errors
    /// [`KeyError::InvalidJwk`] when the document is not an object with a `keys` array, or
    /// lists more than [`MAX_REMOTE_KEYS`] keys.
    pub fn from_jwks(doc: &Value) -> Result<RemoteKeys, KeyError> {
        let list = doc
            .get("keys")
            .and_then(Value::as_array)
            .ok_or(KeyError::InvalidJwk("a JWKS is an object with a keys array"))?;
        if list.len() > MAX_REMOTE_KEYS {
            return Err(KeyError::InvalidJwk("the JWKS lists too many keys"));
        }
        let keys = list.iter().filter_map(|jwk| PublicKey::from_jwk(jwk).ok()).collect();
        Ok(RemoteKeys { keys })
    }

    /// The usable keys, in the document's order.
    pub fn keys(&self) -> &[PublicKey] {
        &self.keys
    }

    /// Whether a key of this id is among them.
    pub fn has_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid() == kid)
    }

    /// Verifies a compact JWS signed by one of these keys and returns its claims, with the
    /// same checks as [`super::KeySet::verify`]: the key pins the algorithm (no `none`, no
    /// HMAC, no swap), `crit` is refused, then signature, `typ`, `iss`, `aud`, `exp`, `nbf`.
    ///
    /// The key is the one the header's `kid` names (several keys may share an id across
    /// algorithms: the one of the header's `alg`). A header without `kid` is accepted only
    /// when the set holds exactly one key (OIDC Core §10.1: `kid` MUST be given when the JWKS
    /// has several).
    ///
    /// # Errors
    /// The [`VerifyError`] of the first check that fails; [`VerifyError::UnknownKey`] tells
    /// the caller that fetching the JWKS again may help (the provider rotated its keys).
    pub fn verify<T: DeserializeOwned>(&self, token: &str, expect: &Expect<'_>) -> Result<T, VerifyError> {
        verify_jws(token, expect, |kid, alg| match kid {
            Some(kid) => {
                let mut named = self.keys.iter().filter(|k| k.kid() == kid).peekable();
                let first = named.peek().copied().ok_or(VerifyError::UnknownKey)?;
                Ok(named.find(|k| k.alg() == alg).unwrap_or(first))
            }
            None => match self.keys.as_slice() {
                [only] => Ok(only),
                _ => Err(VerifyError::UnknownKey),
            },
        })
    }
}
