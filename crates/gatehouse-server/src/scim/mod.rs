//! SCIM 2.0 (RFC 7643, RFC 7644) under `/scim/v2/{directory_id}`: discovery, Users and Groups.
//! Requests authenticate with the directory's bearer token; errors use the RFC 7644 §3.12
//! body and `application/scim+json`. This file only declares the modules and routes; what
//! the handlers share lives in `common`, so no child imports its parent.

pub(crate) mod batch;
pub(crate) mod bulk;
mod common;
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
use axum::routing::get;

pub fn router() -> Router<AppState> {
    let d = |p: &str| format!("/scim/v2/{{directory_id}}{p}");
    Router::new()
        .route(&d("/ServiceProviderConfig"), get(users::service_provider_config))
        .route(&d("/Schemas"), get(users::schemas))
        .route(&d("/ResourceTypes"), get(users::resource_types))
        .route(&d("/Users"), get(users::list).post(users::create))
        .route(&d("/Users/.search"), axum::routing::post(users::search))
        .route(
            &d("/Users/{id}"),
            get(users::get)
                .put(users::replace)
                .patch(users::patch)
                .delete(users::delete),
        )
        .route(&d("/Bulk"), axum::routing::post(bulk::bulk))
        .route(&d("/.search"), axum::routing::post(search::root))
        .route(&d("/Groups/.search"), axum::routing::post(groups::search))
        .route(&d("/Groups"), get(groups::list).post(groups::create))
        .route(
            &d("/Groups/{id}"),
            get(groups::get)
                .put(groups::replace)
                .patch(groups::patch)
                .delete(groups::delete),
        )
}
