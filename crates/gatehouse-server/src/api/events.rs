use super::common::path_id;
use crate::error::{ApiError, ApiResult, Problem};
use crate::export::{ExportFormat, export_stream};
use crate::extract::{Admin, ApiQuery};
use crate::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use gatehouse_core::Timestamp;
use gatehouse_core::audit::{ActorKind, AuditAction, AuditEvent, AuditFilter, EventPage};
use gatehouse_core::error::Validator;
use gatehouse_core::ids::EventId;
use gatehouse_core::page::PageRequest;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct ActorResponse {
    /// account, api_key, directory or system.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Option<String>,
    pub label: String,
}

#[derive(Serialize, ToSchema)]
pub struct TargetResponse {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub label: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ChangesResponse {
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

#[derive(Serialize, ToSchema)]
pub struct EventResponse {
    pub id: String,
    pub occurred_at: String,
    /// A stable dotted name; see event-actions.
    pub action: String,
    pub actor: ActorResponse,
    pub targets: Vec<TargetResponse>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub changes: ChangesResponse,
}

impl From<AuditEvent> for EventResponse {
    fn from(e: AuditEvent) -> Self {
        Self {
            id: e.id.to_string(),
            occurred_at: e.occurred_at.to_rfc3339(),
            action: e.action,
            actor: ActorResponse {
                kind: e.actor.kind.as_str().into(),
                id: e.actor.id,
                label: e.actor.label,
            },
            targets: e
                .targets
                .into_iter()
                .map(|t| TargetResponse {
                    kind: t.kind,
                    id: t.id,
                    label: t.label,
                })
                .collect(),
            ip: e.ip,
            user_agent: e.user_agent,
            changes: ChangesResponse {
                before: e.changes.before,
                after: e.changes.after,
            },
        }
    }
}

/// A page of events, newest first.
#[derive(Serialize, ToSchema)]
pub struct EventList {
    pub items: Vec<EventResponse>,
    /// Pass as `cursor` to get the next page; absent when nothing older matches.
    pub next_cursor: Option<String>,
    /// Present only when the request's scan budget ran out before the page was full: the page
    /// holds every match from the newest event back to this time (RFC 3339), possibly none,
    /// and `next_cursor` continues the search from there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub searched_until: Option<String>,
}

impl EventList {
    pub fn from_page(p: EventPage<AuditEvent>) -> Self {
        Self {
            next_cursor: p.next_cursor(),
            searched_until: p.searched_until.map(Timestamp::to_rfc3339),
            items: p.items.into_iter().map(EventResponse::from).collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ActionResponse {
    pub action: String,
    pub description: String,
    /// What part of the product the action belongs to (`accounts`, `sign_in`, `domains`, ...).
    pub category: String,
    /// `low`, `medium` or `high`: `high` is what a security team alerts on.
    pub severity: String,
}

#[derive(Serialize, ToSchema)]
pub struct ActionList {
    pub items: Vec<ActionResponse>,
}

/// Filters shared by the event list and the export.
#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    /// Events at or after this RFC 3339 time.
    pub since: Option<String>,
    /// Events at or before this RFC 3339 time.
    pub until: Option<String>,
    /// account, api_key, directory or system.
    pub actor_type: Option<String>,
    /// The acting account's or key's id.
    pub actor: Option<String>,
    /// One or more action names, comma-separated.
    pub action: Option<String>,
    /// The id of something the event acted on.
    pub target: Option<String>,
    pub ip: Option<String>,
    /// Free text, matched case-insensitively against the action, the actor and target names and the IP (ids: use `actor` and `target`).
    pub q: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
    /// For export: csv (default) or jsonl.
    pub format: Option<String>,
}

impl EventQuery {
    pub fn filter(&self) -> gatehouse_core::Result<AuditFilter> {
        let mut v = Validator::default();
        let nonempty = |o: &Option<String>| o.clone().filter(|s| !s.trim().is_empty());
        let f = AuditFilter {
            since: self
                .since
                .as_deref()
                .and_then(|s| v.check(Timestamp::parse_rfc3339(s, "since"))),
            until: self
                .until
                .as_deref()
                .and_then(|s| v.check(Timestamp::parse_rfc3339(s, "until"))),
            actor_type: self.actor_type.as_deref().and_then(|s| v.check(ActorKind::parse(s))),
            actor_id: nonempty(&self.actor),
            actions: self
                .action
                .as_deref()
                .map(|a| {
                    a.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            target_id: nonempty(&self.target),
            ip: nonempty(&self.ip),
            text: nonempty(&self.q),
        };
        v.check(f.validate());
        v.finish()?;
        Ok(f)
    }
}

/// Events newest first. Every request does a bounded amount of work: when the filters must be
/// checked event by event (two or more filters, or free text) and a page is not full after
/// a few thousand events, the answer holds what was found with `searched_until` and a
/// `next_cursor` that continues the search. Free text matches any part of three or more
/// characters of the action, the actor's and targets' names and emails, and the IP.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/events", tag = "audit log", security(("api_key" = [])),
    params(("org_id" = String, Path), EventQuery), responses((status = 200, body = EventList), (status = 422, body = Problem)))]
pub async fn list(
    State(st): State<AppState>,
    Admin(admin): Admin,
    ApiQuery(q): ApiQuery<EventQuery>,
) -> ApiResult<Json<EventList>> {
    let filter = q.filter()?;
    let page = PageRequest::parse(q.cursor.as_deref(), q.limit)?;
    let p = st.services.audit.list(&admin, &filter, &page).await?;
    Ok(Json(EventList::from_page(p)))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/events/{id}", tag = "audit log", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), responses((status = 200, body = EventResponse), (status = 404, body = Problem)))]
pub async fn get(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<EventResponse>> {
    let id = path_id(&id, "event", EventId::parse)?;
    Ok(Json(st.services.audit.get(&admin, id).await?.into()))
}

/// Every action name the audit log uses, with its meaning.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/event-actions", tag = "audit log", security(("api_key" = [])),
    params(("org_id" = String, Path)), responses((status = 200, body = ActionList)))]
pub async fn actions(Admin(_admin): Admin) -> Json<ActionList> {
    let items = AuditAction::ALL
        .iter()
        .map(|a| ActionResponse {
            action: a.name().into(),
            description: a.description().into(),
            category: a.category().as_str().into(),
            severity: a.severity().as_str().into(),
        })
        .collect();
    Json(ActionList { items })
}

/// Streams every matching event, newest first, as CSV (cells that a spreadsheet would run as a
/// formula are prefixed with an apostrophe) or JSON lines.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/events/export", tag = "audit log", security(("api_key" = [])),
    params(("org_id" = String, Path), EventQuery),
    responses((status = 200, content_type = "text/csv", description = "CSV or JSON lines (application/x-ndjson)"), (status = 422, body = Problem)))]
pub async fn export(
    State(st): State<AppState>,
    Admin(admin): Admin,
    ApiQuery(q): ApiQuery<EventQuery>,
) -> ApiResult<Response> {
    let filter = q.filter()?;
    let format = match q.format.as_deref().unwrap_or("csv") {
        "csv" => ExportFormat::Csv,
        "jsonl" => ExportFormat::JsonLines,
        _ => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_input",
                "format must be csv or jsonl",
            )
            .with_field("format", "must be csv or jsonl"));
        }
    };
    let stream = export_stream(st.services.clone(), admin, filter, format).await?;
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
