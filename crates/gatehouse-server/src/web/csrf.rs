//! CSRF defences: a pre-session token in a cookie for the sign-in forms (double submit), and
//! the session's own synchronizer token for every form sent while signed in.

use super::cookies::{LOGIN_CSRF_COOKIE, cookie, set_cookie};
use super::pages::{PageError, PageResult};
use crate::state::AppState;
use axum::http::{HeaderMap, header};
use gatehouse_core::secret::{constant_time_eq, mint};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// The pre-session CSRF token for the sign-in forms: the cookie's value, or a fresh one
/// (`true`: set it with [`with_login_cookie`]).
pub fn login_csrf(headers: &HeaderMap) -> (String, bool) {
    match cookie(headers, LOGIN_CSRF_COOKIE).filter(|c| c.starts_with("csrf_") && c.len() < 100) {
        Some(c) => (c, false),
        None => (mint("csrf").map(|m| m.value).unwrap_or_default(), true),
    }
}

/// Adds the pre-session token's cookie to a page when it was freshly minted.
pub fn with_login_cookie(state: &AppState, csrf: &str, fresh: bool, res: PageResult) -> PageResult {
    let mut res = res?;
    if fresh {
        res.headers_mut()
            .append(header::SET_COOKIE, set_cookie(state, LOGIN_CSRF_COOKIE, csrf, None));
    }
    Ok(res)
}

/// Checks a sign-in form's token against the pre-session cookie.
pub fn check_login_csrf(headers: &HeaderMap, sent: &str) -> Result<(), PageError> {
    match cookie(headers, LOGIN_CSRF_COOKIE) {
        Some(c) if constant_time_eq(&c, sent) => Ok(()),
        _ => Err(PageError::Csrf),
    }
}

#[derive(Deserialize)]
struct WithCsrf<T> {
    csrf: String,
    #[serde(flatten)]
    inner: T,
}

/// Parses a signed-in form (urlencoded `body`) whose `csrf` field must equal the session's
/// token; an unreadable form is treated like a forged one.
pub fn parse_session_form<T: DeserializeOwned>(body: &[u8], session_csrf: &str) -> Result<T, PageError> {
    let parsed: WithCsrf<T> = serde_urlencoded::from_bytes(body).map_err(|e| {
        tracing::debug!(error = %e, "unreadable form");
        PageError::Csrf
    })?;
    if !constant_time_eq(&parsed.csrf, session_csrf) {
        return Err(PageError::Csrf);
    }
    Ok(parsed.inner)
}
