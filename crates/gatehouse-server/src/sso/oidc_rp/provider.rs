//! The provider a relying-party route is about, and our callback for it.

use crate::state::AppState;
use crate::web::pages::PageError;
use gatehouse_core::ids::IdpId;
use gatehouse_core::sso::{IdentityProvider, OidcSettings, Settings};

/// Our callback for a provider, as the admin API reports it and the provider registers it.
pub(super) fn redirect_uri(st: &AppState, idp: IdpId) -> String {
    format!("{}/oidc/{idp}/callback", st.config.public_url.trim_end_matches('/'))
}

/// The OIDC provider of this id with its settings; anything else is "not found".
pub(super) async fn provider(st: &AppState, idp_id: &str) -> Result<(IdentityProvider, OidcSettings), PageError> {
    let id = IdpId::parse(idp_id).map_err(|_| PageError::NotFound)?;
    let idp = st.services.sso.provider(id).await?.ok_or(PageError::NotFound)?;
    match &idp.settings {
        Settings::Oidc(s) => {
            let settings = s.clone();
            Ok((idp, settings))
        }
        Settings::Saml(_) => Err(PageError::NotFound),
    }
}
