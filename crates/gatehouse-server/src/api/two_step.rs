//! The two-step verification of an account the organization manages: which methods it has
//! (never a secret), and the reset that removes them all (a lost phone or key). Any other
//! account answers 403 `account_not_managed` (one the organization does not see: 404).

use super::common::path_id;
use crate::error::{ApiResult, Problem};
use crate::extract::Admin;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use gatehouse_core::ids::AccountId;
use gatehouse_core::two_step::Enrolment;
use serde::Serialize;
use utoipa::ToSchema;

/// A security key or passkey, as an admin sees it: its name and dates, no key material.
#[derive(Serialize, ToSchema)]
pub struct SecurityKeyResponse {
    pub id: String,
    pub name: String,
    /// Whether the credential can be synced between devices (a passkey in a password manager).
    pub synced: bool,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

/// What an account has enrolled.
#[derive(Serialize, ToSchema)]
pub struct TwoStepResponse {
    /// Whether two-step verification is on (an authenticator app or a security key).
    pub enabled: bool,
    /// The methods enrolled: `totp`, `security_key`, `recovery_code`.
    pub methods: Vec<String>,
    /// When the authenticator app was set up.
    pub totp_enrolled_at: Option<String>,
    pub security_keys: Vec<SecurityKeyResponse>,
    /// Recovery codes not used yet.
    pub recovery_codes_left: i64,
}

impl From<Enrolment> for TwoStepResponse {
    fn from(e: Enrolment) -> Self {
        Self {
            enabled: e.is_enrolled(),
            methods: e.methods().iter().map(|m| m.as_str().to_owned()).collect(),
            totp_enrolled_at: e.totp.map(gatehouse_core::Timestamp::to_rfc3339),
            security_keys: e
                .security_keys
                .into_iter()
                .map(|k| SecurityKeyResponse {
                    id: k.id.to_string(),
                    name: k.name,
                    synced: k.backup_eligible,
                    created_at: k.created_at.to_rfc3339(),
                    last_used_at: k.last_used_at.map(gatehouse_core::Timestamp::to_rfc3339),
                })
                .collect(),
            recovery_codes_left: e.recovery_codes_left,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/accounts/{id}/two-step", tag = "two_step", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = TwoStepResponse, description = "the account's second steps (no secret)"),
        (status = 403, body = Problem, description = "account_not_managed"), (status = 404, body = Problem)))]
pub async fn get(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<TwoStepResponse>> {
    let id = path_id(&id, "account", AccountId::parse)?;
    Ok(Json(st.signin.two_step_of(&admin, id).await?.into()))
}

#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/accounts/{id}/two-step", tag = "two_step", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = TwoStepResponse, description = "every second step removed (`two_step.reset`, the person is mailed); the body says what there was"),
        (status = 403, body = Problem, description = "account_not_managed"), (status = 404, body = Problem)))]
pub async fn reset(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<TwoStepResponse>> {
    let id = path_id(&id, "account", AccountId::parse)?;
    Ok(Json(st.signin.reset_two_step(&admin, id).await?.into()))
}
