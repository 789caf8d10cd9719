//! The OpenID Connect relying party: sign-in through an organization's OIDC provider (code
//! flow with PKCE, state and nonce), and RP-initiated logout towards it.

use crate::state::AppState;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
}
