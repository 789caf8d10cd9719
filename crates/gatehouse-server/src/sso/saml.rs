//! The SAML 2.0 service provider: metadata, SP-initiated sign-in, the assertion consumer
//! service and single logout, over `gatehouse-saml`.

use crate::state::AppState;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
}
