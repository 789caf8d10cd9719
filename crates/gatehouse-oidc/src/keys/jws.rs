//! Compact JWS verification (RFC 7515 §5.2, RFC 7519 §7.2), shared by our own key set and the
//! key sets of identity providers we sign people in with: the header is read, the key is
//! chosen by the caller, the key pins the algorithm, then the signature and the claims.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{Alg, PublicKey, VerifyError};

/// Longest token accepted for verification (bytes); ours are well under 2 KiB.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// What a token must be to be accepted by [`super::KeySet::verify`] or [`super::RemoteKeys::verify`].
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

/// Verifies a compact JWS with the key `pick` chooses from the header's `kid` (if any) and
/// `alg`, and returns its claims.
///
/// `alg` must name one of [`Alg`] (so `none` and HMAC never get this far) and be exactly the
/// chosen key's algorithm; a `crit` header is refused (RFC 7515 §4.1.11: we understand no
/// extension). Then the signature, `typ`, `iss`, `aud`, `exp` and `nbf`.
pub(super) fn verify_jws<'k, T, F>(token: &str, expect: &Expect<'_>, pick: F) -> Result<T, VerifyError>
where
    T: DeserializeOwned,
    F: FnOnce(Option<&str>, Alg) -> Result<&'k PublicKey, VerifyError>,
{
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
    if header.contains_key("crit") {
        return Err(VerifyError::Malformed);
    }
    let alg: Alg = header
        .get("alg")
        .and_then(Value::as_str)
        .and_then(|a| a.parse().ok())
        .ok_or(VerifyError::Algorithm)?;
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(k)) => Some(k.as_str()),
        Some(_) => return Err(VerifyError::UnknownKey),
    };
    let key = pick(kid, alg)?;
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
pub(crate) fn numeric_date(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, VerifyError> {
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
    // provider has one (and OIDC Core §2 requires it of ID tokens), so a missing exp is refused.
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
