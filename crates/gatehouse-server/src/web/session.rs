//! The signed-in person behind a request, from the session cookie.

use super::cookies::{SESSION_COOKIE, cookie};
use super::pages::PageError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use gatehouse_core::CoreError;
use gatehouse_core::authz::SignedIn;

/// The live session the request's cookie names, if any.
pub async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<Option<SignedIn>, CoreError> {
    match cookie(headers, SESSION_COOKIE) {
        Some(token) => state.signin.session(&token).await,
        None => Ok(None),
    }
}

/// Extracts the signed-in person, if any, for pages that answer both (sign-out, the
/// console's choice of organization).
pub struct MaybeSignedIn(pub Option<SignedIn>);

impl FromRequestParts<AppState> for MaybeSignedIn {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        Ok(MaybeSignedIn(signed_in(state, &parts.headers).await?))
    }
}
