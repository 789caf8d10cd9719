//! Directories: connect an identity provider, rotate and revoke tokens, release held changes.

use super::common::{Chrome, Console, ConsoleForm, Empty, NoticeQuery, done, form_errors, notice_text};
use crate::state::AppState;
use crate::web::pages::{PageError, PageResult, render_status};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gatehouse_core::ids::DirectoryId;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "directories.html")]
struct DirectoriesPage {
    c: Chrome,
    notice: Option<&'static str>,
    errors: Vec<String>,
    secret: Option<(String, String)>,
    rows: Vec<(String, String, String, usize)>,
}

fn scim_url(st: &AppState, id: DirectoryId) -> String {
    format!("{}/scim/v2/{id}", st.config.public_url)
}

async fn build(
    st: &AppState,
    console: &Console,
    errors: Vec<String>,
    secret: Option<(String, String)>,
) -> Result<DirectoriesPage, PageError> {
    let mut rows = Vec::new();
    for d in st.services.directories.list(&console.admin).await? {
        let held = st.services.directories.list_held(&console.admin, d.id).await?.len();
        rows.push((d.id.to_string(), d.name, scim_url(st, d.id), held));
    }
    Ok(DirectoriesPage {
        c: console.chrome("directories"),
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
}

/// Answers with the page itself: the token is shown this once.
pub async fn create(State(st): State<AppState>, ConsoleForm { console, form }: ConsoleForm<CreateForm>) -> PageResult {
    match st.services.directories.create(&console.admin, &form.name).await {
        Ok((d, token)) => {
            let secret = Some((scim_url(&st, d.id), token.secret));
            render_status(StatusCode::CREATED, &build(&st, &console, Vec::new(), secret).await?)
        }
        Err(e) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &build(&st, &console, form_errors(e)?, None).await?,
        ),
    }
}

pub struct TokenRow {
    id: String,
    prefix: String,
    status: &'static str,
    created: String,
    until: String,
}

#[derive(Template)]
#[template(path = "directory.html")]
struct DirectoryPage {
    c: Chrome,
    notice: Option<&'static str>,
    errors: Vec<String>,
    id: String,
    name: String,
    url: String,
    limit: i64,
    secret: Option<String>,
    tokens: Vec<TokenRow>,
    held: Vec<(String, String, String)>,
}

fn parse_id(id: &str) -> Result<DirectoryId, PageError> {
    DirectoryId::parse(id).map_err(|_| PageError::NotFound)
}

async fn build_one(
    st: &AppState,
    console: &Console,
    id: DirectoryId,
    secret: Option<String>,
) -> Result<DirectoryPage, PageError> {
    let (d, tokens) = st.services.directories.get(&console.admin, id).await?;
    let now = st.services.now();
    let held = st.services.directories.list_held(&console.admin, id).await?;
    Ok(DirectoryPage {
        c: console.chrome("directories"),
        notice: None,
        errors: Vec::new(),
        id: d.id.to_string(),
        url: scim_url(st, d.id),
        name: d.name,
        limit: d.deactivation_limit_per_hour,
        secret,
        tokens: tokens
            .into_iter()
            .map(|t| TokenRow {
                status: t.status(now),
                until: t
                    .expires_at
                    .map_or_else(|| "until rotated".into(), gatehouse_core::Timestamp::to_rfc3339),
                created: t.created_at.to_rfc3339(),
                prefix: t.prefix,
                id: t.id,
            })
            .collect(),
        held: held
            .into_iter()
            .map(|h| {
                let method = crate::scim::held_summary(&h.change).0.to_owned();
                (h.created_at.to_rfc3339(), method, h.resource_id)
            })
            .collect(),
    })
}

pub async fn detail(
    State(st): State<AppState>,
    console: Console,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let mut p = build_one(&st, &console, parse_id(&id)?, None).await?;
    p.notice = notice_text(q.notice.as_deref());
    render_status(StatusCode::OK, &p)
}

#[derive(Deserialize)]
pub struct RotateForm {
    overlap_hours: String,
}

pub async fn rotate(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, form }: ConsoleForm<RotateForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    let hours: i64 = form.overlap_hours.trim().parse().unwrap_or(24);
    let issued = st
        .services
        .directories
        .rotate_token(&console.admin, id, hours.clamp(0, 720) * 3600)
        .await?;
    render_status(
        StatusCode::CREATED,
        &build_one(&st, &console, id, Some(issued.secret)).await?,
    )
}

pub async fn revoke(
    State(st): State<AppState>,
    Path((_, id, token)): Path<(String, String, String)>,
    ConsoleForm { console, .. }: ConsoleForm<Empty>,
) -> PageResult {
    let id = parse_id(&id)?;
    st.services.directories.revoke_token(&console.admin, id, &token).await?;
    done(&console.url(&format!("/directories/{id}")), "token_revoked")
}

#[derive(Deserialize)]
pub struct LimitForm {
    limit: String,
}

pub async fn limit(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, form }: ConsoleForm<LimitForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    let n: i64 = form.limit.trim().parse().unwrap_or(0);
    st.services.directories.update(&console.admin, id, n).await?;
    done(&console.url(&format!("/directories/{id}")), "limit_saved")
}

pub async fn release(
    State(st): State<AppState>,
    crate::extract::ClientMeta(meta): crate::extract::ClientMeta,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, .. }: ConsoleForm<Empty>,
) -> PageResult {
    let id = parse_id(&id)?;
    for f in crate::scim::release_held(&st, &console.admin, &meta, id).await?.1 {
        tracing::warn!(failure = %f, "a released change failed");
    }
    done(&console.url(&format!("/directories/{id}")), "held_released")
}

pub async fn discard(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, .. }: ConsoleForm<Empty>,
) -> PageResult {
    let id = parse_id(&id)?;
    st.services.directories.discard_held(&console.admin, id).await?;
    done(&console.url(&format!("/directories/{id}")), "held_discarded")
}

pub async fn remove(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, .. }: ConsoleForm<Empty>,
) -> PageResult {
    st.services.directories.delete(&console.admin, parse_id(&id)?).await?;
    done(&console.url("/directories"), "directory_removed")
}
