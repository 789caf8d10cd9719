//! Discovery, the JWKS, userinfo (OIDC Core §5.3), introspection (RFC 7662) and revocation
//! (RFC 7009).

use super::error::{OAuthReply, OAuthResult};
use super::token::{authenticate, authorization, form_pairs};
use crate::extract::ClientMeta;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use gatehouse_core::ids::{ClientId, GrantId};
use gatehouse_core::services::provider::{ProvenClient, unix_secs};
use gatehouse_oidc::{
    AccessTokenClaims, ErrorCode, Expect, OAuthError, TYP_ACCESS_TOKEN, discovery_document, introspection,
    parse_bearer, parse_client_auth,
};
use serde_json::json;

/// Leeway on `exp` for tokens this provider itself issued: none (one clock).
const LEEWAY: i64 = 0;

pub async fn discovery(State(st): State<AppState>) -> Response {
    let doc = discovery_document(super::issuer::issuer(&st), &st.oidc.keys.get().algs());
    cached(Json(doc).into_response(), "public, max-age=300")
}

pub async fn jwks(State(st): State<AppState>) -> Response {
    // Short: a new key must reach relying parties soon after a rotation.
    cached(Json(st.oidc.keys.get().jwks()).into_response(), "public, max-age=60")
}

fn cached(mut res: Response, policy: &'static str) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    res
}

/// An access token this provider issued, verified: signature by a published key, issuer,
/// type `at+jwt`, expiry.
fn verified_access(st: &AppState, token: &str) -> Option<AccessTokenClaims> {
    let now = unix_secs(st.services.now());
    if let Some(c) = st.oidc.verified.get(token, now) {
        return Some(c);
    }
    let expect = Expect {
        issuer: super::issuer::issuer(st),
        audience: None,
        typ: Some(TYP_ACCESS_TOKEN),
        now,
        leeway: LEEWAY,
    };
    let claims: AccessTokenClaims = st.oidc.keys.get().verify(token, &expect).ok()?;
    st.oidc.verified.put(token, &claims);
    Some(claims)
}

/// Whether a verified access token is still good: its grant is live (not revoked, its account
/// active), or for a client-credentials token, its client still exists.
async fn still_live(st: &AppState, c: &AccessTokenClaims) -> Result<bool, OAuthReply> {
    let p = &st.services.provider;
    if let Some(gid) = &c.gid {
        let Ok(gid) = GrantId::parse(gid) else { return Ok(false) };
        return Ok(p.live_grant(gid).await?.is_some());
    }
    let Ok(client) = ClientId::parse(&c.client_id) else {
        return Ok(false);
    };
    Ok(p.client_exists(client).await?)
}

/// `GET|POST /oauth2/userinfo` with `Authorization: Bearer` (RFC 6750 §2.1).
pub async fn userinfo(State(st): State<AppState>, headers: HeaderMap) -> OAuthResult<Response> {
    let invalid = || {
        OAuthReply::bearer(OAuthError::new(
            ErrorCode::InvalidToken,
            "The access token is not valid.",
        ))
    };
    let token = parse_bearer(authorization(&headers)).ok_or_else(invalid)?;
    let claims = verified_access(&st, token).ok_or_else(invalid)?;
    let gid = claims
        .gid
        .as_deref()
        .and_then(|g| GrantId::parse(g).ok())
        .ok_or_else(invalid)?;
    let (grant, subject) = st.services.provider.live_grant(gid).await?.ok_or_else(invalid)?;
    if !grant.has_scope("openid") {
        return Err(OAuthReply::bearer(OAuthError::new(
            ErrorCode::InvalidToken,
            "The access token was not issued with the openid scope.",
        )));
    }
    let mut body = json!({ "sub": grant.account_id.to_string(), "org_id": grant.org_id.to_string() });
    if grant.has_scope("email") {
        body["email"] = json!(subject.account.email);
        body["email_verified"] = json!(subject.email_verified);
    }
    if grant.has_scope("profile") {
        body["name"] = json!(subject.account.display_name);
    }
    Ok(no_store(Json(body).into_response()))
}

fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The form's `token`, and the authenticated confidential client asking. A public client
/// cannot authenticate, so it may neither introspect nor (here) revoke anything but its own
/// refresh tokens.
async fn token_and_client(st: &AppState, headers: &HeaderMap, body: &Bytes) -> OAuthResult<(String, ProvenClient)> {
    let pairs = form_pairs(headers, body)?;
    let auth = parse_client_auth(&pairs, authorization(headers)).map_err(OAuthReply::from)?;
    let client = authenticate(st, &auth).await?;
    let mut tokens = pairs.iter().filter(|(k, _)| k == "token");
    let token = match (tokens.next(), tokens.next()) {
        (Some((_, t)), None) => t.clone(),
        _ => {
            return Err(OAuthError::new(ErrorCode::InvalidRequest, "The token parameter is required, once.").into());
        }
    };
    Ok((token, client))
}

/// `POST /oauth2/introspect` (RFC 7662). Only a confidential client of the token's own
/// organization learns anything; for anyone else every token is `{"active": false}`.
pub async fn introspect(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> OAuthResult<Response> {
    let (token, client) = token_and_client(&st, &headers, &body).await?;
    if client.client().public {
        return Err(OAuthError::new(ErrorCode::InvalidClient, "A public client may not introspect tokens.").into());
    }
    let answer = match verified_access(&st, &token) {
        Some(c) if c.org_id == client.client().org_id.to_string() && still_live(&st, &c).await? => {
            introspection::active(&c, "Bearer")
        }
        _ => introspection::inactive(),
    };
    Ok(no_store(Json(answer).into_response()))
}

/// `POST /oauth2/revoke` (RFC 7009): a refresh token ends its family; an access token ends
/// the grant it belongs to. Only the client's own tokens; anything else (unknown, another
/// client's, malformed) answers 200 all the same (§2.2).
pub async fn revoke(
    State(st): State<AppState>,
    ClientMeta(meta): ClientMeta,
    headers: HeaderMap,
    body: Bytes,
) -> OAuthResult<StatusCode> {
    let (token, client) = token_and_client(&st, &headers, &body).await?;
    let p = &st.services.provider;
    if let Some(c) = verified_access(&st, &token) {
        if c.client_id == client.client().id.to_string()
            && let Some(gid) = c.gid.as_deref().and_then(|g| GrantId::parse(g).ok())
        {
            p.revoke_grant_of(&client, gid, &meta).await?;
        }
    } else {
        p.revoke_refresh_token(&client, &token, &meta).await?;
    }
    st.logouts.wake();
    Ok(StatusCode::OK)
}
