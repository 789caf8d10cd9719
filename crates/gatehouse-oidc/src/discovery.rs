//! The provider's metadata document (OpenID Connect Discovery 1.0 §3, RFC 8414 §2).

use serde_json::{Value, json};

use crate::keys::Alg;

/// The paths of the provider's endpoints, under the issuer.
pub mod paths {
    /// Authorization endpoint.
    pub const AUTHORIZE: &str = "/oauth2/authorize";
    /// Token endpoint.
    pub const TOKEN: &str = "/oauth2/token";
    /// UserInfo endpoint.
    pub const USERINFO: &str = "/oauth2/userinfo";
    /// JWKS document.
    pub const JWKS: &str = "/oauth2/jwks";
    /// Introspection endpoint (RFC 7662).
    pub const INTROSPECT: &str = "/oauth2/introspect";
    /// Revocation endpoint (RFC 7009).
    pub const REVOKE: &str = "/oauth2/revoke";
    /// End-session endpoint (OIDC RP-Initiated Logout 1.0).
    pub const LOGOUT: &str = "/oauth2/logout";
    /// Where the discovery document is served (OIDC Discovery §4).
    pub const DISCOVERY: &str = "/.well-known/openid-configuration";
}

/// The claims an ID token or the UserInfo answer may carry.
pub const CLAIMS_SUPPORTED: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "amr",
    "azp",
    "sid",
    "email",
    "email_verified",
    "name",
    "org_id",
];

/// The discovery document for `issuer` (served at `{issuer}/.well-known/openid-configuration`).
///
/// `issuer` appears exactly as given (OIDC Discovery §4.3: it must equal the `iss` of the
/// tokens); the endpoints are `{issuer}/oauth2/...`. `algs` are the ID token signing algorithms:
/// pass [`crate::KeySet::algs`], the algorithms of the published keys. Discovery §3 asks for
/// RS256 to be listed; a client that only knows RS256 needs an RS256 key to be active anyway,
/// so only algorithms that are really used are announced.
pub fn discovery_document(issuer: &str, algs: &[Alg]) -> Value {
    let base = issuer.trim_end_matches('/');
    let at = |path: &str| format!("{base}{path}");
    let algs: Vec<&str> = algs.iter().map(|a| a.as_str()).collect();
    json!({
        "issuer": issuer,
        "authorization_endpoint": at(paths::AUTHORIZE),
        "token_endpoint": at(paths::TOKEN),
        "userinfo_endpoint": at(paths::USERINFO),
        "jwks_uri": at(paths::JWKS),
        "introspection_endpoint": at(paths::INTROSPECT),
        "revocation_endpoint": at(paths::REVOKE),
        "end_session_endpoint": at(paths::LOGOUT),
        "scopes_supported": ["openid", "email", "profile", "offline_access"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": algs,
        "claims_supported": CLAIMS_SUPPORTED,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        // RFC 9207 §3: the authorization response carries iss.
        "authorization_response_iss_parameter_supported": true,
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        // Discovery §3: the default is true, so it must be said.
        "request_uri_parameter_supported": false,
    })
}
