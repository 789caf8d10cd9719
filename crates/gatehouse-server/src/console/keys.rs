//! Org API keys: create (the secret is shown once) and revoke.

use super::common::{Chrome, Console, ConsoleForm, Empty, NoticeQuery, done, form_errors, notice_text};
use crate::state::AppState;
use crate::web::pages::{PageError, PageResult, render_status};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gatehouse_core::ids::ApiKeyId;
use gatehouse_core::page::PageRequest;
use gatehouse_core::services::NewApiKey;
use serde::Deserialize;

pub struct KeyRow {
    id: String,
    name: String,
    prefix: String,
    status: &'static str,
    expires: String,
}

#[derive(Template)]
#[template(path = "api_keys.html")]
struct KeysPage {
    c: Chrome,
    notice: Option<&'static str>,
    errors: Vec<String>,
    secret: Option<String>,
    rows: Vec<KeyRow>,
}

async fn build(
    st: &AppState,
    console: &Console,
    errors: Vec<String>,
    secret: Option<String>,
) -> Result<KeysPage, PageError> {
    let now = st.services.now();
    let keys = st
        .services
        .api_keys
        .list(&console.admin, &PageRequest::first(200))
        .await?
        .items;
    let rows = keys
        .into_iter()
        .map(|k| KeyRow {
            id: k.id.to_string(),
            status: k.status(now),
            name: k.name,
            prefix: k.prefix,
            expires: k.expires_at.to_rfc3339(),
        })
        .collect();
    Ok(KeysPage {
        c: console.chrome("keys"),
        notice: None,
        errors,
        secret,
        rows,
    })
}

pub async fn page(State(st): State<AppState>, console: Console, Query(q): Query<NoticeQuery>) -> PageResult {
    let mut p = build(&st, &console, Vec::new(), None).await?;
    p.notice = notice_text(q.notice.as_deref());
    render_status(StatusCode::OK, &p)
}

#[derive(Deserialize)]
pub struct CreateForm {
    name: String,
    expires_in_days: String,
}

/// Answers with the page itself (not a redirect): the secret must appear exactly once.
pub async fn create(State(st): State<AppState>, ConsoleForm { console, form }: ConsoleForm<CreateForm>) -> PageResult {
    let days = form.expires_in_days.trim().parse::<i64>().ok();
    let result = match NewApiKey::parse(&form.name, days.or(Some(0))) {
        Ok(spec) => st.services.api_keys.create(&console.admin, spec).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(created) => render_status(
            StatusCode::CREATED,
            &build(&st, &console, Vec::new(), Some(created.secret)).await?,
        ),
        Err(e) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &build(&st, &console, form_errors(e)?, None).await?,
        ),
    }
}

pub async fn revoke(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, .. }: ConsoleForm<Empty>,
) -> PageResult {
    let id = ApiKeyId::parse(&id).map_err(|_| PageError::NotFound)?;
    st.services.api_keys.revoke(&console.admin, id).await?;
    done(&console.url("/api-keys"), "key_revoked")
}
