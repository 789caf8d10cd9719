//! The person's two-step verification at `/account/two-step`: an authenticator app (key,
//! `otpauth://` URI and a QR code rendered here, then a first code), security keys and
//! passkeys (a WebAuthn registration), and recovery codes (shown once). Pages that show a
//! secret are never cached.

use super::json::{ceremony_answer, json_error, json_refusal};
use super::rp;
use crate::console::error_lines;
use crate::state::AppState;
use crate::web::account::{EmptyForm, form_refusal};
use crate::web::pages::{PageError, PageResult, render_status, with_retry_after};
use crate::web::person::{Person, PersonForm};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use gatehouse_core::CoreError;
use gatehouse_core::auth::{RecoveryCodes, TotpSetup};
use gatehouse_core::two_step::CeremonyPurpose;
use serde::Deserialize;

/// One security key as the page lists it.
pub struct KeyRow {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub added: String,
    pub last_used: String,
}

#[derive(Template)]
#[template(path = "two_step.html")]
struct TwoStepPage {
    csrf: String,
    enrolled: bool,
    totp_since: Option<String>,
    keys: Vec<KeyRow>,
    recovery_left: i64,
    webauthn: bool,
    notice: Option<&'static str>,
    errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "two_step_totp.html")]
struct TotpPage<'a> {
    csrf: &'a str,
    key_text: &'a str,
    uri: &'a str,
    qr_svg: &'a str,
    errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct CodesPage<'a> {
    codes: Vec<&'a str>,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

fn notice_text(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "totp_added" => "The authenticator app is set up.",
        "totp_removed" => "The authenticator app is removed.",
        "key_added" => "The security key is added.",
        "key_removed" => "The security key is removed.",
        _ => return None,
    })
}

pub(super) fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    res
}

fn back(notice: &str) -> Response {
    Redirect::to(&format!("/account/two-step?notice={notice}")).into_response()
}

async fn page_for(
    st: &AppState,
    person: &Person,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: Vec<String>,
) -> PageResult {
    let e = st.signin.my_two_step(&person.me).await?;
    let page = TwoStepPage {
        csrf: person.me.csrf().to_owned(),
        enrolled: e.is_enrolled(),
        totp_since: e.totp.map(gatehouse_core::Timestamp::to_rfc3339),
        keys: e
            .security_keys
            .iter()
            .map(|k| KeyRow {
                id: k.id.to_string(),
                name: k.name.clone(),
                kind: if k.backup_eligible {
                    "Passkey (synced)"
                } else {
                    "Security key"
                },
                added: k.created_at.to_rfc3339(),
                last_used: k
                    .last_used_at
                    .map_or_else(|| "never".into(), gatehouse_core::Timestamp::to_rfc3339),
            })
            .collect(),
        recovery_left: e.recovery_codes_left,
        webauthn: st.webauthn.is_some(),
        notice,
        errors,
    };
    Ok(no_store(render_status(status, &page)?))
}

pub async fn page(State(st): State<AppState>, person: Person, Query(q): Query<NoticeQuery>) -> PageResult {
    page_for(
        &st,
        &person,
        StatusCode::OK,
        notice_text(q.notice.as_deref()),
        Vec::new(),
    )
    .await
}

/// A refused form: the page again with what was wrong (a refused security key says so).
async fn refused(st: &AppState, person: &Person, e: CoreError) -> PageResult {
    let (status, retry, lines) = match e {
        // A sign-in too old to change its methods: sign in again, then back here.
        CoreError::Forbidden {
            code: "reauthentication_required",
            ..
        } => return Ok(Redirect::to("/login?reauth=1&next=%2Faccount%2Ftwo-step").into_response()),
        CoreError::Unauthenticated { message, .. } => (StatusCode::UNPROCESSABLE_ENTITY, None, vec![message]),
        other => form_refusal(other)?,
    };
    Ok(with_retry_after(
        page_for(st, person, status, None, lines).await?,
        retry,
    ))
}

fn codes_page(codes: &RecoveryCodes, notice: Option<&'static str>) -> PageResult {
    let page = CodesPage {
        codes: codes.iter().map(|c| c.as_str()).collect(),
        notice,
    };
    Ok(no_store(render_status(StatusCode::OK, &page)?))
}

/// The QR code of the setup URI, as SVG markup made here (no outside service sees the key).
pub(super) fn qr_svg(uri: &str) -> Result<String, CoreError> {
    let code =
        qrcode::QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M).map_err(CoreError::internal)?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

fn totp_page(csrf: &str, setup: &TotpSetup, status: StatusCode, errors: Vec<String>) -> PageResult {
    let svg = qr_svg(&setup.uri)?;
    let page = TotpPage {
        csrf,
        key_text: &setup.key_text,
        uri: &setup.uri,
        qr_svg: &svg,
        errors,
    };
    Ok(no_store(render_status(status, &page)?))
}

/// Starts an enrolment: a new key, shown with its URI and QR code, and the first-code form.
pub async fn start_totp(State(st): State<AppState>, f: PersonForm<EmptyForm>) -> PageResult {
    let p = f.person;
    match st.signin.start_totp(&p.me, &st.keys).await {
        Ok(setup) => totp_page(p.me.csrf(), &setup, StatusCode::OK, Vec::new()),
        Err(e) => refused(&st, &p, e).await,
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
}

/// Confirms the enrolment with a first code; the first method shows the recovery codes.
pub async fn confirm_totp(State(st): State<AppState>, f: PersonForm<CodeForm>) -> PageResult {
    let p = f.person;
    match st.signin.confirm_totp(&p.me, &f.form.code, &st.keys, &p.meta).await {
        Ok(Some(codes)) => codes_page(
            &codes,
            Some("The authenticator app is set up. Two-step verification is on."),
        ),
        Ok(None) => Ok(back("totp_added")),
        Err(e @ CoreError::Validation { .. }) => match st.signin.pending_totp(&p.me, &st.keys).await? {
            Some(setup) => totp_page(p.me.csrf(), &setup, StatusCode::UNPROCESSABLE_ENTITY, error_lines(&e)),
            None => refused(&st, &p, e).await,
        },
        Err(e) => refused(&st, &p, e).await,
    }
}

pub async fn remove_totp(State(st): State<AppState>, f: PersonForm<EmptyForm>) -> PageResult {
    let p = f.person;
    match st.signin.remove_totp(&p.me, &p.meta).await {
        Ok(()) => Ok(back("totp_removed")),
        Err(e) => refused(&st, &p, e).await,
    }
}

pub async fn new_codes(State(st): State<AppState>, f: PersonForm<EmptyForm>) -> PageResult {
    let p = f.person;
    match st.signin.new_recovery_codes(&p.me, &p.meta).await {
        Ok(codes) => codes_page(
            &codes,
            Some("New recovery codes are made; the earlier ones no longer work."),
        ),
        Err(e) => refused(&st, &p, e).await,
    }
}

/// The options of a registration (JSON for the page's script) and the token of its state.
pub async fn key_options(State(st): State<AppState>, f: PersonForm<EmptyForm>) -> Response {
    let account = f.person.me.account();
    if st.webauthn.is_none() {
        return json_refusal(StatusCode::NOT_FOUND, "Security keys need a host name.");
    }
    if let Err(e) = st.signin.check_fresh(&f.person.me) {
        return json_error(e);
    }
    let keys = match st.signin.security_keys_of(account.id).await {
        Ok(keys) => keys,
        Err(e) => return json_error(e),
    };
    let started = (|| {
        let exclude = keys
            .iter()
            .map(|k| rp::passkey(k).map(|p| p.cred_id().clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let (ccr, state) = st
            .relying_party()?
            .start_passkey_registration(
                rp::user_handle(account.id),
                &account.email,
                &account.display_name,
                Some(exclude),
            )
            .map_err(|e| rp::refused("registration start", &e))?;
        let options = rp::prefer_discoverable(&ccr)?;
        rp::started(&options, &state)
    })();
    ceremony_answer(&st, CeremonyPurpose::Register, account.id, started).await
}

#[derive(Deserialize)]
pub struct KeyForm {
    token: String,
    name: String,
    credential: String,
}

/// Finishes a registration: the browser's answer checked against the ceremony's state.
pub async fn add_key(State(st): State<AppState>, f: PersonForm<KeyForm>) -> PageResult {
    let p = f.person;
    let name = f.form.name.trim();
    if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
        let e = CoreError::validation("name", "must be 1 to 60 characters");
        return refused(&st, &p, e).await;
    }
    let added = async {
        let webauthn = st.relying_party()?;
        let account = p.me.account().id;
        let state = st
            .signin
            .take_ceremony(&f.form.token, CeremonyPurpose::Register, account)
            .await?
            .ok_or_else(|| rp::refused("registration", &"no such ceremony"))?;
        let cred = rp::registration(&f.form.credential)?;
        let passkey = webauthn
            .finish_passkey_registration(&cred, &rp::state_from(&state)?)
            .map_err(|e| rp::refused("registration", &e))?;
        let key = rp::new_key(account, name, &passkey)?;
        st.signin.add_security_key(&p.me, key, &p.meta).await
    };
    match added.await {
        Ok(Some(codes)) => codes_page(&codes, Some("The security key is added. Two-step verification is on.")),
        Ok(None) => Ok(back("key_added")),
        Err(e) => refused(&st, &p, e).await,
    }
}

pub async fn remove_key(State(st): State<AppState>, Path(id): Path<String>, f: PersonForm<EmptyForm>) -> PageResult {
    let p = f.person;
    let id = uuid::Uuid::try_parse(&id).map_err(|_| PageError::NotFound)?;
    match st.signin.remove_security_key(&p.me, id, &p.meta).await {
        Ok(()) => Ok(back("key_removed")),
        Err(e) => refused(&st, &p, e).await,
    }
}
