//! Domains: add, instructions with copy buttons, verify now, claim, history.

use super::common::{Chrome, Console, ConsoleForm, Empty, NoticeQuery, done, form_errors, notice_text};
use crate::state::AppState;
use crate::web::pages::{PageError, PageResult, render_status};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gatehouse_core::domain::DomainStatus;
use gatehouse_core::ids::DomainId;
use serde::Deserialize;

pub struct DomainRow {
    id: String,
    name: String,
    status: &'static str,
    missing: bool,
    claim_mode: &'static str,
    checked: String,
}

#[derive(Template)]
#[template(path = "domains.html")]
struct DomainsPage {
    c: Chrome,
    notice: Option<&'static str>,
    errors: Vec<String>,
    rows: Vec<DomainRow>,
    form_name: String,
}

async fn build(
    st: &AppState,
    console: &Console,
    errors: Vec<String>,
    form_name: String,
) -> Result<DomainsPage, PageError> {
    let rows = st
        .services
        .domains
        .list(&console.admin)
        .await?
        .into_iter()
        .map(|d| DomainRow {
            id: d.id.to_string(),
            name: d.name,
            status: d.status.as_str(),
            missing: d.failing_since.is_some(),
            claim_mode: d.claim_mode.as_str(),
            checked: d
                .last_checked_at
                .map_or_else(|| "never".into(), gatehouse_core::Timestamp::to_rfc3339),
        })
        .collect();
    Ok(DomainsPage {
        c: console.chrome("domains"),
        notice: None,
        errors,
        rows,
        form_name,
    })
}

pub async fn page(State(st): State<AppState>, console: Console, Query(q): Query<NoticeQuery>) -> PageResult {
    let mut p = build(&st, &console, Vec::new(), String::new()).await?;
    p.notice = notice_text(q.notice.as_deref());
    render_status(StatusCode::OK, &p)
}

#[derive(Deserialize)]
pub struct AddForm {
    name: String,
    claim_mode: String,
}

pub async fn add(State(st): State<AppState>, ConsoleForm { console, form }: ConsoleForm<AddForm>) -> PageResult {
    match st
        .services
        .domains
        .create(&console.admin, &form.name, Some(&form.claim_mode))
        .await
    {
        Ok(d) => done(&console.url(&format!("/domains/{}", d.id)), "domain_added"),
        Err(e) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &build(&st, &console, form_errors(e)?, form.name).await?,
        ),
    }
}

#[derive(Template)]
#[template(path = "domain.html")]
struct DomainPage {
    c: Chrome,
    notice: Option<&'static str>,
    errors: Vec<String>,
    id: String,
    name: String,
    status: &'static str,
    claim_mode: &'static str,
    verified: Option<String>,
    verify_by: String,
    missing_since: Option<String>,
    txt: String,
    url: String,
    token: String,
    checks: Vec<(String, &'static str, String, String)>,
}

fn parse_id(id: &str) -> Result<DomainId, PageError> {
    DomainId::parse(id).map_err(|_| PageError::NotFound)
}

pub async fn detail(
    State(st): State<AppState>,
    console: Console,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let d = st.services.domains.get(&console.admin, parse_id(&id)?).await?;
    let dom = d.domain;
    let page = DomainPage {
        c: console.chrome("domains"),
        notice: notice_text(q.notice.as_deref()),
        errors: Vec::new(),
        id: dom.id.to_string(),
        txt: dom.txt_record(),
        url: dom.https_url(),
        status: dom.status.as_str(),
        claim_mode: dom.claim_mode.as_str(),
        verified: dom.verified_at.map(|t| {
            format!(
                "{} by {}",
                t.to_rfc3339(),
                dom.verified_method.map_or("", |m| m.as_str())
            )
        }),
        verify_by: dom.verify_by.to_rfc3339(),
        missing_since: dom.failing_since.map(gatehouse_core::Timestamp::to_rfc3339),
        token: dom.token,
        name: dom.name,
        checks: d
            .checks
            .into_iter()
            .map(|k| (k.checked_at.to_rfc3339(), k.method.as_str(), k.outcome, k.detail))
            .collect(),
    };
    render_status(StatusCode::OK, &page)
}

pub async fn verify(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, .. }: ConsoleForm<Empty>,
) -> PageResult {
    let id = parse_id(&id)?;
    let notice = match st.services.domains.verify(&console.admin, id).await {
        Ok(v) if v.domain.status == DomainStatus::Verified => "domain_verified",
        Ok(_) => "domain_not_yet",
        Err(e) => {
            let errors = form_errors(e)?;
            let mut page = build(&st, &console, errors, String::new()).await?;
            page.notice = None;
            return render_status(StatusCode::CONFLICT, &page);
        }
    };
    done(&console.url(&format!("/domains/{id}")), notice)
}

#[derive(Deserialize)]
pub struct ModeForm {
    claim_mode: String,
}

pub async fn claim_mode(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, form }: ConsoleForm<ModeForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    st.services.domains.update(&console.admin, id, &form.claim_mode).await?;
    done(&console.url(&format!("/domains/{id}")), "domain_updated")
}

pub async fn claim(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, .. }: ConsoleForm<Empty>,
) -> PageResult {
    let id = parse_id(&id)?;
    st.services.domains.claim(&console.admin, id, None).await?;
    done(&console.url(&format!("/domains/{id}")), "accounts_claimed")
}

pub async fn remove(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, .. }: ConsoleForm<Empty>,
) -> PageResult {
    st.services.domains.delete(&console.admin, parse_id(&id)?).await?;
    done(&console.url("/domains"), "domain_removed")
}
