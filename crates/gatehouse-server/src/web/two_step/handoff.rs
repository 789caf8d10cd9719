//! The hand-off between the sign-in's steps: a password that passed goes to its second step
//! (the pending sign-in's cookie), and a completed sign-in gets its session and goes on.

use crate::state::AppState;
use crate::web::cookies::{PENDING_COOKIE, SESSION_COOKIE, set_cookie};
use crate::web::pages::{PageResult, see_other};
use crate::web::session::signed_in;
use axum::http::{HeaderMap, header};
use gatehouse_core::audit::RequestMeta;
use gatehouse_core::auth::{Authenticated, PENDING_SECS, SecondStepDue};
use gatehouse_core::two_step::Method;

/// Where a password that passed goes when a second step is due: the pending sign-in's cookie
/// is set and the browser goes to the second step's page.
pub fn to_second_step(st: &AppState, due: &SecondStepDue, next: &str) -> PageResult {
    let first = due.methods.first().copied().unwrap_or(Method::Totp);
    let mut res = see_other(&format!(
        "/login/two-step?method={}&next={}",
        first.as_str(),
        crate::web::pages::urlencode(next)
    ))?;
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(st, PENDING_COOKIE, &due.token, Some(PENDING_SECS)),
    );
    Ok(res)
}

/// Opens the session of a completed sign-in and goes on to `next`, ending the pending
/// sign-in's cookie and any earlier session of this browser.
pub async fn signed_in_to(
    st: &AppState,
    headers: &HeaderMap,
    done: Authenticated,
    next: &str,
    meta: &RequestMeta,
) -> PageResult {
    let opened = st.signin.open_session(done, meta).await?;
    if let Ok(Some(earlier)) = signed_in(st, headers).await {
        let _ = st.signin.sign_out(&earlier, meta).await;
    }
    let mut res = if next.starts_with("/oauth2/") {
        crate::web::pages::continue_to(next)
    } else {
        see_other(next)?
    };
    let age = st.signin.policy().absolute_secs;
    let cookies = res.headers_mut();
    cookies.append(
        header::SET_COOKIE,
        set_cookie(st, SESSION_COOKIE, &opened.token, Some(age)),
    );
    cookies.append(header::SET_COOKIE, set_cookie(st, PENDING_COOKIE, "", Some(0)));
    Ok(res)
}
