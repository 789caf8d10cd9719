//! ID token validation by the relying party (OIDC Core §3.1.3.7).

use serde_json::{Map, Value};
use subtle::ConstantTimeEq as _;

use super::RpError;
use crate::keys::{Expect, RemoteKeys, numeric_date};

/// Clock skew allowed on `exp`, `nbf` and `iat` (seconds): two hosts' clocks drift.
pub const DEFAULT_SKEW_SECS: i64 = 60;
/// Oldest `iat` accepted (seconds before now, before the skew): the token endpoint issues
/// the ID token while we wait for its answer, so an older one was issued for something else.
pub const MAX_ID_TOKEN_AGE_SECS: i64 = 10 * 60;
/// Longest `sub` (OIDC Core §2: at most 255 ASCII characters).
pub const MAX_SUBJECT_LEN: usize = 255;

/// What the ID token of one sign-in must be.
#[derive(Debug, Clone, Copy)]
pub struct IdTokenCheck<'a> {
    /// The configured issuer, which discovery confirmed.
    pub issuer: &'a str,
    /// Our client id at the provider.
    pub client_id: &'a str,
    /// The nonce this sign-in sent.
    pub nonce: &'a str,
    /// The current time, unix seconds.
    pub now: i64,
    /// Clock skew allowed, seconds ([`DEFAULT_SKEW_SECS`]).
    pub skew: i64,
}

/// Validates an ID token from the token endpoint and returns its claims.
///
/// OIDC Core §3.1.3.7, in order: the JWS against the provider's keys, the key pinning the
/// algorithm (so `none`, HMAC and swaps are refused; item 6-8); `iss` exactly the issuer
/// (item 2); `aud` containing our client id (item 3); with several audiences, `azp` required,
/// and whenever present, equal to our client id (items 4, 5); `exp` not passed (item 9);
/// `nbf` reached; `iat` present, not in the future and not older than
/// [`MAX_ID_TOKEN_AGE_SECS`] (item 10); `nonce` equal to ours, compared in constant time
/// (item 11); `sub` present (§2).
///
/// # Errors
/// The first check that fails, as an [`RpError`] whose [`RpError::reason`] names it.
pub fn validate_id_token(
    keys: &RemoteKeys,
    token: &str,
    check: &IdTokenCheck<'_>,
) -> Result<Map<String, Value>, RpError> {
    let expect = Expect {
        issuer: check.issuer,
        audience: Some(check.client_id),
        // Providers differ (`JWT`, none at all); the key, issuer and audience decide.
        typ: None,
        now: check.now,
        leeway: check.skew,
    };
    let claims: Map<String, Value> = keys.verify(token, &expect).map_err(RpError::IdToken)?;
    let several_audiences = matches!(claims.get("aud"), Some(Value::Array(list)) if list.len() > 1);
    match claims.get("azp") {
        Some(Value::String(azp)) if azp == check.client_id => {}
        None if !several_audiences => {}
        _ => return Err(RpError::AuthorizedParty),
    }
    let iat = numeric_date(&claims, "iat").ok().flatten().ok_or(RpError::IssuedAt)?;
    let oldest = check.now.saturating_sub(MAX_ID_TOKEN_AGE_SECS + check.skew);
    if iat > check.now.saturating_add(check.skew) || iat < oldest {
        return Err(RpError::IssuedAt);
    }
    let nonce = claims.get("nonce").and_then(Value::as_str).unwrap_or_default();
    if nonce.is_empty() || !bool::from(nonce.as_bytes().ct_eq(check.nonce.as_bytes())) {
        return Err(RpError::NonceMismatch);
    }
    match claims.get("sub").and_then(Value::as_str) {
        Some(sub) if !sub.is_empty() && sub.len() <= MAX_SUBJECT_LEN && !sub.chars().any(char::is_control) => {
            Ok(claims)
        }
        _ => Err(RpError::Subject),
    }
}
