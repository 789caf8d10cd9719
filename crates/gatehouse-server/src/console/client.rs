//! One product client: its registration (editable), its working secrets by prefix, rotating
//! the secret with an overlap, and deleting the client. A new secret is shown once, on the
//! page that answers the change that made it.

use super::client_form::{ClientForm, FormView, instances};
use super::common::{Chrome, Console, ConsoleForm, NoticeQuery, done, form_errors, notice_text};
use crate::state::AppState;
use crate::web::pages::{PageError, PageResult, render_status};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gatehouse_core::Timestamp;
use gatehouse_core::ids::ClientId;
use gatehouse_core::services::IssuedClient;
use serde::Deserialize;

/// A working secret, by its first characters.
pub struct SecretRow {
    prefix: String,
    created: String,
    /// "Until revoked", or when an overlapping rotation stops it.
    until: String,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "client.html")]
pub struct DetailPage {
    c: Chrome,
    notice: Option<&'static str>,
    errors: Vec<String>,
    id: String,
    name: String,
    public: bool,
    created: String,
    updated: String,
    /// The new secret, shown this once.
    secret: Option<String>,
    secrets: Vec<SecretRow>,
    f: FormView,
}

/// The page of `issued`; the form shows `form` (what was entered) or the registration today.
pub async fn build_detail(
    st: &AppState,
    console: &Console,
    issued: IssuedClient,
    errors: Vec<String>,
    form: Option<&ClientForm>,
) -> Result<DetailPage, PageError> {
    let instances = instances(st, console).await?;
    let c = issued.client;
    let view = match form {
        Some(f) => FormView::new(f, &instances),
        None => FormView::new(&ClientForm::of(&c), &instances),
    };
    Ok(DetailPage {
        c: console.chrome("clients"),
        notice: None,
        errors,
        id: c.id.to_string(),
        name: c.name,
        public: c.public,
        created: c.created_at.to_rfc3339(),
        updated: c.updated_at.to_rfc3339(),
        secret: issued.secret,
        secrets: issued
            .secrets
            .into_iter()
            .map(|s| SecretRow {
                prefix: s.prefix,
                created: s.created_at.to_rfc3339(),
                status: if s.expires_at.is_some() { "expiring" } else { "active" },
                until: s
                    .expires_at
                    .map_or_else(|| "Until rotated".to_owned(), Timestamp::to_rfc3339),
            })
            .collect(),
        f: view,
    })
}

fn parse_id(id: &str) -> Result<ClientId, PageError> {
    ClientId::parse(id).map_err(|_| PageError::NotFound)
}

pub async fn detail(
    State(st): State<AppState>,
    console: Console,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let issued = st.services.clients.get(&console.admin, parse_id(&id)?).await?;
    let mut p = build_detail(&st, &console, issued, Vec::new(), None).await?;
    p.notice = notice_text(q.notice.as_deref());
    render_status(StatusCode::OK, &p)
}

/// Saves the whole registration. A client made confidential gets its first secret, shown on
/// the page that answers; otherwise back to the page with a notice.
pub async fn update(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, form }: ConsoleForm<ClientForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    let input = form.input();
    match st
        .services
        .clients
        .update(&console.admin, id, |spec| spec.apply(input))
        .await
    {
        Ok(issued) if issued.secret.is_some() => render_status(
            StatusCode::OK,
            &build_detail(&st, &console, issued, Vec::new(), None).await?,
        ),
        Ok(_) => done(&console.url(&format!("/clients/{id}")), "client_updated"),
        Err(e) => {
            let errors = form_errors(e)?;
            let issued = st.services.clients.get(&console.admin, id).await?;
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &build_detail(&st, &console, issued, errors, Some(&form)).await?,
            )
        }
    }
}

#[derive(Deserialize)]
pub struct RotateForm {
    /// 0, 3600, 86400 or 604800 in the page's select; the service bounds any value.
    overlap_seconds: String,
}

/// A new secret, shown on the page that answers; the older ones work for the overlap chosen.
pub async fn rotate(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, form }: ConsoleForm<RotateForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    let overlap = Some(form.overlap_seconds.trim().parse::<i64>().unwrap_or(-1));
    match st.services.clients.rotate_secret(&console.admin, id, overlap).await {
        Ok(issued) => render_status(
            StatusCode::CREATED,
            &build_detail(&st, &console, issued, Vec::new(), None).await?,
        ),
        Err(e) => {
            let errors = form_errors(e)?;
            let issued = st.services.clients.get(&console.admin, id).await?;
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &build_detail(&st, &console, issued, errors, None).await?,
            )
        }
    }
}

#[derive(Deserialize)]
pub struct DeleteForm {
    /// The confirmation box; without it nothing is deleted.
    confirm: Option<String>,
}

/// Deletes the client once the admin ticked the confirmation: its secrets and every product
/// session it holds end with it.
pub async fn delete(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, form }: ConsoleForm<DeleteForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    if form.confirm.is_none() {
        let issued = st.services.clients.get(&console.admin, id).await?;
        let errors = vec!["Tick the box to confirm that the client and its sessions should be deleted.".to_owned()];
        return render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &build_detail(&st, &console, issued, errors, None).await?,
        );
    }
    st.services.clients.delete(&console.admin, id).await?;
    done(&console.url("/clients"), "client_deleted")
}
