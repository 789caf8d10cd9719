//! OAuth 2.0 and OpenID Connect error responses (RFC 6749 §4.1.2.1, §5.2; OIDC Core §3.1.2.6;
//! RFC 6750 §3.1 for `invalid_token`).
//!
//! Every description is a fixed English sentence written in this crate. It names the offending
//! parameter and never repeats what the client sent, so an error page or a redirect can show it
//! without escaping surprises. RFC 6749 §5.2 restricts `error_description` to
//! `%x20-21 / %x23-5B / %x5D-7E`: no `"` and no `\`, which the tests check.

use std::fmt;

use serde_json::{Value, json};

/// The registered error codes this provider answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// A parameter is missing, repeated, malformed or not allowed (RFC 6749 §4.1.2.1, §5.2).
    InvalidRequest,
    /// Client authentication failed (RFC 6749 §5.2): HTTP 401.
    InvalidClient,
    /// The code, refresh token or PKCE verifier is wrong, expired, spent or not this client's.
    InvalidGrant,
    /// The client may not use this grant or response type.
    UnauthorizedClient,
    /// The `grant_type` is not one this provider implements.
    UnsupportedGrantType,
    /// The scope is malformed, lacks `openid` where required, or exceeds the grant.
    InvalidScope,
    /// The person or the provider refused the request.
    AccessDenied,
    /// The `response_type` is not `code`.
    UnsupportedResponseType,
    /// An unexpected failure; nothing about it is told to the client: HTTP 500.
    ServerError,
    /// The provider is overloaded or in maintenance: HTTP 503.
    TemporarilyUnavailable,
    /// `prompt=none` and nobody is signed in (OIDC Core §3.1.2.6).
    LoginRequired,
    /// `prompt=none` and the person must interact (OIDC Core §3.1.2.6).
    InteractionRequired,
    /// `prompt=none` and consent is needed (OIDC Core §3.1.2.6).
    ConsentRequired,
    /// The bearer token is missing, expired or revoked (RFC 6750 §3.1): HTTP 401.
    InvalidToken,
    /// The `request` parameter (a request object) is not supported (OIDC Core §3.1.2.6).
    RequestNotSupported,
    /// The `request_uri` parameter is not supported (OIDC Core §3.1.2.6).
    RequestUriNotSupported,
}

impl ErrorCode {
    /// The registered string, as it appears in the `error` member or parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::LoginRequired => "login_required",
            Self::InteractionRequired => "interaction_required",
            Self::ConsentRequired => "consent_required",
            Self::InvalidToken => "invalid_token",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error answered to a client: at the token, introspection or revocation endpoint as JSON
/// (RFC 6749 §5.2), at the authorization endpoint by redirect or on an error page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    /// The registered code.
    pub code: ErrorCode,
    /// A fixed English sentence naming the offending parameter; never client input.
    pub description: String,
}

impl OAuthError {
    /// An error with its code and fixed description.
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
        }
    }

    /// The HTTP status for a JSON error answer: 401 for `invalid_client` (RFC 6749 §5.2, with
    /// `WWW-Authenticate` when the client used Basic) and `invalid_token` (RFC 6750 §3.1), 500 for
    /// `server_error`, 503 for `temporarily_unavailable`, 400 for everything else.
    pub fn status(&self) -> u16 {
        match self.code {
            ErrorCode::InvalidClient | ErrorCode::InvalidToken => 401,
            ErrorCode::ServerError => 500,
            ErrorCode::TemporarilyUnavailable => 503,
            ErrorCode::InvalidRequest
            | ErrorCode::InvalidGrant
            | ErrorCode::UnauthorizedClient
            | ErrorCode::UnsupportedGrantType
            | ErrorCode::InvalidScope
            | ErrorCode::AccessDenied
            | ErrorCode::UnsupportedResponseType
            | ErrorCode::LoginRequired
            | ErrorCode::InteractionRequired
            | ErrorCode::ConsentRequired
            | ErrorCode::RequestNotSupported
            | ErrorCode::RequestUriNotSupported => 400,
        }
    }

    /// The JSON body of RFC 6749 §5.2: `{"error": ..., "error_description": ...}`.
    pub fn to_json(&self) -> Value {
        json!({ "error": self.code.as_str(), "error_description": self.description })
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description)
    }
}

impl std::error::Error for OAuthError {}

/// Shorthand for the many `invalid_request` answers.
pub(crate) fn invalid_request(description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidRequest, description)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_rfcs() {
        let status = |code| OAuthError::new(code, "x").status();
        assert_eq!(status(ErrorCode::InvalidClient), 401);
        assert_eq!(status(ErrorCode::InvalidToken), 401);
        assert_eq!(status(ErrorCode::ServerError), 500);
        assert_eq!(status(ErrorCode::TemporarilyUnavailable), 503);
        assert_eq!(status(ErrorCode::InvalidGrant), 400);
        assert_eq!(status(ErrorCode::LoginRequired), 400);
    }

    #[test]
    fn json_has_the_two_members() {
        let e = OAuthError::new(ErrorCode::InvalidScope, "The scope parameter must include openid.");
        assert_eq!(
            e.to_json(),
            json!({"error": "invalid_scope", "error_description": "The scope parameter must include openid."})
        );
        assert_eq!(e.to_string(), "invalid_scope: The scope parameter must include openid.");
    }
}
