use super::common::{list_type, path_id};
use crate::error::{ApiResult, Problem};
use crate::extract::{Admin, ApiJson, ApiQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gatehouse_core::ids::{AccountId, GroupId};
use gatehouse_core::model::{Group, GroupMember};
use gatehouse_core::page::PageRequest;
use gatehouse_core::services::{GroupPatch, NewGroup};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct GroupResponse {
    pub id: String,
    pub name: String,
    pub description: String,
    pub member_count: i64,
    pub created_at: String,
}

impl From<Group> for GroupResponse {
    fn from(g: Group) -> Self {
        Self {
            id: g.id.to_string(),
            name: g.name,
            description: g.description,
            member_count: g.member_count,
            created_at: g.created_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MemberResponse {
    pub account_id: String,
    pub email: String,
    pub display_name: String,
    pub added_at: String,
}

impl From<GroupMember> for MemberResponse {
    fn from(m: GroupMember) -> Self {
        Self {
            account_id: m.account_id.to_string(),
            email: m.email,
            display_name: m.display_name,
            added_at: m.added_at.to_rfc3339(),
        }
    }
}

list_type!(GroupList, GroupResponse);
list_type!(MemberList, MemberResponse);

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroupRequest {
    /// Unique in the organization, case-insensitively.
    pub name: String,
    pub description: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGroupRequest {
    pub name: Option<String>,
    pub description: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMemberRequest {
    pub account_id: String,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct GroupQuery {
    /// Part of the group name (case-insensitive).
    pub name: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/groups", tag = "groups", security(("api_key" = [])),
    params(("org_id" = String, Path), GroupQuery), responses((status = 200, body = GroupList)))]
pub async fn list(
    State(st): State<AppState>,
    Admin(admin): Admin,
    ApiQuery(q): ApiQuery<GroupQuery>,
) -> ApiResult<Json<GroupList>> {
    let page = PageRequest::parse(q.cursor.as_deref(), q.limit)?;
    let p = st
        .services
        .groups
        .list(&admin, q.name.as_deref().filter(|n| !n.is_empty()), &page)
        .await?;
    Ok(Json(GroupList::from_page(p, GroupResponse::from)))
}

#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/groups", tag = "groups", security(("api_key" = [])),
    params(("org_id" = String, Path)), request_body = CreateGroupRequest,
    responses((status = 201, body = GroupResponse), (status = 409, body = Problem, description = "group_name_taken"), (status = 422, body = Problem)))]
pub async fn create(
    State(st): State<AppState>,
    Admin(admin): Admin,
    ApiJson(b): ApiJson<CreateGroupRequest>,
) -> ApiResult<(StatusCode, Json<GroupResponse>)> {
    let input = NewGroup::parse(&b.name, b.description.as_deref())?;
    Ok((
        StatusCode::CREATED,
        Json(st.services.groups.create(&admin, input).await?.into()),
    ))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/groups/{id}", tag = "groups", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), responses((status = 200, body = GroupResponse), (status = 404, body = Problem)))]
pub async fn get(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<GroupResponse>> {
    let id = path_id(&id, "group", GroupId::parse)?;
    Ok(Json(st.services.groups.get(&admin, id).await?.into()))
}

#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/groups/{id}", tag = "groups", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), request_body = UpdateGroupRequest,
    responses((status = 200, body = GroupResponse), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn update(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
    ApiJson(b): ApiJson<UpdateGroupRequest>,
) -> ApiResult<Json<GroupResponse>> {
    let id = path_id(&id, "group", GroupId::parse)?;
    let patch = GroupPatch::parse(b.name.as_deref(), b.description.as_deref())?;
    Ok(Json(st.services.groups.update(&admin, id, patch).await?.into()))
}

/// Deletes the group, its memberships and the access granted to it.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/groups/{id}", tag = "groups", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn remove(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = path_id(&id, "group", GroupId::parse)?;
    st.services.groups.delete(&admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/groups/{id}/members", tag = "groups", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path), PageQuery), responses((status = 200, body = MemberList), (status = 404, body = Problem)))]
pub async fn list_members(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<MemberList>> {
    let id = path_id(&id, "group", GroupId::parse)?;
    let page = PageRequest::parse(q.cursor.as_deref(), q.limit)?;
    let p = st.services.groups.list_members(&admin, id, &page).await?;
    Ok(Json(MemberList::from_page(p, MemberResponse::from)))
}

#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/groups/{id}/members", tag = "groups", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), request_body = AddMemberRequest,
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem, description = "already_member")))]
pub async fn add_member(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
    ApiJson(b): ApiJson<AddMemberRequest>,
) -> ApiResult<StatusCode> {
    let id = path_id(&id, "group", GroupId::parse)?;
    let account = AccountId::parse(&b.account_id)?;
    st.services.groups.add_member(&admin, id, account).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/groups/{id}/members/{account_id}", tag = "groups", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path), ("account_id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn remove_member(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id, account)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let id = path_id(&id, "group", GroupId::parse)?;
    let account = path_id(&account, "group member", AccountId::parse)?;
    st.services.groups.remove_member(&admin, id, account).await?;
    Ok(StatusCode::NO_CONTENT)
}
