//! What every SCIM handler shares: the caller and body extractors, the error response and
//! the `application/scim+json` content type.

use crate::state::AppState;
use axum::extract::{FromRequest, FromRequestParts, Query, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gatehouse_core::CoreError;
use gatehouse_core::ids::DirectoryId;
use gatehouse_core::services::DirectoryCaller;
use gatehouse_scim::ScimError;
use serde::de::DeserializeOwned;
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
        let token = crate::extract::bearer(&parts.headers).ok_or_else(unauthorized)?;
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

/// The `If-None-Match` header, if any.
pub fn if_none_match(h: &axum::http::HeaderMap) -> Option<&str> {
    h.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok())
}

/// The `{id}` of a resource path (`/Users/{id}`, `/Schemas/{id}`). A path that does not decode
/// to text names no resource.
pub struct ScimId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ScimId {
    type Rejection = ScimFail;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ScimFail> {
        let missing = || ScimFail(ScimError::new(404, "No resource has that id."));
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| missing())?;
        let id = params.iter().find(|(k, _)| *k == "id").map(|(_, v)| v.to_owned());
        id.map(ScimId).ok_or_else(missing)
    }
}

/// Query parameters; a value of the wrong type is a SCIM `invalidValue` naming the parameter.
/// Parameters the server does not know are ignored, as RFC 7644 leaves room for extensions.
pub struct ScimQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ScimQuery<T> {
    type Rejection = ScimFail;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ScimFail> {
        Query::<T>::try_from_uri(&parts.uri)
            .map(|Query(v)| ScimQuery(v))
            .map_err(|e| {
                let why = e.body_text();
                let why = why.trim_start_matches("Failed to deserialize query string: ");
                ScimFail(ScimError::invalid_value(format!(
                    "The query string is not valid: {why}"
                )))
            })
    }
}

/// Any path under `/scim/v2/` that names no endpoint (RFC 7644 §3.12).
pub fn no_such_endpoint() -> ScimFail {
    ScimFail(ScimError::new(404, "No SCIM endpoint has this path."))
}

/// A method the endpoint does not take (RFC 7644 §3.12 lists 405 for it).
pub async fn method_not_allowed() -> ScimFail {
    ScimFail(ScimError::new(405, "This SCIM endpoint does not support that method."))
}

/// The last word on every SCIM answer: an error that some layer or extractor wrote in another
/// format (plain text, problem+json) is re-written as a SCIM error with the same status, so a
/// client under `/scim/v2/` only ever reads `application/scim+json` (RFC 7644 §3.12). Headers
/// such as `Retry-After`, `Allow` and `WWW-Authenticate` are kept.
pub async fn speak_scim(res: Response) -> Response {
    let status = res.status();
    let is_scim = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with(SCIM_JSON));
    if is_scim || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let detail = if status.is_server_error() {
        "Something went wrong on our side.".to_owned()
    } else {
        let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        // A problem+json body carries its detail; plain text is the detail.
        serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["detail"].as_str().map(str::to_owned))
            .unwrap_or_else(|| text.trim().to_owned())
    };
    let detail = if detail.is_empty() {
        status.canonical_reason().unwrap_or("Error").to_owned()
    } else {
        detail
    };
    let body = ScimError::new(status.as_u16(), detail).to_json().to_string();
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body))
}

/// `attributes` / `excludedAttributes` (RFC 7644 §3.9): which attributes an answer that carries
/// a resource shows. They apply to every such answer, writes included.
#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Shown {
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
}

impl Shown {
    /// Whether the client asked for the default set.
    pub fn is_default(&self) -> bool {
        self.attributes.is_none() && self.excluded_attributes.is_none()
    }

    /// The resource as the client asked to see it.
    pub fn project(&self, resource: &Value, kind: gatehouse_scim::ResourceKind) -> Result<Value, ScimFail> {
        if self.is_default() {
            return Ok(resource.clone());
        }
        Ok(gatehouse_scim::project(
            resource,
            kind,
            self.attributes.as_deref(),
            self.excluded_attributes.as_deref(),
        )?)
    }
}

/// Whether `If-None-Match` names the current version `etag` (RFC 7232 §3.2, weak comparison),
/// so a read answers 304 Not Modified.
pub fn unchanged_since(headers: &axum::http::HeaderMap, etag: &str) -> bool {
    let Some(tags) = if_none_match(headers) else {
        return false;
    };
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let current = opaque(etag);
    tags.split(',').any(|t| t.trim() == "*" || opaque(t) == current)
}

/// 304 Not Modified with the current ETag and no body.
pub fn not_modified(etag: &str) -> Response {
    let mut res = StatusCode::NOT_MODIFIED.into_response();
    if let Ok(v) = HeaderValue::from_str(etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(res: Response) -> Value {
        serde_json::from_slice(&axum::body::to_bytes(res.into_body(), 4096).await.unwrap()).unwrap()
    }

    #[tokio::test]
    async fn errors_of_other_layers_are_rewritten_as_scim_errors_keeping_status_and_headers() {
        let plain = (StatusCode::PAYLOAD_TOO_LARGE, "length limit exceeded").into_response();
        let res = speak_scim(plain).await;
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(res.headers()[header::CONTENT_TYPE], SCIM_JSON);
        let b = body(res).await;
        assert_eq!(b["status"], "413");
        assert_eq!(b["detail"], "length limit exceeded");
        let mut problem =
            crate::error::ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "Slow down.").into_response();
        problem
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("7"));
        let res = speak_scim(problem).await;
        assert_eq!(res.headers()[header::RETRY_AFTER], "7");
        assert_eq!(body(res).await["detail"], "Slow down.");
        let crash = (StatusCode::INTERNAL_SERVER_ERROR, "db password is hunter2").into_response();
        let b = body(speak_scim(crash).await).await;
        assert_eq!(b["detail"], "Something went wrong on our side.");
    }

    #[tokio::test]
    async fn scim_answers_and_successes_pass_untouched() {
        let ok = scim_json(StatusCode::OK, &serde_json::json!({"id": "1"}));
        assert_eq!(body(speak_scim(ok).await).await["id"], "1");
        let scim = ScimFail(ScimError::invalid_filter("bad")).into_response();
        assert_eq!(body(speak_scim(scim).await).await["scimType"], "invalidFilter");
        let empty = StatusCode::NO_CONTENT.into_response();
        assert_eq!(speak_scim(empty).await.status(), StatusCode::NO_CONTENT);
    }
}
