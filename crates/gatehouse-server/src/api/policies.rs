//! Authentication policies: `/api/v1/orgs/{org_id}/policies`, their members, the simulator,
//! and the external-users policy. A policy's settings are fields of the policy object; a
//! create or change carries them as a JSON merge patch (absent: unchanged, `null`: default).

use super::common::path_id;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Admin, ApiJson, ApiQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gatehouse_core::CoreError;
use gatehouse_core::ids::{AccountId, PolicyId};
use gatehouse_core::policy::{ExternalPolicy, Policy, TwoStepRule};
use gatehouse_core::ports::PolicyMember;
use gatehouse_core::services::policies::{
    MoveReport, NewPolicy, PolicyPatch, PolicySummary, Proposal, SimulationReport,
};
use gatehouse_core::types::Name;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct SsoDto {
    /// Members sign in through an identity provider only (break-glass admins excepted).
    pub enforced: bool,
    /// The provider; null while enforced: the provider of each member's email domain.
    pub identity_provider_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PasswordDto {
    /// 8 to 128; default 12.
    pub min_length: u32,
    /// zxcvbn score 0 (any) to 4.
    pub min_strength: u8,
    /// Days until a password must be changed at sign-in; null: never.
    pub expiry_days: Option<u32>,
    /// No reuse of the current password and the N-1 before it (0 to 24).
    pub history: u32,
    /// Refuse the bundled (and the operator's) list of common passwords.
    pub refuse_common: bool,
}

#[derive(Serialize, ToSchema)]
pub struct SessionDto {
    /// 15 to 43200 minutes; null: the server's default.
    pub idle_minutes: Option<u32>,
    /// 15 to 43200 minutes; null: the server's default.
    pub absolute_minutes: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct PolicyResponse {
    pub id: String,
    pub name: String,
    /// New managed accounts join the default policy.
    pub is_default: bool,
    pub member_count: i64,
    pub sso: SsoDto,
    /// `optional` or `required`.
    pub two_step_verification: String,
    pub password: PasswordDto,
    pub session: SessionDto,
    pub non_billable: bool,
    /// The operator requires a subscription and the organization has none running: nothing
    /// is deleted, but the default policy applies without its single sign-on and two-step
    /// rules, and any other policy not at all (its members follow the default), until it
    /// subscribes.
    pub paused: bool,
    pub created_at: String,
    pub updated_at: String,
}

fn response(p: Policy, member_count: i64, paused: bool) -> PolicyResponse {
    let s = p.settings;
    PolicyResponse {
        id: p.id.to_string(),
        name: p.name,
        is_default: p.is_default,
        member_count,
        sso: SsoDto {
            enforced: s.sso.enforced,
            identity_provider_id: s.sso.identity_provider_id.map(|i| i.to_string()),
        },
        two_step_verification: match s.two_step_verification {
            TwoStepRule::Optional => "optional",
            TwoStepRule::Required => "required",
        }
        .to_owned(),
        password: PasswordDto {
            min_length: s.password.min_length,
            min_strength: s.password.min_strength,
            expiry_days: s.password.expiry_days,
            history: s.password.history,
            refuse_common: s.password.refuse_common,
        },
        session: SessionDto {
            idle_minutes: s.session.idle_minutes,
            absolute_minutes: s.session.absolute_minutes,
        },
        non_billable: s.non_billable,
        paused,
        created_at: p.created_at.to_rfc3339(),
        updated_at: p.updated_at.to_rfc3339(),
    }
}

impl From<PolicySummary> for PolicyResponse {
    fn from(s: PolicySummary) -> Self {
        response(s.policy, s.member_count, s.paused)
    }
}

#[derive(Serialize, ToSchema)]
pub struct PolicyList {
    /// The default first, then by name.
    pub items: Vec<PolicyResponse>,
}

/// The settings fields of a request, as a merge patch: every field optional; inside `sso`,
/// `password` and `session`, `null` returns a field to its default.
macro_rules! settings_request {
    ($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $field:ident: $ty:ty,)* }) => {
        $(#[$m])*
        #[derive(Deserialize, ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($(#[$fm])* pub $field: $ty,)*
            /// `{enforced, identity_provider_id}`.
            #[schema(value_type = Option<Object>)]
            pub sso: Option<Value>,
            /// `optional` or `required`.
            #[schema(value_type = Option<String>)]
            pub two_step_verification: Option<Value>,
            /// `{min_length, min_strength, expiry_days, history, refuse_common}`.
            #[schema(value_type = Option<Object>)]
            pub password: Option<Value>,
            /// `{idle_minutes, absolute_minutes}`.
            #[schema(value_type = Option<Object>)]
            pub session: Option<Value>,
            #[schema(value_type = Option<bool>)]
            pub non_billable: Option<Value>,
        }

        impl $name {
            /// The settings fields present, as one merge patch.
            fn settings_patch(&mut self) -> Value {
                let mut m = Map::new();
                for (k, v) in [
                    ("sso", self.sso.take()),
                    ("two_step_verification", self.two_step_verification.take()),
                    ("password", self.password.take()),
                    ("session", self.session.take()),
                    ("non_billable", self.non_billable.take()),
                ] {
                    if let Some(v) = v {
                        m.insert(k.to_owned(), v);
                    }
                }
                Value::Object(m)
            }
        }
    };
}

settings_request!(CreatePolicyRequest {
    /// Unique in the organization, case-insensitively.
    name: String,
});

settings_request!(UpdatePolicyRequest {
    name: Option<String>,
    /// End every session of the policy's members now, so new session rules apply at once.
    #[serde(default)]
    end_existing_sessions: bool,
});

settings_request!(
    /// What to simulate: proposed settings (a merge patch over the policy's), and/or accounts
    /// to move into it (else its members).
    SimulateRequest {
        account_ids: Option<Vec<String>>,
    }
);

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveRequest {
    /// Managed accounts to move into the policy, at most 10,000, each once.
    pub account_ids: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MoveRow {
    pub account_id: String,
    /// `moved`, `already_member` or `not_managed`.
    pub outcome: String,
    /// The policy it moved from.
    pub from_policy_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MoveResponse {
    pub moved: usize,
    pub results: Vec<MoveRow>,
}

impl From<MoveReport> for MoveResponse {
    fn from(r: MoveReport) -> Self {
        Self {
            moved: r.moved(),
            results: r
                .rows
                .into_iter()
                .map(|(id, o)| MoveRow {
                    account_id: id.to_string(),
                    outcome: o.as_str().to_owned(),
                    from_policy_id: match o {
                        gatehouse_core::services::policies::MoveOutcome::Moved { from } => Some(from.to_string()),
                        _ => None,
                    },
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SimulatedAccount {
    pub account_id: String,
    pub email: String,
    /// `sso_without_identity_provider`, `two_step_without_method`, `password_refused`,
    /// `password_unknown`.
    pub reasons: Vec<String>,
    /// Why the password is refused: `too_short`, `too_weak`, `common` or `expired`.
    pub password_refused: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SimulationResponse {
    pub accounts_checked: usize,
    /// Accounts named that the organization does not manage (they would not move).
    pub not_managed: usize,
    /// Accounts with at least one reason.
    pub affected: usize,
    /// Accounts per reason.
    #[schema(value_type = Object)]
    pub counts: std::collections::BTreeMap<String, usize>,
    /// At most 1000 affected accounts.
    pub accounts: Vec<SimulatedAccount>,
    pub truncated: bool,
}

impl From<SimulationReport> for SimulationResponse {
    fn from(r: SimulationReport) -> Self {
        use gatehouse_core::policy::judge::Lockout;
        Self {
            accounts_checked: r.accounts_checked,
            not_managed: r.not_managed,
            affected: r.affected,
            counts: r.counts.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            accounts: r
                .accounts
                .into_iter()
                .map(|a| SimulatedAccount {
                    account_id: a.account_id.to_string(),
                    email: a.email,
                    password_refused: a.reasons.iter().find_map(|l| match l {
                        Lockout::PasswordRefused(why) => Some((*why).to_owned()),
                        _ => None,
                    }),
                    reasons: a.reasons.iter().map(|l| l.code().to_owned()).collect(),
                })
                .collect(),
            truncated: r.truncated,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MemberResponse {
    pub account_id: String,
    pub email: String,
    pub display_name: String,
    /// `none`, `unknown` (set before facts were recorded) or `set`.
    pub password: String,
}

impl From<PolicyMember> for MemberResponse {
    fn from(m: PolicyMember) -> Self {
        Self {
            account_id: m.account.id.to_string(),
            email: m.account.email,
            display_name: m.account.display_name,
            password: m.password.as_str().to_owned(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MemberList {
    pub items: Vec<MemberResponse>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MemberQuery {
    /// The last account id of the previous page.
    pub after: Option<String>,
    /// 1 to 1000; default 100.
    pub limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct ExternalPolicyResponse {
    /// People the organization does not manage prove their mailbox with an emailed code when
    /// they sign in to its clients.
    pub require_email_code: bool,
    /// Their session may be at most this many minutes old to sign in to its clients.
    pub session_max_minutes: Option<u32>,
    pub updated_at: Option<String>,
}

impl From<ExternalPolicy> for ExternalPolicyResponse {
    fn from(p: ExternalPolicy) -> Self {
        Self {
            require_email_code: p.settings.require_email_code,
            session_max_minutes: p.settings.session_max_minutes,
            updated_at: p.updated_at.map(gatehouse_core::Timestamp::to_rfc3339),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExternalPolicyRequest {
    #[schema(value_type = Option<bool>)]
    pub require_email_code: Option<Value>,
    /// 15 to 43200, or null for no limit.
    #[schema(value_type = Option<u32>)]
    pub session_max_minutes: Option<Value>,
}

fn policy_id(raw: &str) -> Result<PolicyId, ApiError> {
    path_id(raw, "policy", PolicyId::parse)
}

/// Account ids as the request lists them; a malformed one is named by its index.
fn account_ids(raw: &[String]) -> Result<Vec<AccountId>, CoreError> {
    raw.iter()
        .enumerate()
        .map(|(n, s)| {
            AccountId::parse(s).map_err(|_| CoreError::validation(format!("account_ids[{n}]"), "is not a valid id"))
        })
        .collect()
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/policies", tag = "policies", security(("api_key" = [])),
    params(("org_id" = String, Path)), responses((status = 200, body = PolicyList)))]
pub async fn list(State(st): State<AppState>, Admin(admin): Admin) -> ApiResult<Json<PolicyList>> {
    let items = st.services.policies.list(&admin).await?;
    Ok(Json(PolicyList {
        items: items.into_iter().map(PolicyResponse::from).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/policies", tag = "policies", security(("api_key" = [])),
    params(("org_id" = String, Path)), request_body = CreatePolicyRequest,
    responses((status = 201, body = PolicyResponse), (status = 409, body = Problem, description = "policy_name_taken"), (status = 422, body = Problem)))]
pub async fn create(
    State(st): State<AppState>,
    Admin(admin): Admin,
    ApiJson(mut b): ApiJson<CreatePolicyRequest>,
) -> ApiResult<(StatusCode, Json<PolicyResponse>)> {
    let name = Name::parse(&b.name, "name", 100)?;
    let settings = b.settings_patch();
    let p = st
        .services
        .policies
        .create(&admin, NewPolicy { name, settings })
        .await?;
    let made = st.services.policies.get(&admin, p.id).await?;
    Ok((StatusCode::CREATED, Json(made.into())))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/policies/{id}", tag = "policies", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), responses((status = 200, body = PolicyResponse), (status = 404, body = Problem)))]
pub async fn get(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<PolicyResponse>> {
    let id = policy_id(&id)?;
    Ok(Json(st.services.policies.get(&admin, id).await?.into()))
}

/// Changes the name or settings (a merge patch). Refused with 409 `admins_locked_out` when no
/// admin would keep a way in without the identity provider.
#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/policies/{id}", tag = "policies", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), request_body = UpdatePolicyRequest,
    responses((status = 200, body = PolicyResponse), (status = 404, body = Problem), (status = 409, body = Problem, description = "policy_name_taken, admins_locked_out"), (status = 422, body = Problem)))]
pub async fn update(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
    ApiJson(mut b): ApiJson<UpdatePolicyRequest>,
) -> ApiResult<Json<PolicyResponse>> {
    let id = policy_id(&id)?;
    let settings = b.settings_patch();
    let patch = PolicyPatch {
        name: b.name.as_deref().map(|n| Name::parse(n, "name", 100)).transpose()?,
        settings: Some(settings).filter(|s| s.as_object().is_some_and(|m| !m.is_empty())),
        end_sessions: b.end_existing_sessions,
    };
    st.services.policies.update(&admin, id, patch).await?;
    Ok(Json(st.services.policies.get(&admin, id).await?.into()))
}

/// Deletes a policy that is not the default; its members join the default.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/policies/{id}", tag = "policies", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem, description = "default_policy, admins_locked_out")))]
pub async fn remove(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = policy_id(&id)?;
    st.services.policies.delete(&admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Makes the policy the default that new managed accounts join; the old default's members stay
/// in it.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/policies/{id}/default", tag = "policies", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), responses((status = 200, body = PolicyResponse), (status = 404, body = Problem)))]
pub async fn make_default(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<PolicyResponse>> {
    let id = policy_id(&id)?;
    st.services.policies.make_default(&admin, id).await?;
    Ok(Json(st.services.policies.get(&admin, id).await?.into()))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/policies/{id}/members", tag = "policies", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path), MemberQuery), responses((status = 200, body = MemberList), (status = 404, body = Problem)))]
pub async fn list_members(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<MemberQuery>,
) -> ApiResult<Json<MemberList>> {
    let id = policy_id(&id)?;
    let after = q.after.as_deref().map(AccountId::parse).transpose()?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(CoreError::validation("limit", "must be from 1 to 1000").into());
    }
    let items = st.services.policies.members(&admin, id, after, limit).await?;
    let next_after = (items.len() == limit as usize)
        .then(|| items.last().map(|m| m.account.id.to_string()))
        .flatten();
    Ok(Json(MemberList {
        items: items.into_iter().map(MemberResponse::from).collect(),
        next_after,
    }))
}

/// Moves managed accounts into the policy: one audit event per account moved; the answer says
/// what happened to each.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/policies/{id}/members", tag = "policies", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), request_body = MoveRequest,
    responses((status = 200, body = MoveResponse), (status = 404, body = Problem), (status = 409, body = Problem, description = "admins_locked_out"), (status = 422, body = Problem)))]
pub async fn move_members(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
    ApiJson(b): ApiJson<MoveRequest>,
) -> ApiResult<Json<MoveResponse>> {
    let id = policy_id(&id)?;
    let accounts = account_ids(&b.account_ids)?;
    Ok(Json(
        st.services.policies.move_members(&admin, id, &accounts).await?.into(),
    ))
}

/// Which accounts could not sign in (or must enrol, or choose a new password) under proposed
/// settings or after a proposed move. Nothing changes.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/policies/{id}/simulate", tag = "policies", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), request_body = SimulateRequest,
    responses((status = 200, body = SimulationResponse), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn simulate(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
    ApiJson(mut b): ApiJson<SimulateRequest>,
) -> ApiResult<Json<SimulationResponse>> {
    let id = policy_id(&id)?;
    let settings = b.settings_patch();
    let proposal = Proposal {
        settings: Some(settings).filter(|s| s.as_object().is_some_and(|m| !m.is_empty())),
        account_ids: b.account_ids.as_deref().map(account_ids).transpose()?,
    };
    Ok(Json(st.services.policies.simulate(&admin, id, &proposal).await?.into()))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/external-users-policy", tag = "policies", security(("api_key" = [])),
    params(("org_id" = String, Path)), responses((status = 200, body = ExternalPolicyResponse)))]
pub async fn get_external(State(st): State<AppState>, Admin(admin): Admin) -> ApiResult<Json<ExternalPolicyResponse>> {
    Ok(Json(st.services.policies.external(&admin).await?.into()))
}

#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/external-users-policy", tag = "policies", security(("api_key" = [])),
    params(("org_id" = String, Path)), request_body = ExternalPolicyRequest,
    responses((status = 200, body = ExternalPolicyResponse), (status = 422, body = Problem)))]
pub async fn update_external(
    State(st): State<AppState>,
    Admin(admin): Admin,
    ApiJson(b): ApiJson<ExternalPolicyRequest>,
) -> ApiResult<Json<ExternalPolicyResponse>> {
    let mut m = Map::new();
    if let Some(v) = b.require_email_code {
        m.insert("require_email_code".into(), v);
    }
    if let Some(v) = b.session_max_minutes {
        m.insert("session_max_minutes".into(), v);
    }
    Ok(Json(
        st.services
            .policies
            .update_external(&admin, &Value::Object(m))
            .await?
            .into(),
    ))
}
