//! What every SCIM handler shares: the caller and body extractors, the error response and
//! the `application/scim+json` content type.

use crate::state::AppState;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gatehouse_core::CoreError;
use gatehouse_core::ids::DirectoryId;
use gatehouse_core::services::DirectoryCaller;
use gatehouse_scim::ScimError;
use serde_json::Value;

/// The SCIM media type (RFC 7644 §8.1).
pub const SCIM_JSON: &str = "application/scim+json";
/// Largest SCIM request body.
pub const MAX_SCIM_BODY: usize = 1024 * 1024;

/// A SCIM error response.
pub struct ScimFail(pub ScimError);

impl From<ScimError> for ScimFail {
    fn from(e: ScimError) -> Self {
        Self(e)
    }
}

impl From<CoreError> for ScimFail {
    fn from(e: CoreError) -> Self {
        Self(match e {
            CoreError::NotFound { entity } => ScimError::new(404, format!("The {entity} does not exist.")),
            CoreError::Conflict { message, .. } => ScimError::uniqueness(message),
            CoreError::PreconditionFailed { message } => ScimError::new(412, message),
            CoreError::Validation { fields } => {
                ScimError::invalid_value(gatehouse_core::FieldError::describe_all(&fields))
            }
            CoreError::Forbidden { message, .. } => ScimError::new(403, message),
            CoreError::Unauthenticated { message, .. } => ScimError::new(401, message),
            CoreError::RateLimited { .. } => ScimError::new(429, "Too many requests; retry later."),
            CoreError::Overloaded { .. } => ScimError::new(503, "The server is busy; retry shortly."),
            CoreError::Internal(msg) => {
                tracing::error!(error = %msg, "internal error in SCIM");
                ScimError::new(500, "Something went wrong on our side.")
            }
        })
    }
}

impl IntoResponse for ScimFail {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut res = (status, self.0.to_json().to_string()).into_response();
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"gatehouse-scim\""),
            );
        }
        res
    }
}

/// A SCIM response body with its content type.
pub fn scim_json(status: StatusCode, body: &Value) -> Response {
    let mut res = (status, body.to_string()).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    res
}

/// The calling directory, from `Authorization: Bearer ghd_...` and the path's directory id.
pub struct Scim(pub DirectoryCaller);

impl FromRequestParts<AppState> for Scim {
    type Rejection = ScimFail;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ScimFail> {
        let unauthorized = || {
            ScimFail(ScimError::new(
                401,
                "Send the directory's token as Authorization: Bearer <token>.",
            ))
        };
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| unauthorized())?;
        let dir = params
            .iter()
            .find(|(k, _)| *k == "directory_id")
            .and_then(|(_, v)| DirectoryId::parse(v).ok())
            .ok_or_else(unauthorized)?;
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(unauthorized)?;
        Ok(Scim(state.services.directories.authenticate(token, dir).await?))
    }
}

/// A SCIM JSON body: `application/scim+json` or `application/json`, at most 1 MiB, an object.
pub struct ScimBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for ScimBody {
    type Rejection = ScimFail;

    async fn from_request(req: Request, _: &S) -> Result<Self, ScimFail> {
        let ct = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if !(ct.starts_with(SCIM_JSON) || ct.starts_with("application/json")) {
            return Err(ScimFail(ScimError::new(415, "Send the body as application/scim+json.")));
        }
        let bytes = axum::body::to_bytes(req.into_body(), MAX_SCIM_BODY)
            .await
            .map_err(|_| {
                ScimFail(ScimError::new(
                    413,
                    format!("The request body is larger than {MAX_SCIM_BODY} bytes."),
                ))
            })?;
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| ScimFail(ScimError::invalid_syntax(format!("The body is not valid JSON: {e}"))))?;
        if !value.is_object() {
            return Err(ScimFail(ScimError::invalid_syntax("The body must be a JSON object.")));
        }
        if holds_nul(&value) {
            return Err(ScimFail(ScimError::invalid_value(
                "Strings may not contain the NUL character (U+0000).",
            )));
        }
        Ok(ScimBody(value))
    }
}

/// Whether any string or key holds U+0000, which no identity attribute needs and PostgreSQL
/// text cannot store (the JSON parser bounds the depth of this walk).
fn holds_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(a) => a.iter().any(holds_nul),
        Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        _ => false,
    }
}

/// The `If-Match` header, if any.
pub fn if_match(h: &axum::http::HeaderMap) -> Option<&str> {
    h.get(header::IF_MATCH).and_then(|v| v.to_str().ok())
}
