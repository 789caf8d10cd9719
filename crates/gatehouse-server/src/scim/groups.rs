//! SCIM /Groups: a directory's groups are org groups it owns (read-only elsewhere). Their
//! members are group memberships, so product access granted to the group reaches them.
//! Membership changes go in bulk, so one PATCH can move thousands of members.

use super::common::{
    Scim, ScimBody, ScimFail, ScimId, ScimQuery, Shown, if_match, not_modified, scim_json, unchanged_since,
};
use super::list::{Found, ListParams, ListQuery, list_json};
use super::provision::{check_changed, etag_version, expected_version, log_ignored, stored};
use crate::extract::ClientMeta;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gatehouse_core::audit::RequestMeta;
use gatehouse_core::directory::{GroupPredicate, ScimGroup};
use gatehouse_core::services::{DirectoryCaller, GroupResource, GroupWrite, MemberChange};
use gatehouse_core::types::Name;
use gatehouse_scim::schema::GROUP_SCHEMA;
use gatehouse_scim::{ResourceKind, ScimError};
use serde_json::{Value, json};

fn base(st: &AppState, caller: &DirectoryCaller) -> String {
    format!("{}/scim/v2/{}", st.config.public_url, caller.directory().id)
}

fn not_found() -> ScimFail {
    ScimFail(ScimError::new(404, "The group does not exist."))
}

/// The stored resource: no id, meta or members (members live in the membership table).
fn clean(mut r: Value) -> Result<Value, ScimError> {
    let schemas = r["schemas"].as_array().cloned().unwrap_or_default();
    if !schemas.iter().any(|s| s.as_str() == Some(GROUP_SCHEMA)) {
        return Err(ScimError::invalid_value(format!(
            "schemas must include {GROUP_SCHEMA}."
        )));
    }
    log_ignored(&gatehouse_scim::check_resource(&mut r, ResourceKind::Group)?);
    Ok(strip(r))
}

fn strip(mut r: Value) -> Value {
    if let Some(o) = r.as_object_mut() {
        o.remove("id");
        o.remove("meta");
        o.remove("members");
    }
    r
}

fn display_name(r: &Value) -> Result<Name, ScimError> {
    let n = r["displayName"]
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ScimError::invalid_value("displayName is required."))?;
    Name::parse(n, "displayName", 100)
        .map_err(|_| ScimError::invalid_value("displayName must be 1 to 100 characters without control characters."))
}

fn member_ids(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|m| m["value"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A Group resource as sent, as provisioning takes it (members apart).
fn group_resource(r: Value) -> Result<GroupResource, ScimError> {
    stored_group(clean(r)?)
}

/// A checked Group resource, ready to store.
fn stored_group(resource: Value) -> Result<GroupResource, ScimError> {
    Ok(GroupResource {
        display_name: display_name(&resource)?,
        external_id: resource["externalId"].as_str().map(str::to_owned),
        resource,
    })
}

async fn render(st: &AppState, caller: &DirectoryCaller, g: &ScimGroup, with_members: bool) -> Result<Value, ScimFail> {
    let b = base(st, caller);
    let mut r = stored(&g.resource)?;
    if let Some(o) = r.as_object_mut() {
        o.insert("id".into(), Value::String(g.id.clone()));
        o.insert(
            "meta".into(),
            json!({
                "resourceType": "Group",
                "created": g.created_at.to_rfc3339(),
                "lastModified": g.updated_at.to_rfc3339(),
                "location": format!("{b}/Groups/{}", g.id),
                "version": etag_version(g.version),
            }),
        );
        if with_members {
            let members = st.services.provisioning.list_group_members(caller, g.group_id).await?;
            let list: Vec<Value> = members
                .into_iter()
                .map(|m| json!({"value": m.user_id, "display": m.display_name, "type": "User", "$ref": format!("{b}/Users/{}", m.user_id)}))
                .collect();
            o.insert("members".into(), Value::Array(list));
        }
    }
    Ok(r)
}

fn one(g: &ScimGroup, body: &Value, status: StatusCode, location: Option<String>) -> Response {
    let mut res = scim_json(status, body);
    if let Ok(v) = HeaderValue::from_str(&etag_version(g.version)) {
        res.headers_mut().insert(header::ETAG, v);
    }
    if let Some(l) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        res.headers_mut().insert(header::LOCATION, l);
    }
    res
}

pub async fn create(
    State(st): State<AppState>,
    Scim(caller): Scim,
    ClientMeta(meta): ClientMeta,
    ScimQuery(shown): ScimQuery<Shown>,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimFail> {
    let g = create_group(&st, &caller, &meta, body).await?;
    let with_members = wants_members(shown.attributes.as_deref(), shown.excluded_attributes.as_deref());
    let body = shown.project(&render(&st, &caller, &g, with_members).await?, ResourceKind::Group)?;
    Ok(one(
        &g,
        &body,
        StatusCode::CREATED,
        Some(format!("{}/Groups/{}", base(&st, &caller), g.id)),
    ))
}

/// Provisions a group with its members, in one transaction.
pub async fn create_group(
    st: &AppState,
    caller: &DirectoryCaller,
    meta: &RequestMeta,
    body: Value,
) -> Result<ScimGroup, ScimFail> {
    let members = member_ids(&body["members"]);
    let new = group_resource(body)?;
    Ok(st
        .services
        .provisioning
        .create_group(caller, meta, &new, &members)
        .await?)
}

fn wants_members(attributes: Option<&str>, excluded: Option<&str>) -> bool {
    let has = |list: Option<&str>| {
        list.is_some_and(|l| {
            l.split(',').any(|a| {
                a.trim().eq_ignore_ascii_case("members") || a.trim().to_ascii_lowercase().starts_with("members.")
            })
        })
    };
    !has(excluded) && (attributes.is_none() || has(attributes))
}

/// RFC 7644 §3.4.1; `If-None-Match` with the current version answers 304 (RFC 7644 §3.14).
pub async fn get(
    State(st): State<AppState>,
    Scim(caller): Scim,
    ScimId(id): ScimId,
    ScimQuery(shown): ScimQuery<Shown>,
    headers: HeaderMap,
) -> Result<Response, ScimFail> {
    let g = st
        .services
        .provisioning
        .find_group(&caller, &id)
        .await?
        .ok_or_else(not_found)?;
    if unchanged_since(&headers, &etag_version(g.version)) {
        return Ok(not_modified(&etag_version(g.version)));
    }
    shown_group(&st, &caller, &g, &shown).await
}

/// The group as `shown` asks, with its members unless they are left out.
async fn shown_group(
    st: &AppState,
    caller: &DirectoryCaller,
    g: &ScimGroup,
    shown: &Shown,
) -> Result<Response, ScimFail> {
    let with_members = wants_members(shown.attributes.as_deref(), shown.excluded_attributes.as_deref());
    let body = render(st, caller, g, with_members).await?;
    Ok(one(
        g,
        &shown.project(&body, ResourceKind::Group)?,
        StatusCode::OK,
        None,
    ))
}

/// One page of groups as served (projected to the requested attributes).
pub(super) async fn find(st: &AppState, caller: &DirectoryCaller, p: &ListParams) -> Result<Found, ScimFail> {
    let predicate = match p.filter.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        None => GroupPredicate::All,
        Some(text) => {
            let typed = gatehouse_scim::validate(&gatehouse_scim::parse_filter(text)?, ResourceKind::Group)?;
            super::group_query::predicate(&typed, &base(st, caller))?
        }
    };
    let query = gatehouse_core::ports::ScimListQuery {
        predicate: &predicate,
        start: p.start,
        count: p.count,
        sort: super::group_query::sort(p.sort_by.as_deref())?,
        descending: p.descending,
    };
    let gatehouse_core::ports::ScimPage { total, items: groups } =
        st.services.provisioning.list_groups(caller, &query).await?;
    let with_members = wants_members(p.attributes.as_deref(), p.excluded.as_deref());
    let mut resources = Vec::with_capacity(groups.len());
    for g in &groups {
        let r = render(st, caller, g, with_members).await?;
        resources.push(gatehouse_scim::project(
            &r,
            ResourceKind::Group,
            p.attributes.as_deref(),
            p.excluded.as_deref(),
        )?);
    }
    Ok(Found { total, resources })
}

pub async fn list(
    State(st): State<AppState>,
    Scim(caller): Scim,
    ScimQuery(q): ScimQuery<ListQuery>,
) -> Result<Response, ScimFail> {
    let p = ListParams::try_from(q)?;
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

/// The group a PUT makes: the resource and exactly its members.
fn replaced(body: Value) -> Result<GroupWrite, ScimFail> {
    let members = MemberChange::Set(member_ids(&body["members"]));
    Ok(GroupWrite {
        group: group_resource(body)?,
        members,
    })
}

/// The group a PATCH makes of `existing` (RFC 7644 §3.5.2): member operations become a delta,
/// so a large group's members are never read.
fn patched(existing: &ScimGroup, patch: &Value) -> Result<GroupWrite, ScimFail> {
    let mut current = stored(&existing.resource)?;
    current["id"] = Value::String(existing.id.clone());
    let outcome = gatehouse_scim::apply_patch(&mut current, ResourceKind::Group, patch)?;
    log_ignored(&outcome.ignored);
    check_changed(&current, &outcome.changed, ResourceKind::Group)?;
    let m = outcome.members;
    Ok(GroupWrite {
        group: stored_group(strip(current))?,
        members: MemberChange::Delta {
            cleared: m.cleared,
            added: m.added.into_iter().collect(),
            removed: m.removed.into_iter().collect(),
        },
    })
}

/// Writes the group (PATCH when `patch` is given, else PUT with `put`) in one core
/// transaction.
pub async fn write(
    st: &AppState,
    caller: &DirectoryCaller,
    meta: &RequestMeta,
    id: &str,
    if_match: Option<&str>,
    patch: Option<Value>,
    put: Option<Value>,
) -> Result<ScimGroup, ScimFail> {
    let expected = expected_version(if_match);
    st.services
        .provisioning
        .write_group(caller, meta, id, &expected, |existing| match put {
            Some(body) => replaced(body),
            None => patched(existing, &patch.unwrap_or_default()),
        })
        .await
}

/// RFC 7644 §3.5.2: 204 No Content, so a group of 10,000 members is never echoed back; 200
/// with the full resource (members included) when the client asks for it with `attributes` or
/// `excludedAttributes`.
pub async fn patch(
    State(st): State<AppState>,
    Scim(caller): Scim,
    ClientMeta(meta): ClientMeta,
    ScimId(id): ScimId,
    ScimQuery(shown): ScimQuery<Shown>,
    headers: HeaderMap,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimFail> {
    let g = write(&st, &caller, &meta, &id, if_match(&headers), Some(body), None).await?;
    if shown.is_default() {
        let mut res = StatusCode::NO_CONTENT.into_response();
        if let Ok(v) = HeaderValue::from_str(&etag_version(g.version)) {
            res.headers_mut().insert(header::ETAG, v);
        }
        return Ok(res);
    }
    shown_group(&st, &caller, &g, &shown).await
}

pub async fn replace(
    State(st): State<AppState>,
    Scim(caller): Scim,
    ClientMeta(meta): ClientMeta,
    ScimId(id): ScimId,
    ScimQuery(shown): ScimQuery<Shown>,
    headers: HeaderMap,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimFail> {
    let g = write(&st, &caller, &meta, &id, if_match(&headers), None, Some(body)).await?;
    shown_group(&st, &caller, &g, &shown).await
}

pub async fn delete(
    State(st): State<AppState>,
    Scim(caller): Scim,
    ClientMeta(meta): ClientMeta,
    ScimId(id): ScimId,
) -> Result<StatusCode, ScimFail> {
    delete_group(&st, &caller, &meta, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes the directory's group (memberships and access go with it).
pub async fn delete_group(
    st: &AppState,
    caller: &DirectoryCaller,
    meta: &RequestMeta,
    id: &str,
) -> Result<(), ScimFail> {
    Ok(st.services.provisioning.delete_group(caller, meta, id).await?)
}
