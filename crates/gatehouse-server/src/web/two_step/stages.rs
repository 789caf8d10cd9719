//! The stages a policy adds to a sign-in: enrolment in two-step verification at
//! `/login/enrol` (an authenticator app, then the recovery codes, shown once) and a new
//! password at `/login/new-password`. Both act on the pending sign-in of the `gh_pending`
//! cookie; every post carries the sign-in forms' CSRF token and is counted like a second step.

use super::enrol::{no_store, qr_svg};
use super::handoff::{open_session_cookies, pending_cookie, signed_in_to, stage_path};
use crate::extract::ClientMeta;
use crate::state::AppState;
use crate::web::cookies::{PENDING_COOKIE, cookie, set_cookie};
use crate::web::csrf::{check_login_csrf, login_csrf, with_login_cookie};
use crate::web::form::PageForm;
use crate::web::next::safe_next;
use crate::web::pages::{PageResult, render_status, see_other, urlencode, with_retry_after};
use crate::web::signin::refusal;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use gatehouse_core::CoreError;
use gatehouse_core::audit::RequestMeta;
use gatehouse_core::auth::{Authenticated, RecoveryCodes};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login_enrol.html")]
struct EnrolPage<'a> {
    csrf: &'a str,
    next: &'a str,
    key_text: &'a str,
    uri: &'a str,
    qr_svg: &'a str,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "login_codes.html")]
struct CodesPage<'a> {
    codes: Vec<&'a str>,
    continue_to: &'a str,
}

#[derive(Template)]
#[template(path = "login_new_password.html")]
struct NewPasswordPage<'a> {
    csrf: &'a str,
    next: &'a str,
    email: &'a str,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct EnrolForm {
    csrf: String,
    code: String,
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: String,
    password: String,
    next: Option<String>,
}

fn expired_redirect(next: &str) -> PageResult {
    see_other(&format!("/login?expired=1&next={}", urlencode(next)))
}

async fn render_enrol(
    st: &AppState,
    headers: &HeaderMap,
    next: &str,
    status: StatusCode,
    error: Option<String>,
) -> PageResult {
    let (csrf, fresh) = login_csrf(st, headers)?;
    let token = cookie(headers, PENDING_COOKIE).unwrap_or_default();
    let setup = match st.signin.enrolment_setup(&token, &st.keys).await {
        Ok(s) => s,
        Err(CoreError::Unauthenticated { .. }) => return expired_redirect(next),
        Err(e) => return Err(e.into()),
    };
    let svg = qr_svg(&setup.uri)?;
    let page = EnrolPage {
        csrf: &csrf,
        next,
        key_text: &setup.key_text,
        uri: &setup.uri,
        qr_svg: &svg,
        error,
    };
    let res = no_store(render_status(status, &page)?);
    with_login_cookie(st, &csrf, fresh, Ok(res))
}

pub async fn enrol_page(State(st): State<AppState>, headers: HeaderMap, Query(q): Query<NextQuery>) -> PageResult {
    let next = safe_next(q.next.as_deref())?;
    render_enrol(&st, &headers, &next, StatusCode::OK, None).await
}

/// A stage that failed: the sign-in starts again when its pending sign-in is over; else the
/// message, with the status and wait it calls for.
fn failure(
    st: &AppState,
    headers: &HeaderMap,
    next: &str,
    e: CoreError,
) -> Result<(StatusCode, String, Option<u64>), Box<PageResult>> {
    match e {
        CoreError::Unauthenticated {
            code: "sign_in_expired" | "too_many_attempts",
            message,
        } => {
            let page = crate::web::signin::start_again(st, headers, next, &message).map_err(|e| Box::new(Err(e)))?;
            let res = render_status(StatusCode::UNAUTHORIZED, &page).map(|mut res| {
                res.headers_mut()
                    .append(header::SET_COOKIE, set_cookie(st, PENDING_COOKIE, "", Some(0)));
                res
            });
            Err(Box::new(res))
        }
        CoreError::Validation { fields } => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            fields
                .iter()
                .map(|f| format!("Your new password {}.", f.message))
                .collect::<Vec<_>>()
                .join(" "),
            None,
        )),
        other => refusal(other, "failed attempts").map_err(|e| Box::new(Err(e))),
    }
}

/// The app's first code: the enrolment is confirmed, the recovery codes shown once, and the
/// sign-in goes on (to a new password first, when one is due).
pub async fn enrol_submit(
    State(st): State<AppState>,
    ClientMeta(meta): ClientMeta,
    headers: HeaderMap,
    PageForm(f): PageForm<EnrolForm>,
) -> PageResult {
    check_login_csrf(&st, &headers, &f.csrf)?;
    let next = safe_next(f.next.as_deref())?;
    let token = cookie(&headers, PENDING_COOKIE).unwrap_or_default();
    let done = async {
        let attempt = st.signin.second_step_attempt(&token, &meta).await?;
        st.signin.enrol_at_sign_in(attempt, &f.code, &st.keys, &meta).await
    };
    match done.await {
        Ok((done, codes)) => show_codes_then(&st, &headers, done, &codes, &next, &meta).await,
        Err(e) => match failure(&st, &headers, &next, e) {
            Ok((status, message, retry)) => {
                let res = render_enrol(&st, &headers, &next, status, Some(message)).await?;
                Ok(with_retry_after(res, retry))
            }
            Err(res) => *res,
        },
    }
}

/// The recovery codes page, with the session opened (or the new-password stage held) in the
/// same answer; its link goes on.
async fn show_codes_then(
    st: &AppState,
    headers: &HeaderMap,
    done: Authenticated,
    codes: &RecoveryCodes,
    next: &str,
    meta: &RequestMeta,
) -> PageResult {
    let list: Vec<&str> = codes.iter().map(|c| c.as_str()).collect();
    if done.password_due() {
        let due = st.signin.hold_for_new_password(done, meta).await?;
        let to = stage_path(&due, next);
        let mut res = no_store(render_status(
            StatusCode::OK,
            &CodesPage {
                codes: list,
                continue_to: &to,
            },
        )?);
        res.headers_mut().append(header::SET_COOKIE, pending_cookie(st, &due));
        return Ok(res);
    }
    let cookies = open_session_cookies(st, headers, done, meta).await?;
    let mut res = no_store(render_status(
        StatusCode::OK,
        &CodesPage {
            codes: list,
            continue_to: next,
        },
    )?);
    for c in cookies {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}

async fn render_password(
    st: &AppState,
    headers: &HeaderMap,
    next: &str,
    status: StatusCode,
    error: Option<String>,
) -> PageResult {
    let (csrf, fresh) = login_csrf(st, headers)?;
    let token = cookie(headers, PENDING_COOKIE).unwrap_or_default();
    let Some(view) = st.signin.pending_sign_in(&token).await? else {
        return expired_redirect(next);
    };
    let page = NewPasswordPage {
        csrf: &csrf,
        next,
        email: &view.account.email,
        error,
    };
    with_login_cookie(st, &csrf, fresh, render_status(status, &page))
}

pub async fn password_page(State(st): State<AppState>, headers: HeaderMap, Query(q): Query<NextQuery>) -> PageResult {
    let next = safe_next(q.next.as_deref())?;
    render_password(&st, &headers, &next, StatusCode::OK, None).await
}

/// The new password: it must meet the account's policy; then the session opens.
pub async fn password_submit(
    State(st): State<AppState>,
    ClientMeta(meta): ClientMeta,
    headers: HeaderMap,
    PageForm(f): PageForm<PasswordForm>,
) -> PageResult {
    check_login_csrf(&st, &headers, &f.csrf)?;
    let next = safe_next(f.next.as_deref())?;
    let token = cookie(&headers, PENDING_COOKIE).unwrap_or_default();
    let done = async {
        let attempt = st.signin.second_step_attempt(&token, &meta).await?;
        st.signin.new_password_at_sign_in(attempt, &f.password, &meta).await
    };
    match done.await {
        Ok(done) => signed_in_to(&st, &headers, done, &next, &meta).await,
        Err(e) => match failure(&st, &headers, &next, e) {
            Ok((status, message, retry)) => {
                let res = render_password(&st, &headers, &next, status, Some(message)).await?;
                Ok(with_retry_after(res, retry))
            }
            Err(res) => *res,
        },
    }
}
