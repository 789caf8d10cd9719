//! Sign-in, sign-out and password reset pages.
//!
//! The pages authenticate anyone with a password through the core's sign-in flow; whether the
//! destination admits the person is the destination's check, asked before a session opens.
//! Every sign-in leads to the console today, so the console's check is the one asked.

use super::cookies::{SESSION_COOKIE, set_cookie};
use super::csrf::{check_login_csrf, login_csrf, with_login_cookie};
use super::pages::{PageError, PageResult, render_status};
use super::session::signed_in;
use crate::extract::ClientMeta;
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use gatehouse_core::CoreError;
use gatehouse_core::audit::RequestMeta;
use gatehouse_core::auth::{OpenedSession, Progress};
use gatehouse_core::model::Account;
use gatehouse_core::secret::constant_time_eq;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    next: String,
    email: String,
    status: Option<&'static str>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage {
    csrf: String,
    sent: bool,
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage {
    csrf: String,
    token: String,
    error: Option<String>,
}

/// Only local console paths are followed after sign-in: never another host.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/admin") && !n.starts_with("//") && !n.contains('\\') && !n.contains("://") => {
            n.to_owned()
        }
        _ => "/admin".to_owned(),
    }
}

/// Whether the place a sign-in leads to admits this person. Every sign-in page leads to the
/// console today; the OIDC authorize endpoint will bring its own question.
async fn admitted(st: &AppState, account: &Account) -> Result<bool, CoreError> {
    crate::console::admission::admits(st, account).await
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    signed_out: Option<String>,
    password_set: Option<String>,
}

pub async fn page(State(st): State<AppState>, headers: HeaderMap, Query(q): Query<LoginQuery>) -> PageResult {
    let (csrf, fresh) = login_csrf(&headers);
    let status = if q.signed_out.is_some() {
        Some("You are signed out.")
    } else if q.password_set.is_some() {
        Some("Your password is set. Sign in with it now.")
    } else {
        None
    };
    let page = LoginPage {
        csrf: csrf.clone(),
        next: safe_next(q.next.as_deref()),
        email: String::new(),
        status,
        error: None,
    };
    with_login_cookie(&st, &csrf, fresh, render_status(StatusCode::OK, &page))
}

#[derive(Deserialize)]
pub struct LoginForm {
    csrf: String,
    email: String,
    password: String,
    next: Option<String>,
}

pub async fn submit(
    State(st): State<AppState>,
    ClientMeta(meta): ClientMeta,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> PageResult {
    check_login_csrf(&headers, &f.csrf)?;
    match sign_in(&st, &f.email, &f.password, &meta).await {
        Ok(opened) => {
            // A new session id at every sign-in; any earlier session of this browser ends.
            if let Ok(Some(earlier)) = signed_in(&st, &headers).await {
                let _ = st.signin.sign_out(&earlier, &meta).await;
            }
            let mut res = Redirect::to(&safe_next(f.next.as_deref())).into_response();
            let age = st.signin.policy().absolute_secs;
            res.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&st, SESSION_COOKIE, &opened.token, Some(age)),
            );
            Ok(res)
        }
        Err(e) => {
            let (status, message) = match e {
                CoreError::RateLimited { retry_after_secs } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    format!(
                        "Too many failed attempts. Try again in {} minute(s).",
                        retry_after_secs.div_ceil(60)
                    ),
                ),
                CoreError::Unauthenticated { message, .. } => (StatusCode::UNAUTHORIZED, message),
                other => return Err(PageError::Core(other)),
            };
            let page = LoginPage {
                csrf: f.csrf,
                next: safe_next(f.next.as_deref()),
                email: f.email,
                status: None,
                error: Some(message),
            };
            render_status(status, &page)
        }
    }
}

/// Runs the sign-in flow and, if the destination admits the person, opens their session. A
/// person it does not admit is refused like a wrong password, before any session exists.
async fn sign_in(st: &AppState, email: &str, password: &str, meta: &RequestMeta) -> Result<OpenedSession, CoreError> {
    match st.signin.sign_in(email, password, meta).await? {
        Progress::Done(done) => {
            if admitted(st, done.account()).await? {
                st.signin.open_session(done, meta).await
            } else {
                Err(st.signin.refuse(done, meta).await)
            }
        }
        // No account's flow has a second step yet, so no page asks for one.
        Progress::Next(step) => Err(CoreError::Internal(format!("sign-in step {step:?} has no page yet"))),
    }
}

#[derive(Deserialize)]
pub struct LogoutForm {
    csrf: String,
}

pub async fn logout(
    State(st): State<AppState>,
    ClientMeta(meta): ClientMeta,
    headers: HeaderMap,
    Form(f): Form<LogoutForm>,
) -> PageResult {
    // The session is looked up once the form is read, so a malformed post touches nothing.
    if let Some(person) = signed_in(&st, &headers).await? {
        if !constant_time_eq(&f.csrf, person.csrf()) {
            return Err(PageError::Csrf);
        }
        st.signin.sign_out(&person, &meta).await?;
    }
    let mut res: Response = Redirect::to("/login?signed_out=1").into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, set_cookie(&st, SESSION_COOKIE, "", Some(0)));
    Ok(res)
}

pub async fn forgot_page(State(st): State<AppState>, headers: HeaderMap) -> PageResult {
    let (csrf, fresh) = login_csrf(&headers);
    with_login_cookie(
        &st,
        &csrf,
        fresh,
        render_status(
            StatusCode::OK,
            &ForgotPage {
                csrf: csrf.clone(),
                sent: false,
            },
        ),
    )
}

#[derive(Deserialize)]
pub struct ForgotForm {
    csrf: String,
    email: String,
}

pub async fn forgot_submit(
    State(st): State<AppState>,
    ClientMeta(meta): ClientMeta,
    headers: HeaderMap,
    Form(f): Form<ForgotForm>,
) -> PageResult {
    check_login_csrf(&headers, &f.csrf)?;
    // The same answer whether or not the address has an account; failures are logged only.
    if let Err(e) = request_reset(&st, &f.email, &meta).await {
        tracing::error!(error = %e, "password reset request failed");
    }
    render_status(
        StatusCode::OK,
        &ForgotPage {
            csrf: f.csrf,
            sent: true,
        },
    )
}

/// Mails a reset link if the address belongs to an active account that the sign-in's
/// destination admits (someone it would turn away has no use for a password here).
async fn request_reset(st: &AppState, email: &str, meta: &RequestMeta) -> Result<(), CoreError> {
    let Some(account) = st.signin.find_resettable(email).await? else {
        return Ok(());
    };
    if !admitted(st, &account).await? {
        return Ok(());
    }
    st.signin.send_reset_link(&account, meta).await
}

#[derive(Deserialize)]
pub struct ResetQuery {
    token: Option<String>,
}

pub async fn reset_page(State(st): State<AppState>, headers: HeaderMap, Query(q): Query<ResetQuery>) -> PageResult {
    let (csrf, fresh) = login_csrf(&headers);
    let page = ResetPage {
        csrf: csrf.clone(),
        token: q.token.unwrap_or_default(),
        error: None,
    };
    let mut res = with_login_cookie(&st, &csrf, fresh, render_status(StatusCode::OK, &page))?;
    // The token is in the URL: keep it out of Referer headers of anything this page loads.
    res.headers_mut()
        .insert(header::REFERRER_POLICY, header::HeaderValue::from_static("no-referrer"));
    Ok(res)
}

#[derive(Deserialize)]
pub struct ResetForm {
    csrf: String,
    token: String,
    password: String,
    confirm: String,
}

pub async fn reset_submit(
    State(st): State<AppState>,
    ClientMeta(meta): ClientMeta,
    headers: HeaderMap,
    Form(f): Form<ResetForm>,
) -> PageResult {
    check_login_csrf(&headers, &f.csrf)?;
    let error = if f.password == f.confirm {
        match st.signin.reset_password(&f.token, &f.password, &meta).await {
            Ok(_) => return Ok(Redirect::to("/login?password_set=1").into_response()),
            Err(CoreError::Validation { fields }) => fields
                .first()
                .map_or_else(String::new, |f| format!("Password {}.", f.message)),
            Err(CoreError::Conflict { message, .. }) => message,
            Err(other) => return Err(PageError::Core(other)),
        }
    } else {
        "The passwords do not match.".to_owned()
    };
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &ResetPage {
            csrf: f.csrf,
            token: f.token,
            error: Some(error),
        },
    )
}
