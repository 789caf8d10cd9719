//! `POST /oauth2/token` (RFC 6749 §3.2): the code exchange with PKCE, refresh with rotation,
//! and client credentials, each after client authentication (RFC 6749 §2.3.1).

use super::counts::Counted;
use super::error::{OAuthReply, OAuthResult};
use crate::extract::ClientMeta;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use gatehouse_core::CoreError;
use gatehouse_core::oauth::GrantType;
use gatehouse_core::services::provider::{Issued, ProvenClient, unix_secs};
use gatehouse_oidc::{
    AccessTokenClaims, ErrorCode, Grant, IdTokenClaims, OAuthError, Scopes, TYP_ACCESS_TOKEN, TYP_ID_TOKEN,
    TokenRequest, pkce,
};
use serde_json::json;

/// The form pairs of an `application/x-www-form-urlencoded` body (RFC 6749 §4.1.3: the only
/// body the token, introspection and revocation endpoints take).
pub(super) fn form_pairs(headers: &HeaderMap, body: &Bytes) -> Result<Vec<(String, String)>, OAuthReply> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            "The body must be application/x-www-form-urlencoded.",
        )
        .into());
    }
    serde_urlencoded::from_bytes(body)
        .map_err(|_| OAuthError::new(ErrorCode::InvalidRequest, "The body is not a valid form.").into())
}

pub(super) fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
}

/// Authenticates the client the request names; a failure is `invalid_client` (401, with a
/// Basic challenge when the client tried Basic).
pub(super) async fn authenticate(st: &AppState, auth: &gatehouse_oidc::ClientAuth) -> OAuthResult<ProvenClient> {
    let basic = auth.method() == "client_secret_basic";
    st.services
        .provider
        .authenticate(auth.client_id(), auth.secret())
        .await
        .map_err(|e| OAuthReply::from(e).with_basic(basic))
}

pub async fn token(
    State(st): State<AppState>,
    ClientMeta(meta): ClientMeta,
    headers: HeaderMap,
    body: Bytes,
) -> OAuthResult<Response> {
    let pairs = form_pairs(&headers, &body)?;
    let req = TokenRequest::parse(&pairs, authorization(&headers)).map_err(OAuthReply::from)?;
    let client = authenticate(&st, &req.client).await?;
    let p = &st.services.provider;
    let body = match req.grant {
        Grant::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
        } => {
            if !client.client().allows(GrantType::AuthorizationCode) {
                return Err(unauthorized("authorization_code"));
            }
            let public = client.client().public;
            let check = |challenge: Option<&str>| check_pkce(challenge, code_verifier.as_deref(), public);
            let issued = p
                .exchange_code(&client, &code, redirect_uri.as_deref(), check, &meta)
                .await?;
            tokens(&st, &client, &issued)?
        }
        Grant::RefreshToken { refresh_token, scope } => {
            let narrow = |granted: &str| narrow_scope(granted, scope.as_ref());
            let issued = p.refresh(&client, &refresh_token, narrow, &meta).await?;
            st.oidc
                .counter
                .add(client.client().id, client.client().org_id, Counted::Refresh);
            tokens(&st, &client, &issued)?
        }
        Grant::ClientCredentials { .. } => {
            p.client_credentials(&client)?;
            st.oidc
                .counter
                .add(client.client().id, client.client().org_id, Counted::ClientCredentials);
            client_credentials(&st, &client)?
        }
    };
    Ok(no_store(Json(body).into_response()))
}

fn unauthorized(grant: &str) -> OAuthReply {
    OAuthError::new(
        ErrorCode::UnauthorizedClient,
        format!("This client may not use the {grant} grant."),
    )
    .into()
}

/// RFC 7636 §4.6: a code issued with a challenge needs its verifier; one issued without (a
/// confidential client that sent none) takes no verifier either, so a verifier cannot be
/// bolted on after the fact.
fn check_pkce(challenge: Option<&str>, verifier: Option<&str>, public: bool) -> Result<(), CoreError> {
    let grant_error = |message: &str| CoreError::Unauthenticated {
        code: "invalid_grant",
        message: message.to_owned(),
    };
    match (challenge, verifier) {
        (Some(c), Some(v)) => pkce::verify_s256(v, c).map_err(|e| CoreError::Unauthenticated {
            code: if e.code == ErrorCode::InvalidRequest {
                "invalid_request"
            } else {
                "invalid_grant"
            },
            message: e.description,
        }),
        (Some(_), None) => Err(grant_error("code_verifier is required for this code.")),
        (None, Some(_)) => Err(grant_error("This code was issued without a code_challenge.")),
        (None, None) if public => Err(grant_error("A public client must use PKCE.")),
        (None, None) => Ok(()),
    }
}

/// A refresh may ask for fewer scopes than granted, never more (RFC 6749 §6).
fn narrow_scope(granted: &str, requested: Option<&Scopes>) -> Result<String, CoreError> {
    let Some(requested) = requested else {
        return Ok(granted.to_owned());
    };
    let granted = Scopes::parse(granted).map_err(|e| CoreError::Internal(e.to_string()))?;
    granted
        .narrow(requested)
        .map(|s| s.to_string())
        .map_err(|e| CoreError::Unauthenticated {
            code: "invalid_scope",
            message: e.description,
        })
}

fn no_store(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    res
}

fn sign_error(e: impl std::fmt::Display) -> OAuthReply {
    OAuthReply::from(CoreError::Internal(format!("signing a token failed: {e}")))
}

/// The access token (RFC 9068), the ID token when the grant has `openid`, and the refresh
/// token when one was issued.
fn tokens(st: &AppState, client: &ProvenClient, issued: &Issued) -> OAuthResult<serde_json::Value> {
    let now = unix_secs(st.services.now());
    let ttl = st.services.provider.policy().access_ttl_secs;
    let keys = st.oidc.keys.get();
    let c = client.client();
    let g = &issued.grant;
    let access = AccessTokenClaims {
        iss: super::issuer::issuer(st).to_owned(),
        sub: g.account_id.to_string(),
        aud: c.id.to_string(),
        exp: now + ttl,
        iat: now,
        jti: uuid::Uuid::now_v7().to_string(),
        client_id: c.id.to_string(),
        scope: g.scope.clone(),
        auth_time: Some(unix_secs(g.auth_time)),
        amr: Some(g.amr.clone()),
        org_id: c.org_id.to_string(),
        gid: Some(g.id.to_string()),
        sid: Some(g.id.to_string()),
    };
    let mut body = json!({
        "access_token": keys.sign(TYP_ACCESS_TOKEN, &access).map_err(sign_error)?,
        "token_type": "Bearer",
        "expires_in": ttl,
        "scope": g.scope,
    });
    if g.has_scope("openid") {
        let id = id_token_claims(st, client, issued, now);
        body["id_token"] = json!(keys.sign(TYP_ID_TOKEN, &id).map_err(sign_error)?);
    }
    if let Some(rt) = &issued.refresh_token {
        body["refresh_token"] = json!(rt);
    }
    Ok(body)
}

fn id_token_claims(st: &AppState, client: &ProvenClient, issued: &Issued, now: i64) -> IdTokenClaims {
    let g = &issued.grant;
    let email = g.has_scope("email");
    IdTokenClaims {
        iss: super::issuer::issuer(st).to_owned(),
        sub: g.account_id.to_string(),
        aud: client.client().id.to_string(),
        exp: now + super::ID_TOKEN_TTL_SECS,
        iat: now,
        auth_time: unix_secs(g.auth_time),
        nonce: issued.nonce.clone(),
        amr: g.amr.clone(),
        azp: client.client().id.to_string(),
        sid: Some(g.id.to_string()),
        email: email.then(|| issued.subject.account.email.clone()),
        email_verified: email.then_some(issued.subject.email_verified),
        name: g
            .has_scope("profile")
            .then(|| issued.subject.account.display_name.clone()),
        org_id: client.client().org_id.to_string(),
    }
}

/// A back end's own token (RFC 6749 §4.4): `sub` is the client, no person, no scopes (the
/// products' own permissions are theirs to grant), no refresh token (§4.4.3).
fn client_credentials(st: &AppState, client: &ProvenClient) -> OAuthResult<serde_json::Value> {
    let now = unix_secs(st.services.now());
    let ttl = st.services.provider.policy().access_ttl_secs;
    let c = client.client();
    let claims = AccessTokenClaims {
        iss: super::issuer::issuer(st).to_owned(),
        sub: c.id.to_string(),
        aud: c.id.to_string(),
        exp: now + ttl,
        iat: now,
        jti: uuid::Uuid::now_v7().to_string(),
        client_id: c.id.to_string(),
        scope: String::new(),
        auth_time: None,
        amr: None,
        org_id: c.org_id.to_string(),
        gid: None,
        sid: None,
    };
    let token = st.oidc.keys.get().sign(TYP_ACCESS_TOKEN, &claims).map_err(sign_error)?;
    Ok(json!({ "access_token": token, "token_type": "Bearer", "expires_in": ttl }))
}
