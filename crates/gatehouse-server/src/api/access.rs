use super::common::{list_type, path_id};
use crate::error::{ApiResult, Problem};
use crate::extract::{Admin, ApiJson, ApiQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gatehouse_core::ids::{AccessId, AccountId, AdminInvitationId, GroupId, InstanceId};
use gatehouse_core::model::{Access, AccessFilter, AdminInvitation, OrgAdminRole, Principal};
use gatehouse_core::page::PageRequest;
use gatehouse_core::product::Role;
use gatehouse_core::services::{AdminGrant, GrantAccess};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct AccessResponse {
    pub id: String,
    pub instance_id: String,
    /// account or group.
    pub principal_type: String,
    pub account_id: Option<String>,
    pub group_id: Option<String>,
    /// user or admin; on Jira Service Management agent, customer (portal-only) or admin.
    pub role: String,
    pub created_at: String,
}

impl From<Access> for AccessResponse {
    fn from(a: Access) -> Self {
        let (principal_type, account_id, group_id) = match a.principal {
            Principal::Account(id) => ("account", Some(id.to_string()), None),
            Principal::Group(id) => ("group", None, Some(id.to_string())),
        };
        Self {
            id: a.id.to_string(),
            instance_id: a.instance_id.to_string(),
            principal_type: principal_type.into(),
            account_id,
            group_id,
            role: a.role.to_string(),
            created_at: a.created_at.to_rfc3339(),
        }
    }
}

list_type!(AccessList, AccessResponse);

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantAccessRequest {
    pub instance_id: String,
    /// Exactly one of account_id and group_id.
    pub account_id: Option<String>,
    pub group_id: Option<String>,
    pub role: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccessRequest {
    pub role: String,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AccessQuery {
    pub instance_id: Option<String>,
    pub account_id: Option<String>,
    pub group_id: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct AdminResponse {
    pub account_id: String,
    pub email: String,
    pub display_name: String,
    pub granted_at: String,
}

impl From<OrgAdminRole> for AdminResponse {
    fn from(a: OrgAdminRole) -> Self {
        Self {
            account_id: a.account_id.to_string(),
            email: a.email,
            display_name: a.display_name,
            granted_at: a.granted_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AdminList {
    pub items: Vec<AdminResponse>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantAdminRequest {
    pub account_id: String,
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/access", tag = "product access", security(("api_key" = [])),
    params(("org_id" = String, Path), AccessQuery), responses((status = 200, body = AccessList), (status = 422, body = Problem)))]
pub async fn list(
    State(st): State<AppState>,
    Admin(admin): Admin,
    ApiQuery(q): ApiQuery<AccessQuery>,
) -> ApiResult<Json<AccessList>> {
    let principal = match (&q.account_id, &q.group_id) {
        (Some(a), _) => Some(Principal::Account(AccountId::parse(a)?)),
        (None, Some(g)) => Some(Principal::Group(GroupId::parse(g)?)),
        (None, None) => None,
    };
    let filter = AccessFilter {
        instance: q.instance_id.as_deref().map(InstanceId::parse).transpose()?,
        principal,
    };
    let page = PageRequest::parse(q.cursor.as_deref(), q.limit)?;
    let p = st.services.access.list(&admin, &filter, &page).await?;
    Ok(Json(AccessList::from_page(p, AccessResponse::from)))
}

#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/access", tag = "product access", security(("api_key" = [])),
    params(("org_id" = String, Path)), request_body = GrantAccessRequest,
    responses((status = 201, body = AccessResponse), (status = 404, body = Problem), (status = 409, body = Problem, description = "access_exists"), (status = 422, body = Problem)))]
pub async fn grant(
    State(st): State<AppState>,
    Admin(admin): Admin,
    ApiJson(b): ApiJson<GrantAccessRequest>,
) -> ApiResult<(StatusCode, Json<AccessResponse>)> {
    let input = GrantAccess::parse(&b.instance_id, b.account_id.as_deref(), b.group_id.as_deref(), &b.role)?;
    Ok((
        StatusCode::CREATED,
        Json(st.services.access.create(&admin, input).await?.into()),
    ))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/access/{id}", tag = "product access", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), responses((status = 200, body = AccessResponse), (status = 404, body = Problem)))]
pub async fn get(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<AccessResponse>> {
    let id = path_id(&id, "product access", AccessId::parse)?;
    Ok(Json(st.services.access.get(&admin, id).await?.into()))
}

#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/access/{id}", tag = "product access", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), request_body = UpdateAccessRequest,
    responses((status = 200, body = AccessResponse), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
    ApiJson(b): ApiJson<UpdateAccessRequest>,
) -> ApiResult<Json<AccessResponse>> {
    let id = path_id(&id, "product access", AccessId::parse)?;
    let role = Role::parse(&b.role)?;
    Ok(Json(st.services.access.update(&admin, id, role).await?.into()))
}

#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/access/{id}", tag = "product access", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn revoke(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = path_id(&id, "product access", AccessId::parse)?;
    st.services.access.delete(&admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/admins", tag = "org admins", security(("api_key" = [])),
    params(("org_id" = String, Path)), responses((status = 200, body = AdminList)))]
pub async fn list_admins(State(st): State<AppState>, Admin(admin): Admin) -> ApiResult<Json<AdminList>> {
    let items = st
        .services
        .admins
        .list(&admin)
        .await?
        .into_iter()
        .map(AdminResponse::from)
        .collect();
    Ok(Json(AdminList { items }))
}

/// An invitation to become an organization admin, pending until the person accepts or
/// declines it on their account page (or it expires, or the organization cancels it).
#[derive(Serialize, ToSchema)]
pub struct InvitationResponse {
    pub id: String,
    pub account_id: String,
    pub email: String,
    /// Who invited, as the audit log names them (an admin's email, an API key's name).
    pub invited_by: String,
    pub created_at: String,
    /// After this the invitation can no longer be accepted.
    pub expires_at: String,
}

impl From<AdminInvitation> for InvitationResponse {
    fn from(i: AdminInvitation) -> Self {
        Self {
            id: i.id.to_string(),
            account_id: i.account_id.to_string(),
            email: i.email,
            invited_by: i.invited_by,
            created_at: i.created_at.to_rfc3339(),
            expires_at: i.expires_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct InvitationList {
    pub items: Vec<InvitationResponse>,
}

/// Makes an account an org admin. An account this organization manages is an admin at once
/// (204). Any other account is invited instead (202 with the invitation): the person is
/// mailed and accepts or declines on their account page; until then they have no role.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/admins", tag = "org admins", security(("api_key" = [])),
    params(("org_id" = String, Path)), request_body = GrantAdminRequest,
    responses((status = 204, description = "granted: the organization manages the account"),
        (status = 202, body = InvitationResponse, description = "invited: the account is the person's own"),
        (status = 404, body = Problem),
        (status = 409, body = Problem, description = "already_admin, invitation_pending")))]
pub async fn grant_admin(
    State(st): State<AppState>,
    Admin(admin): Admin,
    ApiJson(b): ApiJson<GrantAdminRequest>,
) -> ApiResult<Response> {
    let account = AccountId::parse(&b.account_id)?;
    Ok(match st.services.admins.create(&admin, account).await? {
        AdminGrant::Granted => StatusCode::NO_CONTENT.into_response(),
        AdminGrant::Invited(i) => (StatusCode::ACCEPTED, Json(InvitationResponse::from(i))).into_response(),
    })
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/admin-invitations", tag = "org admins", security(("api_key" = [])),
    params(("org_id" = String, Path)), responses((status = 200, body = InvitationList, description = "pending (unexpired) invitations, oldest first")))]
pub async fn list_invitations(State(st): State<AppState>, Admin(admin): Admin) -> ApiResult<Json<InvitationList>> {
    let items = st.services.admins.list_invitations(&admin).await?;
    Ok(Json(InvitationList {
        items: items.into_iter().map(InvitationResponse::from).collect(),
    }))
}

#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/admin-invitations/{id}", tag = "org admins", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)),
    responses((status = 204, description = "cancelled"), (status = 404, body = Problem, description = "no such pending invitation in this organization")))]
pub async fn cancel_invitation(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = path_id(&id, "admin invitation", AdminInvitationId::parse)?;
    st.services.admins.cancel_invitation(&admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/admins/{account_id}", tag = "org admins", security(("api_key" = [])),
    params(("org_id" = String, Path), ("account_id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem, description = "last_admin")))]
pub async fn revoke_admin(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, account)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let account = path_id(&account, "org admin", AccountId::parse)?;
    st.services.admins.delete(&admin, account).await?;
    Ok(StatusCode::NO_CONTENT)
}
