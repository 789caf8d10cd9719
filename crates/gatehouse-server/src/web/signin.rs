//! Sign-in, sign-out and password reset pages: the hosted sign-in of every account.
//!
//! `/login` asks for the email address first; the step after it is chosen from the address's
//! domain alone (a password form today, for every address, known or not). A person who
//! completes the flow gets a session and goes where `next` says (a local address only), or to
//! their account page. Each destination asks its own question after that: the console wants
//! an organization admin. The forms post as plain HTML forms: no JavaScript is needed.

use super::cookies::{SESSION_COOKIE, set_cookie};
use super::csrf::{check_login_csrf, login_csrf, with_login_cookie};
use super::form::PageForm;
use super::next::safe_next;
use super::pages::{PageError, PageResult, render_status, see_other, with_retry_after};
use super::session::signed_in;
use crate::extract::ClientMeta;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use gatehouse_core::CoreError;
use gatehouse_core::audit::RequestMeta;
use gatehouse_core::auth::{Progress, Step};
use gatehouse_core::secret::constant_time_eq;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    next: String,
    email: String,
    /// The password step (the email address is known); otherwise the email step.
    password_step: bool,
    allow_signup: bool,
    /// Passkeys can sign in here (the public URL has a host name).
    webauthn: bool,
    status: Option<&'static str>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage {
    csrf: String,
    sent: bool,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage {
    csrf: String,
    token: String,
    error: Option<String>,
}

/// How a page answers a refused attempt: too many attempts (429) or a full hashing queue
/// (503), each with `Retry-After`; `limited` names what there were too many of. Anything else
/// is the page error it is.
pub(crate) fn refusal(e: CoreError, limited: &str) -> Result<(StatusCode, String, Option<u64>), PageError> {
    match e {
        CoreError::RateLimited { retry_after_secs } => Ok((
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many {limited}. Try again in {} minute(s).",
                retry_after_secs.div_ceil(60)
            ),
            Some(retry_after_secs),
        )),
        CoreError::Overloaded { retry_after_secs } => Ok((
            StatusCode::SERVICE_UNAVAILABLE,
            "Gatehouse is busy right now. Try again in a few seconds.".to_owned(),
            Some(retry_after_secs),
        )),
        CoreError::Unauthenticated { message, .. } => Ok((StatusCode::UNAUTHORIZED, message, None)),
        // A password on a domain whose identity provider is enforced: the form says so.
        CoreError::Forbidden {
            code: "sso_required",
            message,
        } => Ok((StatusCode::FORBIDDEN, message, None)),
        other => Err(PageError::Core(other)),
    }
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    /// `/login?password=1`: the password form at once, for break-glass admins whose domain
    /// would send them to its identity provider.
    password: Option<String>,
    signed_out: Option<String>,
    password_set: Option<String>,
    account_deleted: Option<String>,
    signed_up: Option<String>,
    /// Back from a second step that ended (expired or too many attempts).
    expired: Option<String>,
    /// Sent to sign in again before changing sign-in methods.
    reauth: Option<String>,
    /// The address a product expects (OpenID Connect `login_hint`): the email field starts
    /// with it, when it is an address.
    login_hint: Option<String>,
}

pub async fn page(State(st): State<AppState>, headers: HeaderMap, Query(q): Query<LoginQuery>) -> PageResult {
    let next = safe_next(q.next.as_deref())?;
    let (csrf, fresh) = login_csrf(&st, &headers)?;
    let status = if q.signed_out.is_some() {
        Some("You are signed out.")
    } else if q.password_set.is_some() {
        Some("Your password is set. Sign in with it now.")
    } else if q.account_deleted.is_some() {
        Some("Your account is deleted.")
    } else if q.signed_up.is_some() {
        Some("Your account is ready. Sign in with your email and password.")
    } else if q.expired.is_some() {
        Some("Your sign-in expired. Sign in again.")
    } else if q.reauth.is_some() {
        Some("Sign in again to change how you sign in.")
    } else {
        None
    };
    let hint = q
        .login_hint
        .as_deref()
        .and_then(|h| gatehouse_core::types::Email::parse(h).ok());
    // A product that names the person (an authorize request's login_hint) sends them straight
    // to the identity provider their domain signs in with.
    if let (Some(email), None) = (&hint, &q.password)
        && let Step::Sso(id) = st.signin.first_step(email).await?
        && let Some(idp) = st.services.sso.provider(id).await?
    {
        return see_other(&crate::sso::login_path(&idp, &next, Some(email)));
    }
    let email = hint.map(|e| e.to_string()).unwrap_or_default();
    let page = LoginPage {
        csrf: csrf.clone(),
        next,
        email,
        password_step: q.password.is_some(),
        allow_signup: st.config.sign_in.allow_signup,
        webauthn: st.webauthn.is_some(),
        status,
        error: None,
    };
    with_login_cookie(&st, &csrf, fresh, render_status(StatusCode::OK, &page))
}

/// A post of either step: the email step (no `password` field) or the password step (both).
#[derive(Deserialize)]
pub struct LoginForm {
    csrf: String,
    email: String,
    password: Option<String>,
    next: Option<String>,
}

/// The email step's answer: the next step for this address, chosen from its domain alone (the
/// identity provider the domain signs in with, else the password form), or the email form
/// again saying what is wrong with the address (its syntax alone).
async fn email_step(st: &AppState, f: LoginForm, next: String) -> PageResult {
    let (password_step, status, error) = match gatehouse_core::types::Email::parse(&f.email) {
        Ok(email) => match st.signin.first_step(&email).await? {
            Step::Password => (true, StatusCode::OK, None),
            Step::Sso(id) => {
                let idp = st.services.sso.provider(id).await?.ok_or(PageError::NotFound)?;
                return see_other(&crate::sso::login_path(&idp, &next, Some(&email)));
            }
            other => {
                return Err(PageError::Core(CoreError::Internal(format!(
                    "sign-in step {other:?} has no page"
                ))));
            }
        },
        Err(_) => (
            false,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("Enter an email address, like name@example.com.".to_owned()),
        ),
    };
    let page = LoginPage {
        csrf: f.csrf,
        next,
        email: f.email,
        password_step,
        allow_signup: st.config.sign_in.allow_signup,
        webauthn: st.webauthn.is_some(),
        status: None,
        error,
    };
    render_status(status, &page)
}

pub async fn submit(
    State(st): State<AppState>,
    ClientMeta(meta): ClientMeta,
    headers: HeaderMap,
    PageForm(f): PageForm<LoginForm>,
) -> PageResult {
    check_login_csrf(&st, &headers, &f.csrf)?;
    let next = safe_next(f.next.as_deref())?;
    let Some(password) = f.password.as_deref() else {
        return email_step(&st, f, next).await;
    };
    let (status, message, retry_after) = match st.signin.sign_in(&f.email, password, &meta).await {
        // A new session at every sign-in (any earlier one of this browser ends); an
        // authorization request goes on to a product's site (see `continue_to`).
        Ok(Progress::Done(done)) => return super::two_step::signed_in_to(&st, &headers, done, &next, &meta).await,
        Ok(Progress::SecondStep(due)) => return super::two_step::to_second_step(&st, &due, &next),
        Err(e) => refusal(e, "failed attempts")?,
    };
    let page = LoginPage {
        csrf: f.csrf,
        next,
        email: f.email,
        password_step: true,
        allow_signup: st.config.sign_in.allow_signup,
        webauthn: st.webauthn.is_some(),
        status: None,
        error: Some(message),
    };
    Ok(with_retry_after(render_status(status, &page)?, retry_after))
}

/// The email step of the sign-in page again, saying why the person starts again.
pub(crate) fn start_again(
    st: &AppState,
    headers: &HeaderMap,
    next: &str,
    message: &str,
) -> Result<impl Template, PageError> {
    let (csrf, _) = login_csrf(st, headers)?;
    Ok(LoginPage {
        csrf,
        next: next.to_owned(),
        email: String::new(),
        password_step: false,
        allow_signup: st.config.sign_in.allow_signup,
        webauthn: st.webauthn.is_some(),
        status: None,
        error: Some(message.to_owned()),
    })
}

#[derive(Deserialize)]
pub struct LogoutForm {
    csrf: String,
}

pub async fn logout(
    State(st): State<AppState>,
    ClientMeta(meta): ClientMeta,
    headers: HeaderMap,
    PageForm(f): PageForm<LogoutForm>,
) -> PageResult {
    // The session is looked up once the form is read, so a malformed post touches nothing.
    let mut upstream = None;
    if let Some(person) = signed_in(&st, &headers).await? {
        if !constant_time_eq(&f.csrf, person.csrf()) {
            return Err(PageError::Csrf);
        }
        let sso = st.services.sso.take_session(person.session().id).await?;
        st.signin.sign_out(&person, &meta).await?;
        // Its product sessions ended with it: their products hear of it now.
        st.logouts.wake();
        // A session an identity provider opened ends there too (single logout).
        if let Some(rec) = sso {
            upstream = crate::sso::logout_url(&st, &rec).await;
        }
    }
    let mut res: Response = match upstream {
        // Another site: a page that moves on by itself (see `continue_to`).
        Some(url) => super::pages::continue_to(&url),
        None => see_other("/login?signed_out=1")?,
    };
    res.headers_mut()
        .append(header::SET_COOKIE, set_cookie(&st, SESSION_COOKIE, "", Some(0)));
    Ok(res)
}

pub async fn forgot_page(State(st): State<AppState>, headers: HeaderMap) -> PageResult {
    let (csrf, fresh) = login_csrf(&st, &headers)?;
    with_login_cookie(
        &st,
        &csrf,
        fresh,
        render_status(
            StatusCode::OK,
            &ForgotPage {
                csrf: csrf.clone(),
                sent: false,
                error: None,
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
    PageForm(f): PageForm<ForgotForm>,
) -> PageResult {
    check_login_csrf(&st, &headers, &f.csrf)?;
    // Counted whether or not the address has an account, so the answer tells nothing.
    if let Err(e) = st.signin.count_reset_request(&f.email, &meta).await {
        let (status, message, retry_after) = refusal(e, "requests")?;
        let page = ForgotPage {
            csrf: f.csrf,
            sent: false,
            error: Some(message),
        };
        return Ok(with_retry_after(render_status(status, &page)?, retry_after));
    }
    // The same answer, in the same time, whether or not the address has an account: the
    // lookup and the mail happen after the answer (a full queue refuses before either).
    let queued = st.deferred.queue(
        "password reset mail",
        Box::pin(request_reset(st.clone(), f.email.clone(), meta)),
    );
    if let Err(e) = queued {
        let (status, message, retry_after) = refusal(e, "requests")?;
        let page = ForgotPage {
            csrf: f.csrf,
            sent: false,
            error: Some(message),
        };
        return Ok(with_retry_after(render_status(status, &page)?, retry_after));
    }
    render_status(
        StatusCode::OK,
        &ForgotPage {
            csrf: f.csrf,
            sent: true,
            error: None,
        },
    )
}

/// Mails a reset link if the address belongs to an active account (any account: the link
/// sets a password, and the person decides where to use it).
async fn request_reset(st: AppState, email: String, meta: RequestMeta) -> Result<(), CoreError> {
    let Some(account) = st.signin.find_resettable(&email).await? else {
        return Ok(());
    };
    st.signin.send_reset_link(&account, &meta).await
}

#[derive(Deserialize)]
pub struct ResetQuery {
    token: Option<String>,
}

pub async fn reset_page(State(st): State<AppState>, headers: HeaderMap, Query(q): Query<ResetQuery>) -> PageResult {
    let (csrf, fresh) = login_csrf(&st, &headers)?;
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
    PageForm(f): PageForm<ResetForm>,
) -> PageResult {
    check_login_csrf(&st, &headers, &f.csrf)?;
    let (status, error, retry_after) = if f.password == f.confirm {
        match st.signin.reset_password(&f.token, &f.password, &meta).await {
            Ok(_) => return see_other("/login?password_set=1"),
            Err(CoreError::Validation { fields }) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                fields
                    .first()
                    .map_or_else(String::new, |f| format!("Password {}.", f.message)),
                None,
            ),
            Err(CoreError::Conflict { message, .. }) => (StatusCode::UNPROCESSABLE_ENTITY, message, None),
            Err(other) => refusal(other, "attempts")?,
        }
    } else {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "The passwords do not match.".to_owned(),
            None,
        )
    };
    let page = ResetPage {
        csrf: f.csrf,
        token: f.token,
        error: Some(error),
    };
    Ok(with_retry_after(render_status(status, &page)?, retry_after))
}
