use super::common::path_id;
use crate::error::{ApiResult, Problem};
use crate::extract::{Admin, ApiJson};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gatehouse_core::directory::{Directory, DirectoryToken};
use gatehouse_core::ids::DirectoryId;
use gatehouse_core::services::{DEFAULT_OVERLAP_SECS, IssuedToken};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct DirectoryResponse {
    pub id: String,
    pub name: String,
    /// The SCIM base URL to give the identity provider.
    pub scim_base_url: String,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    pub id: String,
    pub prefix: String,
    /// active, expiring (rotated out, still working until expires_at), expired or revoked.
    pub status: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DirectoryDetailResponse {
    #[serde(flatten)]
    pub directory: DirectoryResponse,
    pub tokens: Vec<TokenResponse>,
}

#[derive(Serialize, ToSchema)]
pub struct IssuedTokenResponse {
    pub token: TokenResponse,
    /// The bearer token for the identity provider. Shown only in this response.
    pub secret: String,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedDirectoryResponse {
    pub directory: DirectoryResponse,
    pub token: IssuedTokenResponse,
}

#[derive(Serialize, ToSchema)]
pub struct DirectoryList {
    pub items: Vec<DirectoryResponse>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDirectoryRequest {
    pub name: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateRequest {
    /// How long the current tokens keep working; default 86400 (a day), at most 30 days.
    #[schema(minimum = 0, maximum = 2_592_000)]
    pub overlap_seconds: Option<i64>,
}

fn directory(st: &AppState, d: Directory) -> DirectoryResponse {
    DirectoryResponse {
        scim_base_url: format!("{}/scim/v2/{}", st.config.public_url, d.id),
        id: d.id.to_string(),
        name: d.name,
        created_at: d.created_at.to_rfc3339(),
    }
}

fn token(t: DirectoryToken, now: gatehouse_core::Timestamp) -> TokenResponse {
    let status = t.status(now);
    TokenResponse {
        id: t.id,
        prefix: t.prefix,
        status: status.into(),
        created_at: t.created_at.to_rfc3339(),
        expires_at: t.expires_at.map(gatehouse_core::Timestamp::to_rfc3339),
        revoked_at: t.revoked_at.map(gatehouse_core::Timestamp::to_rfc3339),
    }
}

fn issued(i: IssuedToken, now: gatehouse_core::Timestamp) -> IssuedTokenResponse {
    IssuedTokenResponse {
        token: token(i.token, now),
        secret: i.secret,
    }
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/directories", tag = "directories", security(("api_key" = [])),
    params(("org_id" = String, Path)), responses((status = 200, body = DirectoryList)))]
pub async fn list(State(st): State<AppState>, Admin(admin): Admin) -> ApiResult<Json<DirectoryList>> {
    let items = st
        .services
        .directories
        .list(&admin)
        .await?
        .into_iter()
        .map(|d| directory(&st, d))
        .collect();
    Ok(Json(DirectoryList { items }))
}

/// Connects an identity-provider directory and issues its first SCIM token (shown once).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/directories", tag = "directories", security(("api_key" = [])),
    params(("org_id" = String, Path)), request_body = CreateDirectoryRequest,
    responses((status = 201, body = CreatedDirectoryResponse), (status = 422, body = Problem)))]
pub async fn create(
    State(st): State<AppState>,
    Admin(admin): Admin,
    ApiJson(b): ApiJson<CreateDirectoryRequest>,
) -> ApiResult<(
    StatusCode,
    [(axum::http::HeaderName, &'static str); 1],
    Json<CreatedDirectoryResponse>,
)> {
    let (d, t) = st.services.directories.create(&admin, &b.name).await?;
    let now = st.services.now();
    let body = CreatedDirectoryResponse {
        directory: directory(&st, d),
        token: issued(t, now),
    };
    Ok((
        StatusCode::CREATED,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(body),
    ))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/directories/{id}", tag = "directories", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), responses((status = 200, body = DirectoryDetailResponse), (status = 404, body = Problem)))]
pub async fn get(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<DirectoryDetailResponse>> {
    let id = path_id(&id, "directory", DirectoryId::parse)?;
    let (d, tokens) = st.services.directories.get(&admin, id).await?;
    let now = st.services.now();
    Ok(Json(DirectoryDetailResponse {
        directory: directory(&st, d),
        tokens: tokens.into_iter().map(|t| token(t, now)).collect(),
    }))
}

/// Issues a new token; tokens in use keep working for the overlap period so the identity
/// provider can be switched without a gap.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/directories/{id}/tokens", tag = "directories", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), request_body = RotateRequest,
    responses((status = 201, body = IssuedTokenResponse), (status = 404, body = Problem)))]
pub async fn rotate(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
    ApiJson(b): ApiJson<RotateRequest>,
) -> ApiResult<(
    StatusCode,
    [(axum::http::HeaderName, &'static str); 1],
    Json<IssuedTokenResponse>,
)> {
    let id = path_id(&id, "directory", DirectoryId::parse)?;
    let t = st
        .services
        .directories
        .rotate_token(&admin, id, b.overlap_seconds.unwrap_or(DEFAULT_OVERLAP_SECS))
        .await?;
    Ok((
        StatusCode::CREATED,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(issued(t, st.services.now())),
    ))
}

#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/directories/{id}/tokens/{token_id}", tag = "directories", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path), ("token_id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn revoke(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id, token_id)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let id = path_id(&id, "directory", DirectoryId::parse)?;
    st.services.directories.revoke_token(&admin, id, &token_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes the directory: its tokens stop working; the accounts it provisioned stay.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/directories/{id}", tag = "directories", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn remove(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = path_id(&id, "directory", DirectoryId::parse)?;
    st.services.directories.delete(&admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDirectoryRequest {
    /// Deactivations and deletions per hour beyond which further ones are held (1–100000).
    pub deactivation_limit_per_hour: i64,
}

#[derive(Serialize, ToSchema)]
pub struct HeldResponse {
    pub id: String,
    /// The SCIM user the change is for.
    pub resource_id: String,
    /// PUT, PATCH or DELETE.
    pub method: String,
    #[schema(value_type = Object)]
    pub body: serde_json::Value,
    pub held_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct HeldList {
    pub items: Vec<HeldResponse>,
}

#[derive(Serialize, ToSchema)]
pub struct ReleaseResponse {
    pub released: usize,
    /// Changes that failed when applied (they are dropped; the directory will resend them).
    pub failed: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DiscardResponse {
    pub discarded: u64,
}

#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/directories/{id}", tag = "directories", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), request_body = UpdateDirectoryRequest,
    responses((status = 200, body = DirectoryResponse), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
    ApiJson(b): ApiJson<UpdateDirectoryRequest>,
) -> ApiResult<Json<DirectoryResponse>> {
    let id = path_id(&id, "directory", DirectoryId::parse)?;
    Ok(Json(directory(
        &st,
        st.services
            .directories
            .update(&admin, id, b.deactivation_limit_per_hour)
            .await?,
    )))
}

/// Changes the safety valve is holding: deactivations and deletions past the hourly limit.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/directories/{id}/held", tag = "directories", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), responses((status = 200, body = HeldList), (status = 404, body = Problem)))]
pub async fn held(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<HeldList>> {
    let id = path_id(&id, "directory", DirectoryId::parse)?;
    let items = st
        .services
        .directories
        .list_held(&admin, id)
        .await?
        .into_iter()
        .map(|h| {
            let (method, body) = crate::scim::held_summary(&h.change);
            HeldResponse {
                id: h.id,
                resource_id: h.resource_id,
                method: method.to_owned(),
                body,
                held_at: h.created_at.to_rfc3339(),
            }
        })
        .collect();
    Ok(Json(HeldList { items }))
}

/// Applies the held changes now, in the order they arrived, as the directory's own.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/directories/{id}/held/release", tag = "directories", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), responses((status = 200, body = ReleaseResponse), (status = 404, body = Problem)))]
pub async fn release(
    State(st): State<AppState>,
    Admin(admin): Admin,
    crate::extract::ClientMeta(meta): crate::extract::ClientMeta,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<ReleaseResponse>> {
    let id = path_id(&id, "directory", DirectoryId::parse)?;
    let (released, failed) = crate::scim::release_held(&st, &admin, &meta, id).await?;
    Ok(Json(ReleaseResponse { released, failed }))
}

/// Drops the held changes without applying them.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/directories/{id}/held/discard", tag = "directories", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), responses((status = 200, body = DiscardResponse), (status = 404, body = Problem)))]
pub async fn discard(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<DiscardResponse>> {
    let id = path_id(&id, "directory", DirectoryId::parse)?;
    Ok(Json(DiscardResponse {
        discarded: st.services.directories.discard_held(&admin, id).await?,
    }))
}
