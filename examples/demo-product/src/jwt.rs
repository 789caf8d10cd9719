//! The two JWTs openidconnect does not verify for a relying party: the access token (RFC 9068)
//! and the back-channel logout token (OIDC Back-Channel Logout 1.0 §2.4). Both are checked
//! against the provider's published keys with jsonwebtoken, and nothing in them is believed
//! before the signature, issuer, audience, expiry and type have passed.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::Value;

/// The signing algorithms the demo accepts: the provider's (ES256 by default, EdDSA, RS256).
/// Never `none`, never a MAC (a MAC would let anyone holding the client secret forge tokens).
pub const ACCEPTED_ALGS: [Algorithm; 3] = [Algorithm::ES256, Algorithm::EdDSA, Algorithm::RS256];

/// The event a logout token must carry (Back-Channel Logout §2.4).
pub const BACKCHANNEL_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// Allowed clock difference with the provider, in seconds.
const LEEWAY_SECS: u64 = 60;
/// How old a logout token's `iat` may be (Back-Channel Logout §2.6 step 3: validated "in the
/// same way" as an ID token's, whose age OIDC Core §3.1.3.7 leaves to the client).
const MAX_LOGOUT_AGE_SECS: u64 = 10 * 60;

/// Why a token was refused. The messages name no secret and echo no token content.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Not a compact JWS, or a header or payload that does not parse (`alg: none` lands here).
    #[error("malformed token: {0}")]
    Malformed(String),
    /// A signing algorithm outside [`ACCEPTED_ALGS`].
    #[error("signing algorithm {0:?} is not accepted")]
    Algorithm(Algorithm),
    /// The header's `typ` is not the expected explicit type.
    #[error("token type {0:?} is not {1}")]
    Type(Option<String>, &'static str),
    /// No key of the provider's JWKS fits the header's `kid` and `alg`.
    #[error("no key in the provider's JWKS fits this token")]
    UnknownKey,
    /// Signature, issuer, audience or expiry check failed.
    #[error("token refused: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
    /// A claim rule of the token's profile failed.
    #[error("token refused: {0}")]
    Claims(&'static str),
}

/// What the demo takes from a verified logout token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutToken {
    /// The account whose sessions end, if named.
    pub sub: Option<String>,
    /// The provider's session that ended, if named.
    pub sid: Option<String>,
    /// The token's unique id, remembered to refuse a replay.
    pub jti: String,
}

/// The party the tokens are checked for.
pub struct Expect<'a> {
    /// The issuer, compared as a string.
    pub issuer: &'a str,
    /// This client's id: the audience.
    pub client_id: &'a str,
}

/// Verifies an RFC 9068 access token and returns its claims.
pub fn verify_access_token(raw: &str, keys: &JwkSet, expect: &Expect<'_>) -> Result<Value, TokenError> {
    // RFC 9068 §4: typ must be "at+jwt" (or its media type form); iss, exp, aud, sub,
    // client_id, iat and jti are required.
    let claims = verify(raw, keys, expect, "at+jwt", &["exp", "iss", "aud", "sub"])?;
    for name in ["client_id", "iat", "jti"] {
        if claims.get(name).is_none() {
            return Err(TokenError::Claims(
                "an access token claim required by RFC 9068 §2.2 is missing",
            ));
        }
    }
    if claims["client_id"].as_str() != Some(expect.client_id) {
        return Err(TokenError::Claims("the access token was issued to another client"));
    }
    Ok(claims)
}

/// Verifies a back-channel logout token (Back-Channel Logout §2.6).
pub fn verify_logout_token(raw: &str, keys: &JwkSet, expect: &Expect<'_>) -> Result<LogoutToken, TokenError> {
    let claims = verify(raw, keys, expect, "logout+jwt", &["exp", "iss", "aud"])?;
    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
    let now = unix_now();
    match claims.get("iat").and_then(Value::as_u64) {
        Some(iat) if iat <= now + LEEWAY_SECS && iat + MAX_LOGOUT_AGE_SECS >= now => {}
        Some(_) => return Err(TokenError::Claims("iat is too far from now")),
        None => return Err(TokenError::Claims("iat is missing")),
    }
    // §2.6 step 4: a sub, a sid, or both.
    let (sub, sid) = (text("sub"), text("sid"));
    if sub.is_none() && sid.is_none() {
        return Err(TokenError::Claims("neither sub nor sid"));
    }
    // §2.6 step 5: the events claim holds the back-channel logout member, a JSON object.
    if !claims
        .get("events")
        .and_then(|e| e.get(BACKCHANNEL_EVENT))
        .is_some_and(Value::is_object)
    {
        return Err(TokenError::Claims("no back-channel logout event"));
    }
    // §2.6 step 6: a nonce is forbidden, so that an ID token can never pass as a logout token.
    if claims.get("nonce").is_some() {
        return Err(TokenError::Claims("a logout token must not carry a nonce"));
    }
    let jti = text("jti").ok_or(TokenError::Claims("jti is missing"))?;
    Ok(LogoutToken { sub, sid, jti })
}

/// Signature, algorithm, explicit type, issuer, audience and expiry; then the claims.
fn verify(
    raw: &str,
    keys: &JwkSet,
    expect: &Expect<'_>,
    typ: &'static str,
    required: &[&str],
) -> Result<Value, TokenError> {
    let header = decode_header(raw).map_err(|e| TokenError::Malformed(e.to_string()))?;
    if !ACCEPTED_ALGS.contains(&header.alg) {
        return Err(TokenError::Algorithm(header.alg));
    }
    // RFC 7515 §4.1.9: the "application/" prefix may be left out, and media types compare
    // case-insensitively (RFC 8725 §3.11 on explicit typing).
    let given = header.typ.as_deref().map(str::to_ascii_lowercase);
    let bare = given.as_deref().map(|t| t.strip_prefix("application/").unwrap_or(t));
    if bare != Some(typ) {
        return Err(TokenError::Type(header.typ, typ));
    }
    let jwk = find_key(keys, header.kid.as_deref(), header.alg).ok_or(TokenError::UnknownKey)?;
    let key = DecodingKey::from_jwk(jwk)?;
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[expect.issuer]);
    validation.set_audience(&[expect.client_id]);
    validation.set_required_spec_claims(required);
    validation.leeway = LEEWAY_SECS;
    Ok(decode::<Value>(raw, &key, &validation)?.claims)
}

/// The key for `kid` that may sign with `alg`: a signing key (RFC 7517 §4.2 `use`), of the
/// algorithm's family, whose own `alg` (if it names one) is this one. Without a `kid` only a
/// set with exactly one such key answers.
pub fn find_key<'k>(keys: &'k JwkSet, kid: Option<&str>, alg: Algorithm) -> Option<&'k Jwk> {
    let fits = |k: &&Jwk| {
        let usable = !matches!(
            k.common.public_key_use,
            Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
        );
        let same_alg = k.common.key_algorithm.is_none_or(|a| a == KeyAlgorithm::from(alg));
        let family = match (&k.algorithm, alg) {
            (AlgorithmParameters::EllipticCurve(p), Algorithm::ES256) => p.curve == EllipticCurve::P256,
            (AlgorithmParameters::OctetKeyPair(p), Algorithm::EdDSA) => p.curve == EllipticCurve::Ed25519,
            (AlgorithmParameters::RSA(_), Algorithm::RS256) => true,
            _ => false,
        };
        usable && same_alg && family
    };
    if let Some(kid) = kid {
        return keys
            .keys
            .iter()
            .filter(fits)
            .find(|k| k.common.key_id.as_deref() == Some(kid));
    }
    let mut candidates = keys.keys.iter().filter(fits);
    let only = candidates.next()?;
    candidates.next().is_none().then_some(only)
}

/// Parses a JWKS document, keeping the keys jsonwebtoken understands and skipping the others
/// (a key of an unknown type must not hide the provider's other keys).
pub fn parse_jwks(bytes: &[u8]) -> Result<JwkSet, serde_json::Error> {
    #[derive(serde::Deserialize)]
    struct Loose {
        keys: Vec<Value>,
    }
    let loose: Loose = serde_json::from_slice(bytes)?;
    let keys = loose
        .keys
        .into_iter()
        .filter_map(|k| serde_json::from_value(k).ok())
        .collect();
    Ok(JwkSet { keys })
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
