//! SCIM /Groups: a directory's groups are org groups it owns (read-only elsewhere). Their
//! members are group memberships, so product access granted to the group reaches them.
//! Membership changes go in bulk, so one PATCH can move thousands of members.

use super::provision::etag_version;
use super::search::{Found, ListParams, ListQuery, list_json};
use super::{Scim, ScimBody, ScimFail, scim_json};
use crate::extract::ClientMeta;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use gatehouse_core::audit::AuditAction;
use gatehouse_core::audit::{AuditEvent, RequestMeta};
use gatehouse_core::directory::{GroupPredicate, ScimGroup};
use gatehouse_core::ids::{AccountId, GroupId};
use gatehouse_core::model::Group;
use gatehouse_core::ports::prelude::*;
use gatehouse_core::services::DirectoryCaller;
use gatehouse_scim::schema::GROUP_SCHEMA;
use gatehouse_scim::{ResourceKind, ScimError};
use gatehouse_store::SqlTx;
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
    if let Some(o) = r.as_object_mut() {
        o.remove("id");
        o.remove("meta");
        o.remove("members");
    }
    Ok(r)
}

fn display_name(r: &Value) -> Result<String, ScimError> {
    let n = r["displayName"]
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ScimError::invalid_value("displayName is required."))?;
    gatehouse_core::types::Name::parse(n, "displayName", 100)
        .map(|n| n.to_string())
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

async fn accounts_for(tx: &mut SqlTx, caller: &DirectoryCaller, ids: &[String]) -> Result<Vec<AccountId>, ScimFail> {
    let found = tx.find_scim_user_accounts(caller.directory().id, ids).await?;
    if found.len() < ids.iter().collect::<std::collections::BTreeSet<_>>().len() {
        return Err(ScimFail(ScimError::invalid_value(
            "members name users this directory has not provisioned.",
        )));
    }
    Ok(found.into_iter().map(|f| f.account).collect())
}

async fn render(st: &AppState, caller: &DirectoryCaller, g: &ScimGroup, with_members: bool) -> Result<Value, ScimFail> {
    let b = base(st, caller);
    let mut r: Value = serde_json::from_str(&g.resource).unwrap_or_else(|_| json!({}));
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
            let members = st
                .services
                .store
                .reader()
                .await?
                .list_scim_group_members(caller.directory().id, g.group_id)
                .await?;
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
    ScimBody(body): ScimBody,
) -> Result<Response, ScimFail> {
    let g = create_group(&st, &caller, &meta, body).await?;
    let body = render(&st, &caller, &g, true).await?;
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
    let resource = clean(body)?;
    let name = display_name(&resource)?;
    let dir = caller.directory();
    let now = st.services.now();
    let group = Group {
        id: GroupId::new(),
        org_id: dir.org_id,
        name: name.clone(),
        description: String::new(),
        created_at: now,
        member_count: 0,
        directory_id: Some(dir.id),
    };
    let mut tx = st.services.store.begin().await?;
    if !tx.insert_group(&group).await? {
        return Err(ScimFail(ScimError::uniqueness(
            "The organization already has a group with this name.",
        )));
    }
    let accounts = accounts_for(&mut tx, caller, &members).await?;
    tx.add_group_members(dir.org_id, group.id, &accounts, now).await?;
    let g = ScimGroup {
        id: uuid::Uuid::now_v7().to_string(),
        directory_id: dir.id,
        group_id: group.id,
        display_name: name,
        external_id: resource["externalId"].as_str().map(str::to_owned),
        resource: resource.to_string(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    tx.insert_scim_group(&g).await.map_err(|_| {
        ScimFail(ScimError::uniqueness(
            "A group with this displayName or externalId already exists in this directory.",
        ))
    })?;
    let ev = AuditEvent::new(dir.org_id, &caller.actor(), meta, AuditAction::ScimGroupCreated, now)
        .target("group", group.id, Some(&group.name))
        .after(&json!({"display_name": g.display_name, "members": accounts.len()}));
    tx.insert_event(&ev).await?;
    tx.commit().await?;
    Ok(g)
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

pub async fn get(
    State(st): State<AppState>,
    Scim(caller): Scim,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<ListQuery>,
) -> Result<Response, ScimFail> {
    let g = st
        .services
        .store
        .reader()
        .await?
        .find_scim_group(caller.directory().id, &id)
        .await?
        .ok_or_else(not_found)?;
    let body = render(
        &st,
        &caller,
        &g,
        wants_members(q.attributes.as_deref(), q.excluded_attributes.as_deref()),
    )
    .await?;
    let body = gatehouse_scim::project(
        &body,
        ResourceKind::Group,
        q.attributes.as_deref(),
        q.excluded_attributes.as_deref(),
    )?;
    Ok(one(&g, &body, StatusCode::OK, None))
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
    let gatehouse_core::ports::ScimPage { total, items: groups } = st
        .services
        .store
        .reader()
        .await?
        .list_scim_groups(caller.directory().id, &query)
        .await?;
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

/// How a write changes the group's members.
enum MemberWrite {
    Set(Vec<String>),
    Delta {
        cleared: bool,
        added: Vec<String>,
        removed: Vec<String>,
    },
}

pub async fn write(
    st: &AppState,
    caller: &DirectoryCaller,
    meta: &RequestMeta,
    id: &str,
    if_match: Option<&str>,
    patch: Option<Value>,
    put: Option<Value>,
) -> Result<ScimGroup, ScimFail> {
    let dir = caller.directory();
    let now = st.services.now();
    let mut tx = st.services.store.begin().await?;
    let existing = tx.find_scim_group(dir.id, id).await?.ok_or_else(not_found)?;
    super::provision::check_version(existing.version, if_match, "group")?;
    let (resource, members) = if let Some(body) = put {
        let members = MemberWrite::Set(member_ids(&body["members"]));
        (clean(body)?, members)
    } else {
        let mut current: Value = serde_json::from_str(&existing.resource).unwrap_or_else(|_| json!({}));
        current["id"] = Value::String(existing.id.clone());
        let outcome = gatehouse_scim::apply_patch(&mut current, ResourceKind::Group, &patch.unwrap_or_default())?;
        let m = outcome.members;
        (
            clean(current)?,
            MemberWrite::Delta {
                cleared: m.cleared,
                added: m.added.into_iter().collect(),
                removed: m.removed.into_iter().collect(),
            },
        )
    };
    let name = display_name(&resource)?;
    let group = tx
        .find_group(dir.org_id, existing.group_id)
        .await?
        .ok_or_else(not_found)?;
    if group.name != name {
        tx.update_group(&Group {
            name: name.clone(),
            ..group.clone()
        })
        .await
        .map_err(|_| {
            ScimFail(ScimError::uniqueness(
                "The organization already has a group with this name.",
            ))
        })?;
    }
    let (added, removed) = match members {
        MemberWrite::Set(ids) => {
            let accounts = accounts_for(&mut tx, caller, &ids).await?;
            tx.clear_group_members(dir.org_id, group.id).await?;
            tx.add_group_members(dir.org_id, group.id, &accounts, now).await?;
            (accounts.len(), 0)
        }
        MemberWrite::Delta {
            cleared,
            added: add,
            removed: remove,
        } => {
            if cleared {
                tx.clear_group_members(dir.org_id, group.id).await?;
            }
            let gone = accounts_for(&mut tx, caller, &remove).await?;
            tx.remove_group_members(dir.org_id, group.id, &gone).await?;
            let new = accounts_for(&mut tx, caller, &add).await?;
            tx.add_group_members(dir.org_id, group.id, &new, now).await?;
            (new.len(), gone.len())
        }
    };
    let updated = ScimGroup {
        display_name: name,
        external_id: resource["externalId"].as_str().map(str::to_owned),
        resource: resource.to_string(),
        version: existing.version + 1,
        updated_at: now,
        ..existing.clone()
    };
    if !tx.update_scim_group(&updated, existing.version).await.map_err(|_| {
        ScimFail(ScimError::uniqueness(
            "A group with this displayName or externalId already exists in this directory.",
        ))
    })? {
        return Err(ScimFail(ScimError::new(
            412,
            "The group changed since it was read; read it again.",
        )));
    }
    let ev = AuditEvent::new(dir.org_id, &caller.actor(), meta, AuditAction::ScimGroupUpdated, now)
        .target("group", group.id, Some(&updated.display_name))
        .after(&json!({"members_added": added, "members_removed": removed}));
    tx.insert_event(&ev).await?;
    tx.commit().await?;
    Ok(updated)
}

pub async fn patch(
    State(st): State<AppState>,
    Scim(caller): Scim,
    ClientMeta(meta): ClientMeta,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimFail> {
    let g = write(&st, &caller, &meta, &id, super::if_match(&headers), Some(body), None).await?;
    // A large group's members are not echoed back: Entra ID and Okta ignore them, and
    // 10,000 members would dominate the response.
    let r = render(&st, &caller, &g, false).await?;
    Ok(one(&g, &r, StatusCode::OK, None))
}

pub async fn replace(
    State(st): State<AppState>,
    Scim(caller): Scim,
    ClientMeta(meta): ClientMeta,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimFail> {
    let g = write(&st, &caller, &meta, &id, super::if_match(&headers), None, Some(body)).await?;
    let r = render(&st, &caller, &g, true).await?;
    Ok(one(&g, &r, StatusCode::OK, None))
}

pub async fn delete(
    State(st): State<AppState>,
    Scim(caller): Scim,
    ClientMeta(meta): ClientMeta,
    Path((_, id)): Path<(String, String)>,
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
    let dir = caller.directory();
    let now = st.services.now();
    let mut tx = st.services.store.begin().await?;
    let g = tx.find_scim_group(dir.id, id).await?.ok_or_else(not_found)?;
    // The org group goes, with its memberships and access; the SCIM row follows by cascade.
    tx.delete_group(dir.org_id, g.group_id).await?;
    let ev = AuditEvent::new(dir.org_id, &caller.actor(), meta, AuditAction::ScimGroupDeleted, now).target(
        "group",
        g.group_id,
        Some(&g.display_name),
    );
    tx.insert_event(&ev).await?;
    tx.commit().await?;
    Ok(())
}
