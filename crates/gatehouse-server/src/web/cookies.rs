//! Reading and setting the cookies of the browser edge.

use crate::state::AppState;
use axum::http::{HeaderMap, HeaderValue, header};

/// The session token of a signed-in person.
pub const SESSION_COOKIE: &str = "gh_session";
/// The token of a sign-in whose password passed and whose second step is due.
pub const PENDING_COOKIE: &str = "gh_pending";
/// The pre-session CSRF token of the sign-in forms.
pub const LOGIN_CSRF_COOKIE: &str = "gh_login_csrf";

/// The value of cookie `name` in the request, if sent.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure when served over https.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let secure = if state.config.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let age = max_age.map(|a| format!("; Max-Age={a}")).unwrap_or_default();
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax{secure}{age}"))
        .expect("cookie text is ASCII")
}
