//! The OpenID Connect relying party: Gatehouse signing people in through an organization's
//! own provider (Okta, Entra ID, Google, Keycloak, another Gatehouse) with the code flow,
//! PKCE, `state` and `nonce`. Pure: the server fetches the documents, keeps the started
//! sign-in, and calls these functions with what came back.
//!
//! - [`ProviderMetadata::from_discovery`]: the discovery document, issuer matched exactly.
//! - [`authorization_url`]: where the browser goes.
//! - [`token_request_form`], [`parse_token_response`]: the code exchange.
//! - [`RemoteKeys`](crate::keys::RemoteKeys) and [`validate_id_token`]: the ID token.
//! - [`identity_from_claims`]: who it says the person is.
//! - [`end_session_url`]: RP-initiated logout.
//!
//! ```
//! use gatehouse_oidc::rp::*;
//! use gatehouse_oidc::{KeySet, RemoteKeys, SigningKey, Alg};
//! use serde_json::json;
//!
//! let issuer = "https://idp.example.com";
//! let now = 1_800_000_000;
//! // The provider's discovery document and JWKS, as fetched.
//! let idp_keys = KeySet::new(SigningKey::generate(Alg::Es256).unwrap(), vec![]);
//! let doc = gatehouse_oidc::discovery_document(issuer, &idp_keys.algs());
//! let meta = ProviderMetadata::from_discovery(&doc, issuer)?;
//! let keys = RemoteKeys::from_jwks(&idp_keys.jwks()).unwrap();
//!
//! // GET /oidc/{idp}/login: state, nonce and verifier are kept with the started sign-in.
//! let scopes = vec!["openid".to_owned(), "email".to_owned()];
//! let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
//! let request = AuthorizationRequest {
//!     client_id: "gatehouse", redirect_uri: "https://gh.example.com/oidc/1/callback",
//!     scopes: &scopes, state: "st-1", nonce: "n-1", pkce_verifier: verifier,
//!     login_hint: Some("ada@acme.example"),
//! };
//! let url = authorization_url(&meta.authorization_endpoint, &request).unwrap();
//! assert!(url.starts_with("https://idp.example.com/oauth2/authorize?response_type=code&client_id=gatehouse"));
//! assert!(url.contains("&code_challenge_method=S256"));
//!
//! // GET /oidc/{idp}/callback?code&state: the code is exchanged, the ID token checked.
//! let form = token_request_form("the-code", request.redirect_uri, verifier);
//! assert_eq!(form[0], ("grant_type", "authorization_code"));
//! let id_token = idp_keys.sign("JWT", &json!({
//!     "iss": issuer, "aud": "gatehouse", "sub": "u-42", "exp": now + 300, "iat": now,
//!     "nonce": "n-1", "email": "ada@acme.example", "email_verified": true, "name": "Ada",
//! })).unwrap();
//! let body = json!({"token_type": "Bearer", "id_token": id_token}).to_string();
//! let answer = parse_token_response(body.as_bytes())?;
//! let check = IdTokenCheck { issuer, client_id: "gatehouse", nonce: "n-1", now, skew: DEFAULT_SKEW_SECS };
//! let claims = validate_id_token(&keys, &answer.id_token, &check)?;
//! let who = identity_from_claims(&claims, &ClaimNames::default())?;
//! assert_eq!((who.subject.as_str(), who.email.as_deref()), ("u-42", Some("ada@acme.example")));
//!
//! // Another nonce: refused with a reason for the audit log.
//! let other = IdTokenCheck { nonce: "n-2", ..check };
//! assert_eq!(validate_id_token(&keys, &answer.id_token, &other).unwrap_err().reason(), "nonce_mismatch");
//! # Ok::<(), RpError>(())
//! ```

mod error;
mod id_token;
mod identity;
mod metadata;
mod request;

pub use error::RpError;
pub use id_token::{DEFAULT_SKEW_SECS, IdTokenCheck, MAX_ID_TOKEN_AGE_SECS, MAX_SUBJECT_LEN, validate_id_token};
pub use identity::{ClaimNames, Identity, MAX_CLAIM_TEXT, MAX_CLAIMS, MAX_GROUPS, identity_from_claims};
pub use metadata::{DISCOVERY_PATH, ProviderMetadata, discovery_url, is_allowed_endpoint};
pub use request::{
    AuthorizationRequest, TokenResponse, authorization_url, end_session_url, parse_token_response, token_request_form,
};
