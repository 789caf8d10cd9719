//! SCIM endpoints: discovery documents and /Users.

use super::provision::{self, ReplaceWith, Valve, Written, etag, render};
use super::{Scim, ScimBody, ScimFail, scim_json};
use crate::extract::ClientMeta;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use gatehouse_core::directory::{ElementCondition, ScimUser, TextOp, UserPredicate, UserSort};
use gatehouse_core::ports::{Reads, Store};
use gatehouse_scim::filter::{TypedFilter, TypedValue};
use gatehouse_scim::schema::USER_SCHEMA;
use gatehouse_scim::{CompareOp, ResourceKind, ScimError};
use serde::Deserialize;
use serde_json::{Value, json};

const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// Most results one page returns; and the most a filter that needs evaluation may scan.
const MAX_COUNT: i64 = 1000;
const MAX_SCAN: i64 = 10_000;

fn base(st: &AppState, dir: &gatehouse_core::directory::Directory) -> String {
    format!("{}/scim/v2/{}", st.config.public_url, dir.id)
}

pub async fn service_provider_config(State(st): State<AppState>, Scim(caller): Scim) -> Response {
    let opts = gatehouse_scim::schema::ServiceProviderOptions {
        documentation_uri: None,
        bulk_supported: true,
        bulk_max_operations: super::bulk::MAX_OPERATIONS as u32,
        bulk_max_payload_size: super::MAX_SCIM_BODY as u64,
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

/// Query parameters of a list (RFC 7644 §3.4.2).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    filter: Option<String>,
    sort_by: Option<String>,
    sort_order: Option<String>,
    start_index: Option<i64>,
    count: Option<i64>,
    attributes: Option<String>,
    excluded_attributes: Option<String>,
}

fn text_op(op: CompareOp) -> Option<TextOp> {
    Some(match op {
        CompareOp::Eq => TextOp::Eq,
        CompareOp::Ne => TextOp::Ne,
        CompareOp::Sw => TextOp::StartsWith,
        CompareOp::Ew => TextOp::EndsWith,
        CompareOp::Co => TextOp::Contains,
        _ => return None,
    })
}

/// The part of a filter the store can answer on its indexed columns, or `None` when the
/// filter needs evaluating on the resources.
fn to_predicate(f: &TypedFilter) -> Option<UserPredicate> {
    match f {
        TypedFilter::And(a, b) => Some(UserPredicate::And(
            Box::new(to_predicate(a)?),
            Box::new(to_predicate(b)?),
        )),
        TypedFilter::Or(a, b) => Some(UserPredicate::Or(
            Box::new(to_predicate(a)?),
            Box::new(to_predicate(b)?),
        )),
        TypedFilter::Not(a) => Some(UserPredicate::Not(Box::new(to_predicate(a)?))),
        TypedFilter::Compare { attr, op, value } => {
            let core = attr.path.sub_attr.is_none()
                && attr
                    .path
                    .urn
                    .as_deref()
                    .is_none_or(|u| u.eq_ignore_ascii_case(USER_SCHEMA));
            let name = attr.path.attr.to_ascii_lowercase();
            match (core, name.as_str(), value) {
                (true, "username", TypedValue::String(v)) => Some(UserPredicate::UserName(text_op(*op)?, v.clone())),
                (true, "externalid", TypedValue::String(v)) => {
                    Some(UserPredicate::ExternalId(text_op(*op)?, v.clone()))
                }
                (true, "id", TypedValue::String(v)) if *op == CompareOp::Eq => Some(UserPredicate::Id(v.clone())),
                (true, "active", TypedValue::Boolean(b)) if *op == CompareOp::Eq => Some(UserPredicate::Active(*b)),
                (true, "active", TypedValue::Boolean(b)) if *op == CompareOp::Ne => Some(UserPredicate::Active(!*b)),
                _ => {
                    let (v, case_exact) = indexed_value(value, attr.case_exact())?;
                    Some(UserPredicate::Value {
                        path: value_path(attr, None),
                        op: text_op(*op)?,
                        value: v,
                        case_exact,
                    })
                }
            }
        }
        TypedFilter::Present { attr }
            if attr.path.sub_attr.is_none() && attr.path.attr.eq_ignore_ascii_case("userName") =>
        {
            Some(UserPredicate::All)
        }
        TypedFilter::Present { attr } => {
            let core = attr.path.sub_attr.is_none()
                && attr
                    .path
                    .urn
                    .as_deref()
                    .is_none_or(|u| u.eq_ignore_ascii_case(USER_SCHEMA));
            match (core, attr.path.attr.to_ascii_lowercase().as_str()) {
                // Always there.
                (true, "id" | "active") => Some(UserPredicate::All),
                // A column, not in the value index: evaluated instead.
                (true, "externalid") => None,
                _ => Some(UserPredicate::Present(value_path(attr, None))),
            }
        }
        TypedFilter::ValuePath { attr, filter } => {
            // A conjunction of comparisons on one element becomes one correlated lookup.
            let mut conds = Vec::new();
            collect_conditions(filter, attr, &mut conds)?;
            (conds.len() <= 6).then_some(UserPredicate::Element(conds))
        }
    }
}

/// The indexed text of a comparison value: strings as given, booleans as `true`/`false`.
/// Numbers and dates are left to evaluation (their order is not the text's order).
fn indexed_value(v: &TypedValue, case_exact: bool) -> Option<(String, bool)> {
    match v {
        TypedValue::String(s) => Some((s.clone(), case_exact)),
        TypedValue::Boolean(b) => Some((b.to_string(), true)),
        _ => None,
    }
}

fn collect_conditions(
    f: &TypedFilter,
    parent: &gatehouse_scim::filter::TypedAttr,
    out: &mut Vec<ElementCondition>,
) -> Option<()> {
    match f {
        TypedFilter::And(a, b) => {
            collect_conditions(a, parent, out)?;
            collect_conditions(b, parent, out)
        }
        TypedFilter::Compare { attr, op, value } => {
            let (v, case_exact) = indexed_value(value, attr.case_exact())?;
            out.push(ElementCondition {
                path: value_path(parent, Some(&attr.path.attr)),
                op: text_op(*op)?,
                value: v,
                case_exact,
            });
            Some(())
        }
        _ => None,
    }
}

/// The index path of an attribute: lower-cased, extension attributes behind their URN, and a
/// multi-valued complex attribute compared as a whole meaning its `value` (RFC 7644 §3.4.2.2).
fn value_path(attr: &gatehouse_scim::filter::TypedAttr, sub: Option<&str>) -> String {
    let base = match &attr.path.urn {
        Some(u) if !u.eq_ignore_ascii_case(USER_SCHEMA) => format!("{u}:{}", attr.path.attr),
        _ => attr.path.attr.clone(),
    };
    let sub = sub
        .map(str::to_owned)
        .or_else(|| attr.path.sub_attr.clone())
        .or_else(|| {
            (attr.multi_valued && attr.attr_type() == gatehouse_scim::schema::AttrType::Complex)
                .then(|| "value".to_owned())
        });
    match sub {
        Some(s) => format!("{base}.{s}").to_lowercase(),
        None => base.to_lowercase(),
    }
}

struct Listing {
    total: i64,
    start: i64,
    users: Vec<ScimUser>,
}

/// How a listing is ordered (RFC 7644 §3.4.2.3): by a column, or by a value read from each
/// resource (then on the bounded in-memory path).
enum Sort {
    Column(UserSort),
    Value(Vec<String>),
}

fn parse_sort(by: Option<&str>) -> Result<Option<Sort>, ScimFail> {
    let Some(by) = by.map(str::trim).filter(|b| !b.is_empty()) else {
        return Ok(None);
    };
    let path = gatehouse_scim::AttrPath::parse(by).map_err(|_| {
        ScimFail(ScimError::invalid_value(format!(
            "sortBy {by:?} is not an attribute path."
        )))
    })?;
    gatehouse_scim::resolve(ResourceKind::User, &path).map_err(|_| {
        ScimFail(ScimError::invalid_value(format!(
            "sortBy {by:?} is not a User attribute."
        )))
    })?;
    let key = format!(
        "{}{}",
        path.attr.to_ascii_lowercase(),
        path.sub_attr
            .as_deref()
            .map(|s| format!(".{}", s.to_ascii_lowercase()))
            .unwrap_or_default()
    );
    Ok(Some(match (path.urn.is_none(), key.as_str()) {
        (true, "id") => Sort::Column(UserSort::Id),
        (true, "username") => Sort::Column(UserSort::UserName),
        (true, "externalid") => Sort::Column(UserSort::ExternalId),
        (true, "emails" | "emails.value") => Sort::Column(UserSort::Email),
        (true, "active") => Sort::Column(UserSort::Active),
        (true, "meta.created") => Sort::Column(UserSort::Created),
        (true, "meta.lastmodified") => Sort::Column(UserSort::LastModified),
        _ => Sort::Value(std::iter::once(path.attr).chain(path.sub_attr).collect()),
    }))
}

/// The value a sort reads from a resource: a sub-attribute of the primary (or first) value
/// of a multi-valued attribute, compared case-insensitively.
fn sort_value(r: &Value, path: &[String]) -> Option<String> {
    let mut cur = r;
    for part in path {
        cur = match cur {
            Value::Array(a) => a.iter().find(|v| v["primary"] == true).or_else(|| a.first())?,
            _ => cur,
        };
        let key = cur.as_object()?.keys().find(|k| k.eq_ignore_ascii_case(part))?.clone();
        cur = &cur[&key];
    }
    match cur {
        Value::String(s) => Some(s.to_lowercase()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

async fn find_users(
    st: &AppState,
    dir: gatehouse_core::ids::DirectoryId,
    filter: Option<&str>,
    start: i64,
    count: i64,
    sort: (Option<&str>, bool),
) -> Result<Listing, ScimFail> {
    let typed = match filter.map(str::trim).filter(|f| !f.is_empty()) {
        Some(text) => Some(gatehouse_scim::validate(
            &gatehouse_scim::parse_filter(text)?,
            ResourceKind::User,
        )?),
        None => None,
    };
    let predicate = match &typed {
        None => Some(UserPredicate::All),
        Some(t) => to_predicate(t),
    };
    let order = parse_sort(sort.0)?;
    let desc = sort.1;
    let mut r = st.services.store.reader().await?;
    if let (Some(p), None | Some(Sort::Column(_))) = (&predicate, &order) {
        let column = match order {
            Some(Sort::Column(c)) => c,
            _ => UserSort::Id,
        };
        let (total, users) = r.list_scim_users(dir, p, start, count, (column, desc)).await?;
        return Ok(Listing { total, start, users });
    }
    // Evaluated on the resources: bounded, so a broad query cannot make us read everything.
    let base = predicate.clone().unwrap_or(UserPredicate::All);
    let (all, candidates) = r
        .list_scim_users(dir, &base, 1, MAX_SCAN + 1, (UserSort::Id, false))
        .await?;
    if all > MAX_SCAN {
        return Err(ScimFail(ScimError::too_many(format!(
            "This query needs more than {MAX_SCAN} users read; filter or sort on userName, externalId, id, emails, active or meta dates."
        ))));
    }
    let mut matching: Vec<(Option<String>, ScimUser)> = candidates
        .into_iter()
        .map(|u| (render(&u, ""), u))
        .filter(|(r, _)| predicate.is_some() || typed.as_ref().is_some_and(|t| t.matches(r)))
        .map(|(r, u)| {
            (
                match &order {
                    Some(Sort::Value(path)) => sort_value(&r, path),
                    _ => None,
                },
                u,
            )
        })
        .collect();
    if let Some(Sort::Value(_)) = &order {
        // RFC 7644 §3.4.2.3: resources without the value come last, whatever the order.
        matching.sort_by(|(a, ua), (b, ub)| match (a, b) {
            (Some(x), Some(y)) => if desc { y.cmp(x) } else { x.cmp(y) }.then(ua.id.cmp(&ub.id)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => ua.id.cmp(&ub.id),
        });
    }
    let total = matching.len() as i64;
    let users = matching
        .into_iter()
        .map(|(_, u)| u)
        .skip((start - 1) as usize)
        .take(count as usize)
        .collect();
    Ok(Listing { total, start, users })
}

fn list_response(
    st: &AppState,
    caller: &gatehouse_core::services::DirectoryCaller,
    l: &Listing,
    attributes: Option<&str>,
    excluded: Option<&str>,
) -> Result<Response, ScimFail> {
    let b = base(st, caller.directory());
    let resources = l
        .users
        .iter()
        .map(|u| gatehouse_scim::project(&render(u, &b), ResourceKind::User, attributes, excluded))
        .collect::<Result<Vec<_>, _>>()?;
    let body = json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": l.total,
        "startIndex": l.start,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    });
    Ok(scim_json(StatusCode::OK, &body))
}

fn page_args(start: Option<i64>, count: Option<i64>) -> (i64, i64) {
    // RFC 7644 §3.4.2.4: startIndex below 1 means 1; a negative count means 0.
    (start.unwrap_or(1).max(1), count.unwrap_or(100).clamp(0, MAX_COUNT))
}

pub async fn list(
    State(st): State<AppState>,
    Scim(caller): Scim,
    Query(q): Query<ListQuery>,
) -> Result<Response, ScimFail> {
    let (start, count) = page_args(q.start_index, q.count);
    let desc = q
        .sort_order
        .as_deref()
        .is_some_and(|o| o.eq_ignore_ascii_case("descending"));
    let l = find_users(
        &st,
        caller.directory().id,
        q.filter.as_deref(),
        start,
        count,
        (q.sort_by.as_deref(), desc),
    )
    .await?;
    list_response(
        &st,
        &caller,
        &l,
        q.attributes.as_deref(),
        q.excluded_attributes.as_deref(),
    )
}

/// `POST /Users/.search` (RFC 7644 §3.4.3): the same query in a body.
pub async fn search(
    State(st): State<AppState>,
    Scim(caller): Scim,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimFail> {
    let list = |k: &str| -> Option<String> {
        body[k]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(","))
    };
    let (start, count) = page_args(body["startIndex"].as_i64(), body["count"].as_i64());
    let desc = body["sortOrder"]
        .as_str()
        .is_some_and(|o| o.eq_ignore_ascii_case("descending"));
    let l = find_users(
        &st,
        caller.directory().id,
        body["filter"].as_str(),
        start,
        count,
        (body["sortBy"].as_str(), desc),
    )
    .await?;
    list_response(
        &st,
        &caller,
        &l,
        list("attributes").as_deref(),
        list("excludedAttributes").as_deref(),
    )
}

fn one(
    st: &AppState,
    caller: &gatehouse_core::services::DirectoryCaller,
    u: &ScimUser,
    status: StatusCode,
) -> Response {
    let b = base(st, caller.directory());
    let mut res = scim_json(status, &render(u, &b));
    if let Ok(v) = HeaderValue::from_str(&etag(u)) {
        res.headers_mut().insert(header::ETAG, v);
    }
    if status == StatusCode::CREATED
        && let Ok(v) = HeaderValue::from_str(&format!("{b}/Users/{}", u.id))
    {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
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
        .store
        .reader()
        .await?
        .find_scim_user(caller.directory().id, &id)
        .await?
        .ok_or_else(not_found)?;
    if q.attributes.is_none() && q.excluded_attributes.is_none() {
        return Ok(one(&st, &caller, &u, StatusCode::OK));
    }
    let projected = gatehouse_scim::project(
        &render(&u, &base(&st, caller.directory())),
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
    Ok(one(&st, &caller, &u, StatusCode::CREATED))
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
        super::if_match(&headers),
        ReplaceWith::Resource(body),
        Valve::Enforce,
    )
    .await?;
    Ok(written(&st, &caller, &w))
}

/// 200 with the resource; 202 with the unchanged resource when the safety valve held the
/// change for an admin to release.
fn written(st: &AppState, caller: &gatehouse_core::services::DirectoryCaller, w: &Written) -> Response {
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
        super::if_match(&headers),
        ReplaceWith::Patch(body),
        Valve::Enforce,
    )
    .await?;
    Ok(written(&st, &caller, &w))
}

pub async fn delete(
    State(st): State<AppState>,
    Scim(caller): Scim,
    ClientMeta(meta): ClientMeta,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<StatusCode, ScimFail> {
    let applied = provision::delete(&st, &caller, &meta, &id, super::if_match(&headers), Valve::Enforce).await?;
    Ok(if applied {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::ACCEPTED
    })
}
