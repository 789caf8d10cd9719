//! An account's product sessions with the organization's clients (issue 13, item 4): listed
//! on the account page, ended one by one or all at once. They are the organization's own, so
//! its admins see and end them for any account it sees, managed or not. The service ends the
//! grant's refresh tokens, queues back-channel logouts and records each ending.

use super::common::{Console, ConsoleForm, Empty, done};
use crate::state::AppState;
use crate::web::pages::{PageError, PageResult};
use axum::extract::{Path, State};
use gatehouse_core::ids::{AccountId, GrantId};

/// A product session as the account page shows it.
pub struct ProductSessionRow {
    pub id: String,
    pub client: String,
    pub signed_in: String,
    pub last_used: String,
    pub scope: String,
}

/// The account's live product sessions with this organization's clients.
pub async fn rows(st: &AppState, console: &Console, account: AccountId) -> Result<Vec<ProductSessionRow>, PageError> {
    Ok(st
        .services
        .provider
        .list_product_sessions(&console.admin, account)
        .await?
        .into_iter()
        .map(|s| ProductSessionRow {
            id: s.grant.id.to_string(),
            client: s.client_name,
            signed_in: s.grant.created_at.to_rfc3339(),
            last_used: s.grant.last_used_at.to_rfc3339(),
            scope: s.grant.scope,
        })
        .collect())
}

pub async fn revoke(
    State(st): State<AppState>,
    Path((_, id, grant)): Path<(String, String, String)>,
    ConsoleForm { console, .. }: ConsoleForm<Empty>,
) -> PageResult {
    let id = AccountId::parse(&id).map_err(|_| PageError::NotFound)?;
    let grant = GrantId::parse(&grant).map_err(|_| PageError::NotFound)?;
    st.services
        .provider
        .revoke_product_session(&console.admin, id, grant)
        .await?;
    done(&console.url(&format!("/accounts/{id}")), "product_session_revoked")
}

pub async fn revoke_all(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, .. }: ConsoleForm<Empty>,
) -> PageResult {
    let id = AccountId::parse(&id).map_err(|_| PageError::NotFound)?;
    st.services.provider.revoke_product_sessions(&console.admin, id).await?;
    done(&console.url(&format!("/accounts/{id}")), "product_sessions_revoked")
}
