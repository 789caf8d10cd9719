//! The SAML 2.0 service provider: metadata, SP-initiated sign-in, the assertion consumer
//! service and single logout, over `gatehouse-saml`.

use crate::state::AppState;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
}

/// The SAML settings an admin's input makes (metadata fetched and read, certificates checked,
/// our service-provider key made on creation and sealed).
#[allow(clippy::unused_async)] // until the SAML crate lands (same session)
pub async fn settings(
    _st: &AppState,
    _id: gatehouse_core::ids::IdpId,
    _input: &super::settings::IdpInput,
    _before: Option<&gatehouse_core::sso::IdentityProvider>,
) -> gatehouse_core::Result<(gatehouse_core::sso::Settings, Option<String>)> {
    Err(gatehouse_core::CoreError::validation(
        "protocol",
        "SAML providers are being built",
    ))
}
