//! Extractors: JSON and query strings with problem+json rejections, the client's address,
//! and the org admin capability from a Bearer API key.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use gatehouse_core::audit::RequestMeta;
use gatehouse_core::authz::OrgAdmin;
use gatehouse_core::ids::OrgId;
use serde::de::DeserializeOwned;
use std::net::{IpAddr, SocketAddr};

/// A JSON body. Unknown fields, wrong types, a wrong content type or an oversize body each get
/// a specific problem naming the offending field where there is one.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<mime::Mime>().ok())
            .is_some_and(|m| {
                m.type_() == "application" && (m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json"))
            });
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the body as application/json.",
            ));
        }
        let bytes = bytes::Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_too_large",
                    "The request body is too large.",
                )
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "unreadable_body",
                    "The request body could not be read.",
                )
            }
        })?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(v) => Ok(ApiJson(v)),
            Err(e) => {
                let path = e.path().to_string();
                let inner = e.into_inner();
                if inner.is_syntax() || inner.is_eof() {
                    Err(ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "malformed_json",
                        format!("The body is not valid JSON: {inner}"),
                    ))
                } else {
                    let field = if path == "." { String::new() } else { path };
                    let msg = strip_position(&inner.to_string());
                    Err(
                        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", msg.clone())
                            .with_field(field, msg),
                    )
                }
            }
        }
    }
}

fn strip_position(s: &str) -> String {
    s.split(" at line ").next().unwrap_or(s).to_owned()
}

/// A query string; unknown parameters are refused so typos do not silently widen a filter.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        match parse_query(&parts.uri) {
            Ok(v) => Ok(ApiQuery(v)),
            Err((field, msg)) => {
                Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", msg.clone()).with_field(field, msg))
            }
        }
    }
}

fn parse_query<T: DeserializeOwned>(uri: &axum::http::Uri) -> Result<T, (String, String)> {
    // Parsed exactly as axum's Query does, keeping the error text (it names the parameter).
    axum::extract::Query::<T>::try_from_uri(uri)
        .map(|axum::extract::Query(v)| v)
        .map_err(|e| {
            let text = e.body_text();
            let msg = text
                .trim_start_matches("Failed to deserialize query string: ")
                .to_owned();
            let field = msg.split('`').nth(1).unwrap_or_default().to_owned();
            (field, msg)
        })
}

/// Where the request came from. The peer address is used unless it is a configured trusted
/// proxy, in which case the nearest untrusted address in X-Forwarded-For is taken.
pub struct ClientMeta(pub RequestMeta);

impl FromRequestParts<AppState> for ClientMeta {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(ClientMeta(request_meta(parts, &state.config.trusted_proxies)))
    }
}

pub fn request_meta(parts: &Parts, trusted: &[IpAddr]) -> RequestMeta {
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let mut ip = peer;
    if let Some(p) = peer
        && trusted.contains(&p)
        && let Some(xff) = parts.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok())
    {
        for hop in xff.rsplit(',').map(str::trim) {
            match hop.parse::<IpAddr>() {
                Ok(a) if trusted.contains(&a) => {}
                Ok(a) => {
                    ip = Some(a);
                    break;
                }
                Err(_) => break,
            }
        }
    }
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(512).collect());
    RequestMeta {
        ip: ip.map(|a| a.to_string()),
        user_agent,
    }
}

/// The `{org_id}` of the request's path, if the route has one and it is a valid id.
pub async fn path_org<S: Send + Sync>(parts: &mut Parts, state: &S) -> Option<OrgId> {
    let params = RawPathParams::from_request_parts(parts, state).await.ok()?;
    params
        .iter()
        .find(|(k, _)| *k == "org_id")
        .and_then(|(_, v)| OrgId::parse(v).ok())
}

/// The token of `Authorization: Bearer <token>`. The scheme name is case-insensitive
/// (RFC 9110 §11.1), so `bearer` and `BEARER` work as on SCIM; an empty token is none.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim_start().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The org admin capability, from `Authorization: Bearer <org API key>` checked against the
/// `{org_id}` in the path.
pub struct Admin(pub OrgAdmin);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let org = path_org(parts, state)
            .await
            .ok_or_else(|| ApiError::not_found("organization"))?;
        let token = bearer(&parts.headers).ok_or_else(|| ApiError {
            www_authenticate: true,
            ..ApiError::new(
                StatusCode::UNAUTHORIZED,
                "missing_credentials",
                "Send an org API key as Authorization: Bearer <key>.",
            )
        })?;
        let meta = request_meta(parts, &state.config.trusted_proxies);
        let admin = state.services.api_keys.authorize(token, org, meta).await?;
        Ok(Admin(admin))
    }
}
