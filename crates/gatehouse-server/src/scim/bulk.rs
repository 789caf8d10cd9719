//! `/Bulk` (RFC 7644 §3.7): many operations in one request, each applied on its own (bulk is
//! not atomic), with `bulkId` references to resources created earlier in the request and
//! `failOnErrors` to stop early.

use super::groups;
use super::provision::{self, ReplaceWith, etag_version};
use super::{Scim, ScimBody, ScimFail, scim_json};
use crate::extract::ClientMeta;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use gatehouse_core::audit::RequestMeta;
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

pub(crate) struct Done {
    pub(crate) status: u16,
    location: Option<String>,
    id: Option<String>,
    version: Option<String>,
}

pub(crate) async fn apply(
    st: &AppState,
    caller: &DirectoryCaller,
    meta: &RequestMeta,
    method: &str,
    path: &str,
    data: Value,
    valve: Valve,
) -> Result<Done, ScimError> {
    let base = format!("{}/scim/v2/{}", st.config.public_url, caller.directory().id);
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let (kind, id) = (parts.next().unwrap_or(""), parts.next());
    let fail = |f: ScimFail| f.0;
    match (method.to_ascii_uppercase().as_str(), kind, id) {
        ("POST", "Users", None) => {
            let u = provision::create(st, caller, meta, data).await.map_err(fail)?;
            Ok(Done {
                status: 201,
                location: Some(format!("{base}/Users/{}", u.id)),
                version: Some(etag_version(u.version)),
                id: Some(u.id),
            })
        }
        ("POST", "Groups", None) => {
            let g = groups::create_group(st, caller, meta, data).await.map_err(fail)?;
            Ok(Done {
                status: 201,
                location: Some(format!("{base}/Groups/{}", g.id)),
                version: Some(etag_version(g.version)),
                id: Some(g.id),
            })
        }
        (m @ ("PUT" | "PATCH"), "Users", Some(id)) => {
            let with = if m == "PUT" {
                ReplaceWith::Resource(data)
            } else {
                ReplaceWith::Patch(data)
            };
            let (status, u) = match provision::replace(st, caller, meta, id, None, with, valve)
                .await
                .map_err(fail)?
            {
                Written::Applied(u) => (200, u),
                Written::Held(u) => (202, u),
            };
            Ok(Done {
                status,
                location: Some(format!("{base}/Users/{id}")),
                version: Some(etag_version(u.version)),
                id: None,
            })
        }
        (m @ ("PUT" | "PATCH"), "Groups", Some(id)) => {
            let (patch_body, put_body) = if m == "PUT" {
                (None, Some(data))
            } else {
                (Some(data), None)
            };
            let g = groups::write(st, caller, meta, id, None, patch_body, put_body)
                .await
                .map_err(fail)?;
            Ok(Done {
                status: 200,
                location: Some(format!("{base}/Groups/{id}")),
                version: Some(etag_version(g.version)),
                id: None,
            })
        }
        ("DELETE", "Users", Some(id)) => {
            let applied = provision::delete(st, caller, meta, id, None, valve)
                .await
                .map_err(fail)?;
            Ok(Done {
                status: if applied { 204 } else { 202 },
                location: None,
                version: None,
                id: None,
            })
        }
        ("DELETE", "Groups", Some(id)) => {
            groups::delete_group(st, caller, meta, id).await.map_err(fail)?;
            Ok(Done {
                status: 204,
                location: None,
                version: None,
                id: None,
            })
        }
        _ => Err(ScimError::invalid_value(format!(
            "{method} {path} is not an operation this service provider accepts in a bulk request."
        ))),
    }
}

pub async fn bulk(
    State(st): State<AppState>,
    Scim(caller): Scim,
    ClientMeta(meta): ClientMeta,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimFail> {
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
    let fail_on = body["failOnErrors"].as_u64().map(|n| n.max(1));
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
            let op = &ops[i];
            let method = op["method"].as_str().unwrap_or("");
            let bulk_id = op["bulkId"].as_str().map(str::to_owned);
            let path = match resolve_path(op["path"].as_str().unwrap_or(""), &ids) {
                Ok(p) => p,
                Err(_) if pass == 0 => {
                    deferred.push(i);
                    continue;
                }
                Err(b) => String::from("/unresolved/") + &b,
            };
            let data = match resolve(&op["data"], &ids) {
                Ok(d) => d,
                Err(_) if pass == 0 => {
                    deferred.push(i);
                    continue;
                }
                Err(b) => {
                    errors += 1;
                    let e = ScimError::invalid_value(format!("bulkId:{b} names no operation that succeeded."));
                    results[i] =
                        Some(json!({"method": method, "bulkId": bulk_id, "status": "409", "response": e.to_json()}));
                    continue;
                }
            };
            let outcome = apply(&st, &caller, &meta, method, &path, data, Valve::Enforce).await;
            results[i] = Some(match outcome {
                Ok(done) => {
                    if let (Some(b), Some(id)) = (&bulk_id, &done.id) {
                        ids.insert(b.clone(), id.clone());
                    }
                    json!({"method": method, "bulkId": bulk_id, "location": done.location, "version": done.version, "status": done.status.to_string()})
                }
                Err(e) => {
                    errors += 1;
                    json!({"method": method, "bulkId": bulk_id, "location": path, "status": e.status.to_string(), "response": e.to_json()})
                }
            });
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
