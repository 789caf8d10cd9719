//! The NUL character (U+0000) is refused at the edge, before any handler or database sees it.
//! PostgreSQL cannot store it in text (the driver error became a 500) while SQLite stores it (and
//! a name then compares differently than it displays); no identity field needs it. One check on
//! every request: the path and query (`%00`), and the bodies handlers parse as text, URL-encoded
//! forms (`%00`) and JSON (`\u0000`). The answer speaks the protocol of the path: a SCIM error
//! under `/scim/v2/`, problem+json under `/api/`, an HTML page elsewhere.

use crate::error::ApiError;
use crate::limits::MAX_BODY_BYTES;
use crate::scim::{MAX_SCIM_BODY, ScimFail};
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use gatehouse_scim::ScimError;

/// The kinds of body this check reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Text {
    Form,
    Json,
}

fn body_kind(req: &Request) -> Option<Text> {
    let ct = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    let m: mime::Mime = ct.parse().ok()?;
    if m.type_() == "application" && m.subtype() == "x-www-form-urlencoded" {
        Some(Text::Form)
    } else if m.type_() == "application" && (m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json")) {
        Some(Text::Json)
    } else {
        None
    }
}

/// Whether URL-encoded text (a path, a query, a form) encodes a NUL, or holds one raw.
fn encodes_nul(text: &[u8]) -> bool {
    text.contains(&0) || text.windows(3).any(|w| w == b"%00")
}

/// Whether JSON text holds a `\u0000` escape in a string or key (a raw NUL is not valid JSON,
/// and the parser refuses it). `\\u0000` is a backslash followed by text, not a NUL.
fn json_holds_nul(text: &[u8]) -> bool {
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'\\' {
            if text.get(i + 1) == Some(&b'u') && text.get(i + 2..i + 6) == Some(b"0000") {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// The refusal, in the path's protocol.
fn refuse(path: &str, status: StatusCode, why: &str) -> Response {
    if path.starts_with("/scim/v2/") || path == "/scim/v2" {
        let e = if status == StatusCode::BAD_REQUEST {
            ScimError::invalid_value(why)
        } else {
            ScimError::new(status.as_u16(), why)
        };
        ScimFail(e).into_response()
    } else if path.starts_with("/api/") {
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "body_too_large"
        } else {
            "nul_character"
        };
        ApiError::new(status, code, why).into_response()
    } else {
        let page = format!(
            "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Bad request</title><h1>Bad request</h1><p>{why}</p></html>"
        );
        (status, Html(page)).into_response()
    }
}

const NUL: &str = "The request contains the NUL character (U+0000), which no field accepts.";

/// The layer: refuses a NUL anywhere in the path, the query or a form or JSON body.
pub async fn refuse_nul(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").as_bytes();
    if encodes_nul(path.as_bytes()) || encodes_nul(query) {
        return refuse(&path, StatusCode::BAD_REQUEST, NUL);
    }
    let Some(kind) = body_kind(&req) else {
        return next.run(req).await;
    };
    let limit = if path.starts_with("/scim/") {
        MAX_SCIM_BODY
    } else if crate::limits::is_bulk_path(&path) {
        crate::limits::MAX_BULK_BODY
    } else {
        MAX_BODY_BYTES
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        // Refused as too large by whoever reads it, in its own words; nothing to look at here.
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes: Bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => return refuse(&path, StatusCode::PAYLOAD_TOO_LARGE, "The request body is too large."),
    };
    let holds = match kind {
        Text::Form => encodes_nul(&bytes),
        Text::Json => json_holds_nul(&bytes),
    };
    if holds {
        return refuse(&path, StatusCode::BAD_REQUEST, NUL);
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoded_and_raw_nuls_are_found_in_url_encoded_text() {
        assert!(encodes_nul(b"/accounts/%00"));
        assert!(encodes_nul(b"q=a%00b"));
        assert!(encodes_nul(b"name=a\0b"));
        assert!(!encodes_nul(b"q=100%25&r=%2500"));
    }

    #[test]
    fn json_nul_escapes_are_found_and_escaped_backslashes_are_not() {
        assert!(json_holds_nul(br#"{"name":"a\u0000b"}"#));
        assert!(json_holds_nul(br#"{"a\u0000":1}"#));
        assert!(!json_holds_nul(br#"{"name":"a\\u0000b"}"#));
        assert!(json_holds_nul(br#"{"name":"a\\\u0000b"}"#));
        assert!(!json_holds_nul(br#"{"name":"\u0001"}"#));
    }
}
