//! Gatehouse as the OpenID Connect provider of products: discovery, the JWKS and the
//! `/oauth2/` endpoints. The protocol comes from `gatehouse-oidc` (pure), the domain from
//! core (`services.clients`, `services.provider`); this module joins them to HTTP.

mod authorize;
mod backchannel;
mod counts;
mod error;
mod issuer;
pub mod keys;
mod logout;
mod logouts;
mod provider;
mod resource;
mod token;
mod verified;

pub use counts::GrantCounter;
pub use issuer::issuer;
pub use logouts::Logouts;
pub use provider::{ID_TOKEN_TTL_SECS, Oidc};
pub use verified::VerifiedTokens;

use crate::state::AppState;
use axum::Router;
use axum::routing::{any, get, post};

pub fn router() -> Router<AppState> {
    let wrong = error::wrong_method;
    Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(resource::discovery).fallback(wrong),
        )
        .route("/oauth2/jwks", get(resource::jwks).fallback(wrong))
        .route(
            "/oauth2/authorize",
            get(authorize::get).post(authorize::post).fallback(wrong),
        )
        .route("/oauth2/token", post(token::token).fallback(wrong))
        .route(
            "/oauth2/userinfo",
            get(resource::userinfo).post(resource::userinfo).fallback(wrong),
        )
        .route("/oauth2/introspect", post(resource::introspect).fallback(wrong))
        .route("/oauth2/revoke", post(resource::revoke).fallback(wrong))
        .route(
            "/oauth2/logout",
            get(logout::logout).post(logout::logout).fallback(wrong),
        )
        .route("/oauth2/{*rest}", any(error::unknown_route))
}

/// A 429 in OAuth's words (`Retry-After` says when to come back).
pub fn too_many_requests(retry_after_secs: u64) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut res = error::OAuthReply::from(gatehouse_core::CoreError::RateLimited { retry_after_secs }).into_response();
    *res.status_mut() = axum::http::StatusCode::TOO_MANY_REQUESTS;
    res
}

/// A 408 in OAuth's words.
pub fn request_timeout(detail: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut res = error::OAuthReply::from(gatehouse_oidc::OAuthError::new(
        gatehouse_oidc::ErrorCode::InvalidRequest,
        detail,
    ))
    .into_response();
    *res.status_mut() = axum::http::StatusCode::REQUEST_TIMEOUT;
    res
}

/// This node's provider loops: back-channel logout delivery, the minute's grant counts, and
/// reading the signing keys again (a rotation made elsewhere). Each ends with `stop`.
pub fn spawn(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let worker = tokio::spawn(backchannel::run(state.clone()));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_mins(1));
        tick.tick().await;
        loop {
            tokio::select! {
                _ = stop.wait_for(|s| *s) => break,
                _ = tick.tick() => {}
            }
            let now = state.services.now();
            state.oidc.counter.flush(&state.services, now.plus_secs(-60)).await;
            // A key retired or gone: what it verified is checked again.
            state.oidc.verified.clear();
            if let Err(e) = state.oidc.keys.reload(&state.services, &state.keys, now).await {
                tracing::error!(error = %e, "reading the signing keys failed; the ones in memory stay");
            }
        }
        // What was counted since the last minute is not lost at shutdown.
        state.oidc.counter.flush(&state.services, state.services.now()).await;
        worker.abort();
    });
}
