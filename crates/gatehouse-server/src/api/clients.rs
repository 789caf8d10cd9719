//! Product clients (OpenID Connect): register, list, read, change, delete, rotate secrets; and
//! the product sessions an account holds with the organization's clients.

use super::common::{list_type, path_id};
use super::groups::PageQuery;
use crate::error::{ApiResult, Problem};
use crate::extract::{Admin, ApiJson, ApiQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderName, StatusCode, header};
use gatehouse_core::Timestamp;
use gatehouse_core::ids::{AccountId, ClientId, GrantId};
use gatehouse_core::oauth::{Client, ClientInput, ClientSecret, ClientSpec, ProductSession};
use gatehouse_core::page::PageRequest;
use gatehouse_core::services::IssuedClient;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

/// A working secret, by its first characters: the secret itself is shown once, at creation
/// or rotation.
#[derive(Serialize, ToSchema)]
pub struct ClientSecretResponse {
    pub id: String,
    pub prefix: String,
    pub created_at: String,
    /// When it stops working (set on the older secret while a rotation overlaps).
    pub expires_at: Option<String>,
}

impl From<ClientSecret> for ClientSecretResponse {
    fn from(s: ClientSecret) -> Self {
        Self {
            id: s.id.to_string(),
            prefix: s.prefix,
            created_at: s.created_at.to_rfc3339(),
            expires_at: s.expires_at.map(Timestamp::to_rfc3339),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ClientResponse {
    /// The client's id, which is also its OAuth `client_id`.
    pub id: String,
    pub client_id: String,
    pub name: String,
    pub public: bool,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
    pub grant_types: Vec<String>,
    pub instance_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// The working secrets (confidential clients), by prefix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Vec<ClientSecretResponse>>,
    /// The new secret: only in the answer that created it. Store it now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

impl ClientResponse {
    fn new(c: Client) -> Self {
        Self {
            id: c.id.to_string(),
            client_id: c.id.to_string(),
            name: c.name,
            public: c.public,
            redirect_uris: c.redirect_uris,
            post_logout_redirect_uris: c.post_logout_redirect_uris,
            backchannel_logout_uri: c.backchannel_logout_uri,
            grant_types: c.grant_types.iter().map(|g| g.as_str().to_owned()).collect(),
            instance_id: c.instance_id.map(|i| i.to_string()),
            created_at: c.created_at.to_rfc3339(),
            updated_at: c.updated_at.to_rfc3339(),
            secrets: None,
            client_secret: None,
        }
    }

    fn issued(i: IssuedClient) -> Self {
        Self {
            secrets: (!i.client.public).then(|| i.secrets.into_iter().map(Into::into).collect()),
            client_secret: i.secret,
            ..Self::new(i.client)
        }
    }
}

list_type!(ClientList, ClientResponse);

/// `null` and absent told apart: `Some(None)` clears the field.
#[allow(clippy::option_option)] // absent, null and a value are three different requests
fn nullable<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(clippy::option_option)] // absent, null and a value are three different requests
pub struct ClientRequest {
    pub name: Option<String>,
    /// true: no secret; the client must use PKCE. Default false.
    pub public: Option<bool>,
    /// Exact-match redirect URIs: https, or http on a loopback host.
    pub redirect_uris: Option<Vec<String>>,
    /// authorization_code, refresh_token, client_credentials. Default the first two.
    pub grant_types: Option<Vec<String>>,
    /// The one product instance whose people may sign in (null: untie).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub instance_id: Option<Option<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// Where a logout token is posted when a person's Gatehouse session ends (null: none).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub backchannel_logout_uri: Option<Option<String>>,
}

impl From<ClientRequest> for ClientInput {
    fn from(b: ClientRequest) -> Self {
        ClientInput {
            name: b.name,
            public: b.public,
            redirect_uris: b.redirect_uris,
            post_logout_redirect_uris: b.post_logout_redirect_uris,
            backchannel_logout_uri: b.backchannel_logout_uri,
            grant_types: b.grant_types,
            instance_id: b.instance_id,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateSecretRequest {
    /// How long the older secrets keep working, 0 (default) to 2592000 (30 days).
    pub overlap_seconds: Option<i64>,
}

type Created = (StatusCode, [(HeaderName, &'static str); 1], Json<ClientResponse>);

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/clients", tag = "clients", security(("api_key" = [])),
    params(("org_id" = String, Path), PageQuery), responses((status = 200, body = ClientList)))]
pub async fn list(
    State(st): State<AppState>,
    Admin(admin): Admin,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<ClientList>> {
    let page = PageRequest::parse(q.cursor.as_deref(), q.limit)?;
    let p = st.services.clients.list(&admin, &page).await?;
    Ok(Json(ClientList::from_page(p, ClientResponse::new)))
}

/// Registers a client. A confidential client's `client_secret` is in this answer only.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/clients", tag = "clients", security(("api_key" = [])),
    params(("org_id" = String, Path)), request_body = ClientRequest,
    responses((status = 201, body = ClientResponse), (status = 422, body = Problem)))]
pub async fn create(
    State(st): State<AppState>,
    Admin(admin): Admin,
    ApiJson(b): ApiJson<ClientRequest>,
) -> ApiResult<Created> {
    let spec = ClientSpec::parse_new(b.into())?;
    let issued = st.services.clients.create(&admin, spec).await?;
    Ok(no_store(StatusCode::CREATED, ClientResponse::issued(issued)))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/clients/{id}", tag = "clients", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), responses((status = 200, body = ClientResponse), (status = 404, body = Problem)))]
pub async fn get(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<ClientResponse>> {
    let id = path_id(&id, "client", ClientId::parse)?;
    Ok(Json(ClientResponse::issued(st.services.clients.get(&admin, id).await?)))
}

/// Changes the given fields; every rule is checked on the result as a whole.
#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/clients/{id}", tag = "clients", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), request_body = ClientRequest,
    responses((status = 200, body = ClientResponse), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
    ApiJson(b): ApiJson<ClientRequest>,
) -> ApiResult<Created> {
    let id = path_id(&id, "client", ClientId::parse)?;
    let input: ClientInput = b.into();
    let issued = st.services.clients.update(&admin, id, |spec| spec.apply(input)).await?;
    Ok(no_store(StatusCode::OK, ClientResponse::issued(issued)))
}

/// Deletes the client with its secrets and every product session it holds.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/clients/{id}", tag = "clients", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn remove(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = path_id(&id, "client", ClientId::parse)?;
    st.services.clients.delete(&admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new secret, in this answer only. The older ones keep working for `overlap_seconds`.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/clients/{id}/secrets", tag = "clients", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), request_body = RotateSecretRequest,
    responses((status = 201, body = ClientResponse), (status = 404, body = Problem), (status = 409, body = Problem, description = "public_client"),
        (status = 422, body = Problem)))]
pub async fn rotate(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
    ApiJson(b): ApiJson<RotateSecretRequest>,
) -> ApiResult<Created> {
    let id = path_id(&id, "client", ClientId::parse)?;
    let issued = st.services.clients.rotate_secret(&admin, id, b.overlap_seconds).await?;
    Ok(no_store(StatusCode::CREATED, ClientResponse::issued(issued)))
}

fn no_store(status: StatusCode, body: ClientResponse) -> Created {
    (status, [(header::CACHE_CONTROL, "no-store")], Json(body))
}

/// A product session: one sign-in of the account to one of the organization's clients, and
/// its refresh tokens.
#[derive(Serialize, ToSchema)]
pub struct ProductSessionResponse {
    pub id: String,
    pub client_id: String,
    pub client_name: String,
    pub scope: String,
    pub auth_time: String,
    pub created_at: String,
    pub last_used_at: String,
}

impl From<ProductSession> for ProductSessionResponse {
    fn from(s: ProductSession) -> Self {
        Self {
            id: s.grant.id.to_string(),
            client_id: s.grant.client_id.to_string(),
            client_name: s.client_name,
            scope: s.grant.scope,
            auth_time: s.grant.auth_time.to_rfc3339(),
            created_at: s.grant.created_at.to_rfc3339(),
            last_used_at: s.grant.last_used_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ProductSessionList {
    pub items: Vec<ProductSessionResponse>,
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/accounts/{id}/product-sessions", tag = "clients", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = ProductSessionList, description = "live product sessions with this organization's clients, newest first"),
        (status = 404, body = Problem)))]
pub async fn list_product_sessions(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<ProductSessionList>> {
    let id = path_id(&id, "account", AccountId::parse)?;
    let items = st.services.provider.list_product_sessions(&admin, id).await?;
    Ok(Json(ProductSessionList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Ends every product session of the account with this organization's clients (any account
/// the organization sees, managed or not); their refresh tokens stop working at once.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/accounts/{id}/product-sessions", tag = "clients", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn revoke_product_sessions(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = path_id(&id, "account", AccountId::parse)?;
    st.services.provider.revoke_product_sessions(&admin, id).await?;
    st.logouts.wake();
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/accounts/{id}/product-sessions/{session_id}", tag = "clients", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path), ("session_id" = String, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn revoke_product_session(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id, sid)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let id = path_id(&id, "account", AccountId::parse)?;
    let sid = path_id(&sid, "product session", GrantId::parse)?;
    st.services.provider.revoke_product_session(&admin, id, sid).await?;
    st.logouts.wake();
    Ok(StatusCode::NO_CONTENT)
}
