//! Every answer under `/oauth2/` speaks OAuth: errors are RFC 6749 §5.2 JSON (or RFC 6750
//! bearer errors), never problem+json; unknown routes and wrong methods included.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gatehouse_core::CoreError;
use gatehouse_oidc::{ErrorCode, OAuthError};

/// An OAuth error answer. `basic`: the client tried HTTP Basic, so a 401 says how to retry
/// (RFC 6749 §5.2); `bearer`: a resource endpoint, so a 401 is an RFC 6750 challenge.
pub struct OAuthReply {
    pub error: OAuthError,
    pub basic: bool,
    pub bearer: bool,
    pub retry_after: Option<u64>,
}

impl From<OAuthError> for OAuthReply {
    fn from(error: OAuthError) -> Self {
        Self {
            error,
            basic: false,
            bearer: false,
            retry_after: None,
        }
    }
}

impl OAuthReply {
    pub fn with_basic(mut self, basic: bool) -> Self {
        self.basic = basic;
        self
    }

    pub fn bearer(error: OAuthError) -> Self {
        Self {
            bearer: true,
            ..Self::from(error)
        }
    }
}

impl From<CoreError> for OAuthReply {
    fn from(e: CoreError) -> Self {
        let (code, description, retry_after) = match e {
            CoreError::Unauthenticated { code, message } => (named(code, ErrorCode::InvalidGrant), message, None),
            CoreError::Forbidden { code, message } => (named(code, ErrorCode::AccessDenied), message, None),
            CoreError::Validation { fields } => (
                ErrorCode::InvalidRequest,
                gatehouse_core::FieldError::describe_all(&fields),
                None,
            ),
            CoreError::NotFound { entity } => (ErrorCode::InvalidRequest, format!("No such {entity}."), None),
            CoreError::Conflict { message, .. } | CoreError::PreconditionFailed { message } => {
                (ErrorCode::InvalidRequest, message, None)
            }
            CoreError::RateLimited { retry_after_secs } | CoreError::Overloaded { retry_after_secs } => (
                ErrorCode::TemporarilyUnavailable,
                "Too many requests; try again later.".to_owned(),
                Some(retry_after_secs),
            ),
            CoreError::Internal(detail) => {
                tracing::error!(error = %detail, "oauth endpoint failed");
                (
                    ErrorCode::ServerError,
                    "Something went wrong on our side.".to_owned(),
                    None,
                )
            }
        };
        Self {
            retry_after,
            ..Self::from(OAuthError::new(code, description))
        }
    }
}

/// The registered code core named, or `fallback`.
fn named(code: &str, fallback: ErrorCode) -> ErrorCode {
    match code {
        "invalid_client" => ErrorCode::InvalidClient,
        "invalid_grant" => ErrorCode::InvalidGrant,
        "unauthorized_client" => ErrorCode::UnauthorizedClient,
        "access_denied" => ErrorCode::AccessDenied,
        "invalid_scope" => ErrorCode::InvalidScope,
        "invalid_token" => ErrorCode::InvalidToken,
        _ => fallback,
    }
}

impl IntoResponse for OAuthReply {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.error.status()).unwrap_or(StatusCode::BAD_REQUEST);
        let mut res = (status, Json(self.error.to_json())).into_response();
        let h = res.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        if status == StatusCode::UNAUTHORIZED {
            let challenge = if self.bearer {
                format!("Bearer error=\"{}\"", self.error.code.as_str())
            } else if self.basic {
                "Basic realm=\"gatehouse\"".to_owned()
            } else {
                String::new()
            };
            if let Ok(v) = HeaderValue::from_str(&challenge)
                && !challenge.is_empty()
            {
                h.insert(header::WWW_AUTHENTICATE, v);
            }
        }
        if let Some(secs) = self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// A path under `/oauth2/` that is no endpoint.
pub async fn unknown_route() -> OAuthReply {
    OAuthReply::from(OAuthError::new(ErrorCode::InvalidRequest, "There is no such endpoint."))
}

/// An endpoint asked with a method it does not take.
pub async fn wrong_method() -> Response {
    let mut res = OAuthReply::from(OAuthError::new(
        ErrorCode::InvalidRequest,
        "This endpoint does not take this HTTP method.",
    ))
    .into_response();
    *res.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    res
}

pub type OAuthResult<T> = Result<T, OAuthReply>;
