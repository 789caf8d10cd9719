//! Changing one's email address: `POST /account/email` (the current password and the new
//! address; the mail goes out after the answer, which is the same whether or not the new
//! address has an account), and the mailed link `/account/email/confirm`, used while signed in
//! as the same account.
//!
//! The account page holds the form; `GET /account/email` shows it on a page of its own too,
//! where a refused request is shown again with what was wrong. Done, the posts lead back to
//! the account page with a notice.

use super::pages::see_other;
use super::pages::{PageError, PageResult, render_status, urlencode, with_retry_after};
use super::person::{Person, PersonForm};
use super::signin::refusal;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use gatehouse_core::CoreError;
use gatehouse_core::auth::{ChangeLink, EMAIL_CHANGE_CONFIRM_PATH};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "email_change.html")]
struct FormPage {
    title: &'static str,
    csrf: String,
    current: String,
    new_email: String,
    show_form: bool,
    status: Option<&'static str>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "email_change_confirm.html")]
struct ConfirmPage {
    csrf: String,
    token: String,
    current: String,
    /// The address the link moves the account to; `None` when the link does not work.
    new_email: Option<String>,
    error: Option<String>,
}

fn notice(code: Option<&str>) -> Option<&'static str> {
    match code {
        Some("email_sent") => Some(
            "Check your new address: we've sent it a message. Follow the link in it, signed in as you are now, \
             to finish. It works once, for 24 hours.",
        ),
        Some("email_changed") => Some("Your email address is changed. Sign in with the new one from now on."),
        _ => None,
    }
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

pub async fn form_page(Person { me: who, .. }: Person, Query(q): Query<NoticeQuery>) -> PageResult {
    let page = FormPage {
        title: "Change your email address",
        csrf: who.csrf().to_owned(),
        current: who.account().email.clone(),
        new_email: String::new(),
        show_form: true,
        status: notice(q.notice.as_deref()),
        error: None,
    };
    render_status(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct ChangeForm {
    new_email: String,
    password: String,
}

pub async fn submit(State(st): State<AppState>, f: PersonForm<ChangeForm>) -> PageResult {
    let (Person { me: who, meta }, form) = (f.person, f.form);
    let refused = match st
        .signin
        .request_email_change(&who, &form.new_email, &form.password, &meta)
        .await
    {
        Ok(email) => {
            // The same answer, in the same time, whether or not the new address has an
            // account: the lookup and the mail happen after it.
            let job = {
                let (st, id) = (st.clone(), who.account().id);
                async move { st.signin.send_email_change_mail(id, email, meta).await }
            };
            match st.deferred.queue("email change mail", Box::pin(job)) {
                Ok(()) => return see_other("/account?notice=email_sent"),
                Err(e) => e,
            }
        }
        Err(e) => e,
    };
    let (status, message, retry_after) = match refused {
        CoreError::Validation { fields } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            fields
                .iter()
                .map(|f| format!("New email {}.", f.message))
                .collect::<Vec<_>>()
                .join(" "),
            None,
        ),
        CoreError::Forbidden { message, .. } => (StatusCode::UNPROCESSABLE_ENTITY, message, None),
        other => refusal(other, "failed attempts")?,
    };
    let page = FormPage {
        title: "Change your email address",
        csrf: who.csrf().to_owned(),
        current: who.account().email.clone(),
        new_email: form.new_email,
        show_form: true,
        status: None,
        error: Some(message),
    };
    Ok(with_retry_after(render_status(status, &page)?, retry_after))
}

#[derive(Deserialize)]
pub struct ConfirmQuery {
    token: Option<String>,
}

const LINK_EXPIRED: &str = "This link has expired or was already used. Ask for a new one.";

pub async fn confirm_page(
    State(st): State<AppState>,
    Person { me: who, .. }: Person,
    Query(q): Query<ConfirmQuery>,
) -> PageResult {
    let token = q.token.unwrap_or_default();
    let here = format!("{EMAIL_CHANGE_CONFIRM_PATH}?token={}", urlencode(&token));
    let (status, new_email) = match st.signin.find_email_change(&who, &token).await? {
        Some(ChangeLink::Yours { new_email }) => (StatusCode::OK, Some(new_email)),
        // Another account's link: that account must sign in to use it.
        Some(ChangeLink::AnotherAccount) => return Err(PageError::SignIn { next: here }),
        None => (StatusCode::GONE, None),
    };
    let page = ConfirmPage {
        csrf: who.csrf().to_owned(),
        token,
        current: who.account().email.clone(),
        error: new_email.is_none().then(|| LINK_EXPIRED.to_owned()),
        new_email,
    };
    let mut res = render_status(status, &page)?;
    // The token is in the URL: keep it out of Referer headers of anything this page loads.
    res.headers_mut()
        .insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    Ok(res)
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    token: String,
}

pub async fn confirm_submit(State(st): State<AppState>, f: PersonForm<ConfirmForm>) -> PageResult {
    let (Person { me: who, meta }, form) = (f.person, f.form);
    let (status, message) = match st.signin.confirm_email_change(&who, &form.token, &meta).await {
        Ok(changed) => {
            let job = {
                let st = st.clone();
                async move { st.signin.notify_email_changed(changed).await }
            };
            if let Err(e) = st.deferred.queue("email changed notice", Box::pin(job)) {
                // The change is made; only the old address's notice is lost.
                tracing::error!(error = %e, "the old address's notice could not be queued");
            }
            return see_other("/account?notice=email_changed");
        }
        Err(CoreError::Conflict {
            code: "email_link_invalid",
            ..
        }) => (StatusCode::GONE, LINK_EXPIRED.to_owned()),
        Err(CoreError::Conflict { message, .. } | CoreError::Forbidden { message, .. }) => {
            (StatusCode::CONFLICT, message)
        }
        Err(other) => return Err(PageError::Core(other)),
    };
    let new_email = match st.signin.find_email_change(&who, &form.token).await? {
        Some(ChangeLink::Yours { new_email }) => Some(new_email),
        _ => None,
    };
    let page = ConfirmPage {
        csrf: who.csrf().to_owned(),
        token: form.token,
        current: who.account().email.clone(),
        new_email,
        error: Some(message),
    };
    render_status(status, &page)
}
