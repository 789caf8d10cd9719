//! `/account/verify-email`: a signed-in person proves they still hold their mailbox with a
//! mailed code, when the external-users policy of an organization whose product they are
//! signing in to asks it (the authorize endpoint sends them here, then they go on).

use super::next::safe_next;
use super::pages::{PageResult, continue_to, render_status, see_other, with_retry_after};
use super::person::{Person, PersonForm};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use gatehouse_core::CoreError;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "verify_email.html")]
struct VerifyPage<'a> {
    csrf: &'a str,
    next: &'a str,
    email: &'a str,
    /// A code was just mailed: the page shows the field for it.
    mailed: bool,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct SendForm {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
    next: Option<String>,
}

fn render(p: &Person, next: &str, mailed: bool, status: StatusCode, error: Option<String>) -> PageResult {
    let page = VerifyPage {
        csrf: p.me.csrf(),
        next,
        email: &p.me.account().email,
        mailed,
        error,
    };
    render_status(status, &page)
}

/// Where the person goes once verified: an authorize request continues through the page that
/// re-posts it; anything else is a redirect.
fn go_on(next: &str) -> PageResult {
    if next.starts_with("/oauth2/") {
        Ok(continue_to(next))
    } else {
        see_other(next)
    }
}

pub async fn page(person: Person, Query(q): Query<NextQuery>) -> PageResult {
    let next = safe_next(q.next.as_deref())?;
    if person.me.session().email_verified_at.is_some() {
        return go_on(&next);
    }
    render(&person, &next, false, StatusCode::OK, None)
}

/// Mails a code (at most one a minute).
pub async fn send(State(st): State<AppState>, f: PersonForm<SendForm>) -> PageResult {
    let next = safe_next(f.form.next.as_deref())?;
    let p = f.person;
    match st.signin.mail_session_code(&p.me).await {
        Ok(()) => render(&p, &next, true, StatusCode::OK, None),
        Err(CoreError::RateLimited { retry_after_secs }) => {
            let msg = format!("A code was sent a moment ago. You can ask for another in {retry_after_secs} s.");
            let res = render(&p, &next, true, StatusCode::TOO_MANY_REQUESTS, Some(msg))?;
            Ok(with_retry_after(res, Some(retry_after_secs)))
        }
        Err(e) => Err(e.into()),
    }
}

/// Checks the code; right, the person goes on.
pub async fn verify(State(st): State<AppState>, f: PersonForm<CodeForm>) -> PageResult {
    let next = safe_next(f.form.next.as_deref())?;
    let p = f.person;
    match st.signin.verify_session_code(&p.me, &f.form.code, &p.meta).await {
        Ok(()) => go_on(&next),
        Err(e) => {
            let (status, message, retry) = super::signin::refusal(e, "attempts")?;
            let res = render(&p, &next, true, status, Some(message))?;
            Ok(with_retry_after(res, retry))
        }
    }
}
