//! The key set: one active signing key and every public key still published (RFC 7517 §5),
//! with compact JWS signing and verification (RFC 7515 §7.1, RFC 7519 §7.2).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::{Alg, KeyError, PublicKey, SigningKey, VerifyError};

/// Longest token accepted for verification (bytes); ours are well under 2 KiB.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// The active signing key and the published public keys: the active key's public half first,
/// then retired keys, kept until the tokens they signed have expired.
pub struct KeySet {
    active: SigningKey,
    published: Vec<PublicKey>,
}

/// What a token must be to be accepted by [`KeySet::verify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expect<'a> {
    /// The exact `iss`.
    pub issuer: &'a str,
    /// A value `aud` must be or contain; `None` skips the audience check (the caller checks it).
    pub audience: Option<&'a str>,
    /// The `typ` header (`JWT`, `at+jwt`, `logout+jwt`), compared case-insensitively with an
    /// optional `application/` prefix (RFC 7515 §4.1.9); `None` accepts any.
    pub typ: Option<&'a str>,
    /// The current time, unix seconds.
    pub now: i64,
    /// Clock skew allowed on `exp` and `nbf`, seconds.
    pub leeway: i64,
}

impl<'a> Expect<'a> {
    /// For an `id_token_hint` at the logout endpoint: signature, issuer and `typ` `JWT` are
    /// checked, but an expired ID token is still a good hint (OIDC RP-Initiated Logout 1.0 §2:
    /// the OP should accept it even when expired), so the leeway is unbounded.
    pub fn id_token_hint(issuer: &'a str, now: i64) -> Expect<'a> {
        Expect {
            issuer,
            audience: None,
            typ: Some("JWT"),
            now,
            leeway: i64::MAX,
        }
    }
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
        if token.len() > MAX_TOKEN_LEN {
            return Err(VerifyError::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(VerifyError::Malformed);
        };
        let header = decode_object(header_b64)?;
        // RFC 7515 §4.1.11: extensions listed in crit must be understood; we understand none.
        if header.contains_key("crit") {
            return Err(VerifyError::Malformed);
        }
        let alg: Alg = header
            .get("alg")
            .and_then(Value::as_str)
            .and_then(|a| a.parse().ok())
            .ok_or(VerifyError::Algorithm)?;
        let kid = header
            .get("kid")
            .and_then(Value::as_str)
            .ok_or(VerifyError::UnknownKey)?;
        let key = self
            .published
            .iter()
            .find(|k| k.kid() == kid)
            .ok_or(VerifyError::UnknownKey)?;
        if key.alg() != alg {
            return Err(VerifyError::Algorithm);
        }
        let signature = URL_SAFE_NO_PAD
            .decode(signature_b64)
            .map_err(|_| VerifyError::Malformed)?;
        let signed = &token.as_bytes()[..header_b64.len() + 1 + payload_b64.len()];
        if !key.verifies(signed, &signature) {
            return Err(VerifyError::Signature);
        }
        if let Some(want) = expect.typ {
            let typ = header.get("typ").and_then(Value::as_str).ok_or(VerifyError::Type)?;
            if !same_media_type(typ, want) {
                return Err(VerifyError::Type);
            }
        }
        let claims = decode_object(payload_b64)?;
        check_claims(&claims, expect)?;
        serde_json::from_value(Value::Object(claims)).map_err(|_| VerifyError::Claims)
    }
}

fn decode_object(part: &str) -> Result<Map<String, Value>, VerifyError> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| VerifyError::Malformed)?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(VerifyError::Malformed),
    }
}

/// RFC 7515 §4.1.9: `typ` is a media type, case-insensitive, `application/` may be left out.
fn same_media_type(given: &str, want: &str) -> bool {
    fn short(t: &str) -> &str {
        match t.get(..12) {
            Some(prefix) if prefix.eq_ignore_ascii_case("application/") => &t[12..],
            _ => t,
        }
    }
    short(given).eq_ignore_ascii_case(short(want))
}

/// A NumericDate (RFC 7519 §2): seconds, possibly fractional.
fn numeric_date(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, VerifyError> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_f64().map(|f| f as i64))
            .map(Some)
            .ok_or(VerifyError::Claims),
    }
}

fn check_claims(claims: &Map<String, Value>, expect: &Expect<'_>) -> Result<(), VerifyError> {
    if claims.get("iss").and_then(Value::as_str) != Some(expect.issuer) {
        return Err(VerifyError::Issuer);
    }
    if let Some(audience) = expect.audience {
        // RFC 7519 §4.1.3: a single string or an array of strings.
        let ok = match claims.get("aud") {
            Some(Value::String(aud)) => aud == audience,
            Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(audience)),
            _ => false,
        };
        if !ok {
            return Err(VerifyError::Audience);
        }
    }
    // RFC 7519 §4.1.4: the token MUST NOT be accepted on or after exp. Every token of this
    // provider has one, so a missing exp is refused.
    let exp = numeric_date(claims, "exp")?.ok_or(VerifyError::Claims)?;
    if expect.now >= exp.saturating_add(expect.leeway) {
        return Err(VerifyError::Expired);
    }
    if let Some(nbf) = numeric_date(claims, "nbf")?
        && expect.now.saturating_add(expect.leeway) < nbf
    {
        return Err(VerifyError::NotYetValid);
    }
    Ok(())
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
