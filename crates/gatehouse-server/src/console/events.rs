//! The audit log: filters, a detail page with the event's JSON, and exports.

use super::common::{Chrome, Console, form_errors, given};
use crate::export::{ExportFormat, export_stream};
use crate::state::AppState;
use crate::web::pages::{PageError, PageResult, render_status, urlencode};
use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use gatehouse_core::Timestamp;
use gatehouse_core::audit::{AuditAction, AuditEvent, AuditFilter};
use gatehouse_core::ids::EventId;
use gatehouse_core::page::PageRequest;
use serde::Deserialize;

pub struct EventRow {
    pub(crate) id: String,
    pub(crate) time: String,
    pub(crate) time_short: String,
    pub(crate) action: String,
    pub(crate) actor: String,
    pub(crate) targets: String,
    pub(crate) ip: String,
}

pub fn rows_of(events: Vec<AuditEvent>) -> Vec<EventRow> {
    events
        .into_iter()
        .map(|e| {
            let time = e.occurred_at.to_rfc3339();
            EventRow {
                id: e.id.to_string(),
                time_short: time.get(..19).unwrap_or(&time).replace('T', " "),
                time,
                action: e.action,
                actor: e.actor.label,
                targets: e
                    .targets
                    .iter()
                    .map(|t| t.label.clone().unwrap_or_else(|| t.id.clone()))
                    .collect::<Vec<_>>()
                    .join(", "),
                ip: e.ip.unwrap_or_default(),
            }
        })
        .collect()
}

/// The filter form as typed; `since`/`until` are `datetime-local` values, read as UTC.
#[derive(Deserialize, Default)]
pub struct EventsQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
    cursor: Option<String>,
    format: Option<String>,
}

fn local_time(s: &str, field: &str) -> gatehouse_core::Result<Option<Timestamp>> {
    let Some(s) = given(s) else { return Ok(None) };
    let full = if s.len() == 16 {
        format!("{s}:00Z")
    } else {
        format!("{s}Z")
    };
    Timestamp::parse_rfc3339(&full, field).map(Some)
}

impl EventsQuery {
    fn filter(&self) -> gatehouse_core::Result<AuditFilter> {
        let f = AuditFilter {
            since: local_time(&self.since, "From")?,
            until: local_time(&self.until, "To")?,
            actor_id: given(&self.actor).map(str::to_owned),
            actions: given(&self.action).map(|a| vec![a.to_owned()]).unwrap_or_default(),
            text: given(&self.q).map(str::to_owned),
            ..Default::default()
        };
        f.validate()?;
        Ok(f)
    }

    /// The filters as a query string, for paging and export links.
    fn query_string(&self) -> String {
        [
            ("q", &self.q),
            ("action", &self.action),
            ("actor", &self.actor),
            ("since", &self.since),
            ("until", &self.until),
        ]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
    }
}

pub struct FilterValues {
    q: String,
    actor: String,
    since: String,
    until: String,
}

#[derive(Template)]
#[template(path = "events.html")]
struct EventsPage {
    c: Chrome,
    notice: Option<&'static str>,
    errors: Vec<String>,
    f: FilterValues,
    actions: Vec<(&'static str, bool)>,
    events: Vec<EventRow>,
    next: Option<String>,
    /// When the search stopped short of a full page: how far back it reached.
    searched_until: Option<String>,
    query: String,
}

pub async fn page(State(st): State<AppState>, console: Console, Query(q): Query<EventsQuery>) -> PageResult {
    let (events, next, searched_until, errors) = match q.filter() {
        Ok(filter) => {
            let page = PageRequest::parse(q.cursor.as_deref(), Some(50)).unwrap_or_else(|_| PageRequest::first(50));
            let p = st.services.audit.list(&console.admin, &filter, &page).await?;
            let until = p.searched_until.map(|t| t.to_rfc3339().replace('T', " "));
            let next = p.next_cursor();
            (rows_of(p.items), next, until, Vec::new())
        }
        Err(e) => (Vec::new(), None, None, form_errors(e)?),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = EventsPage {
        c: console.chrome("events"),
        notice: None,
        errors,
        query: q.query_string(),
        actions: AuditAction::ALL
            .iter()
            .map(|a| (a.name(), a.name() == q.action))
            .collect(),
        f: FilterValues {
            q: q.q,
            actor: q.actor,
            since: q.since,
            until: q.until,
        },
        events,
        next,
        searched_until,
    };
    render_status(status, &page)
}

#[derive(Template)]
#[template(path = "event.html")]
struct EventPage {
    c: Chrome,
    notice: Option<&'static str>,
    errors: Vec<String>,
    action: String,
    time: String,
    actor: String,
    ip: String,
    json: String,
}

pub async fn detail(State(st): State<AppState>, console: Console, Path((_, id)): Path<(String, String)>) -> PageResult {
    let id = EventId::parse(&id).map_err(|_| PageError::NotFound)?;
    let e = st.services.audit.get(&console.admin, id).await?;
    let json = serde_json::to_string_pretty(&e).unwrap_or_default();
    render_status(
        StatusCode::OK,
        &EventPage {
            c: console.chrome("events"),
            notice: None,
            errors: Vec::new(),
            action: e.action.clone(),
            time: e.occurred_at.to_rfc3339(),
            actor: format!("{} ({})", e.actor.label, e.actor.kind.as_str()),
            ip: e.ip.clone().unwrap_or_default(),
            json,
        },
    )
}

pub async fn export(State(st): State<AppState>, console: Console, Query(q): Query<EventsQuery>) -> PageResult {
    let filter = q.filter()?;
    let format = if q.format.as_deref() == Some("jsonl") {
        ExportFormat::JsonLines
    } else {
        ExportFormat::Csv
    };
    let stream = export_stream(st.services.clone(), console.admin, filter, format).await?;
    let name = format!("audit-events.{}", format.extension());
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}
