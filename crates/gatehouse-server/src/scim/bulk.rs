//! `/Bulk` (RFC 7644 §3.7): many operations in one request, each applied on its own (bulk is
//! not atomic), with `bulkId` references to resources created earlier in the request and
//! `failOnErrors` to stop early.

use super::common::{Scim, ScimBody, ScimFail, scim_json};
use super::groups;
use super::provision::{self, ReplaceWith, etag_version};
use crate::extract::ClientMeta;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use gatehouse_core::audit::RequestMeta;
use gatehouse_core::directory::ScimGroup;
use gatehouse_core::services::{DirectoryCaller, Valve, Written};
use gatehouse_scim::ScimError;
use serde_json::{Value, json};
use std::collections::HashMap;

/// Most operations one bulk request may carry (advertised in ServiceProviderConfig).
pub const MAX_OPERATIONS: usize = 1000;
const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

/// Replaces every `"bulkId:<id>"` string with the id created for it. `Err(id)` names a
/// reference to an operation that has not run (yet).
fn resolve(v: &Value, ids: &HashMap<String, String>) -> Result<Value, String> {
    Ok(match v {
        Value::String(s) => match s.strip_prefix("bulkId:") {
            Some(b) => Value::String(ids.get(b).cloned().ok_or_else(|| b.to_owned())?),
            None => v.clone(),
        },
        Value::Array(a) => Value::Array(a.iter().map(|x| resolve(x, ids)).collect::<Result<_, _>>()?),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| Ok((k.clone(), resolve(x, ids)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

/// Resolves `bulkId:` references among a path's segments (`/Users/bulkId:qwerty`).
fn resolve_path(path: &str, ids: &HashMap<String, String>) -> Result<String, String> {
    path.split('/')
        .map(|seg| match seg.strip_prefix("bulkId:") {
            Some(b) => ids.get(b).cloned().ok_or_else(|| b.to_owned()),
            None => Ok(seg.to_owned()),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(|segs| segs.join("/"))
}

/// What one operation did, as its Bulk response entry tells it.
struct Done {
    status: u16,
    location: Option<String>,
    /// The id a POST created (for `bulkId` references).
    id: Option<String>,
    version: Option<String>,
}

impl Done {
    fn created(base: &str, kind: &str, id: String, version: i64) -> Self {
        Self {
            status: 201,
            location: Some(format!("{base}/{kind}/{id}")),
            version: Some(etag_version(version)),
            id: Some(id),
        }
    }

    fn written(base: &str, kind: &str, id: &str, version: i64, status: u16) -> Self {
        Self {
            status,
            location: Some(format!("{base}/{kind}/{id}")),
            version: Some(etag_version(version)),
            id: None,
        }
    }

    /// RFC 7644 §3.7.3 asks every result for a `location`; a deleted resource's is where it was.
    fn deleted(base: &str, kind: &str, id: &str, status: u16) -> Self {
        Self {
            status,
            location: Some(format!("{base}/{kind}/{id}")),
            version: None,
            id: None,
        }
    }
}

fn base(st: &AppState, caller: &DirectoryCaller) -> String {
    format!("{}/scim/v2/{}", st.config.public_url, caller.directory().id)
}

/// Applies one operation as the directory's own request (the safety valve applies).
async fn apply(
    st: &AppState,
    caller: &DirectoryCaller,
    meta: &RequestMeta,
    method: &str,
    path: &str,
    data: Value,
) -> Result<Done, ScimError> {
    let base = base(st, caller);
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let (kind, id) = (parts.next().unwrap_or(""), parts.next());
    let upper = method.to_ascii_uppercase();
    let done = match kind {
        "Users" => user_op(st, caller, meta, (&upper, id), data, &base).await,
        "Groups" => group_op(st, caller, meta, (&upper, id), data, &base).await,
        _ => None,
    };
    done.unwrap_or_else(|| {
        Err(ScimFail(ScimError::invalid_value(format!(
            "{method} {path} is not an operation this service provider accepts in a bulk request."
        ))))
    })
    .map_err(|f| f.0)
}

/// A /Users operation; `None` for one Bulk does not accept.
async fn user_op(
    st: &AppState,
    caller: &DirectoryCaller,
    meta: &RequestMeta,
    (method, id): (&str, Option<&str>),
    data: Value,
    base: &str,
) -> Option<Result<Done, ScimFail>> {
    let replace = |with| async move {
        let id = id.unwrap_or_default();
        Ok(
            match provision::replace(st, caller, meta, id, None, with, Valve::Enforce).await? {
                Written::Applied(u) => Done::written(base, "Users", id, u.version, 200),
                Written::Held(u) => Done::written(base, "Users", id, u.version, 202),
            },
        )
    };
    Some(match (method, id) {
        ("POST", None) => provision::create(st, caller, meta, data)
            .await
            .map(|c| Done::created(base, "Users", c.user.id, c.user.version)),
        ("PUT", Some(_)) => replace(ReplaceWith::Resource(data)).await,
        ("PATCH", Some(_)) => replace(ReplaceWith::Patch(data)).await,
        ("DELETE", Some(id)) => provision::delete(st, caller, meta, id, None, Valve::Enforce)
            .await
            .map(|applied| Done::deleted(base, "Users", id, if applied { 204 } else { 202 })),
        _ => return None,
    })
}

/// A /Groups operation; `None` for one Bulk does not accept.
async fn group_op(
    st: &AppState,
    caller: &DirectoryCaller,
    meta: &RequestMeta,
    (method, id): (&str, Option<&str>),
    data: Value,
    base: &str,
) -> Option<Result<Done, ScimFail>> {
    let written = |status| move |g: ScimGroup| Done::written(base, "Groups", id.unwrap_or_default(), g.version, status);
    Some(match (method, id) {
        ("POST", None) => groups::create_group(st, caller, meta, data)
            .await
            .map(|g| Done::created(base, "Groups", g.id, g.version)),
        ("PUT", Some(id)) => groups::write(st, caller, meta, id, None, None, Some(data))
            .await
            .map(written(200)),
        // As a Group PATCH of its own answers (204 No Content).
        ("PATCH", Some(id)) => groups::write(st, caller, meta, id, None, Some(data), None)
            .await
            .map(written(204)),
        ("DELETE", Some(id)) => groups::delete_group(st, caller, meta, id)
            .await
            .map(|()| Done::deleted(base, "Groups", id, 204)),
        _ => return None,
    })
}

/// The request's operations, refusing a request that is not a Bulk request or is too large.
fn operations(body: &Value) -> Result<Vec<Value>, ScimFail> {
    let schemas = body["schemas"].as_array().cloned().unwrap_or_default();
    if !schemas.iter().any(|s| s.as_str() == Some(BULK_REQUEST)) {
        return Err(ScimFail(ScimError::invalid_value(format!(
            "schemas must include {BULK_REQUEST}."
        ))));
    }
    let ops = body["Operations"]
        .as_array()
        .cloned()
        .ok_or_else(|| ScimFail(ScimError::invalid_syntax("Operations must be an array.")))?;
    if ops.len() > MAX_OPERATIONS {
        return Err(ScimFail(ScimError::new(
            413,
            format!("A bulk request may carry at most {MAX_OPERATIONS} operations."),
        )));
    }
    // RFC 7644 §3.7: a bulkId identifies one operation; two with one id would make every
    // `bulkId:` reference to it ambiguous.
    let mut seen = std::collections::HashSet::new();
    for id in ops.iter().filter_map(|op| op["bulkId"].as_str()) {
        if !seen.insert(id) {
            return Err(ScimFail(ScimError::invalid_value(format!(
                "bulkId {id:?} is used by more than one operation; each operation needs its own."
            ))));
        }
    }
    Ok(ops)
}

/// `failOnErrors` (RFC 7644 §3.7.3): absent, or how many errors stop the request (1 or more).
fn fail_on_errors(body: &Value) -> Result<Option<u64>, ScimFail> {
    match &body["failOnErrors"] {
        Value::Null => Ok(None),
        v => v.as_u64().filter(|n| *n >= 1).map(Some).ok_or_else(|| {
            ScimFail(ScimError::invalid_value(format!(
                "failOnErrors must be a whole number of 1 or more, not {v}."
            )))
        }),
    }
}

/// One operation's turn.
enum Turn {
    /// It names a `bulkId` not created yet: it waits for the second pass.
    Wait,
    /// It ran (or could not): its response entry, and whether it failed.
    Ran { entry: Value, failed: bool },
}

/// Runs one operation, resolving its `bulkId` references and recording the id it creates.
async fn take_turn(
    st: &AppState,
    caller: &DirectoryCaller,
    meta: &RequestMeta,
    op: &Value,
    ids: &mut HashMap<String, String>,
    first_pass: bool,
) -> Turn {
    let method = op["method"].as_str().unwrap_or("");
    let bulk_id = op["bulkId"].as_str().map(str::to_owned);
    let path = match resolve_path(op["path"].as_str().unwrap_or(""), ids) {
        Ok(p) => p,
        Err(_) if first_pass => return Turn::Wait,
        Err(b) => String::from("/unresolved/") + &b,
    };
    let data = match resolve(&op["data"], ids) {
        Ok(d) => d,
        Err(_) if first_pass => return Turn::Wait,
        Err(b) => {
            let e = ScimError::invalid_value(format!("bulkId:{b} names no operation that succeeded."));
            let location = format!("{}/{}", base(st, caller), path.trim_start_matches('/'));
            let entry = json!({"method": method, "bulkId": bulk_id, "location": location, "status": "409", "response": e.to_json()});
            return Turn::Ran { entry, failed: true };
        }
    };
    match apply(st, caller, meta, method, &path, data).await {
        Ok(done) => {
            if let (Some(b), Some(id)) = (&bulk_id, &done.id) {
                ids.insert(b.clone(), id.clone());
            }
            let entry = json!({"method": method, "bulkId": bulk_id, "location": done.location, "version": done.version, "status": done.status.to_string()});
            Turn::Ran { entry, failed: false }
        }
        Err(e) => {
            let location = format!("{}/{}", base(st, caller), path.trim_start_matches('/'));
            let entry = json!({"method": method, "bulkId": bulk_id, "location": location, "status": e.status.to_string(), "response": e.to_json()});
            Turn::Ran { entry, failed: true }
        }
    }
}

pub async fn bulk(
    State(st): State<AppState>,
    Scim(caller): Scim,
    ClientMeta(meta): ClientMeta,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimFail> {
    let ops = operations(&body)?;
    let fail_on = fail_on_errors(&body)?;
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut results: Vec<Option<Value>> = vec![None; ops.len()];
    let mut errors = 0u64;
    // Operations run in order; one naming a bulkId not created yet waits for a second pass.
    let mut pending: Vec<usize> = (0..ops.len()).collect();
    for pass in 0..2 {
        let mut deferred = Vec::new();
        for &i in &pending {
            if fail_on.is_some_and(|n| errors >= n) {
                break;
            }
            match take_turn(&st, &caller, &meta, &ops[i], &mut ids, pass == 0).await {
                Turn::Wait => deferred.push(i),
                Turn::Ran { entry, failed } => {
                    errors += u64::from(failed);
                    results[i] = Some(entry);
                }
            }
        }
        pending = deferred;
        if pending.is_empty() {
            break;
        }
    }
    let operations: Vec<Value> = results.into_iter().flatten().collect();
    Ok(scim_json(
        StatusCode::OK,
        &json!({ "schemas": [BULK_RESPONSE], "Operations": operations }),
    ))
}
