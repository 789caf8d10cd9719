//! The authorization endpoint: the authorization code flow of RFC 6749 §4.1 with the OpenID
//! Connect parameters of OIDC Core §3.1.2.
//!
//! A request is handled in two stages, because errors travel two ways (RFC 6749 §4.1.2.1):
//!
//! 1. [`AuthorizeParams::from_pairs`], then the server looks up the client, then
//!    [`match_redirect_uri`]. Failing here (no `client_id`, a repeated parameter, absurd sizes, an
//!    unknown client, a redirect URI that is not registered) the server shows an error PAGE and
//!    MUST NOT redirect: it cannot trust where it would send the browser.
//! 2. [`AuthorizeParams::validate`] with the client's [`ClientRules`]. Its errors go back to the
//!    client on the matched redirect URI through [`redirect_with_error`], with `state` and `iss`.

mod redirect;

use serde::{Deserialize, Serialize};

pub use redirect::{MAX_REDIRECT_URI, check_redirect_uri_for_registration, redirect_with_code, redirect_with_error};

use crate::error::{ErrorCode, OAuthError, invalid_request};
use crate::form::Form;
use crate::pkce::check_challenge;
use crate::scope::Scopes;

/// Longest `state` (characters) accepted.
pub const MAX_STATE: usize = 2048;
/// Longest `nonce` (characters) accepted.
pub const MAX_NONCE: usize = 512;
/// Longest `login_hint` (characters) accepted: an email address is at most 320.
pub const MAX_LOGIN_HINT: usize = 320;
/// Longest `client_id` (bytes) accepted.
pub const MAX_CLIENT_ID: usize = 256;

const KNOWN: &[&str] = &[
    "client_id",
    "redirect_uri",
    "state",
    "response_type",
    "response_mode",
    "scope",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "login_hint",
    "request",
    "request_uri",
];

/// The parameters of an authorization request, collected but not yet judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeParams {
    /// The client, present and bounded.
    pub client_id: String,
    /// The redirect URI as sent; [`match_redirect_uri`] decides whether it may be used.
    pub redirect_uri: Option<String>,
    /// Opaque client value, echoed back (RFC 6749 §4.1.2).
    pub state: Option<String>,
    /// Raw `response_type`.
    pub response_type: Option<String>,
    /// Raw `response_mode` (OAuth 2.0 Multiple Response Types §2.1).
    pub response_mode: Option<String>,
    /// Raw `scope`.
    pub scope: Option<String>,
    /// Raw `nonce`.
    pub nonce: Option<String>,
    /// Raw `code_challenge`.
    pub code_challenge: Option<String>,
    /// Raw `code_challenge_method`.
    pub code_challenge_method: Option<String>,
    /// Raw `prompt`.
    pub prompt: Option<String>,
    /// Raw `max_age`.
    pub max_age: Option<String>,
    /// Raw `login_hint`.
    pub login_hint: Option<String>,
    /// A request object (OIDC Core §6.1), refused in [`AuthorizeParams::validate`].
    pub request: Option<String>,
    /// A request object by reference (OIDC Core §6.2), refused in [`AuthorizeParams::validate`].
    pub request_uri: Option<String>,
}

/// What the client registration allows, as far as the authorization endpoint cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientRules {
    /// A public client (no secret): PKCE is required.
    pub public: bool,
    /// The client may use the authorization code grant.
    pub allows_code: bool,
    /// The client may hold refresh tokens; without it `offline_access` is dropped.
    pub allows_refresh: bool,
}

/// The `prompt` values (OIDC Core §3.1.2.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent values of one space-separated list"
)]
pub struct Prompt {
    /// Never show a page: answer `login_required` when the person is not signed in.
    pub none: bool,
    /// Ask the person to sign in again even if a session exists.
    pub login: bool,
    /// Ask for consent. First-party product clients need none; recorded for the server.
    pub consent: bool,
    /// Let the person pick an account; recorded for the server.
    pub select_account: bool,
}

/// A valid authorization request. The server may store it (serde) across the sign-in pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizeRequest {
    /// The client.
    pub client_id: String,
    /// The redirect URI, matched exactly against the registration.
    pub redirect_uri: String,
    /// The scopes, with `openid`; `offline_access` only if the client may refresh.
    pub scopes: Scopes,
    /// Echoed back to the client.
    pub state: Option<String>,
    /// Copied into the ID token (OIDC Core §3.1.2.1).
    pub nonce: Option<String>,
    /// The `S256` challenge; stored with the code and checked by [`crate::pkce::verify_s256`].
    pub code_challenge: Option<String>,
    /// The `prompt` values.
    pub prompt: Prompt,
    /// Longest age (seconds) of the sign-in the client accepts.
    pub max_age: Option<i64>,
    /// The address the person probably signs in with.
    pub login_hint: Option<String>,
    /// `now` when the request was validated (unix seconds): a sign-in at or after it is fresh.
    pub started_at: i64,
}

/// What the server does next with a valid request and the browser's session, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    /// The session is good enough: issue the code.
    Proceed,
    /// Show the sign-in pages, then come back with the same [`AuthorizeRequest`].
    Login,
    /// `prompt=none` and a sign-in is needed: redirect with `login_required`.
    Refuse(OAuthError),
}

impl AuthorizeParams {
    /// Collects the parameters of an authorization request (query or form pairs, decoded).
    ///
    /// Fails, for an error PAGE and no redirect, when `client_id` is missing or too long, when any
    /// known parameter appears twice (RFC 6749 §3.1), or when the request is absurdly large.
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<AuthorizeParams, OAuthError> {
        let form = Form::collect(pairs, KNOWN)?;
        let client_id = form
            .owned("client_id")
            .ok_or_else(|| invalid_request("The client_id parameter is missing."))?;
        if client_id.len() > MAX_CLIENT_ID {
            return Err(invalid_request("The client_id parameter is too long."));
        }
        Ok(AuthorizeParams {
            client_id,
            redirect_uri: form.owned("redirect_uri"),
            state: form.owned("state"),
            response_type: form.owned("response_type"),
            response_mode: form.owned("response_mode"),
            scope: form.owned("scope"),
            nonce: form.owned("nonce"),
            code_challenge: form.owned("code_challenge"),
            code_challenge_method: form.owned("code_challenge_method"),
            prompt: form.owned("prompt"),
            max_age: form.owned("max_age"),
            login_hint: form.owned("login_hint"),
            request: form.owned("request"),
            request_uri: form.owned("request_uri"),
        })
    }

    /// Judges the request for a client whose redirect URI already matched. Every error here is
    /// sent back to the client by redirect ([`redirect_with_error`]).
    ///
    /// Call it with the `redirect_uri` returned by [`match_redirect_uri`]; `now` becomes
    /// [`AuthorizeRequest::started_at`].
    pub fn validate(&self, rules: &ClientRules, now: i64) -> Result<AuthorizeRequest, OAuthError> {
        self.check_response_type(*rules)?;
        // OIDC Core §3.1.2.6: request objects are optional; say so with the registered codes.
        if self.request.is_some() {
            return Err(OAuthError::new(
                ErrorCode::RequestNotSupported,
                "The request parameter is not supported.",
            ));
        }
        if self.request_uri.is_some() {
            return Err(OAuthError::new(
                ErrorCode::RequestUriNotSupported,
                "The request_uri parameter is not supported.",
            ));
        }
        if self.response_mode.as_deref().is_some_and(|m| m != "query") {
            return Err(invalid_request("The response_mode parameter must be query."));
        }
        let scopes = self.scopes(*rules)?;
        let code_challenge = self.pkce(*rules)?;
        let prompt = parse_prompt(self.prompt.as_deref())?;
        let max_age = self.max_age.as_deref().map(parse_max_age).transpose()?;
        check_len(self.state.as_deref(), MAX_STATE, "The state parameter is too long.")?;
        check_len(self.nonce.as_deref(), MAX_NONCE, "The nonce parameter is too long.")?;
        check_len(
            self.login_hint.as_deref(),
            MAX_LOGIN_HINT,
            "The login_hint parameter is too long.",
        )?;
        let redirect_uri = self
            .redirect_uri
            .clone()
            .ok_or_else(|| invalid_request("The redirect_uri parameter is missing."))?;
        Ok(AuthorizeRequest {
            client_id: self.client_id.clone(),
            redirect_uri,
            scopes,
            state: self.state.clone(),
            nonce: self.nonce.clone(),
            code_challenge,
            prompt,
            max_age,
            login_hint: self.login_hint.clone(),
            started_at: now,
        })
    }

    fn check_response_type(&self, rules: ClientRules) -> Result<(), OAuthError> {
        match self.response_type.as_deref() {
            None => Err(invalid_request("The response_type parameter is missing.")),
            Some("code") if rules.allows_code => Ok(()),
            Some("code") => Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "The client is not registered for the authorization_code grant.",
            )),
            Some(_) => Err(OAuthError::new(
                ErrorCode::UnsupportedResponseType,
                "The response_type parameter must be code.",
            )),
        }
    }

    fn scopes(&self, rules: ClientRules) -> Result<Scopes, OAuthError> {
        let scopes = Scopes::parse(self.scope.as_deref().unwrap_or(""))?;
        if !scopes.has_openid() {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                "The scope parameter must include openid.",
            ));
        }
        // OIDC Core §11: offline_access is honoured only where refresh tokens may be issued; for
        // a client registered without the refresh grant it is ignored, not an error. Clients are
        // first-party products, so their registration stands in for the consent §11 mentions.
        Ok(scopes.with_offline_access(scopes.offline_access() && rules.allows_refresh))
    }

    fn pkce(&self, rules: ClientRules) -> Result<Option<String>, OAuthError> {
        match (&self.code_challenge, self.code_challenge_method.as_deref()) {
            (None, Some(_)) => Err(invalid_request(
                "The code_challenge_method parameter is sent without code_challenge.",
            )),
            (None, None) if rules.public => Err(invalid_request(
                "The code_challenge parameter is required for a public client (RFC 7636).",
            )),
            (None, None) => Ok(None),
            // RFC 7636 §4.3: a missing method means plain, which is refused like an explicit one.
            (Some(_), None | Some("plain")) => Err(invalid_request(
                "The code_challenge_method parameter must be S256; plain is not accepted.",
            )),
            (Some(challenge), Some("S256")) => {
                check_challenge(challenge)?;
                Ok(Some(challenge.clone()))
            }
            (Some(_), Some(_)) => Err(invalid_request("The code_challenge_method parameter must be S256.")),
        }
    }
}

fn check_len(value: Option<&str>, max: usize, description: &'static str) -> Result<(), OAuthError> {
    match value {
        Some(v) if v.chars().count() > max => Err(invalid_request(description)),
        _ => Ok(()),
    }
}

/// OIDC Core §3.1.2.1: a space-delimited list; `none` with any other value is an error.
fn parse_prompt(raw: Option<&str>) -> Result<Prompt, OAuthError> {
    let mut prompt = Prompt::default();
    let Some(raw) = raw else { return Ok(prompt) };
    for value in raw.split(' ').filter(|v| !v.is_empty()) {
        match value {
            "none" => prompt.none = true,
            "login" => prompt.login = true,
            "consent" => prompt.consent = true,
            "select_account" => prompt.select_account = true,
            // Values outside prompt_values_supported are refused rather than silently ignored,
            // as OIDC Prompt Create §4.1 recommends.
            _ => {
                return Err(invalid_request(
                    "The prompt parameter has a value that is not supported.",
                ));
            }
        }
    }
    if prompt.none && (prompt.login || prompt.consent || prompt.select_account) {
        return Err(invalid_request(
            "The prompt parameter cannot combine none with another value.",
        ));
    }
    Ok(prompt)
}

/// OIDC Core §3.1.2.1: `max_age` is a non-negative number of seconds.
fn parse_max_age(raw: &str) -> Result<i64, OAuthError> {
    let bad = || invalid_request("The max_age parameter must be a non-negative integer.");
    if raw.is_empty() || raw.len() > 12 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    raw.parse::<i64>().map_err(|_| bad())
}

impl AuthorizeRequest {
    /// Whether the person must sign in (again) before a code is issued, given the `auth_time` of
    /// the browser's session (`None`: no session).
    ///
    /// A sign-in at or after [`AuthorizeRequest::started_at`] always satisfies the request. That
    /// is how `prompt=login` and `max_age=0` do not loop: the server keeps this `AuthorizeRequest`
    /// (it is serde) while the person signs in, then calls `needs_login` again with the new
    /// session's `auth_time`, which is not older than `started_at`. Re-validating the raw
    /// parameters after the sign-in would set a new `started_at` and ask again, forever.
    pub fn needs_login(&self, auth_time: Option<i64>, now: i64) -> bool {
        let Some(auth_time) = auth_time else { return true };
        if auth_time >= self.started_at {
            return false;
        }
        // OIDC Core §3.1.2.1: max_age is the allowable elapsed time since the last active
        // authentication; past it the OP MUST actively re-authenticate.
        self.prompt.login || self.max_age.is_some_and(|max| now.saturating_sub(auth_time) > max)
    }

    /// [`AuthorizeRequest::needs_login`] combined with `prompt=none` (OIDC Core §3.1.2.6).
    pub fn next_step(&self, auth_time: Option<i64>, now: i64) -> NextStep {
        if !self.needs_login(auth_time, now) {
            NextStep::Proceed
        } else if self.prompt.none {
            NextStep::Refuse(OAuthError::new(
                ErrorCode::LoginRequired,
                "The prompt parameter is none but the person must sign in.",
            ))
        } else {
            NextStep::Login
        }
    }
}

/// Picks the redirect URI: the given one if it equals, byte for byte, one the client registered.
///
/// No normalization, no prefix or wildcard matching (RFC 9700 §4.1.3: exact string matching).
/// OIDC Core §3.1.2.1 makes `redirect_uri` REQUIRED, so a missing one is an error even when the
/// client registered a single URI. Every error here is for an error PAGE, never a redirect.
pub fn match_redirect_uri(registered: &[String], given: Option<&str>) -> Result<String, OAuthError> {
    let given = given.ok_or_else(|| invalid_request("The redirect_uri parameter is missing."))?;
    registered
        .iter()
        .find(|r| r.as_str() == given)
        .cloned()
        .ok_or_else(|| invalid_request("The redirect_uri parameter is not registered for this client."))
}
