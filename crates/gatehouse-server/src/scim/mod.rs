//! SCIM 2.0 (RFC 7643, RFC 7644) under `/scim/v2/{directory_id}`: discovery, Users and Groups.
//! Requests authenticate with the directory's bearer token; errors use the RFC 7644 §3.12
//! body and `application/scim+json`. This file only declares the modules and routes; what
//! the handlers share lives in `common`, so no child imports its parent.

pub(crate) mod batch;
pub(crate) mod bulk;
mod common;
mod discovery;
mod group_query;
mod groups;
mod held;
mod list;
pub(crate) mod provision;
mod query;
mod search;
mod users;

pub use common::{MAX_SCIM_BODY, SCIM_JSON, Scim, ScimBody, ScimFail, if_match, scim_json};
pub use held::{held_summary, release_held};

use crate::state::AppState;
use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

/// A SCIM 404 for a path under `/scim/` that names no endpoint (RFC 7644 §3.12); `None` for
/// any other path.
pub fn no_such_endpoint(path: &str) -> Option<Response> {
    (path == "/scim" || path.starts_with("/scim/")).then(|| common::no_such_endpoint().into_response())
}

pub fn router() -> Router<AppState> {
    let d = |p: &str| format!("/scim/v2/{{directory_id}}{p}");
    Router::new()
        .route(&d("/ServiceProviderConfig"), get(discovery::service_provider_config))
        .route(&d("/Schemas"), get(discovery::schemas))
        .route(&d("/Schemas/{id}"), get(discovery::schema))
        .route(&d("/ResourceTypes"), get(discovery::resource_types))
        .route(&d("/ResourceTypes/{id}"), get(discovery::resource_type))
        .route(&d("/Users"), get(users::list).post(users::create))
        .route(&d("/Users/.search"), post(users::search))
        .route(
            &d("/Users/{id}"),
            get(users::get)
                .put(users::replace)
                .patch(users::patch)
                .delete(users::delete),
        )
        .route(&d("/Bulk"), post(bulk::bulk))
        .route(&d("/.search"), post(search::root))
        .route(&d("/Groups/.search"), post(groups::search))
        .route(&d("/Groups"), get(groups::list).post(groups::create))
        .route(
            &d("/Groups/{id}"),
            get(groups::get)
                .put(groups::replace)
                .patch(groups::patch)
                .delete(groups::delete),
        )
        // Every other method is a SCIM 405; every other path under /scim/ a SCIM 404 (the
        // app's fallback asks `no_such_endpoint`).
        .method_not_allowed_fallback(common::method_not_allowed)
        .layer(axum::middleware::map_response(common::speak_scim))
}
