use super::common::{list_type, path_id};
use crate::error::{ApiResult, Problem};
use crate::extract::{Admin, ApiJson, ApiQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gatehouse_core::ids::InstanceId;
use gatehouse_core::model::Instance;
use gatehouse_core::page::PageRequest;
use gatehouse_core::product::Product;
use gatehouse_core::services::{InstancePatch, NewInstance};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct InstanceResponse {
    pub id: String,
    /// Product key, e.g. jira-software.
    pub product: String,
    pub name: String,
    pub url: String,
    pub edition: String,
    pub created_at: String,
}

impl From<Instance> for InstanceResponse {
    fn from(i: Instance) -> Self {
        Self {
            id: i.id.to_string(),
            product: i.product.to_string(),
            name: i.name,
            url: i.url,
            edition: i.edition.to_string(),
            created_at: i.created_at.to_rfc3339(),
        }
    }
}

list_type!(InstanceList, InstanceResponse);

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInstanceRequest {
    /// One of the product keys from /products.
    pub product: String,
    pub name: String,
    /// https://host, no path.
    pub url: String,
    /// An edition the product is sold in.
    pub edition: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateInstanceRequest {
    pub name: Option<String>,
    pub edition: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct InstanceQuery {
    pub product: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/instances", tag = "instances", security(("api_key" = [])),
    params(("org_id" = String, Path), InstanceQuery), responses((status = 200, body = InstanceList)))]
pub async fn list(
    State(st): State<AppState>,
    Admin(admin): Admin,
    ApiQuery(q): ApiQuery<InstanceQuery>,
) -> ApiResult<Json<InstanceList>> {
    let product = q.product.as_deref().map(Product::parse).transpose()?;
    let page = PageRequest::parse(q.cursor.as_deref(), q.limit)?;
    let p = st.services.instances.list(&admin, product, &page).await?;
    Ok(Json(InstanceList::from_page(p, InstanceResponse::from)))
}

#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/instances", tag = "instances", security(("api_key" = [])),
    params(("org_id" = String, Path)), request_body = CreateInstanceRequest,
    responses((status = 201, body = InstanceResponse), (status = 409, body = Problem, description = "url_taken"), (status = 422, body = Problem)))]
pub async fn create(
    State(st): State<AppState>,
    Admin(admin): Admin,
    ApiJson(b): ApiJson<CreateInstanceRequest>,
) -> ApiResult<(StatusCode, Json<InstanceResponse>)> {
    let input = NewInstance::parse(&b.product, &b.name, &b.url, &b.edition)?;
    Ok((
        StatusCode::CREATED,
        Json(st.services.instances.create(&admin, input).await?.into()),
    ))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/instances/{id}", tag = "instances", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), responses((status = 200, body = InstanceResponse), (status = 404, body = Problem)))]
pub async fn get(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<InstanceResponse>> {
    let id = path_id(&id, "product instance", InstanceId::parse)?;
    Ok(Json(st.services.instances.get(&admin, id).await?.into()))
}

#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/instances/{id}", tag = "instances", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), request_body = UpdateInstanceRequest,
    responses((status = 200, body = InstanceResponse), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
    ApiJson(b): ApiJson<UpdateInstanceRequest>,
) -> ApiResult<Json<InstanceResponse>> {
    let id = path_id(&id, "product instance", InstanceId::parse)?;
    let patch = InstancePatch::parse(b.name.as_deref(), b.edition.as_deref())?;
    Ok(Json(st.services.instances.update(&admin, id, patch).await?.into()))
}

/// Removes the instance and every grant of access to it.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/instances/{id}", tag = "instances", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn remove(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = path_id(&id, "product instance", InstanceId::parse)?;
    st.services.instances.delete(&admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
