//! The end-session endpoint (OpenID Connect RP-Initiated Logout 1.0).

use url::form_urlencoded;

use crate::error::{OAuthError, invalid_request};
use crate::form::Form;

const KNOWN: &[&str] = &[
    "id_token_hint",
    "client_id",
    "post_logout_redirect_uri",
    "state",
    "logout_hint",
    "ui_locales",
];

/// The parameters of a logout request (RP-Initiated Logout 1.0 §2), GET query or POST form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogoutRequest {
    /// A previously issued ID token, verified with [`crate::Expect::id_token_hint`]: it names the
    /// client (`aud`) and the person (`sub`, `sid`).
    pub id_token_hint: Option<String>,
    /// The client, when the RP sends it; must equal the hint's `aud` when both are present.
    pub client_id: Option<String>,
    /// Where to send the browser afterwards; must equal one the client registered.
    pub post_logout_redirect_uri: Option<String>,
    /// Echoed on the redirect.
    pub state: Option<String>,
    /// Which account to sign out, a hint only.
    pub logout_hint: Option<String>,
}

impl LogoutRequest {
    /// Collects the parameters. Repeated or oversized parameters are `invalid_request`, and so is
    /// a `post_logout_redirect_uri` without `client_id` or `id_token_hint`: §3 requires one of
    /// them to tell which client's registration it must match.
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<LogoutRequest, OAuthError> {
        let form = Form::collect(pairs, KNOWN)?;
        let request = LogoutRequest {
            id_token_hint: form.owned("id_token_hint"),
            client_id: form.owned("client_id"),
            post_logout_redirect_uri: form.owned("post_logout_redirect_uri"),
            state: form.owned("state"),
            logout_hint: form.owned("logout_hint"),
        };
        if request.post_logout_redirect_uri.is_some() && request.client_id.is_none() && request.id_token_hint.is_none()
        {
            return Err(invalid_request(
                "The post_logout_redirect_uri parameter needs client_id or id_token_hint to name the client.",
            ));
        }
        Ok(request)
    }

    /// Where to send the browser once signed out, given the client's registered post-logout
    /// redirect URIs: `None` when none was asked for, the URI with `state` when it equals a
    /// registered one byte for byte, and an error (for an error page, not a redirect) otherwise.
    pub fn redirect_target(&self, registered: &[String]) -> Result<Option<String>, OAuthError> {
        let Some(uri) = &self.post_logout_redirect_uri else {
            return Ok(None);
        };
        if registered.iter().any(|r| r == uri) {
            Ok(Some(logout_redirect(uri, self.state.as_deref())))
        } else {
            Err(invalid_request(
                "The post_logout_redirect_uri parameter is not registered for this client.",
            ))
        }
    }
}

/// The redirect after logout: the registered URI with `state` added to its query when the
/// request had one (RP-Initiated Logout 1.0 §3).
pub fn logout_redirect(uri: &str, state: Option<&str>) -> String {
    let Some(state) = state else { return uri.to_owned() };
    let encoded = form_urlencoded::Serializer::new(String::new())
        .append_pair("state", state)
        .finish();
    let separator = match uri.find('?') {
        None => "?",
        Some(_) if uri.ends_with('?') || uri.ends_with('&') => "",
        Some(_) => "&",
    };
    format!("{uri}{separator}{encoded}")
}
