#![forbid(unsafe_code)]
#![warn(missing_docs)]
//! Pure OpenID Connect building blocks for Gatehouse, as provider and as relying party: no
//! HTTP framework, no SQL, no clock, no I/O. Time is always a parameter (`now`, unix
//! seconds); the server stores codes, grants and keys and wires these functions to its
//! endpoints.
//!
//! - [`authorize`]: the authorization request (RFC 6749 §4.1, OIDC Core §3.1.2), exact redirect
//!   URI matching, redirects with `iss` (RFC 9207), and the redirect URI registration rules.
//! - [`token_request`]: token requests and client authentication (RFC 6749 §2.3.1, §4.1.3,
//!   §4.4, §6), bearer tokens (RFC 6750 §2.1).
//! - [`pkce`]: `S256` only (RFC 7636). [`scope`]: `openid email profile offline_access`.
//! - [`keys`]: ES256 (default), EdDSA and RS256 keys, the JWKS, JWS signing and verification.
//! - [`claims`]: ID token, JWT access token (RFC 9068) and logout token claims; RFC 8176 `amr`.
//! - [`discovery`], [`introspection`] (RFC 7662), [`logout`] (RP-Initiated Logout 1.0).
//! - [`error`]: RFC 6749 errors with their HTTP status and JSON body.
//! - [`rp`]: the relying party, when Gatehouse signs people in through an organization's own
//!   OpenID Connect provider (discovery, the code flow with PKCE and nonce, ID token checks
//!   against the provider's JWKS, RP-initiated logout).
//!
//! The code flow, as the server runs it:
//!
//! ```
//! use gatehouse_oidc::*;
//!
//! let issuer = "https://id.example.com";
//! let now = 1_800_000_000;
//! let registered = vec!["https://app.example.com/cb".to_owned()];
//! let rules = ClientRules { public: true, allows_code: true, allows_refresh: false };
//!
//! // GET /oauth2/authorize?... from the browser.
//! let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
//! let challenge = pkce::challenge_s256(verifier);
//! let query = [
//!     ("client_id", "c1"), ("response_type", "code"), ("scope", "openid email offline_access"),
//!     ("redirect_uri", "https://app.example.com/cb"), ("state", "xyz"), ("nonce", "n-0S6"),
//!     ("code_challenge", challenge.as_str()), ("code_challenge_method", "S256"),
//! ];
//! let pairs: Vec<(String, String)> = query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
//! let params = AuthorizeParams::from_pairs(&pairs)?; // error page on failure
//! let redirect_uri = match_redirect_uri(&registered, params.redirect_uri.as_deref())?; // error page
//! let request = params.validate(&rules, now)?; // errors: redirect_with_error(&redirect_uri, ..)
//! assert_eq!(request.scopes.to_string(), "openid email"); // no refresh grant: offline_access dropped
//! assert!(request.needs_login(None, now));
//! assert_eq!(request.next_step(Some(now), now + 5), NextStep::Proceed); // signed in just now
//!
//! let location = redirect_with_code(&redirect_uri, "the-code", request.state.as_deref(), issuer);
//! assert_eq!(location, "https://app.example.com/cb?code=the-code&state=xyz&iss=https%3A%2F%2Fid.example.com");
//!
//! // POST /oauth2/token from the product.
//! let form = [("grant_type", "authorization_code"), ("code", "the-code"), ("client_id", "c1"),
//!     ("redirect_uri", "https://app.example.com/cb"), ("code_verifier", verifier)];
//! let pairs: Vec<(String, String)> = form.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
//! let token_request = TokenRequest::parse(&pairs, None)?;
//! let Grant::AuthorizationCode { code_verifier: Some(v), .. } = &token_request.grant else { unreachable!() };
//! pkce::verify_s256(v, request.code_challenge.as_deref().unwrap())?;
//!
//! // Sign the ID token with the active key; a relying party checks it against the JWKS.
//! let keys = KeySet::new(SigningKey::generate(Alg::Es256).unwrap(), vec![]);
//! let claims = IdTokenClaims {
//!     iss: issuer.into(), sub: "acc_1".into(), aud: "c1".into(), exp: now + 300, iat: now,
//!     auth_time: now, nonce: request.nonce.clone(), amr: vec![amr::PWD.into()], azp: "c1".into(),
//!     sid: None, email: Some("ada@example.com".into()), email_verified: Some(true), name: None,
//!     org_id: "org_1".into(),
//! };
//! let id_token = keys.sign(TYP_ID_TOKEN, &claims).unwrap();
//! let expect = Expect { issuer, audience: Some("c1"), typ: Some(TYP_ID_TOKEN), now, leeway: 0 };
//! let back: IdTokenClaims = keys.verify(&id_token, &expect).unwrap();
//! assert_eq!(back, claims);
//! # Ok::<(), OAuthError>(())
//! ```

pub mod authorize;
pub mod claims;
pub mod discovery;
pub mod error;
mod form;
pub mod introspection;
pub mod keys;
pub mod logout;
pub mod pkce;
pub mod rp;
pub mod scope;
pub mod token_request;

pub use authorize::{
    AuthorizeParams, AuthorizeRequest, ClientRules, NextStep, Prompt, check_redirect_uri_for_registration,
    match_redirect_uri, redirect_with_code, redirect_with_error,
};
pub use claims::{
    AccessTokenClaims, IdTokenClaims, LogoutEvents, LogoutTokenClaims, TYP_ACCESS_TOKEN, TYP_ID_TOKEN,
    TYP_LOGOUT_TOKEN, amr,
};
pub use discovery::discovery_document;
pub use error::{ErrorCode, OAuthError};
pub use keys::{Alg, Expect, KeyError, KeySet, PublicKey, RemoteKeys, SigningKey, VerifyError};
pub use logout::{LogoutRequest, logout_redirect};
pub use scope::Scopes;
pub use token_request::{ClientAuth, Grant, TokenRequest, parse_bearer, parse_client_auth};
