//! Single sign-on at the browser edge: the SAML service provider (`/saml/{idp_id}/...`) and the
//! OpenID Connect relying party (`/oidc/{idp_id}/...`). Each protocol module validates its
//! provider's answer and hands what it says to `services.sso`; this module finishes the
//! sign-in the same way for both: a session and on to where the person was going, a test
//! sign-in's result page, or a plain refusal page.

mod input;
mod oidc_rp;
mod pages;
mod saml;
mod saml_settings;
pub mod settings;

pub use oidc_rp::{OidcRp, logout_url as oidc_logout_url};
pub use pages::{complete, refusal_page, tester};

use crate::state::AppState;
use axum::Router;

/// Every SSO route.
pub fn router() -> Router<AppState> {
    Router::new().merge(saml::router()).merge(oidc_rp::router())
}

/// Where the sign-in of a provider starts, for the email step and the authorize endpoint.
pub fn login_path(
    idp: &gatehouse_core::sso::IdentityProvider,
    next: &str,
    hint: Option<&gatehouse_core::types::Email>,
) -> String {
    let protocol = idp.protocol().as_str();
    let mut path = format!(
        "/{protocol}/{}/login?next={}",
        idp.id,
        crate::web::pages::urlencode(next)
    );
    // An OpenID provider is told the address already typed; a SAML one is not (an
    // AuthnRequest's Subject would bind the answer to it, which not every IdP accepts).
    if let (gatehouse_core::sso::Protocol::Oidc, Some(email)) = (idp.protocol(), hint) {
        path.push_str("&login_hint=");
        path.push_str(&crate::web::pages::urlencode(&email.to_string()));
    }
    path
}

/// Where the browser goes after our sign-out to end the identity provider's session too
/// (SAML single logout, OIDC RP-initiated logout), if the session came from one that does.
pub async fn logout_url(st: &AppState, rec: &gatehouse_core::sso::SsoSession) -> Option<String> {
    let idp = st.services.sso.provider(rec.idp_id).await.ok()??;
    match idp.protocol() {
        gatehouse_core::sso::Protocol::Saml => saml::logout_url(st, &idp, rec),
        gatehouse_core::sso::Protocol::Oidc => {
            // Back to our sign-in page, which the provider must have registered for our client.
            let back = format!("{}/login", st.config.public_url.trim_end_matches('/'));
            oidc_rp::logout_url(st, &idp, rec, &back).await
        }
    }
}
