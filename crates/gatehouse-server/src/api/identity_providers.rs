//! Identity providers (SSO): add, list, read, change and remove an organization's SAML and
//! OpenID Connect providers; its break-glass admins and the default groups of accounts
//! created at their first SSO sign-in.

use super::common::path_id;
use crate::error::{ApiResult, Problem};
use crate::extract::{Admin, ApiJson};
use crate::sso::settings::{IdpInput, spec_for};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gatehouse_core::ids::{AccountId, GroupId, IdpId};
use gatehouse_core::sso::{AttributeMap, IdentityProvider, Settings};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An identity provider, with the values its IdP admin pastes into the IdP (they never change).
#[derive(Serialize, ToSchema)]
pub struct IdpResponse {
    pub id: String,
    pub name: String,
    /// `saml` or `oidc`.
    pub protocol: String,
    /// The verified domains it signs in.
    pub domains: Vec<String>,
    /// Whether the organization's default authentication policy enforces single sign-on
    /// through it: managed accounts on its domains then cannot sign in with a password (except
    /// break-glass admins). Policies took over this switch; setting it edits the default policy.
    pub enforced: bool,
    pub allow_idp_initiated: bool,
    pub map_groups: bool,
    /// The authentication policy the accounts it creates join; null: the default policy.
    pub default_policy_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// SAML: our entity id, which is also the URL of our metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sp_entity_id: Option<String>,
    /// SAML: our assertion consumer service (HTTP-POST).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acs_url: Option<String>,
    /// SAML: our single logout service (HTTP-Redirect).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slo_url: Option<String>,
    /// SAML: our signing and encryption certificate (PEM).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sp_certificate: Option<String>,
    /// SAML: the IdP's entity id, sign-in URL, logout URL and certificates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sso_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idp_slo_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificates: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_sha1: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_rsa1_5: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_requests: Option<bool>,
    /// SAML attribute names, or OIDC claim names, that carry email, names and groups.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<AttributeMap>,
    /// OIDC: our callback, to register with the IdP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// OIDC: whether a client secret is stored (it is never shown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret_set: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
}

impl IdpResponse {
    pub fn new(st: &AppState, i: IdentityProvider) -> Self {
        let base = st.config.public_url.trim_end_matches('/');
        let mut r = Self {
            id: i.id.to_string(),
            name: i.name.clone(),
            protocol: i.protocol().as_str().to_owned(),
            domains: i.domains.clone(),
            enforced: i.enforced,
            allow_idp_initiated: i.allow_idp_initiated,
            map_groups: i.map_groups,
            default_policy_id: i.default_policy_id.map(|p| p.to_string()),
            created_at: i.created_at.to_rfc3339(),
            updated_at: i.updated_at.to_rfc3339(),
            sp_entity_id: None,
            acs_url: None,
            slo_url: None,
            sp_certificate: None,
            entity_id: None,
            sso_url: None,
            idp_slo_url: None,
            certificates: None,
            allow_sha1: None,
            allow_rsa1_5: None,
            sign_requests: None,
            attributes: None,
            redirect_uri: None,
            issuer: None,
            client_id: None,
            client_secret_set: None,
            scopes: None,
        };
        match i.settings {
            Settings::Saml(s) => {
                r.sp_entity_id = Some(format!("{base}/saml/{}/metadata", i.id));
                r.acs_url = Some(format!("{base}/saml/{}/acs", i.id));
                r.slo_url = Some(format!("{base}/saml/{}/slo", i.id));
                r.sp_certificate = Some(s.sp_certificate);
                r.entity_id = Some(s.entity_id);
                r.sso_url = Some(s.sso_url);
                r.idp_slo_url = s.slo_url;
                r.certificates = Some(s.certificates);
                r.allow_sha1 = Some(s.allow_sha1);
                r.allow_rsa1_5 = Some(s.allow_rsa1_5);
                r.sign_requests = Some(s.sign_requests);
                r.attributes = Some(s.attributes);
            }
            Settings::Oidc(o) => {
                r.redirect_uri = Some(format!("{base}/oidc/{}/callback", i.id));
                r.issuer = Some(o.issuer);
                r.client_id = Some(o.client_id);
                r.client_secret_set = Some(i.sealed_secret.is_some());
                r.scopes = Some(o.scopes);
                r.attributes = Some(o.claims);
            }
        }
        r
    }
}

#[derive(Serialize, ToSchema)]
pub struct IdpList {
    pub items: Vec<IdpResponse>,
}

/// Adds an identity provider. SAML: `metadata_xml`, or `metadata_url` (fetched), or
/// `entity_id`, `sso_url` and `certificates` by hand. OIDC: `issuer`, `client_id`,
/// `client_secret` (stored sealed), `scopes`, `claims`.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/identity-providers", tag = "identity-providers",
    security(("api_key" = [])), params(("org_id" = String, Path)), request_body = IdpInput,
    responses((status = 201, body = IdpResponse), (status = 409, body = Problem, description = "domain_taken"),
        (status = 422, body = Problem)))]
pub async fn create(
    State(st): State<AppState>,
    Admin(admin): Admin,
    ApiJson(b): ApiJson<IdpInput>,
) -> ApiResult<(StatusCode, Json<IdpResponse>)> {
    let spec = spec_for(&st, IdpId::new(), b, None).await?;
    let idp = st.services.idps.create(&admin, spec).await?;
    Ok((StatusCode::CREATED, Json(IdpResponse::new(&st, idp))))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/identity-providers", tag = "identity-providers",
    security(("api_key" = [])), params(("org_id" = String, Path)), responses((status = 200, body = IdpList)))]
pub async fn list(State(st): State<AppState>, Admin(admin): Admin) -> ApiResult<Json<IdpList>> {
    let items = st.services.idps.list(&admin).await?;
    Ok(Json(IdpList {
        items: items.into_iter().map(|i| IdpResponse::new(&st, i)).collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/identity-providers/{id}", tag = "identity-providers",
    security(("api_key" = [])), params(("org_id" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = IdpResponse), (status = 404, body = Problem)))]
pub async fn get(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<IdpResponse>> {
    let id = path_id(&id, "identity_provider", IdpId::parse)?;
    Ok(Json(IdpResponse::new(&st, st.services.idps.get(&admin, id).await?)))
}

/// Changes the given fields (the protocol cannot change). New SAML certificates or metadata
/// replace the old ones; give both certificates while the IdP rotates.
#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/identity-providers/{id}", tag = "identity-providers",
    security(("api_key" = [])), params(("org_id" = String, Path), ("id" = String, Path)), request_body = IdpInput,
    responses((status = 200, body = IdpResponse), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
    ApiJson(b): ApiJson<IdpInput>,
) -> ApiResult<Json<IdpResponse>> {
    let id = path_id(&id, "identity_provider", IdpId::parse)?;
    // Fetching metadata happens before the transaction: read the provider, build, then apply.
    let before = st.services.idps.get(&admin, id).await?;
    let spec = spec_for(&st, id, b, Some(&before)).await?;
    let idp = st.services.idps.update(&admin, id, move |_| Ok(spec)).await?;
    Ok(Json(IdpResponse::new(&st, idp)))
}

/// Removes the provider: its people sign in with passwords again.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/identity-providers/{id}", tag = "identity-providers",
    security(("api_key" = [])), params(("org_id" = String, Path), ("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn remove(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = path_id(&id, "identity_provider", IdpId::parse)?;
    st.services.idps.delete(&admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakGlass {
    /// Admins of the organization who may still sign in with a password while SSO is enforced.
    pub account_ids: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/sso/break-glass", tag = "identity-providers",
    security(("api_key" = [])), params(("org_id" = String, Path)), responses((status = 200, body = BreakGlass)))]
pub async fn get_break_glass(State(st): State<AppState>, Admin(admin): Admin) -> ApiResult<Json<BreakGlass>> {
    let ids = st.services.idps.break_glass(&admin).await?;
    Ok(Json(BreakGlass {
        account_ids: ids.iter().map(ToString::to_string).collect(),
    }))
}

/// Names the break-glass admins (replacing the list). Each sign-in of theirs with a password
/// is a high-severity audit event; the last one cannot be removed while SSO is enforced.
#[utoipa::path(put, path = "/api/v1/orgs/{org_id}/sso/break-glass", tag = "identity-providers",
    security(("api_key" = [])), params(("org_id" = String, Path)), request_body = BreakGlass,
    responses((status = 200, body = BreakGlass), (status = 409, body = Problem, description = "last_break_glass_admin"),
        (status = 422, body = Problem)))]
pub async fn put_break_glass(
    State(st): State<AppState>,
    Admin(admin): Admin,
    ApiJson(b): ApiJson<BreakGlass>,
) -> ApiResult<Json<BreakGlass>> {
    let ids = b
        .account_ids
        .iter()
        .map(|s| AccountId::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    let ids = st.services.idps.set_break_glass(&admin, ids).await?;
    Ok(Json(BreakGlass {
        account_ids: ids.iter().map(ToString::to_string).collect(),
    }))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DefaultGroups {
    /// Groups every account created at its first SSO sign-in joins.
    pub group_ids: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/sso/default-groups", tag = "identity-providers",
    security(("api_key" = [])), params(("org_id" = String, Path)), responses((status = 200, body = DefaultGroups)))]
pub async fn get_default_groups(State(st): State<AppState>, Admin(admin): Admin) -> ApiResult<Json<DefaultGroups>> {
    let ids = st.services.idps.default_groups(&admin).await?;
    Ok(Json(DefaultGroups {
        group_ids: ids.iter().map(ToString::to_string).collect(),
    }))
}

#[utoipa::path(put, path = "/api/v1/orgs/{org_id}/sso/default-groups", tag = "identity-providers",
    security(("api_key" = [])), params(("org_id" = String, Path)), request_body = DefaultGroups,
    responses((status = 200, body = DefaultGroups), (status = 422, body = Problem)))]
pub async fn put_default_groups(
    State(st): State<AppState>,
    Admin(admin): Admin,
    ApiJson(b): ApiJson<DefaultGroups>,
) -> ApiResult<Json<DefaultGroups>> {
    let ids = b
        .group_ids
        .iter()
        .map(|s| GroupId::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    let ids = st.services.idps.set_default_groups(&admin, ids).await?;
    Ok(Json(DefaultGroups {
        group_ids: ids.iter().map(ToString::to_string).collect(),
    }))
}
