//! SCIM endpoints: discovery documents and /Users.

use super::common::{MAX_SCIM_BODY, Scim, ScimBody, ScimFail, if_match, scim_json};
use super::list::{Found, ListParams, ListQuery, MAX_COUNT, list_json};
use super::provision::{self, ReplaceWith, etag, render};
use crate::extract::ClientMeta;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use gatehouse_core::directory::{Directory, ScimUser, UserPredicate};
use gatehouse_core::services::{DirectoryCaller, Valve, Written};
use gatehouse_scim::{ResourceKind, ScimError};
use serde::Deserialize;

fn base(st: &AppState, dir: &Directory) -> String {
    format!("{}/scim/v2/{}", st.config.public_url, dir.id)
}

pub async fn service_provider_config(State(st): State<AppState>, Scim(caller): Scim) -> Response {
    let opts = gatehouse_scim::schema::ServiceProviderOptions {
        documentation_uri: None,
        bulk_supported: true,
        bulk_max_operations: super::bulk::MAX_OPERATIONS as u32,
        bulk_max_payload_size: MAX_SCIM_BODY as u64,
        filter_max_results: MAX_COUNT as u32,
    };
    let doc = gatehouse_scim::schema::service_provider_config_json(&base(&st, caller.directory()), &opts);
    scim_json(StatusCode::OK, &doc)
}

pub async fn schemas(State(st): State<AppState>, Scim(caller): Scim) -> Response {
    scim_json(
        StatusCode::OK,
        &gatehouse_scim::schema::schemas_json_with_base(&base(&st, caller.directory())),
    )
}

pub async fn resource_types(State(st): State<AppState>, Scim(caller): Scim) -> Response {
    scim_json(
        StatusCode::OK,
        &gatehouse_scim::schema::resource_types_json(&base(&st, caller.directory())),
    )
}

struct Listing {
    total: i64,
    users: Vec<ScimUser>,
}

/// One page of the directory's users matching the filter, in `sortBy` order: all in SQL.
async fn find_users(
    st: &AppState,
    caller: &DirectoryCaller,
    filter: Option<&str>,
    start: i64,
    count: i64,
    sort: (Option<&str>, bool),
) -> Result<Listing, ScimFail> {
    let predicate = match filter.map(str::trim).filter(|f| !f.is_empty()) {
        Some(text) => {
            let typed = gatehouse_scim::validate(&gatehouse_scim::parse_filter(text)?, ResourceKind::User)?;
            super::query::predicate(&typed, &base(st, caller.directory()))
        }
        None => UserPredicate::All,
    };
    let query = gatehouse_core::ports::ScimListQuery {
        predicate: &predicate,
        start,
        count,
        sort: super::query::sort(sort.0)?,
        descending: sort.1,
    };
    let gatehouse_core::ports::ScimPage { total, items: users } =
        st.services.provisioning.list_users(caller, &query).await?;
    Ok(Listing { total, users })
}

/// One page of users as served (projected to the requested attributes).
pub(super) async fn find(st: &AppState, caller: &DirectoryCaller, p: &ListParams) -> Result<Found, ScimFail> {
    let l = find_users(
        st,
        caller,
        p.filter.as_deref(),
        p.start,
        p.count,
        (p.sort_by.as_deref(), p.descending),
    )
    .await?;
    let b = base(st, caller.directory());
    let resources = l
        .users
        .iter()
        .map(|u| {
            Ok(gatehouse_scim::project(
                &render(u, &b)?,
                ResourceKind::User,
                p.attributes.as_deref(),
                p.excluded.as_deref(),
            )?)
        })
        .collect::<Result<Vec<_>, ScimFail>>()?;
    Ok(Found {
        total: l.total,
        resources,
    })
}

pub async fn list(
    State(st): State<AppState>,
    Scim(caller): Scim,
    Query(q): Query<ListQuery>,
) -> Result<Response, ScimFail> {
    let p = ListParams::from(q);
    Ok(list_json(p.start, &find(&st, &caller, &p).await?))
}

pub async fn search(
    State(st): State<AppState>,
    Scim(caller): Scim,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimFail> {
    let p = ListParams::from_body(&body)?;
    Ok(list_json(p.start, &find(&st, &caller, &p).await?))
}

fn one(st: &AppState, caller: &DirectoryCaller, u: &ScimUser, status: StatusCode) -> Result<Response, ScimFail> {
    let b = base(st, caller.directory());
    let mut res = scim_json(status, &render(u, &b)?);
    if let Ok(v) = HeaderValue::from_str(&etag(u)) {
        res.headers_mut().insert(header::ETAG, v);
    }
    if status == StatusCode::CREATED
        && let Ok(v) = HeaderValue::from_str(&format!("{b}/Users/{}", u.id))
    {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

fn not_found() -> ScimFail {
    ScimFail(ScimError::new(404, "The user does not exist."))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GetQuery {
    attributes: Option<String>,
    excluded_attributes: Option<String>,
}

pub async fn get(
    State(st): State<AppState>,
    Scim(caller): Scim,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<GetQuery>,
) -> Result<Response, ScimFail> {
    let u = st
        .services
        .provisioning
        .find_user(&caller, &id)
        .await?
        .ok_or_else(not_found)?;
    if q.attributes.is_none() && q.excluded_attributes.is_none() {
        return one(&st, &caller, &u, StatusCode::OK);
    }
    let projected = gatehouse_scim::project(
        &render(&u, &base(&st, caller.directory()))?,
        ResourceKind::User,
        q.attributes.as_deref(),
        q.excluded_attributes.as_deref(),
    )?;
    Ok(scim_json(StatusCode::OK, &projected))
}

pub async fn create(
    State(st): State<AppState>,
    Scim(caller): Scim,
    ClientMeta(meta): ClientMeta,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimFail> {
    let u = provision::create(&st, &caller, &meta, body).await?;
    one(&st, &caller, &u, StatusCode::CREATED)
}

pub async fn replace(
    State(st): State<AppState>,
    Scim(caller): Scim,
    ClientMeta(meta): ClientMeta,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimFail> {
    let w = provision::replace(
        &st,
        &caller,
        &meta,
        &id,
        if_match(&headers),
        ReplaceWith::Resource(body),
        Valve::Enforce,
    )
    .await?;
    written(&st, &caller, &w)
}

/// 200 with the resource; 202 with the unchanged resource when the safety valve held the
/// change for an admin to release.
fn written(st: &AppState, caller: &DirectoryCaller, w: &Written) -> Result<Response, ScimFail> {
    match w {
        Written::Applied(u) => one(st, caller, u, StatusCode::OK),
        Written::Held(u) => one(st, caller, u, StatusCode::ACCEPTED),
    }
}

/// RFC 7644 §3.5.2: PATCH answers 200 with the resource.
pub async fn patch(
    State(st): State<AppState>,
    Scim(caller): Scim,
    ClientMeta(meta): ClientMeta,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimFail> {
    let w = provision::replace(
        &st,
        &caller,
        &meta,
        &id,
        if_match(&headers),
        ReplaceWith::Patch(body),
        Valve::Enforce,
    )
    .await?;
    written(&st, &caller, &w)
}

pub async fn delete(
    State(st): State<AppState>,
    Scim(caller): Scim,
    ClientMeta(meta): ClientMeta,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<StatusCode, ScimFail> {
    let applied = provision::delete(&st, &caller, &meta, &id, if_match(&headers), Valve::Enforce).await?;
    Ok(if applied {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::ACCEPTED
    })
}
