//! Introspection answers (RFC 7662 §2.2).

use serde_json::{Value, json};

use crate::claims::AccessTokenClaims;

/// The answer for any token that is not active: unknown, expired, revoked, malformed, or not the
/// asking client's. RFC 7662 §2.2: nothing else is said, never why.
pub fn inactive() -> Value {
    json!({ "active": false })
}

/// The answer for an active token, from the claims the server verified or stored.
/// `token_type` is `Bearer` for access tokens, `refresh_token` for refresh tokens.
pub fn active(claims: &AccessTokenClaims, token_type: &str) -> Value {
    let mut answer = json!({
        "active": true,
        "scope": claims.scope,
        "client_id": claims.client_id,
        "token_type": token_type,
        "exp": claims.exp,
        "iat": claims.iat,
        "sub": claims.sub,
        "aud": claims.aud,
        "iss": claims.iss,
        "jti": claims.jti,
        "org_id": claims.org_id,
    });
    if let Some(auth_time) = claims.auth_time {
        answer["auth_time"] = json!(auth_time);
    }
    if let Some(amr) = &claims.amr {
        answer["amr"] = json!(amr);
    }
    if let Some(sid) = &claims.sid {
        answer["sid"] = json!(sid);
    }
    answer
}
