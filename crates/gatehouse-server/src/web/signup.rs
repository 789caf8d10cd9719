//! Sign-up pages, when the operator turned sign-up on (`--allow-signup`; otherwise they are
//! not there: 404).
//!
//! `/signup` asks for an email address and answers "check your email" whatever the address:
//! the lookup, the link and the mail happen after the answer (`deferred`), so neither the words
//! nor the time tell whether the address has an account. The mailed link opens
//! `/signup/confirm`, which asks for a name and a password and creates the account; the person
//! then signs in through the ordinary flow.

use super::csrf::{check_login_csrf, login_csrf, with_login_cookie};
use super::form::PageForm;
use super::pages::see_other;
use super::pages::{PageError, PageResult, render_status, with_retry_after};
use super::signin::refusal;
use crate::extract::ClientMeta;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use gatehouse_core::CoreError;
use gatehouse_core::types::Email;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    csrf: String,
    sent: bool,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "signup_confirm.html")]
struct ConfirmPage {
    csrf: String,
    token: String,
    /// The address the link creates an account for; `None` when the link does not work.
    email: Option<String>,
    name: String,
    error: Option<String>,
}

/// The pages exist only when the operator turned sign-up on.
fn require_signup(st: &AppState) -> Result<(), PageError> {
    if st.config.sign_in.allow_signup {
        Ok(())
    } else {
        Err(PageError::NotFound)
    }
}

/// The sign-up form again with an error, `status` and `Retry-After` if any.
fn form_error(csrf: String, status: StatusCode, message: String, retry_after: Option<u64>) -> PageResult {
    let page = SignupPage {
        csrf,
        sent: false,
        error: Some(message),
    };
    Ok(with_retry_after(render_status(status, &page)?, retry_after))
}

pub async fn page(State(st): State<AppState>, headers: HeaderMap) -> PageResult {
    require_signup(&st)?;
    let (csrf, fresh) = login_csrf(&st, &headers)?;
    let page = SignupPage {
        csrf: csrf.clone(),
        sent: false,
        error: None,
    };
    with_login_cookie(&st, &csrf, fresh, render_status(StatusCode::OK, &page))
}

#[derive(Deserialize)]
pub struct SignupForm {
    csrf: String,
    email: String,
}

pub async fn submit(
    State(st): State<AppState>,
    ClientMeta(meta): ClientMeta,
    headers: HeaderMap,
    PageForm(f): PageForm<SignupForm>,
) -> PageResult {
    require_signup(&st)?;
    check_login_csrf(&st, &headers, &f.csrf)?;
    // The syntax alone is judged now: it says nothing about who has an account.
    let Ok(email) = Email::parse(&f.email) else {
        let message = "Enter an email address, like name@example.com.".to_owned();
        return form_error(f.csrf, StatusCode::UNPROCESSABLE_ENTITY, message, None);
    };
    // Counted whether or not the address has an account, so the answer tells nothing.
    if let Err(e) = st.signin.count_signup_request(email.as_str(), &meta).await {
        let (status, message, retry_after) = refusal(e, "requests")?;
        return form_error(f.csrf, status, message, retry_after);
    }
    let job = {
        let st = st.clone();
        async move { st.signin.send_signup_mail(email.as_str()).await }
    };
    if let Err(e) = st.deferred.queue("sign-up mail", Box::pin(job)) {
        let (status, message, retry_after) = refusal(e, "requests")?;
        return form_error(f.csrf, status, message, retry_after);
    }
    let page = SignupPage {
        csrf: f.csrf,
        sent: true,
        error: None,
    };
    render_status(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct ConfirmQuery {
    token: Option<String>,
}

/// The text of a link that does not work.
const LINK_EXPIRED: &str = "This link has expired or was already used. Sign up again to get a new one.";

pub async fn confirm_page(State(st): State<AppState>, headers: HeaderMap, Query(q): Query<ConfirmQuery>) -> PageResult {
    require_signup(&st)?;
    let (csrf, fresh) = login_csrf(&st, &headers)?;
    let token = q.token.unwrap_or_default();
    let email = st.signin.find_signup(&token).await?;
    let status = if email.is_some() {
        StatusCode::OK
    } else {
        StatusCode::GONE
    };
    let page = ConfirmPage {
        csrf: csrf.clone(),
        error: email.is_none().then(|| LINK_EXPIRED.to_owned()),
        token,
        email,
        name: String::new(),
    };
    let mut res = with_login_cookie(&st, &csrf, fresh, render_status(status, &page))?;
    // The token is in the URL: keep it out of Referer headers of anything this page loads.
    res.headers_mut()
        .insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    Ok(res)
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    csrf: String,
    token: String,
    name: String,
    password: String,
    confirm: String,
}

pub async fn confirm_submit(
    State(st): State<AppState>,
    ClientMeta(meta): ClientMeta,
    headers: HeaderMap,
    PageForm(f): PageForm<ConfirmForm>,
) -> PageResult {
    require_signup(&st)?;
    check_login_csrf(&st, &headers, &f.csrf)?;
    let (status, error, retry_after) = if f.password == f.confirm {
        match st.signin.complete_signup(&f.token, &f.name, &f.password, &meta).await {
            Ok(_) => return see_other("/login?signed_up=1"),
            Err(CoreError::Validation { fields }) => {
                let lines: Vec<String> = fields
                    .iter()
                    .map(|e| format!("{}: {}.", label(&e.field), e.message))
                    .collect();
                (StatusCode::UNPROCESSABLE_ENTITY, lines.join(" "), None)
            }
            Err(CoreError::Conflict { .. }) => (StatusCode::GONE, LINK_EXPIRED.to_owned(), None),
            Err(other) => refusal(other, "attempts")?,
        }
    } else {
        let message = "The passwords do not match.".to_owned();
        (StatusCode::UNPROCESSABLE_ENTITY, message, None)
    };
    // The form again, while the link still works.
    let email = st.signin.find_signup(&f.token).await?;
    let page = ConfirmPage {
        csrf: f.csrf,
        token: f.token,
        email,
        name: f.name,
        error: Some(error),
    };
    Ok(with_retry_after(render_status(status, &page)?, retry_after))
}

/// A field's name as the form labels it.
fn label(field: &str) -> &str {
    match field {
        "display_name" => "Name",
        "password" => "Password",
        other => other,
    }
}
