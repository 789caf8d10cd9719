//! Organization admins: who they are, pending invitations, granting (at once for an account
//! the organization manages, by invitation for any other), revoking and cancelling.

use super::common::{Chrome, Console, ConsoleForm, Empty, NoticeQuery, done, form_errors, notice_text};
use crate::state::AppState;
use crate::web::pages::{PageError, PageResult, render_status};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gatehouse_core::ids::{AccountId, AdminInvitationId};
use gatehouse_core::model::AccountFilter;
use gatehouse_core::page::PageRequest;
use gatehouse_core::services::AdminGrant;
use serde::Deserialize;

/// An admin as the page lists them: (account id, name, email, granted).
type AdminRow = (String, String, String, String);

/// A pending invitation as the page lists it.
pub struct InvitationRow {
    id: String,
    email: String,
    invited_by: String,
    created: String,
    expires: String,
}

#[derive(Template)]
#[template(path = "admins.html")]
struct AdminsPage {
    c: Chrome,
    notice: Option<&'static str>,
    errors: Vec<String>,
    admins: Vec<AdminRow>,
    invitations: Vec<InvitationRow>,
    /// Accounts that could be made admins: (id, label).
    candidates: Vec<(String, String)>,
}

async fn build(st: &AppState, console: &Console, errors: Vec<String>) -> Result<AdminsPage, PageError> {
    let admin = &console.admin;
    let roles = st.services.admins.list(admin).await?;
    let invitations = st.services.admins.list_invitations(admin).await?;
    let accounts = st
        .services
        .accounts
        .list(admin, &AccountFilter::default(), &PageRequest::first(200))
        .await?
        .items;
    let candidates = accounts
        .iter()
        .filter(|a| !roles.iter().any(|r| r.account_id == a.account.id))
        .filter(|a| !invitations.iter().any(|i| i.account_id == a.account.id))
        .map(|a| {
            let how = if a.is_managed { "managed" } else { "invitation" };
            (
                a.account.id.to_string(),
                format!("{} <{}> ({how})", a.account.display_name, a.account.email),
            )
        })
        .collect();
    Ok(AdminsPage {
        c: console.chrome("admins"),
        notice: None,
        errors,
        admins: roles
            .into_iter()
            .map(|r| {
                (
                    r.account_id.to_string(),
                    r.display_name,
                    r.email,
                    r.granted_at.to_rfc3339(),
                )
            })
            .collect(),
        invitations: invitations
            .into_iter()
            .map(|i| InvitationRow {
                id: i.id.to_string(),
                email: i.email,
                invited_by: i.invited_by,
                created: i.created_at.to_rfc3339(),
                expires: i.expires_at.to_rfc3339(),
            })
            .collect(),
        candidates,
    })
}

pub async fn page(State(st): State<AppState>, console: Console, Query(q): Query<NoticeQuery>) -> PageResult {
    let mut p = build(&st, &console, Vec::new()).await?;
    p.notice = notice_text(q.notice.as_deref());
    render_status(StatusCode::OK, &p)
}

#[derive(Deserialize)]
pub struct GrantForm {
    account_id: String,
}

pub async fn grant(State(st): State<AppState>, ConsoleForm { console, form }: ConsoleForm<GrantForm>) -> PageResult {
    let result = match AccountId::parse(&form.account_id) {
        Ok(id) => st.services.admins.create(&console.admin, id).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(AdminGrant::Granted) => done(&console.url("/admins"), "admin_granted"),
        Ok(AdminGrant::Invited(_)) => done(&console.url("/admins"), "invitation_sent"),
        Err(e) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &build(&st, &console, form_errors(e)?).await?,
        ),
    }
}

pub async fn revoke(
    State(st): State<AppState>,
    Path((_, account)): Path<(String, String)>,
    ConsoleForm { console, .. }: ConsoleForm<Empty>,
) -> PageResult {
    let account = AccountId::parse(&account).map_err(|_| PageError::NotFound)?;
    match st.services.admins.delete(&console.admin, account).await {
        Ok(()) => done(&console.url("/admins"), "admin_revoked"),
        Err(e) => render_status(StatusCode::CONFLICT, &build(&st, &console, form_errors(e)?).await?),
    }
}

pub async fn cancel_invitation(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, .. }: ConsoleForm<Empty>,
) -> PageResult {
    let id = AdminInvitationId::parse(&id).map_err(|_| PageError::NotFound)?;
    st.services.admins.cancel_invitation(&console.admin, id).await?;
    done(&console.url("/admins"), "invitation_cancelled")
}
