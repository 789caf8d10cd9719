use super::common::{list_type, path_id};
use crate::error::{ApiResult, Problem};
use crate::extract::{Admin, ApiJson, ApiQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gatehouse_core::auth::PasswordState;
use gatehouse_core::ids::{AccountId, InstanceId};
use gatehouse_core::model::{AccountFilter, OrgAccount};
use gatehouse_core::page::PageRequest;
use gatehouse_core::product::{AccountStatus, Product};
use gatehouse_core::services::{AccountDetail, AccountPatch, NewAccount, Removal};
use gatehouse_core::{CoreError, Result as CoreResult};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct AccountResponse {
    pub id: String,
    /// Normalized to lower case.
    pub email: String,
    pub display_name: String,
    /// active or deactivated.
    pub status: String,
    /// Whether this organization manages the account (may change or delete it): only when it
    /// verified the account's email domain and claimed or created the account there. Any
    /// other account is the person's own: the organization may grant or revoke its access or
    /// remove it, and changes to it answer 403 `account_not_managed`.
    pub is_managed: bool,
    /// When the organization's directory suspended the account in this organization only (an
    /// account the organization does not manage, made inactive by the directory): its access
    /// to the organization's instances has ended; the account itself is unchanged.
    pub suspended_at: Option<String>,
    /// Whether the organization pays for the account: the one billing rule that applies to it is
    /// `billable` (each account's rule: `GET /billing/accounts`; README, "Who is billed").
    /// Deactivated accounts and accounts the organization does not manage never are.
    pub billable: bool,
    pub created_at: String,
    pub last_active_at: Option<String>,
    pub added_at: String,
    /// When a scheduled deletion happens (it can be cancelled until then).
    pub delete_after: Option<String>,
    /// The account's password, as measured when it was set (for password policies). Only the
    /// organization that manages the account sees it; for any other it is absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<PasswordResponse>,
    /// The second steps the account has enrolled (`totp`, `security_key`, `recovery_code`;
    /// empty: none). Only the organization that manages the account sees them; details at
    /// `/accounts/{id}/two-step`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub two_step: Option<Vec<String>>,
}

/// What was measured of a password when it was set. Never the password, nor anything else
/// derived from it.
#[derive(Serialize, ToSchema)]
pub struct PasswordResponse {
    /// `none` (no password), `unknown` (set before Gatehouse measured passwords) or `set`.
    #[schema(example = "set")]
    pub state: String,
    /// Length in characters (`set` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length: Option<u32>,
    /// zxcvbn's score, 0 (guessed within 10^3 tries) to 4 (more than 10^10) (`set` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 4)]
    pub strength: Option<u8>,
    /// Whether it is on Gatehouse's list of common passwords, whatever its case (`set` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub common: Option<bool>,
    /// When it was set (`set` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_at: Option<String>,
}

impl From<&PasswordState> for PasswordResponse {
    fn from(p: &PasswordState) -> Self {
        let f = p.facts();
        Self {
            state: p.as_str().to_owned(),
            length: f.map(|f| f.length),
            strength: f.map(|f| f.score),
            common: f.map(|f| f.common),
            set_at: f.map(|f| f.set_at.to_rfc3339()),
        }
    }
}

impl From<OrgAccount> for AccountResponse {
    fn from(a: OrgAccount) -> Self {
        let billable = a.billable();
        let password = a.password_seen().map(PasswordResponse::from);
        Self {
            password,
            two_step: None,
            id: a.account.id.to_string(),
            email: a.account.email,
            display_name: a.account.display_name,
            status: a.account.status.to_string(),
            is_managed: a.is_managed,
            suspended_at: a.suspended_at.map(gatehouse_core::Timestamp::to_rfc3339),
            billable,
            created_at: a.account.created_at.to_rfc3339(),
            last_active_at: a.account.last_active_at.map(gatehouse_core::Timestamp::to_rfc3339),
            added_at: a.added_at.to_rfc3339(),
            delete_after: a.account.delete_after.map(gatehouse_core::Timestamp::to_rfc3339),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct GroupRef {
    pub id: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct EffectiveAccessResponse {
    pub access_id: String,
    pub instance_id: String,
    pub instance_name: String,
    pub product: String,
    pub role: String,
    /// Set when the access comes through this group rather than a direct grant.
    pub via_group_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AccountDetailResponse {
    #[serde(flatten)]
    pub account: AccountResponse,
    pub is_org_admin: bool,
    pub groups: Vec<GroupRef>,
    pub product_access: Vec<EffectiveAccessResponse>,
}

impl From<AccountDetail> for AccountDetailResponse {
    fn from(d: AccountDetail) -> Self {
        Self {
            account: d.account.into(),
            is_org_admin: d.is_org_admin,
            groups: d
                .groups
                .into_iter()
                .map(|g| GroupRef {
                    id: g.id.to_string(),
                    name: g.name,
                })
                .collect(),
            product_access: d
                .access
                .into_iter()
                .map(|e| EffectiveAccessResponse {
                    access_id: e.access.id.to_string(),
                    instance_id: e.access.instance_id.to_string(),
                    instance_name: e.instance_name,
                    product: e.product.to_string(),
                    role: e.access.role.to_string(),
                    via_group_id: e.via_group.map(|g| g.to_string()),
                })
                .collect(),
        }
    }
}

list_type!(AccountList, AccountResponse);

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccountRequest {
    pub email: String,
    pub display_name: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccountRequest {
    pub display_name: Option<String>,
    /// A new address, on a domain the organization has verified.
    pub email: Option<String>,
    /// active or deactivated.
    pub status: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AccountQuery {
    /// Part of the email address (case-insensitive).
    pub email: Option<String>,
    /// Part of the display name (case-insensitive).
    pub name: Option<String>,
    /// active or deactivated.
    pub status: Option<String>,
    /// Accounts with access to any instance of this product (directly or through a group).
    pub product: Option<String>,
    /// Accounts with access to this instance (directly or through a group).
    pub instance_id: Option<String>,
    /// true: accounts the organization manages; false: external users (access, not managed).
    pub managed: Option<bool>,
    /// Accounts whose email is on this domain.
    pub domain: Option<String>,
    /// Accounts not active since this RFC 3339 time (or never active).
    pub inactive_since: Option<String>,
    pub cursor: Option<String>,
    /// 1 to 200; default 50.
    pub limit: Option<u32>,
}

impl AccountQuery {
    fn filter(&self) -> CoreResult<AccountFilter> {
        let mut v = gatehouse_core::error::Validator::default();
        let f = AccountFilter {
            email: self.email.clone().filter(|s| !s.is_empty()),
            name: self.name.clone().filter(|s| !s.is_empty()),
            status: self.status.as_deref().and_then(|s| v.check(AccountStatus::parse(s))),
            product: self.product.as_deref().and_then(|p| v.check(Product::parse(p))),
            instance: self.instance_id.as_deref().and_then(|i| v.check(InstanceId::parse(i))),
            managed: self.managed,
            inactive_since: self
                .inactive_since
                .as_deref()
                .and_then(|t| v.check(gatehouse_core::Timestamp::parse_rfc3339(t, "inactive_since"))),
            email_domain: self.domain.as_deref().filter(|d| !d.is_empty()).and_then(|d| {
                v.check(
                    gatehouse_core::domain::DomainName::parse(d)
                        .map_err(|_| CoreError::validation("domain", "is not a valid domain name")),
                )
                .map(|d| d.to_string())
            }),
        };
        if f.email.as_ref().is_some_and(|e| e.len() > 254) || f.name.as_ref().is_some_and(|n| n.len() > 200) {
            v.check::<()>(Err(CoreError::validation("email", "filter text is too long")));
        }
        v.finish()?;
        Ok(f)
    }
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/accounts", tag = "accounts", security(("api_key" = [])),
    params(("org_id" = String, Path), AccountQuery),
    responses((status = 200, body = AccountList), (status = 422, body = Problem)))]
pub async fn list(
    State(st): State<AppState>,
    Admin(admin): Admin,
    ApiQuery(q): ApiQuery<AccountQuery>,
) -> ApiResult<Json<AccountList>> {
    let filter = q.filter()?;
    let page = PageRequest::parse(q.cursor.as_deref(), q.limit)?;
    let p = st.services.accounts.list(&admin, &filter, &page).await?;
    let managed: Vec<AccountId> = p.items.iter().filter(|a| a.is_managed).map(|a| a.account.id).collect();
    let methods = st.signin.two_step_methods_of(&admin, &managed).await?;
    Ok(Json(AccountList::from_page(p, |a| {
        let id = a.account.id;
        AccountResponse {
            two_step: methods
                .get(&id)
                .map(|m| m.iter().map(|m| m.as_str().to_owned()).collect()),
            ..AccountResponse::from(a)
        }
    })))
}

/// Creates an account, managed by the organization when it verified the email's domain
/// (`is_managed`). An email that already has an account elsewhere adds that account instead
/// (`is_managed: false`).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/accounts", tag = "accounts", security(("api_key" = [])),
    params(("org_id" = String, Path)), request_body = CreateAccountRequest,
    responses((status = 201, body = AccountResponse), (status = 409, body = Problem, description = "email_taken"), (status = 422, body = Problem)))]
pub async fn create(
    State(st): State<AppState>,
    Admin(admin): Admin,
    ApiJson(body): ApiJson<CreateAccountRequest>,
) -> ApiResult<(StatusCode, Json<AccountResponse>)> {
    let input = NewAccount::parse(&body.email, &body.display_name)?;
    let (account, _created) = st.services.accounts.create(&admin, input).await?;
    crate::web::invitation::invite(&st, &admin, account.account.id).await;
    Ok((StatusCode::CREATED, Json(account.into())))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/accounts/{id}", tag = "accounts", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = AccountDetailResponse), (status = 404, body = Problem)))]
pub async fn get(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<AccountDetailResponse>> {
    let id = path_id(&id, "account", AccountId::parse)?;
    let detail = st.services.accounts.get(&admin, id).await?;
    let managed = if detail.account.is_managed {
        vec![id]
    } else {
        Vec::new()
    };
    let mut methods = st.signin.two_step_methods_of(&admin, &managed).await?;
    let mut answer = AccountDetailResponse::from(detail);
    answer.account.two_step = methods
        .remove(&id)
        .map(|m| m.iter().map(|m| m.as_str().to_owned()).collect());
    Ok(Json(answer))
}

#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/accounts/{id}", tag = "accounts", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), request_body = UpdateAccountRequest,
    responses((status = 200, body = AccountResponse), (status = 403, body = Problem, description = "account_not_managed, email_domain_not_verified"), (status = 404, body = Problem)))]
pub async fn update(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<UpdateAccountRequest>,
) -> ApiResult<Json<AccountResponse>> {
    let id = path_id(&id, "account", AccountId::parse)?;
    let patch = AccountPatch::parse_with_email(
        body.display_name.as_deref(),
        body.status.as_deref(),
        body.email.as_deref(),
    )?;
    Ok(Json(st.services.accounts.update(&admin, id, patch).await?.into()))
}

/// Removes an account the organization does not manage from the organization (204; the
/// account itself is untouched), or schedules a managed one for deletion in 14 days (202 with
/// the account; deactivated at once, cancellable until then).
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/accounts/{id}", tag = "accounts", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)),
    responses((status = 202, body = AccountResponse), (status = 204), (status = 404, body = Problem), (status = 409, body = Problem, description = "last_admin")))]
pub async fn remove(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let id = path_id(&id, "account", AccountId::parse)?;
    Ok(match st.services.accounts.delete(&admin, id).await? {
        Removal::Removed => StatusCode::NO_CONTENT.into_response(),
        Removal::DeletionScheduled(a) => (StatusCode::ACCEPTED, Json(AccountResponse::from(a))).into_response(),
    })
}

#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/accounts/{id}/cancel-deletion", tag = "accounts", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = AccountResponse), (status = 404, body = Problem), (status = 409, body = Problem, description = "no_deletion_scheduled")))]
pub async fn cancel_deletion(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<AccountResponse>> {
    let id = path_id(&id, "account", AccountId::parse)?;
    Ok(Json(st.services.accounts.cancel_deletion(&admin, id).await?.into()))
}

/// One of a person's API tokens, as an admin of the organization that manages them sees it
/// (never the secret).
#[derive(Serialize, ToSchema)]
pub struct UserApiTokenResponse {
    pub id: String,
    pub name: String,
    /// The secret's first characters, to tell tokens apart.
    pub prefix: String,
    /// active, expired or revoked.
    pub status: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct UserApiTokenList {
    pub items: Vec<UserApiTokenResponse>,
}

/// The API tokens of a managed account (403 `account_not_managed` for anyone else's).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/accounts/{id}/api-tokens", tag = "accounts", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = UserApiTokenList), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn list_api_tokens(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<UserApiTokenList>> {
    let id = path_id(&id, "account", AccountId::parse)?;
    let now = st.services.now();
    let items = st
        .services
        .api_tokens
        .list(&admin, id)
        .await?
        .into_iter()
        .map(|t| UserApiTokenResponse {
            status: t.status(now).to_owned(),
            id: t.id.to_string(),
            name: t.name,
            prefix: t.prefix,
            created_at: t.created_at.to_rfc3339(),
            expires_at: t.expires_at.map(gatehouse_core::Timestamp::to_rfc3339),
            last_used_at: t.last_used_at.map(gatehouse_core::Timestamp::to_rfc3339),
            revoked_at: t.revoked_at.map(gatehouse_core::Timestamp::to_rfc3339),
        })
        .collect();
    Ok(Json(UserApiTokenList { items }))
}

/// Revokes one API token of a managed account.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/accounts/{id}/api-tokens/{token_id}/revoke", tag = "accounts", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path), ("token_id" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn revoke_api_token(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id, token)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let id = path_id(&id, "account", AccountId::parse)?;
    let Ok(token) = gatehouse_core::ids::UserApiTokenId::parse(&token) else {
        return Err(CoreError::NotFound { entity: "API token" }.into());
    };
    st.services.api_tokens.revoke(&admin, id, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}
