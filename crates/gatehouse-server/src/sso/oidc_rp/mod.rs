//! The OpenID Connect relying party: sign-in through an organization's OIDC provider (code
//! flow with PKCE, state and nonce), and RP-initiated logout towards it.
//!
//! - `GET /oidc/{idp_id}/login?next=...&test=1` keeps a started sign-in (state, nonce, PKCE
//!   verifier) in the database and sends the browser to the provider.
//! - `GET /oidc/{idp_id}/callback?code&state` (`callback.rs`) takes that sign-in by `state`
//!   first, so an answer works once; exchanges the code; checks the ID token; and hands who
//!   it says the person is to `services.sso.finish`.
//! - [`logout_url`]: where sign-out sends the browser so the provider ends its session too.
//!
//! Discovery and key sets come through the guarded outbound client, cached (`cache.rs`).
//! Every refusal is audited with its reason (`refusals.rs`) and shows the plain refusal page.

mod cache;
mod callback;
mod login;
mod provider;
mod refusals;

pub use cache::OidcRp;

use crate::state::AppState;
use axum::Router;
use axum::routing::get;
use gatehouse_core::sso::{IdentityProvider, Settings, SsoSession};
use gatehouse_oidc::rp::end_session_url;

/// `/oidc/{idp_id}/login` and `/oidc/{idp_id}/callback`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/oidc/{idp_id}/login", get(login::login))
        .route("/oidc/{idp_id}/callback", get(callback::callback))
}

/// Where sign-out sends the browser so the provider ends its own session (OpenID Connect
/// RP-Initiated Logout 1.0): the provider's `end_session_endpoint` with the session's ID
/// token as `id_token_hint`, our client id, and `post_logout` (which the provider must have
/// registered for our client). `None` when the provider is not an OIDC one, offers no
/// end-session endpoint, or its discovery document cannot be had now.
pub async fn logout_url(
    st: &AppState,
    idp: &IdentityProvider,
    session: &SsoSession,
    post_logout: &str,
) -> Option<String> {
    let Settings::Oidc(settings) = &idp.settings else {
        return None;
    };
    let meta = st.oidc_rp.metadata(&settings.issuer, st.services.now()).await.ok()?;
    end_session_url(
        meta.end_session_endpoint.as_deref()?,
        session.id_token.as_deref(),
        &settings.client_id,
        Some(post_logout),
        None,
    )
}
