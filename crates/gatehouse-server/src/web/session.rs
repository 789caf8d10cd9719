//! The signed-in person behind a request, from the session cookie.

use super::cookies::{SESSION_COOKIE, cookie};
use crate::state::AppState;
use axum::http::HeaderMap;
use gatehouse_core::CoreError;
use gatehouse_core::authz::SignedIn;

/// The live session the request's cookie names, if any.
pub async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<Option<SignedIn>, CoreError> {
    match cookie(headers, SESSION_COOKIE) {
        Some(token) => state.signin.session(&token).await,
        None => Ok(None),
    }
}
