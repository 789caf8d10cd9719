use super::common::{list_type, path_id};
use super::groups::PageQuery;
use crate::error::{ApiResult, Problem};
use crate::extract::{Admin, ApiJson, ApiQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gatehouse_core::Timestamp;
use gatehouse_core::ids::ApiKeyId;
use gatehouse_core::model::ApiKey;
use gatehouse_core::page::PageRequest;
use gatehouse_core::services::NewApiKey;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct ApiKeyResponse {
    pub id: String,
    pub name: String,
    /// The key's first characters, to tell keys apart. The secret itself is never shown again.
    pub prefix: String,
    /// active, expired or revoked.
    pub status: String,
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
}

impl ApiKeyResponse {
    fn new(k: ApiKey, now: Timestamp) -> Self {
        let status = k.status(now);
        Self {
            id: k.id.to_string(),
            name: k.name,
            prefix: k.prefix,
            status: status.into(),
            created_at: k.created_at.to_rfc3339(),
            expires_at: k.expires_at.to_rfc3339(),
            revoked_at: k.revoked_at.map(Timestamp::to_rfc3339),
            last_used_at: k.last_used_at.map(Timestamp::to_rfc3339),
        }
    }
}

list_type!(ApiKeyList, ApiKeyResponse);

#[derive(Serialize, ToSchema)]
pub struct CreatedApiKeyResponse {
    pub key: ApiKeyResponse,
    /// The key itself. Shown only in this response: store it now.
    pub secret: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    pub name: String,
    /// 1 to 365; default 90.
    pub expires_in_days: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/api-keys", tag = "api keys", security(("api_key" = [])),
    params(("org_id" = String, Path), PageQuery), responses((status = 200, body = ApiKeyList)))]
pub async fn list(
    State(st): State<AppState>,
    Admin(admin): Admin,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<ApiKeyList>> {
    let page = PageRequest::parse(q.cursor.as_deref(), q.limit)?;
    let now = st.services.now();
    let p = st.services.api_keys.list(&admin, &page).await?;
    Ok(Json(ApiKeyList::from_page(p, |k| ApiKeyResponse::new(k, now))))
}

#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/api-keys", tag = "api keys", security(("api_key" = [])),
    params(("org_id" = String, Path)), request_body = CreateApiKeyRequest,
    responses((status = 201, body = CreatedApiKeyResponse), (status = 422, body = Problem)))]
pub async fn create(
    State(st): State<AppState>,
    Admin(admin): Admin,
    ApiJson(b): ApiJson<CreateApiKeyRequest>,
) -> ApiResult<(
    StatusCode,
    [(axum::http::HeaderName, &'static str); 1],
    Json<CreatedApiKeyResponse>,
)> {
    let spec = NewApiKey::parse(&b.name, b.expires_in_days)?;
    let created = st.services.api_keys.create(&admin, spec).await?;
    let now = st.services.now();
    let body = CreatedApiKeyResponse {
        key: ApiKeyResponse::new(created.key, now),
        secret: created.secret,
    };
    Ok((
        StatusCode::CREATED,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(body),
    ))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/api-keys/{id}", tag = "api keys", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), responses((status = 200, body = ApiKeyResponse), (status = 404, body = Problem)))]
pub async fn get(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<ApiKeyResponse>> {
    let id = path_id(&id, "api key", ApiKeyId::parse)?;
    let key = st.services.api_keys.get(&admin, id).await?;
    Ok(Json(ApiKeyResponse::new(key, st.services.now())))
}

/// Revokes the key at once; later requests with it get 401 api_key_revoked.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/api-keys/{id}/revoke", tag = "api keys", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), responses((status = 200, body = ApiKeyResponse), (status = 404, body = Problem)))]
pub async fn revoke(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<ApiKeyResponse>> {
    let id = path_id(&id, "api key", ApiKeyId::parse)?;
    let key = st.services.api_keys.revoke(&admin, id).await?;
    Ok(Json(ApiKeyResponse::new(key, st.services.now())))
}
