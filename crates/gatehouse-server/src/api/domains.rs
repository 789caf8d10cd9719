use super::common::path_id;
use crate::error::{ApiResult, Problem};
use crate::extract::{Admin, ApiJson};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gatehouse_core::domain::{Domain, DomainCheck};
use gatehouse_core::ids::{AccountId, DomainId};
use gatehouse_core::services::{DomainDetail, Verification};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct DomainResponse {
    pub id: String,
    /// Normalized: lower case, internationalized names in punycode.
    pub name: String,
    /// pending, verified or failed.
    pub status: String,
    /// automatic or manual.
    pub claim_mode: String,
    /// Publish this TXT record on the domain…
    pub txt_record: String,
    /// …or serve the token (alone) at this URL.
    pub https_url: String,
    pub token: String,
    pub created_at: String,
    /// A pending domain not verified by then fails.
    pub verify_by: String,
    pub verified_at: Option<String>,
    pub verified_method: Option<String>,
    pub last_checked_at: Option<String>,
    pub last_check_detail: Option<String>,
    /// Set while a verified domain's proof is missing; it is unverified after the grace period.
    pub proof_missing_since: Option<String>,
}

impl From<Domain> for DomainResponse {
    fn from(d: Domain) -> Self {
        Self {
            txt_record: d.txt_record(),
            https_url: d.https_url(),
            id: d.id.to_string(),
            name: d.name,
            status: d.status.as_str().into(),
            claim_mode: d.claim_mode.as_str().into(),
            token: d.token,
            created_at: d.created_at.to_rfc3339(),
            verify_by: d.verify_by.to_rfc3339(),
            verified_at: d.verified_at.map(gatehouse_core::Timestamp::to_rfc3339),
            verified_method: d.verified_method.map(|m| m.as_str().into()),
            last_checked_at: d.last_checked_at.map(gatehouse_core::Timestamp::to_rfc3339),
            last_check_detail: d.last_check_detail,
            proof_missing_since: d.failing_since.map(gatehouse_core::Timestamp::to_rfc3339),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CheckResponse {
    pub checked_at: String,
    /// dns or https.
    pub method: String,
    /// found, missing or unreachable.
    pub outcome: String,
    pub detail: String,
}

impl From<DomainCheck> for CheckResponse {
    fn from(c: DomainCheck) -> Self {
        Self {
            checked_at: c.checked_at.to_rfc3339(),
            method: c.method.as_str().into(),
            outcome: c.outcome,
            detail: c.detail,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DomainDetailResponse {
    #[serde(flatten)]
    pub domain: DomainResponse,
    /// Recent checks, newest first.
    pub checks: Vec<CheckResponse>,
}

impl From<DomainDetail> for DomainDetailResponse {
    fn from(d: DomainDetail) -> Self {
        Self {
            domain: d.domain.into(),
            checks: d.checks.into_iter().map(CheckResponse::from).collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DomainList {
    pub items: Vec<DomainResponse>,
}

#[derive(Serialize, ToSchema)]
pub struct VerificationResponse {
    pub domain: DomainResponse,
    /// What each method found, in the order tried.
    pub checks: Vec<CheckResponse>,
    /// Accounts that became managed.
    pub claimed_accounts: usize,
}

impl From<Verification> for VerificationResponse {
    fn from(v: Verification) -> Self {
        let at = v
            .domain
            .last_checked_at
            .map(gatehouse_core::Timestamp::to_rfc3339)
            .unwrap_or_default();
        Self {
            checks: v
                .outcomes
                .iter()
                .map(|(m, o)| CheckResponse {
                    checked_at: at.clone(),
                    method: m.as_str().into(),
                    outcome: o.as_str().into(),
                    detail: o.detail().into(),
                })
                .collect(),
            domain: v.domain.into(),
            claimed_accounts: v.claimed,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddDomainRequest {
    pub name: String,
    /// automatic (default) or manual.
    pub claim_mode: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDomainRequest {
    pub claim_mode: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimRequest {
    /// Only these accounts; all accounts on the domain when absent.
    pub account_ids: Option<Vec<String>>,
}

#[derive(Serialize, ToSchema)]
pub struct ClaimResponse {
    pub claimed_accounts: usize,
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/domains", tag = "domains", security(("api_key" = [])),
    params(("org_id" = String, Path)), responses((status = 200, body = DomainList)))]
pub async fn list(State(st): State<AppState>, Admin(admin): Admin) -> ApiResult<Json<DomainList>> {
    let items = st
        .services
        .domains
        .list(&admin)
        .await?
        .into_iter()
        .map(DomainResponse::from)
        .collect();
    Ok(Json(DomainList { items }))
}

/// Adds a domain to verify and returns the token to publish.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/domains", tag = "domains", security(("api_key" = [])),
    params(("org_id" = String, Path)), request_body = AddDomainRequest,
    responses((status = 201, body = DomainResponse), (status = 403, body = Problem, description = "consumer_domain"),
        (status = 409, body = Problem, description = "domain_exists or domain_verified_elsewhere"), (status = 422, body = Problem)))]
pub async fn add(
    State(st): State<AppState>,
    Admin(admin): Admin,
    ApiJson(b): ApiJson<AddDomainRequest>,
) -> ApiResult<(StatusCode, Json<DomainResponse>)> {
    let d = st
        .services
        .domains
        .create(&admin, &b.name, b.claim_mode.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/domains/{id}", tag = "domains", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), responses((status = 200, body = DomainDetailResponse), (status = 404, body = Problem)))]
pub async fn get(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<DomainDetailResponse>> {
    let id = path_id(&id, "domain", DomainId::parse)?;
    Ok(Json(st.services.domains.get(&admin, id).await?.into()))
}

#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/domains/{id}", tag = "domains", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), request_body = UpdateDomainRequest,
    responses((status = 200, body = DomainResponse), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
    ApiJson(b): ApiJson<UpdateDomainRequest>,
) -> ApiResult<Json<DomainResponse>> {
    let id = path_id(&id, "domain", DomainId::parse)?;
    Ok(Json(
        st.services.domains.update(&admin, id, &b.claim_mode).await?.into(),
    ))
}

/// Looks for the proof now: the TXT record first, then the HTTPS file.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/domains/{id}/verify", tag = "domains", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = VerificationResponse), (status = 404, body = Problem), (status = 409, body = Problem, description = "domain_verified_elsewhere")))]
pub async fn verify(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<VerificationResponse>> {
    let id = path_id(&id, "domain", DomainId::parse)?;
    Ok(Json(st.services.domains.verify(&admin, id).await?.into()))
}

/// Makes accounts on the verified domain managed: all, or the listed ones.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/domains/{id}/claim", tag = "domains", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), request_body = ClaimRequest,
    responses((status = 200, body = ClaimResponse), (status = 404, body = Problem), (status = 409, body = Problem, description = "domain_not_verified")))]
pub async fn claim(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
    ApiJson(b): ApiJson<ClaimRequest>,
) -> ApiResult<Json<ClaimResponse>> {
    let id = path_id(&id, "domain", DomainId::parse)?;
    let only = b
        .account_ids
        .map(|ids| ids.iter().map(|i| AccountId::parse(i)).collect::<Result<Vec<_>, _>>())
        .transpose()?;
    Ok(Json(ClaimResponse {
        claimed_accounts: st.services.domains.claim(&admin, id, only).await?,
    }))
}

/// Removes the domain; if it was verified, its claimed accounts are released.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/domains/{id}", tag = "domains", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn remove(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = path_id(&id, "domain", DomainId::parse)?;
    st.services.domains.delete(&admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
