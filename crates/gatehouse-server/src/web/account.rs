//! The account page at `/account`: every signed-in person's own page. Who they are and their
//! name, their password, their sessions (ending one, or all), their organizations (and leaving
//! one), pending admin invitations (accepting or declining), and deleting their account when
//! no organization manages it. Admins reach the console from here. Each form posts, acts through
//! the core's `Auth` as the person, and redirects back with a notice (POST-redirect-GET); a
//! refused form renders the page again with what was wrong.

use super::cookies::{SESSION_COOKIE, set_cookie};
use super::pages::{PageError, PageResult, render_status, with_retry_after};
use super::person::{Person, PersonForm};
use crate::console::error_lines;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use gatehouse_core::CoreError;
use gatehouse_core::ids::{AdminInvitationId, OrgId, SessionId};
use serde::Deserialize;

/// One organization as the page lists it.
pub struct OrgRow {
    pub id: String,
    pub name: String,
    pub managed: bool,
    pub admin: bool,
    pub suspended: bool,
}

/// One live session as the page lists it.
pub struct SessionRow {
    pub id: String,
    pub created: String,
    pub last_seen: String,
    pub ip: String,
    pub browser: String,
    pub current: bool,
}

/// One pending admin invitation.
pub struct InvitationRow {
    pub id: String,
    pub org: String,
    pub invited_by: String,
    pub expires: String,
}

#[derive(Template)]
#[template(path = "me.html")]
struct AccountPage {
    csrf: String,
    email: String,
    name: String,
    orgs: Vec<OrgRow>,
    sessions: Vec<SessionRow>,
    invitations: Vec<InvitationRow>,
    /// The account is managed by an organization (its email and deletion are the org's).
    managed_by: Option<String>,
    is_admin: bool,
    notice: Option<&'static str>,
    errors: Vec<String>,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

fn notice_text(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "name" => "Your name is saved.",
        "left" => "You left the organization.",
        "email_sent" => "Check your new address: we sent it a link to confirm the change.",
        "email_changed" => "Your email address is changed.",
        "session_ended" => "The session is ended.",
        "accepted" => "You are now an admin of the organization.",
        "declined" => "You declined the invitation.",
        _ => return None,
    })
}

/// Renders the page for `person`, with a notice or the errors of a refused form.
async fn page_for(
    st: &AppState,
    person: &Person,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: Vec<String>,
) -> PageResult {
    let me = &person.me;
    let orgs = st.signin.my_orgs(me).await?;
    let sessions = st.services.sessions.list_mine(me).await?;
    let invitations = st.services.admins.list_my_invitations(me).await?;
    let account = me.account();
    let page = AccountPage {
        csrf: me.csrf().to_owned(),
        email: account.email.clone(),
        name: account.display_name.clone(),
        managed_by: orgs.iter().find(|o| o.managed).map(|o| o.org.name.clone()),
        is_admin: orgs.iter().any(|o| o.admin),
        orgs: orgs
            .into_iter()
            .map(|o| OrgRow {
                id: o.org.id.to_string(),
                name: o.org.name,
                managed: o.managed,
                admin: o.admin,
                suspended: o.suspended,
            })
            .collect(),
        sessions: sessions
            .into_iter()
            .map(|s| SessionRow {
                id: s.session.id.to_string(),
                created: s.session.created_at.to_rfc3339(),
                last_seen: s.session.last_seen_at.to_rfc3339(),
                ip: s.session.ip.unwrap_or_default(),
                browser: s.session.user_agent.unwrap_or_default(),
                current: s.is_current,
            })
            .collect(),
        invitations: invitations
            .into_iter()
            .map(|i| InvitationRow {
                id: i.invitation.id.to_string(),
                org: i.org_name,
                invited_by: i.invitation.invited_by,
                expires: i.invitation.expires_at.to_rfc3339(),
            })
            .collect(),
        notice,
        errors,
    };
    let mut res = render_status(status, &page)?;
    res.headers_mut()
        .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    Ok(res)
}

pub async fn page(State(st): State<AppState>, person: Person, Query(q): Query<NoticeQuery>) -> PageResult {
    page_for(
        &st,
        &person,
        StatusCode::OK,
        notice_text(q.notice.as_deref()),
        Vec::new(),
    )
    .await
}

/// A refused form: the page again with what was wrong (429/503 keep their `Retry-After`).
async fn refused(st: &AppState, person: &Person, e: CoreError) -> PageResult {
    let (status, retry, lines) = form_refusal(e)?;
    Ok(with_retry_after(
        page_for(st, person, status, None, lines).await?,
        retry,
    ))
}

/// How a person's page answers a refused form: its status, `Retry-After` (429, 503) and the
/// lines that say what was wrong; anything else is the page error it is.
pub(crate) fn form_refusal(e: CoreError) -> Result<(StatusCode, Option<u64>, Vec<String>), PageError> {
    let (status, retry) = match &e {
        CoreError::RateLimited { retry_after_secs } => (StatusCode::TOO_MANY_REQUESTS, Some(*retry_after_secs)),
        CoreError::Overloaded { retry_after_secs } => (StatusCode::SERVICE_UNAVAILABLE, Some(*retry_after_secs)),
        CoreError::Validation { .. } => (StatusCode::UNPROCESSABLE_ENTITY, None),
        CoreError::Conflict { .. } => (StatusCode::CONFLICT, None),
        CoreError::Forbidden { .. } => (StatusCode::FORBIDDEN, None),
        CoreError::NotFound { .. } => return Err(PageError::NotFound),
        _ => return Err(PageError::Core(e)),
    };
    let lines = match &e {
        CoreError::RateLimited { retry_after_secs } => vec![format!(
            "Too many attempts. Try again in {} minute(s).",
            retry_after_secs.div_ceil(60)
        )],
        CoreError::Overloaded { .. } => vec!["Gatehouse is busy right now. Try again in a few seconds.".to_owned()],
        _ => error_lines(&e),
    };
    Ok((status, retry, lines))
}

fn back(notice: &str) -> Response {
    Redirect::to(&format!("/account?notice={notice}")).into_response()
}

#[derive(Deserialize)]
pub struct NameForm {
    display_name: String,
}

pub async fn rename(State(st): State<AppState>, f: PersonForm<NameForm>) -> PageResult {
    let p = f.person;
    match st.signin.rename(&p.me, &f.form.display_name, &p.meta).await {
        Ok(_) => Ok(back("name")),
        Err(e) => refused(&st, &p, e).await,
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm: String,
}

/// A new password ends every session, this one too: the person signs in again with it.
pub async fn change_password(State(st): State<AppState>, f: PersonForm<PasswordForm>) -> PageResult {
    let p = f.person;
    if f.form.new_password != f.form.confirm {
        let e = CoreError::validation("confirm", "does not match the new password");
        return refused(&st, &p, e).await;
    }
    match st
        .signin
        .change_password(&p.me, &f.form.current_password, &f.form.new_password, &p.meta)
        .await
    {
        Ok(()) => Ok(signed_out_to("/login?password_set=1", &st)),
        Err(e) => refused(&st, &p, e).await,
    }
}

pub async fn leave(State(st): State<AppState>, Path(org): Path<String>, f: PersonForm<EmptyForm>) -> PageResult {
    let p = f.person;
    let org = OrgId::parse(&org).map_err(|_| PageError::NotFound)?;
    match st.signin.leave_org(&p.me, org, &p.meta).await {
        Ok(()) => Ok(back("left")),
        Err(e) => refused(&st, &p, e).await,
    }
}

#[derive(Deserialize)]
pub struct DeleteForm {
    password: String,
}

pub async fn delete(State(st): State<AppState>, f: PersonForm<DeleteForm>) -> PageResult {
    let p = f.person;
    match st.signin.delete_own_account(&p.me, &f.form.password, &p.meta).await {
        Ok(()) => Ok(signed_out_to("/login?account_deleted=1", &st)),
        Err(e) => refused(&st, &p, e).await,
    }
}

#[derive(Deserialize)]
pub struct EmptyForm {}

/// Ends one of the person's sessions; ending the current one signs them out here.
pub async fn end_session(State(st): State<AppState>, Path(id): Path<String>, f: PersonForm<EmptyForm>) -> PageResult {
    let p = f.person;
    let id = SessionId::parse(&id).map_err(|_| PageError::NotFound)?;
    let current = p.me.session().id == id;
    match st.services.sessions.revoke_mine(&p.me, id, &p.meta).await {
        Ok(()) if current => Ok(signed_out_to("/login?signed_out=1", &st)),
        Ok(()) => Ok(back("session_ended")),
        Err(e) => refused(&st, &p, e).await,
    }
}

/// "Sign out everywhere": every session of the account ends, this one too.
pub async fn end_all_sessions(State(st): State<AppState>, f: PersonForm<EmptyForm>) -> PageResult {
    let p = f.person;
    match st.services.sessions.revoke_all_mine(&p.me, &p.meta).await {
        Ok(_) => Ok(signed_out_to("/login?signed_out=1", &st)),
        Err(e) => refused(&st, &p, e).await,
    }
}

/// Accepts (`accept`) or declines (`decline`) a pending admin invitation.
pub async fn answer_invitation(
    State(st): State<AppState>,
    Path((id, answer)): Path<(String, String)>,
    f: PersonForm<EmptyForm>,
) -> PageResult {
    let p = f.person;
    let id = AdminInvitationId::parse(&id).map_err(|_| PageError::NotFound)?;
    let (result, notice) = match answer.as_str() {
        "accept" => (
            st.services.admins.accept_invitation(&p.me, id, &p.meta).await.map(drop),
            "accepted",
        ),
        "decline" => (
            st.services.admins.decline_invitation(&p.me, id, &p.meta).await,
            "declined",
        ),
        _ => return Err(PageError::NotFound),
    };
    match result {
        Ok(()) => Ok(back(notice)),
        Err(e) => refused(&st, &p, e).await,
    }
}

/// A redirect that also clears the session cookie (the session is gone).
fn signed_out_to(to: &'static str, st: &AppState) -> Response {
    let mut res = Redirect::to(to).into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, set_cookie(st, SESSION_COOKIE, "", Some(0)));
    res
}
