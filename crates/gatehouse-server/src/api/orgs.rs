use crate::error::{ApiResult, Problem};
use crate::extract::{Admin, ApiJson};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use gatehouse_core::model::{Org, OrgCounts};
use gatehouse_core::product::Product;
use gatehouse_core::services::OrgPatch;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct OrgResponse {
    pub id: String,
    pub name: String,
    /// free, standard or enterprise; the operator's to set (`gatehouse org set-plan`).
    pub plan: String,
    /// `community` or `academic` when the operator made the organization free for everyone
    /// (`gatehouse org set-free`); null otherwise.
    pub free: Option<String>,
    pub created_at: String,
    pub counts: CountsResponse,
}

#[derive(Serialize, ToSchema)]
pub struct CountsResponse {
    pub accounts: i64,
    /// Distinct accounts the organization pays for (`billable_users` of `GET /billing`).
    pub billable_accounts: i64,
    pub instances: i64,
    pub groups: i64,
}

impl OrgResponse {
    fn new(o: Org, c: OrgCounts) -> Self {
        Self {
            id: o.id.to_string(),
            name: o.name,
            plan: o.plan.to_string(),
            free: o.free.map(|f| f.as_str().to_owned()),
            created_at: o.created_at.to_rfc3339(),
            counts: CountsResponse {
                accounts: c.accounts,
                billable_accounts: c.billable_accounts,
                instances: c.instances,
                groups: c.groups,
            },
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrgRequest {
    pub name: Option<String>,
    /// Refused with 403 `plan_operator_only`: the plan is the operator's to set.
    pub plan: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ProductResponse {
    /// The product's key, used in `product` fields.
    pub key: String,
    pub name: String,
    pub editions: Vec<String>,
    pub roles: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ProductList {
    pub items: Vec<ProductResponse>,
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}", tag = "organization", security(("api_key" = [])),
    params(("org_id" = String, Path)),
    responses((status = 200, body = OrgResponse), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get_org(State(st): State<AppState>, Admin(admin): Admin) -> ApiResult<Json<OrgResponse>> {
    let org = st.services.orgs.get(&admin).await?;
    let counts = st.services.orgs.get_counts(&admin).await?;
    Ok(Json(OrgResponse::new(org, counts)))
}

#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}", tag = "organization", security(("api_key" = [])),
    params(("org_id" = String, Path)), request_body = UpdateOrgRequest,
    responses((status = 200, body = OrgResponse), (status = 403, body = Problem, description = "plan_operator_only: the plan is the operator's; nothing changed"),
        (status = 422, body = Problem)))]
pub async fn update_org(
    State(st): State<AppState>,
    Admin(admin): Admin,
    ApiJson(body): ApiJson<UpdateOrgRequest>,
) -> ApiResult<Json<OrgResponse>> {
    let patch = OrgPatch::parse(body.name.as_deref(), body.plan.as_deref())?;
    let org = st.services.orgs.update(&admin, patch).await?;
    let counts = st.services.orgs.get_counts(&admin).await?;
    Ok(Json(OrgResponse::new(org, counts)))
}

/// The products of the suite, with the editions they are sold in and the roles they have.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/products", tag = "products", security(("api_key" = [])),
    params(("org_id" = String, Path)), responses((status = 200, body = ProductList)))]
pub async fn list_products(Admin(_admin): Admin) -> Json<ProductList> {
    let items = Product::ALL
        .iter()
        .map(|p| ProductResponse {
            key: p.as_str().into(),
            name: p.display_name().into(),
            editions: p.editions().iter().map(ToString::to_string).collect(),
            roles: p.roles().iter().map(ToString::to_string).collect(),
        })
        .collect();
    Json(ProductList { items })
}
