//! The second step of a sign-in at `/login/two-step`, and the passkey sign-in with no
//! password at `/login/passkey`. The password step left a pending sign-in whose token is in
//! the `gh_pending` cookie; every post here carries the sign-in forms' CSRF token.

use super::handoff::signed_in_to;
use super::json::{ceremony_answer, json_error, json_refusal, options_answer};
use super::rp;
use crate::extract::ClientMeta;
use crate::state::AppState;
use crate::web::cookies::{PENDING_COOKIE, cookie, set_cookie};
use crate::web::csrf::{check_login_csrf, login_csrf, with_login_cookie};
use crate::web::form::PageForm;
use crate::web::next::safe_next;
use crate::web::pages::{PageResult, render_status, see_other, with_retry_after};
use crate::web::signin::refusal;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use gatehouse_core::CoreError;
use gatehouse_core::auth::{PasswordlessCeremony, VerifiedKey};
use gatehouse_core::ids::AccountId;
use gatehouse_core::two_step::{CeremonyPurpose, Method};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login_two_step.html")]
struct SecondStepPage {
    csrf: String,
    next: String,
    email: String,
    method: &'static str,
    others: Vec<(&'static str, &'static str)>,
    /// A code was mailed for this sign-in (the email-code form shows its field).
    code_mailed: bool,
    error: Option<String>,
}

fn label(m: Method) -> &'static str {
    match m {
        Method::Totp => "Use a code from your authenticator app",
        Method::SecurityKey => "Use a security key or passkey",
        Method::RecoveryCode => "Use a recovery code",
        Method::EmailCode => "Email me a code",
    }
}

#[derive(Deserialize)]
pub struct StepQuery {
    method: Option<String>,
    next: Option<String>,
}

async fn render(
    st: &AppState,
    headers: &HeaderMap,
    method: Option<&str>,
    next: String,
    status: StatusCode,
    error: Option<String>,
) -> PageResult {
    let (csrf, fresh) = login_csrf(st, headers)?;
    let token = cookie(headers, PENDING_COOKIE).unwrap_or_default();
    let Some(view) = st.signin.pending_sign_in(&token).await? else {
        return see_other(&format!(
            "/login?expired=1&next={}",
            crate::web::pages::urlencode(&next)
        ));
    };
    let methods = view.methods;
    let chosen = method
        .and_then(Method::parse)
        .filter(|m| methods.contains(m))
        .or_else(|| methods.first().copied())
        .unwrap_or(Method::Totp);
    let page = SecondStepPage {
        csrf: csrf.clone(),
        next,
        email: view.account.email,
        code_mailed: view.code_mailed,
        method: chosen.as_str(),
        others: methods
            .into_iter()
            .filter(|m| *m != chosen)
            .map(|m| (m.as_str(), label(m)))
            .collect(),
        error,
    };
    with_login_cookie(st, &csrf, fresh, render_status(status, &page))
}

pub async fn page(State(st): State<AppState>, headers: HeaderMap, Query(q): Query<StepQuery>) -> PageResult {
    let next = safe_next(q.next.as_deref())?;
    render(&st, &headers, q.method.as_deref(), next, StatusCode::OK, None).await
}

/// A refused second step: the page again saying why, or the sign-in page when the pending
/// sign-in is over (expired, or too many attempts).
async fn refused(st: &AppState, headers: &HeaderMap, method: &str, next: String, e: CoreError) -> PageResult {
    if let CoreError::Unauthenticated {
        code: "sign_in_expired" | "too_many_attempts",
        message,
    } = &e
    {
        let mut res = render_status(
            StatusCode::UNAUTHORIZED,
            &crate::web::signin::start_again(st, headers, &next, message)?,
        )?;
        res.headers_mut()
            .append(header::SET_COOKIE, set_cookie(st, PENDING_COOKIE, "", Some(0)));
        return Ok(res);
    }
    let (status, message, retry_after) = refusal(e, "failed attempts")?;
    let res = render(st, headers, Some(method), next, status, Some(message)).await?;
    Ok(with_retry_after(res, retry_after))
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf: String,
    method: String,
    code: String,
    next: Option<String>,
}

/// A typed code: authenticator app, recovery code or mailed code.
pub async fn submit_code(
    State(st): State<AppState>,
    ClientMeta(meta): ClientMeta,
    headers: HeaderMap,
    PageForm(f): PageForm<CodeForm>,
) -> PageResult {
    check_login_csrf(&st, &headers, &f.csrf)?;
    let next = safe_next(f.next.as_deref())?;
    let method = Method::parse(&f.method)
        .filter(|m| *m != Method::SecurityKey)
        .unwrap_or(Method::Totp);
    let token = cookie(&headers, PENDING_COOKIE).unwrap_or_default();
    let done = async {
        let attempt = st.signin.second_step_attempt(&token, &meta).await?;
        st.signin
            .second_step_code(attempt, method, &f.code, &st.keys, &meta)
            .await
    };
    match done.await {
        Ok(done) => signed_in_to(&st, &headers, done, &next, &meta).await,
        Err(e) => refused(&st, &headers, method.as_str(), next, e).await,
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

#[derive(Deserialize)]
pub struct MailForm {
    csrf: String,
    next: Option<String>,
}

/// Mails a code for the pending sign-in (an account with no method of its own that must take
/// a second step), then shows the field for it.
pub async fn mail_code(State(st): State<AppState>, headers: HeaderMap, PageForm(f): PageForm<MailForm>) -> PageResult {
    check_login_csrf(&st, &headers, &f.csrf)?;
    let next = safe_next(f.next.as_deref())?;
    let token = cookie(&headers, PENDING_COOKIE).unwrap_or_default();
    match st.signin.mail_second_step_code(&token).await {
        Ok(()) => see_other(&format!(
            "/login/two-step?method=email_code&next={}",
            crate::web::pages::urlencode(&next)
        )),
        Err(e) => refused(&st, &headers, Method::EmailCode.as_str(), next, e).await,
    }
}

/// The options of a second step with a security key (JSON for the page's script).
pub async fn key_options(State(st): State<AppState>, headers: HeaderMap, PageForm(f): PageForm<CsrfForm>) -> Response {
    if check_login_csrf(&st, &headers, &f.csrf).is_err() {
        return json_refusal(StatusCode::FORBIDDEN, "The form expired. Reload the page.");
    }
    let token = cookie(&headers, PENDING_COOKIE).unwrap_or_default();
    let Ok(Some(view)) = st.signin.pending_sign_in(&token).await else {
        return json_refusal(StatusCode::UNAUTHORIZED, "This sign-in has expired. Sign in again.");
    };
    let started = (|| {
        let keys = view
            .enrolment
            .security_keys
            .iter()
            .map(rp::passkey)
            .collect::<Result<Vec<_>, _>>()?;
        let (rcr, state) = st
            .relying_party()?
            .start_passkey_authentication(&keys)
            .map_err(|e| rp::refused("second step start", &e))?;
        rp::started(&rcr, &state)
    })();
    ceremony_answer(&st, CeremonyPurpose::SecondStep, view.account.id, started).await
}

#[derive(Deserialize)]
pub struct KeyForm {
    csrf: String,
    token: String,
    credential: String,
    next: Option<String>,
}

/// A security key's answer to the second step's challenge.
pub async fn submit_key(
    State(st): State<AppState>,
    ClientMeta(meta): ClientMeta,
    headers: HeaderMap,
    PageForm(f): PageForm<KeyForm>,
) -> PageResult {
    check_login_csrf(&st, &headers, &f.csrf)?;
    let next = safe_next(f.next.as_deref())?;
    let pending = cookie(&headers, PENDING_COOKIE).unwrap_or_default();
    let done = async {
        let attempt = st.signin.second_step_attempt(&pending, &meta).await?;
        match verify_key(&st, &f.token, &f.credential, attempt.account().id).await {
            Ok(verified) => st.signin.second_step_key(attempt, &verified, &meta).await,
            Err(_) => Err(st
                .signin
                .second_step_failed(attempt, Method::SecurityKey, &meta)
                .await?),
        }
    };
    match done.await {
        Ok(done) => signed_in_to(&st, &headers, done, &next, &meta).await,
        Err(e) => refused(&st, &headers, Method::SecurityKey.as_str(), next, e).await,
    }
}

/// Checks a second step's assertion against its ceremony (taken once) and the account's key.
async fn verify_key(
    st: &AppState,
    token: &str,
    credential: &str,
    account: AccountId,
) -> Result<VerifiedKey, CoreError> {
    let webauthn = st.relying_party()?;
    let state = st
        .signin
        .take_ceremony(token, CeremonyPurpose::SecondStep, account)
        .await?
        .ok_or_else(|| rp::refused("second step", &"no such ceremony"))?;
    let cred = rp::assertion(credential)?;
    let key = st
        .signin
        .security_key(&rp::credential_id(cred.get_credential_id()))
        .await?
        .filter(|k| k.account_id == account)
        .ok_or_else(|| rp::refused("second step", &"not the account's key"))?;
    let result = webauthn
        .finish_passkey_authentication(&cred, &rp::state_from(&state)?)
        .map_err(|e| rp::refused("second step", &e))?;
    rp::verified(&key, &result)
}

/// The options of a passkey sign-in (JSON for the sign-in page's script).
pub async fn passkey_options(
    State(st): State<AppState>,
    headers: HeaderMap,
    PageForm(f): PageForm<CsrfForm>,
) -> Response {
    if check_login_csrf(&st, &headers, &f.csrf).is_err() {
        return json_refusal(StatusCode::FORBIDDEN, "The form expired. Reload the page.");
    }
    // Nothing is stored: the state travels in the token (see `gatehouse_core::auth::passkey`).
    let started = st.relying_party().and_then(|webauthn| {
        let (rcr, state) = webauthn
            .start_discoverable_authentication()
            .map_err(|e| rp::refused("passkey start", &e))?;
        rp::started(&rcr, &state)
    });
    match started {
        Ok((options, state)) => {
            Json(options_answer(&st.signin.mint_passwordless_ceremony(&state), &options)).into_response()
        }
        Err(e) => json_error(e),
    }
}

/// A passkey's answer: the account it names signs in with no password.
pub async fn submit_passkey(
    State(st): State<AppState>,
    ClientMeta(meta): ClientMeta,
    headers: HeaderMap,
    PageForm(f): PageForm<KeyForm>,
) -> PageResult {
    check_login_csrf(&st, &headers, &f.csrf)?;
    let next = safe_next(f.next.as_deref())?;
    let done = async {
        let (account, verified, ceremony) = match verify_passkey(&st, &f.token, &f.credential).await {
            Ok(found) => found,
            Err(e) => {
                st.signin.passkey_failed(&meta).await?;
                return Err(e);
            }
        };
        st.signin.passkey_sign_in(account, &verified, &ceremony, &meta).await
    };
    match done.await {
        Ok(done) => signed_in_to(&st, &headers, done, &next, &meta).await,
        Err(e) => {
            let (status, message, retry_after) = refusal(e, "failed attempts")?;
            let page = crate::web::signin::start_again(&st, &headers, &next, &message)?;
            Ok(with_retry_after(render_status(status, &page)?, retry_after))
        }
    }
}

/// Checks a passkey sign-in's assertion: its ceremony (made here, unexpired; spent once by the
/// sign-in), the key its credential id names, and the user handle, which must be that key's
/// account.
async fn verify_passkey(
    st: &AppState,
    token: &str,
    credential: &str,
) -> Result<(AccountId, VerifiedKey, PasswordlessCeremony), CoreError> {
    let webauthn = st.relying_party()?;
    let ceremony = st
        .signin
        .open_passwordless_ceremony(token)
        .ok_or_else(|| rp::refused("passkey", &"no such ceremony"))?;
    let cred = rp::assertion(credential)?;
    let (user, cred_id) = webauthn
        .identify_discoverable_authentication(&cred)
        .map_err(|e| rp::refused("passkey", &e))?;
    let account = AccountId::parse(&user.to_string()).map_err(|e| rp::refused("passkey", &e))?;
    let key = st
        .signin
        .security_key(&rp::credential_id(cred_id))
        .await?
        .filter(|k| k.account_id == account)
        .ok_or_else(|| rp::refused("passkey", &"unknown credential"))?;
    let passkey = rp::passkey(&key)?;
    let result = webauthn
        .finish_discoverable_authentication_v2(&cred, rp::state_from(&ceremony.state)?, &passkey)
        .map_err(|e| rp::refused("passkey", &e))?;
    Ok((account, rp::verified(&key, &result)?, ceremony))
}
