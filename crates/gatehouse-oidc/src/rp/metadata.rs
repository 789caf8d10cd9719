//! The provider's metadata, read from its discovery document (OpenID Connect Discovery 1.0
//! §3, §4) and checked before anything is sent to it.

use serde_json::Value;
use std::net::IpAddr;
use url::Url;

use super::RpError;

/// The path of the discovery document under the issuer (OIDC Discovery §4).
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";

/// Where an issuer's discovery document is: the issuer without its trailing `/`, then
/// [`DISCOVERY_PATH`] (OIDC Discovery §4.1).
pub fn discovery_url(issuer: &str) -> String {
    format!("{}{DISCOVERY_PATH}", issuer.trim_end_matches('/'))
}

/// What the relying party uses of a provider's metadata, every URL checked by
/// [`is_allowed_endpoint`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderMetadata {
    /// Exactly the configured issuer: the `iss` its ID tokens must carry.
    pub issuer: String,
    /// Where the browser is sent to sign in.
    pub authorization_endpoint: String,
    /// Where the code is exchanged.
    pub token_endpoint: String,
    /// Where its signing keys are.
    pub jwks_uri: String,
    /// Where RP-initiated logout goes, if it offers it (RP-Initiated Logout 1.0 §2.1).
    pub end_session_endpoint: Option<String>,
}

/// Whether `url` may be an endpoint: `https`, or `http` on a loopback host (a provider beside
/// Gatehouse, as in tests); no user info, no fragment (RFC 6749 §3.1, §3.2). Whether the
/// host may be reached at all is the outbound client's rule.
pub fn is_allowed_endpoint(url: &str) -> bool {
    let Ok(parsed) = Url::parse(url) else { return false };
    if parsed.fragment().is_some() || !parsed.username().is_empty() || parsed.password().is_some() {
        return false;
    }
    match parsed.scheme() {
        "https" => parsed.host_str().is_some(),
        "http" => match parsed.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
            None => false,
        },
        _ => false,
    }
}

impl ProviderMetadata {
    /// Reads the discovery document fetched from [`discovery_url`]`(expected_issuer)`.
    ///
    /// - `issuer` must equal `expected_issuer` exactly (OIDC Discovery §4.3), so another
    ///   tenant's or another host's document is refused.
    /// - `authorization_endpoint`, `token_endpoint` and `jwks_uri` are required (§3), and every
    ///   endpoint must pass [`is_allowed_endpoint`].
    /// - `response_types_supported` must include `code` (we use the code flow only).
    /// - `code_challenge_methods_supported` (RFC 8414 §2), when listed, must include `S256`.
    ///   Some providers (Microsoft Entra ID) support PKCE without listing it, so an absent list
    ///   is accepted and PKCE is sent anyway; the nonce still binds the ID token to the
    ///   sign-in.
    /// - `token_endpoint_auth_methods_supported`, when listed, must include
    ///   `client_secret_basic` (the default when absent, Discovery §3), the one we use.
    ///
    /// # Errors
    /// [`RpError::IssuerMismatch`], or [`RpError::Discovery`] naming the broken rule.
    pub fn from_discovery(doc: &Value, expected_issuer: &str) -> Result<ProviderMetadata, RpError> {
        let obj = doc
            .as_object()
            .ok_or(RpError::Discovery("the document is not a JSON object"))?;
        let text = |name: &str| obj.get(name).and_then(Value::as_str);
        if text("issuer") != Some(expected_issuer) {
            return Err(RpError::IssuerMismatch);
        }
        let endpoint = |name: &'static str, why: &'static str| -> Result<Option<String>, RpError> {
            match obj.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(u)) if is_allowed_endpoint(u) => Ok(Some(u.clone())),
                Some(_) => Err(RpError::Discovery(why)),
            }
        };
        let required = |name: &'static str, why: &'static str| endpoint(name, why)?.ok_or(RpError::Discovery(why));
        let metadata = ProviderMetadata {
            issuer: expected_issuer.to_owned(),
            authorization_endpoint: required("authorization_endpoint", "authorization_endpoint must be an https URL")?,
            token_endpoint: required("token_endpoint", "token_endpoint must be an https URL")?,
            jwks_uri: required("jwks_uri", "jwks_uri must be an https URL")?,
            end_session_endpoint: endpoint("end_session_endpoint", "end_session_endpoint must be an https URL")?,
        };
        let lists = |name: &str, value: &str| match obj.get(name) {
            None => None,
            Some(Value::Array(items)) => Some(items.iter().any(|i| i.as_str() == Some(value))),
            Some(_) => Some(false),
        };
        if lists("response_types_supported", "code") != Some(true) {
            return Err(RpError::Discovery("response_types_supported must include code"));
        }
        if lists("code_challenge_methods_supported", "S256") == Some(false) {
            return Err(RpError::Discovery("code_challenge_methods_supported must include S256"));
        }
        if lists("token_endpoint_auth_methods_supported", "client_secret_basic") == Some(false) {
            return Err(RpError::Discovery(
                "token_endpoint_auth_methods_supported must include client_secret_basic",
            ));
        }
        Ok(metadata)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_https_or_loopback_http() {
        for ok in [
            "https://login.example.com/authorize",
            "https://login.example.com:8443/a?x=1",
            "http://127.0.0.1:8080/oauth2/token",
            "http://127.5.0.1/x",
            "http://[::1]:9/x",
            "http://localhost:3000/x",
        ] {
            assert!(is_allowed_endpoint(ok), "{ok}");
        }
        for bad in [
            "http://login.example.com/authorize",
            "http://10.0.0.1/x",
            "https://user:pw@login.example.com/",
            "https://login.example.com/a#frag",
            "ftp://login.example.com/",
            "javascript:alert(1)",
            "not a url",
            "/relative",
        ] {
            assert!(!is_allowed_endpoint(bad), "{bad}");
        }
    }

    #[test]
    fn the_discovery_url_drops_a_trailing_slash_of_the_issuer() {
        assert_eq!(
            discovery_url("https://id.example.com/tenant/"),
            "https://id.example.com/tenant/.well-known/openid-configuration"
        );
        assert_eq!(
            discovery_url("https://id.example.com"),
            "https://id.example.com/.well-known/openid-configuration"
        );
    }
}
