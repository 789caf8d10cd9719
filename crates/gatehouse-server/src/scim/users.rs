//! SCIM /Users.

use super::common::{
    Scim, ScimBody, ScimFail, ScimId, ScimQuery, Shown, if_match, not_modified, scim_json, unchanged_since,
};
use super::list::{Found, ListParams, ListQuery, list_json};
use super::provision::{self, ReplaceWith, etag, render_all};
use crate::extract::ClientMeta;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use gatehouse_core::directory::{Directory, ScimUser, UserPredicate};
use gatehouse_core::services::{DirectoryCaller, Valve, Written};
use gatehouse_scim::{ResourceKind, ScimError};

fn base(st: &AppState, dir: &Directory) -> String {
    format!("{}/scim/v2/{}", st.config.public_url, dir.id)
}

struct Listing {
    total: i64,
    users: Vec<ScimUser>,
    /// The directory's groups of the users' accounts.
    groups: Vec<(gatehouse_core::ids::AccountId, gatehouse_core::ports::ScimGroupRef)>,
}

/// One page of the directory's users matching the filter, in `sortBy` order: all in SQL.
async fn find_users(
    st: &AppState,
    caller: &DirectoryCaller,
    filter: Option<&str>,
    start: i64,
    count: i64,
    sort: (Option<&str>, bool),
    groups: bool,
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
    let (gatehouse_core::ports::ScimPage { total, items: users }, groups) = st
        .services
        .provisioning
        .list_users_with_groups(caller, &query, groups)
        .await?;
    Ok(Listing { total, users, groups })
}

/// One page of users as served (projected to the requested attributes).
pub(super) async fn find(st: &AppState, caller: &DirectoryCaller, p: &ListParams) -> Result<Found, ScimFail> {
    let projection =
        gatehouse_scim::Projection::new(ResourceKind::User, p.attributes.as_deref(), p.excluded.as_deref())?;
    let l = find_users(
        st,
        caller,
        p.filter.as_deref(),
        p.start,
        p.count,
        (p.sort_by.as_deref(), p.descending),
        projection.may_return("groups"),
    )
    .await?;
    let b = base(st, caller.directory());
    let resources = provision::render_with(&l.users, l.groups, &b)?
        .iter()
        .map(|r| projection.apply(r))
        .collect();
    Ok(Found {
        total: l.total,
        resources,
    })
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

async fn one(
    st: &AppState,
    caller: &DirectoryCaller,
    u: &ScimUser,
    status: StatusCode,
    shown: &Shown,
) -> Result<Response, ScimFail> {
    let b = base(st, caller.directory());
    let rendered = render_all(st, caller, std::slice::from_ref(u), &b).await?;
    let r = rendered
        .first()
        .ok_or_else(|| ScimFail::from(gatehouse_core::CoreError::internal("no user rendered")))?;
    answer(&b, u, r, status, shown)
}

/// The answer for one user rendered as `r`: projected as asked, with its ETag (and Location
/// when created).
fn answer(
    b: &str,
    u: &ScimUser,
    r: &serde_json::Value,
    status: StatusCode,
    shown: &Shown,
) -> Result<Response, ScimFail> {
    let mut res = scim_json(status, &shown.project(r, ResourceKind::User)?);
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

/// RFC 7644 §3.4.1; `If-None-Match` with the current version answers 304 (RFC 7644 §3.14).
pub async fn get(
    State(st): State<AppState>,
    Scim(caller): Scim,
    ScimId(id): ScimId,
    ScimQuery(shown): ScimQuery<Shown>,
    headers: HeaderMap,
) -> Result<Response, ScimFail> {
    let u = st
        .services
        .provisioning
        .find_user(&caller, &id)
        .await?
        .ok_or_else(not_found)?;
    if unchanged_since(&headers, &etag(&u)) {
        return Ok(not_modified(&etag(&u)));
    }
    one(&st, &caller, &u, StatusCode::OK, &shown).await
}

pub async fn create(
    State(st): State<AppState>,
    Scim(caller): Scim,
    ClientMeta(meta): ClientMeta,
    ScimQuery(shown): ScimQuery<Shown>,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimFail> {
    let c = provision::create(&st, &caller, &meta, body).await?;
    if c.new_account {
        // A new account is in no group: nothing to read.
        let b = base(&st, caller.directory());
        return answer(
            &b,
            &c.user,
            &provision::render(&c.user, &b)?,
            StatusCode::CREATED,
            &shown,
        );
    }
    one(&st, &caller, &c.user, StatusCode::CREATED, &shown).await
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
    written(&st, &caller, &w, &shown).await
}

/// 200 with the resource; 202 with the unchanged resource when the safety valve held the
/// change for an admin to release.
async fn written(st: &AppState, caller: &DirectoryCaller, w: &Written, shown: &Shown) -> Result<Response, ScimFail> {
    match w {
        Written::Applied(u) => one(st, caller, u, StatusCode::OK, shown).await,
        Written::Held(u) => one(st, caller, u, StatusCode::ACCEPTED, shown).await,
    }
}

/// RFC 7644 §3.5.2: PATCH answers 200 with the resource (as Okta documents it expects), shown
/// as `attributes` / `excludedAttributes` ask.
pub async fn patch(
    State(st): State<AppState>,
    Scim(caller): Scim,
    ClientMeta(meta): ClientMeta,
    ScimId(id): ScimId,
    ScimQuery(shown): ScimQuery<Shown>,
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
    written(&st, &caller, &w, &shown).await
}

pub async fn delete(
    State(st): State<AppState>,
    Scim(caller): Scim,
    ClientMeta(meta): ClientMeta,
    ScimId(id): ScimId,
    headers: HeaderMap,
) -> Result<StatusCode, ScimFail> {
    let applied = provision::delete(&st, &caller, &meta, &id, if_match(&headers), Valve::Enforce).await?;
    Ok(if applied {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::ACCEPTED
    })
}
