//! The key set: one active signing key and every public key still published (RFC 7517 §5),
//! with compact JWS signing and verification (RFC 7515 §7.1, RFC 7519 §7.2).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::jws::verify_jws;
use super::{Alg, Expect, KeyError, PublicKey, SigningKey, VerifyError};

/// The active signing key and the published public keys: the active key's public half first,
/// then retired keys, kept until the tokens they signed have expired.
pub struct KeySet {
    active: SigningKey,
    published: Vec<PublicKey>,
}

#[derive(Serialize)]
struct Header<'a> {
    alg: &'a str,
    typ: &'a str,
    kid: &'a str,
}

impl KeySet {
    /// A key set signing with `active` and also publishing `retired` (duplicates of a key id
    /// already present are dropped).
    pub fn new(active: SigningKey, retired: Vec<PublicKey>) -> KeySet {
        let mut published = vec![active.public().clone()];
        for key in retired {
            if !published.iter().any(|p| p.kid() == key.kid()) {
                published.push(key);
            }
        }
        KeySet { active, published }
    }

    /// The active key's id.
    pub fn active_kid(&self) -> &str {
        self.active.kid()
    }

    /// The active key's algorithm.
    pub fn active_alg(&self) -> Alg {
        self.active.alg()
    }

    /// The active signing key.
    pub fn active(&self) -> &SigningKey {
        &self.active
    }

    /// Every published public key, the active one first.
    pub fn published(&self) -> &[PublicKey] {
        &self.published
    }

    /// The distinct algorithms of the published keys, the active one first: the
    /// `id_token_signing_alg_values_supported` of the discovery document.
    pub fn algs(&self) -> Vec<Alg> {
        let mut algs: Vec<Alg> = Vec::with_capacity(Alg::ALL.len());
        for key in &self.published {
            if !algs.contains(&key.alg()) {
                algs.push(key.alg());
            }
        }
        algs
    }

    /// The JWKS document (RFC 7517 §5): `{"keys": [...]}`, public members only.
    pub fn jwks(&self) -> Value {
        json!({ "keys": self.published.iter().map(|k| k.jwk().clone()).collect::<Vec<_>>() })
    }

    /// Signs `claims` as a compact JWS with the header `{"alg", "typ", "kid"}`: `typ` is `JWT`
    /// for ID tokens, `at+jwt` for access tokens (RFC 9068 §2.1), `logout+jwt` for logout tokens
    /// (OIDC Back-Channel Logout 1.0 §2.4).
    pub fn sign<T: Serialize>(&self, typ: &str, claims: &T) -> Result<String, KeyError> {
        let header = Header {
            alg: self.active.alg().as_str(),
            typ,
            kid: self.active.kid(),
        };
        let header = serde_json::to_vec(&header).map_err(|_| KeyError::Claims)?;
        let payload = serde_json::to_vec(claims).map_err(|_| KeyError::Claims)?;
        if payload.first() != Some(&b'{') {
            // RFC 7519 §7.1 step 2: the claims set is a JSON object.
            return Err(KeyError::Claims);
        }
        let mut token = String::with_capacity((header.len() + payload.len()) * 4 / 3 + 100);
        URL_SAFE_NO_PAD.encode_string(&header, &mut token);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&payload, &mut token);
        let signature = self.active.sign_bytes(token.as_bytes())?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&signature, &mut token);
        Ok(token)
    }

    /// Verifies a compact JWS signed by one of the published keys and returns its claims.
    ///
    /// The key is chosen by `kid` and the header's `alg` must be exactly that key's algorithm, so
    /// `none`, HMAC with the public key as secret, and algorithm swaps are all refused before
    /// any signature is checked. Then the signature, `typ`, `iss`, `aud`, `exp` and `nbf`.
    pub fn verify<T: DeserializeOwned>(&self, token: &str, expect: &Expect<'_>) -> Result<T, VerifyError> {
        verify_jws(token, expect, |kid, _| {
            // Our own tokens always name their key.
            let kid = kid.ok_or(VerifyError::UnknownKey)?;
            self.published
                .iter()
                .find(|k| k.kid() == kid)
                .ok_or(VerifyError::UnknownKey)
        })
    }
}

/// Shows key ids only.
impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let published: Vec<&str> = self.published.iter().map(PublicKey::kid).collect();
        f.debug_struct("KeySet")
            .field("active", &self.active_kid())
            .field("published", &published)
            .finish()
    }
}
