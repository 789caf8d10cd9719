//! CSRF defences: a pre-session token in a cookie for the sign-in forms (double submit of a
//! token only the server can make), and the session's own synchronizer token for every form
//! sent while signed in.

use super::cookies::{LOGIN_CSRF_COOKIE, cookie, set_cookie};
use super::pages::{PageError, PageResult};
use crate::state::AppState;
use axum::http::{HeaderMap, header};
use gatehouse_core::auth::FORM_TOKEN_SECS;
use gatehouse_core::secret::constant_time_eq;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// The pre-session CSRF token for the sign-in forms: the cookie's value if the server made it
/// (and it has not expired), or a fresh one (`true`: set it with [`with_login_cookie`]).
pub fn login_csrf(state: &AppState, headers: &HeaderMap) -> Result<(String, bool), PageError> {
    match cookie(headers, LOGIN_CSRF_COOKIE).filter(|c| state.signin.is_form_token(c)) {
        Some(c) => Ok((c, false)),
        None => Ok((state.signin.mint_form_token()?, true)),
    }
}

/// Adds the pre-session token's cookie to a page when it was freshly minted.
pub fn with_login_cookie(state: &AppState, csrf: &str, fresh: bool, res: PageResult) -> PageResult {
    let mut res = res?;
    if fresh {
        res.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(state, LOGIN_CSRF_COOKIE, csrf, Some(FORM_TOKEN_SECS)),
        );
    }
    Ok(res)
}

/// Checks a sign-in form's token: the cookie must hold a token this server made, and the
/// form must carry the same one. A pair planted by someone else (`csrf_x` in both) is refused.
pub fn check_login_csrf(state: &AppState, headers: &HeaderMap, sent: &str) -> Result<(), PageError> {
    match cookie(headers, LOGIN_CSRF_COOKIE) {
        Some(c) if state.signin.is_form_token(&c) && constant_time_eq(&c, sent) => Ok(()),
        _ => Err(PageError::Csrf),
    }
}

/// Only the token of a form, whatever else it holds.
#[derive(Deserialize)]
struct CsrfOnly {
    csrf: String,
}

/// Parses a signed-in form (urlencoded `body`) whose `csrf` field must equal the session's
/// token. A form without the right token is refused as forged ("Form expired"); a form with
/// it that still does not parse is answered with what was wrong (400).
pub fn parse_session_form<T: DeserializeOwned>(body: &[u8], session_csrf: &str) -> Result<T, PageError> {
    let sent: CsrfOnly = serde_urlencoded::from_bytes(body).map_err(|_| PageError::Csrf)?;
    if !constant_time_eq(&sent.csrf, session_csrf) {
        return Err(PageError::Csrf);
    }
    // The form's own fields; its `csrf` is one it does not name, and is passed over.
    serde_urlencoded::from_bytes(body).map_err(|e| unreadable(&e))
}

/// What a person is told about a form that does not parse.
pub fn unreadable(e: &dyn std::fmt::Display) -> PageError {
    PageError::BadRequest(format!("The form could not be read: {e}."))
}
