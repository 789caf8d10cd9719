//! The sessions of an account the organization manages: list, end one, end all. Any other
//! account answers 403 `account_not_managed` (one the organization does not see: 404).

use super::common::path_id;
use crate::error::{ApiResult, Problem};
use crate::extract::Admin;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gatehouse_core::ids::{AccountId, SessionId};
use gatehouse_core::model::Session;
use serde::Serialize;
use utoipa::ToSchema;

/// A live Gatehouse session: one browser signed in. The token never leaves the browser, and
/// nothing that finds the session from it is served.
#[derive(Serialize, ToSchema)]
pub struct SessionResponse {
    pub id: String,
    pub created_at: String,
    /// When the session was last used (recorded at most once a minute).
    pub last_seen_at: String,
    /// The absolute end of the session, however active.
    pub expires_at: String,
    /// The client address that signed in.
    pub ip: Option<String>,
    /// The browser that signed in, as it named itself.
    pub user_agent: Option<String>,
    /// How the person signed in (RFC 8176: `pwd`, `otp`, `hwk`, `swk`, `mfa`; empty after
    /// single sign-on).
    pub amr: Vec<String>,
}

impl From<Session> for SessionResponse {
    fn from(s: Session) -> Self {
        Self {
            id: s.id.to_string(),
            created_at: s.created_at.to_rfc3339(),
            last_seen_at: s.last_seen_at.to_rfc3339(),
            expires_at: s.expires_at.to_rfc3339(),
            ip: s.ip,
            user_agent: s.user_agent,
            amr: s.amr,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SessionList {
    pub items: Vec<SessionResponse>,
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/accounts/{id}/sessions", tag = "sessions", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = SessionList, description = "live sessions (not expired, not idle), oldest first"),
        (status = 403, body = Problem, description = "account_not_managed"), (status = 404, body = Problem)))]
pub async fn list(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<SessionList>> {
    let id = path_id(&id, "account", AccountId::parse)?;
    let items = st.services.sessions.list(&admin, id).await?;
    Ok(Json(SessionList {
        items: items.into_iter().map(SessionResponse::from).collect(),
    }))
}

#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/accounts/{id}/sessions", tag = "sessions", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path)),
    responses((status = 204, description = "every session ended"),
        (status = 403, body = Problem, description = "account_not_managed"), (status = 404, body = Problem)))]
pub async fn revoke_all(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = path_id(&id, "account", AccountId::parse)?;
    st.services.sessions.delete_all(&admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/accounts/{id}/sessions/{session_id}", tag = "sessions", security(("api_key" = [])),
    params(("org_id" = String, Path), ("id" = String, Path), ("session_id" = String, Path)),
    responses((status = 204, description = "the session ended"),
        (status = 403, body = Problem, description = "account_not_managed"),
        (status = 404, body = Problem, description = "no such account, or no such live session of it")))]
pub async fn revoke(
    State(st): State<AppState>,
    Admin(admin): Admin,
    Path((_, id, session)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let id = path_id(&id, "account", AccountId::parse)?;
    let session = path_id(&session, "session", SessionId::parse)?;
    st.services.sessions.delete(&admin, id, session).await?;
    Ok(StatusCode::NO_CONTENT)
}
