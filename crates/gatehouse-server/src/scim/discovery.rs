//! The discovery endpoints (RFC 7644 §4): `/ServiceProviderConfig`, and `/Schemas` and
//! `/ResourceTypes` as `ListResponse`s with each resource also at `/{id}`. RFC 7644 §4 shows
//! the collections as bare arrays in one example, but Entra ID and the common SCIM testers read
//! them as `ListResponse`s (RFC 7644 §3.4.2), so that is what they get.

use super::common::{MAX_SCIM_BODY, Scim, ScimFail, ScimId, scim_json};
use super::list::{Found, MAX_COUNT, list_json};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use gatehouse_core::services::DirectoryCaller;
use gatehouse_scim::ScimError;
use gatehouse_scim::schema::{self, ResourceKind};
use serde_json::Value;

fn base(st: &AppState, caller: &DirectoryCaller) -> String {
    format!("{}/scim/v2/{}", st.config.public_url, caller.directory().id)
}

/// Every resource of a discovery collection on one page.
fn all(resources: Value) -> Response {
    let resources = match resources {
        Value::Array(items) => items,
        other => vec![other],
    };
    list_json(
        1,
        &Found {
            total: resources.len() as i64,
            resources,
        },
    )
}

pub async fn service_provider_config(State(st): State<AppState>, Scim(caller): Scim) -> Response {
    let opts = schema::ServiceProviderOptions {
        documentation_uri: None,
        bulk_supported: true,
        bulk_max_operations: super::bulk::MAX_OPERATIONS as u32,
        bulk_max_payload_size: MAX_SCIM_BODY as u64,
        filter_max_results: MAX_COUNT as u32,
    };
    scim_json(
        StatusCode::OK,
        &schema::service_provider_config_json(&base(&st, &caller), &opts),
    )
}

pub async fn schemas(State(st): State<AppState>, Scim(caller): Scim) -> Response {
    all(schema::schemas_json_with_base(&base(&st, &caller)))
}

/// `/Schemas/{id}`: one schema by its URN.
pub async fn schema(State(st): State<AppState>, Scim(caller): Scim, ScimId(id): ScimId) -> Result<Response, ScimFail> {
    let found = schema::schema_by_id(&id)
        .ok_or_else(|| ScimFail(ScimError::new(404, format!("No schema has the id {id:?}."))))?;
    Ok(scim_json(StatusCode::OK, &found.to_json(Some(&base(&st, &caller)))))
}

pub async fn resource_types(State(st): State<AppState>, Scim(caller): Scim) -> Response {
    all(schema::resource_types_json(&base(&st, &caller)))
}

/// `/ResourceTypes/{id}`: `User` or `Group`.
pub async fn resource_type(
    State(st): State<AppState>,
    Scim(caller): Scim,
    ScimId(id): ScimId,
) -> Result<Response, ScimFail> {
    let kind = [ResourceKind::User, ResourceKind::Group]
        .into_iter()
        .find(|k| k.name() == id)
        .ok_or_else(|| ScimFail(ScimError::new(404, format!("No resource type has the id {id:?}."))))?;
    Ok(scim_json(StatusCode::OK, &kind.resource_type_json(&base(&st, &caller))))
}
