//! The hand-off between the sign-in's steps: a password that passed goes to the stage its
//! pending sign-in waits for (second step, enrolment or a new password: the pending sign-in's
//! cookie), and a completed sign-in gets its session and goes on.

use crate::state::AppState;
use crate::web::cookies::{PENDING_COOKIE, SESSION_COOKIE, set_cookie};
use crate::web::pages::{PageError, PageResult, see_other, urlencode};
use crate::web::session::signed_in;
use axum::http::{HeaderMap, HeaderValue, header};
use gatehouse_core::audit::RequestMeta;
use gatehouse_core::auth::{Authenticated, PENDING_SECS, SecondStepDue};
use gatehouse_core::two_step::{Method, PendingStage};

/// The page of the stage a pending sign-in waits for.
pub fn stage_path(due: &SecondStepDue, next: &str) -> String {
    match due.stage {
        PendingStage::SecondStep => {
            let first = due.methods.first().copied().unwrap_or(Method::Totp);
            format!("/login/two-step?method={}&next={}", first.as_str(), urlencode(next))
        }
        PendingStage::Enrol => format!("/login/enrol?next={}", urlencode(next)),
        PendingStage::Password => format!("/login/new-password?next={}", urlencode(next)),
    }
}

/// The cookie of a pending sign-in.
pub fn pending_cookie(st: &AppState, due: &SecondStepDue) -> HeaderValue {
    set_cookie(st, PENDING_COOKIE, &due.token, Some(PENDING_SECS))
}

/// Where a password that passed goes when a stage is still due: the pending sign-in's cookie
/// is set and the browser goes to the stage's page.
pub fn to_second_step(st: &AppState, due: &SecondStepDue, next: &str) -> PageResult {
    let mut res = see_other(&stage_path(due, next))?;
    res.headers_mut().append(header::SET_COOKIE, pending_cookie(st, due));
    Ok(res)
}

/// Opens the session of a completed sign-in (ending any earlier session of this browser) and
/// answers the cookies that carry it: the session's, and the pending sign-in's ended.
pub async fn open_session_cookies(
    st: &AppState,
    headers: &HeaderMap,
    done: Authenticated,
    meta: &RequestMeta,
) -> Result<[HeaderValue; 2], PageError> {
    let opened = st.signin.open_session(done, meta).await?;
    if let Ok(Some(earlier)) = signed_in(st, headers).await {
        let _ = st.signin.sign_out(&earlier, meta).await;
    }
    Ok([
        set_cookie(st, SESSION_COOKIE, &opened.token, Some(opened.max_age_secs)),
        set_cookie(st, PENDING_COOKIE, "", Some(0)),
    ])
}

/// Opens the session of a completed sign-in and goes on to `next`; a sign-in whose password
/// is due for a new one goes to the new-password page first.
pub async fn signed_in_to(
    st: &AppState,
    headers: &HeaderMap,
    done: Authenticated,
    next: &str,
    meta: &RequestMeta,
) -> PageResult {
    if done.password_due() {
        let due = st.signin.hold_for_new_password(done, meta).await?;
        return to_second_step(st, &due, next);
    }
    let cookies = open_session_cookies(st, headers, done, meta).await?;
    let mut res = if next.starts_with("/oauth2/") {
        crate::web::pages::continue_to(next)
    } else {
        see_other(next)?
    };
    for c in cookies {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}
