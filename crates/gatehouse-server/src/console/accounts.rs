//! Accounts: search, create, detail (with a managed account's API tokens and sessions),
//! deactivate and reactivate, end sessions.

use super::common::{Chrome, Console, ConsoleForm, Empty, NoticeQuery, done, form_errors, given, notice_text};
use crate::state::AppState;
use crate::web::pages::{PageError, PageResult, render_status};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gatehouse_core::auth::PasswordState;
use gatehouse_core::ids::AccountId;
use gatehouse_core::model::AccountFilter;
use gatehouse_core::page::PageRequest;
use gatehouse_core::product::AccountStatus;
use gatehouse_core::services::{AccountPatch, NewAccount};
use serde::Deserialize;

pub struct AccountRow {
    id: String,
    name: String,
    email: String,
    status: String,
    managed: bool,
    billable: bool,
    /// Two-step verification of a managed account ("On", "Off"), or "" for any other.
    two_step: &'static str,
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    c: Chrome,
    notice: Option<&'static str>,
    errors: Vec<String>,
    rows: Vec<AccountRow>,
    next: Option<String>,
    q: String,
    status: String,
    scope: &'static str,
    domain: String,
    form_email: String,
    form_name: String,
}

#[derive(Deserialize, Default)]
pub struct AccountsQuery {
    q: Option<String>,
    status: Option<String>,
    /// all, managed or external.
    scope: Option<String>,
    domain: Option<String>,
    cursor: Option<String>,
    notice: Option<String>,
}

async fn build(
    st: &AppState,
    console: &Console,
    q: &AccountsQuery,
    errors: Vec<String>,
) -> Result<AccountsPage, PageError> {
    let text = q.q.as_deref().and_then(given).map(str::to_owned);
    let status = q
        .status
        .as_deref()
        .and_then(given)
        .and_then(|s| AccountStatus::parse(s).ok());
    let managed = match q.scope.as_deref() {
        Some("managed") => Some(true),
        Some("external") => Some(false),
        _ => None,
    };
    let email_domain = q.domain.as_deref().and_then(given).map(str::to_owned);
    let base = AccountFilter {
        status,
        managed,
        email_domain,
        ..Default::default()
    };
    // One search box: an @ means an email, anything else a name.
    let filter = match &text {
        Some(t) if t.contains('@') => AccountFilter {
            email: Some(t.clone()),
            ..base
        },
        Some(t) => AccountFilter {
            name: Some(t.clone()),
            ..base
        },
        None => base,
    };
    let page = PageRequest::parse(q.cursor.as_deref(), Some(50)).unwrap_or_else(|_| PageRequest::first(50));
    let list = st.services.accounts.list(&console.admin, &filter, &page).await?;
    let managed_ids: Vec<AccountId> = list
        .items
        .iter()
        .filter(|a| a.is_managed)
        .map(|a| a.account.id)
        .collect();
    let methods = st.signin.two_step_methods_of(&console.admin, &managed_ids).await?;
    let rows = list
        .items
        .into_iter()
        .map(|a| AccountRow {
            two_step: match methods.get(&a.account.id) {
                Some(m) if gatehouse_core::two_step::enrolled(m) => "On",
                Some(_) => "Off",
                None => "",
            },
            billable: a.billable(),
            id: a.account.id.to_string(),
            name: a.account.display_name,
            email: a.account.email,
            status: a.account.status.to_string(),
            managed: a.is_managed,
        })
        .collect();
    Ok(AccountsPage {
        c: console.chrome("accounts"),
        notice: notice_text(q.notice.as_deref()),
        errors,
        rows,
        next: list.next_cursor,
        q: text.unwrap_or_default(),
        status: status.map(|s| s.to_string()).unwrap_or_default(),
        scope: match managed {
            Some(true) => "managed",
            Some(false) => "external",
            None => "all",
        },
        domain: q.domain.clone().unwrap_or_default(),
        form_email: String::new(),
        form_name: String::new(),
    })
}

pub async fn page(State(st): State<AppState>, console: Console, Query(q): Query<AccountsQuery>) -> PageResult {
    render_status(StatusCode::OK, &build(&st, &console, &q, Vec::new()).await?)
}

#[derive(Deserialize)]
pub struct CreateForm {
    email: String,
    display_name: String,
}

pub async fn create(State(st): State<AppState>, ConsoleForm { console, form }: ConsoleForm<CreateForm>) -> PageResult {
    let result = match NewAccount::parse(&form.email, &form.display_name) {
        Ok(input) => st.services.accounts.create(&console.admin, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok((a, _)) => {
            crate::web::invitation::invite(&st, &console.admin, a.account.id).await;
            done(&console.url(&format!("/accounts/{}", a.account.id)), "account_created")
        }
        Err(e) => {
            let mut p = build(&st, &console, &AccountsQuery::default(), form_errors(e)?).await?;
            p.form_email = form.email;
            p.form_name = form.display_name;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
    }
}

pub struct AccessRow {
    instance: String,
    product: &'static str,
    role: String,
    via: String,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    c: Chrome,
    notice: Option<&'static str>,
    errors: Vec<String>,
    id: String,
    name: String,
    email: String,
    status: String,
    managed: bool,
    is_admin: bool,
    created: String,
    delete_after: Option<String>,
    /// Since when the organization's directory suspended the account here.
    suspended_at: Option<String>,
    groups: Vec<(String, String)>,
    access: Vec<AccessRow>,
    billable: bool,
    /// (id, name, prefix, status, last used), for a managed account.
    tokens: Vec<(String, String, String, &'static str, String)>,
    /// The live sessions of a managed account.
    sessions: Vec<SessionRow>,
    /// A managed account's second steps (no secret).
    two_step: Option<TwoStepRow>,
    /// What was measured of the password, for the managing organization only.
    password: Option<String>,
    /// Sign-ins to this organization's product clients, for any account it sees.
    product_sessions: Vec<super::product_sessions::ProductSessionRow>,
}

/// A live session as the account page shows it.
pub struct SessionRow {
    id: String,
    created: String,
    last_seen: String,
    ip: String,
    browser: String,
    /// How the person signed in (RFC 8176 values), e.g. "pwd otp mfa".
    method: String,
}

/// A managed account's two-step verification as the account page shows it.
pub struct TwoStepRow {
    enabled: bool,
    totp_since: Option<String>,
    /// (name, added) of each security key or passkey.
    keys: Vec<(String, String)>,
    recovery_left: i64,
}

impl From<gatehouse_core::two_step::Enrolment> for TwoStepRow {
    fn from(e: gatehouse_core::two_step::Enrolment) -> Self {
        Self {
            enabled: e.is_enrolled(),
            totp_since: e.totp.map(gatehouse_core::Timestamp::to_rfc3339),
            keys: e
                .security_keys
                .iter()
                .map(|k| (k.name.clone(), k.created_at.to_rfc3339()))
                .collect(),
            recovery_left: e.recovery_codes_left,
        }
    }
}

impl From<gatehouse_core::model::Session> for SessionRow {
    fn from(s: gatehouse_core::model::Session) -> Self {
        Self {
            id: s.id.to_string(),
            created: s.created_at.to_rfc3339(),
            last_seen: s.last_seen_at.to_rfc3339(),
            ip: s.ip.unwrap_or_else(|| "Unknown".into()),
            browser: s.user_agent.unwrap_or_else(|| "Unknown".into()),
            method: if s.amr.is_empty() {
                "sso".into()
            } else {
                s.amr.join(" ")
            },
        }
    }
}

/// A managed account's API tokens: (id, name, prefix, status, last used).
async fn token_rows(
    st: &AppState,
    console: &Console,
    id: AccountId,
) -> Result<Vec<(String, String, String, &'static str, String)>, PageError> {
    let now = st.services.now();
    Ok(st
        .services
        .api_tokens
        .list(&console.admin, id)
        .await?
        .into_iter()
        .map(|t| {
            let status = t.status(now);
            let used = t
                .last_used_at
                .map_or_else(|| "Never".to_owned(), gatehouse_core::Timestamp::to_rfc3339);
            (t.id.to_string(), t.name, t.prefix, status, used)
        })
        .collect())
}

/// The password facts in a sentence.
fn password_text(p: &PasswordState) -> String {
    match p {
        PasswordState::None => "None set".to_owned(),
        PasswordState::Unknown => "Set before Gatehouse measured passwords: strength unknown".to_owned(),
        PasswordState::Set(f) => format!(
            "Set {}: {} characters, strength {} of 4{}",
            f.set_at.to_rfc3339(),
            f.length,
            f.score,
            if f.common {
                ", on the list of common passwords"
            } else {
                ", not a common password"
            }
        ),
    }
}

pub async fn detail(
    State(st): State<AppState>,
    console: Console,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let id = AccountId::parse(&id).map_err(|_| PageError::NotFound)?;
    let d = st.services.accounts.get(&console.admin, id).await?;
    let group_names: std::collections::HashMap<_, _> = d.groups.iter().map(|g| (g.id, g.name.clone())).collect();
    let (tokens, sessions) = if d.account.is_managed {
        (
            token_rows(&st, &console, id).await?,
            st.services
                .sessions
                .list(&console.admin, id)
                .await?
                .into_iter()
                .map(SessionRow::from)
                .collect(),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let two_step = if d.account.is_managed {
        Some(st.signin.two_step_of(&console.admin, id).await?.into())
    } else {
        None
    };
    let product_sessions = super::product_sessions::rows(&st, &console, id).await?;
    let page = AccountPage {
        c: console.chrome("accounts"),
        notice: notice_text(q.notice.as_deref()),
        errors: Vec::new(),
        id: id.to_string(),
        name: d.account.account.display_name.clone(),
        email: d.account.account.email.clone(),
        status: d.account.account.status.to_string(),
        managed: d.account.is_managed,
        billable: d.account.billable(),
        tokens,
        sessions,
        two_step,
        product_sessions,
        password: d.account.password_seen().map(password_text),
        is_admin: d.is_org_admin,
        created: d.account.account.created_at.to_rfc3339(),
        delete_after: d
            .account
            .account
            .delete_after
            .map(gatehouse_core::Timestamp::to_rfc3339),
        suspended_at: d.account.suspended_at.map(gatehouse_core::Timestamp::to_rfc3339),
        groups: d.groups.iter().map(|g| (g.id.to_string(), g.name.clone())).collect(),
        access: d
            .access
            .into_iter()
            .map(|a| AccessRow {
                instance: a.instance_name,
                product: a.product.display_name(),
                role: a.access.role.to_string(),
                via: a.via_group.map_or_else(
                    || "Direct".to_owned(),
                    |g| format!("Group {}", group_names.get(&g).cloned().unwrap_or_default()),
                ),
            })
            .collect(),
    };
    render_status(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct StatusForm {
    status: String,
}

pub async fn set_status(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, form }: ConsoleForm<StatusForm>,
) -> PageResult {
    let id = AccountId::parse(&id).map_err(|_| PageError::NotFound)?;
    let patch = AccountPatch::parse(None, Some(&form.status))?;
    let updated = st.services.accounts.update(&console.admin, id, patch).await?;
    let notice = match updated.account.status {
        AccountStatus::Active => "account_reactivated",
        AccountStatus::Deactivated => "account_deactivated",
    };
    done(&console.url(&format!("/accounts/{id}")), notice)
}

pub async fn delete(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, .. }: ConsoleForm<Empty>,
) -> PageResult {
    let id = AccountId::parse(&id).map_err(|_| PageError::NotFound)?;
    match st.services.accounts.delete(&console.admin, id).await? {
        gatehouse_core::services::Removal::Removed => done(&console.url("/accounts"), "account_removed"),
        gatehouse_core::services::Removal::DeletionScheduled(_) => {
            done(&console.url(&format!("/accounts/{id}")), "deletion_scheduled")
        }
    }
}

pub async fn cancel_deletion(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, .. }: ConsoleForm<Empty>,
) -> PageResult {
    let id = AccountId::parse(&id).map_err(|_| PageError::NotFound)?;
    st.services.accounts.cancel_deletion(&console.admin, id).await?;
    done(&console.url(&format!("/accounts/{id}")), "deletion_canceled")
}

pub async fn revoke_token(
    State(st): State<AppState>,
    Path((_, id, token)): Path<(String, String, String)>,
    ConsoleForm { console, .. }: ConsoleForm<Empty>,
) -> PageResult {
    let id = AccountId::parse(&id).map_err(|_| PageError::NotFound)?;
    let token = gatehouse_core::ids::UserApiTokenId::parse(&token).map_err(|_| PageError::NotFound)?;
    st.services.api_tokens.revoke(&console.admin, id, &token).await?;
    done(&console.url(&format!("/accounts/{id}")), "api_token_revoked")
}

pub async fn revoke_session(
    State(st): State<AppState>,
    Path((_, id, session)): Path<(String, String, String)>,
    ConsoleForm { console, .. }: ConsoleForm<Empty>,
) -> PageResult {
    let id = AccountId::parse(&id).map_err(|_| PageError::NotFound)?;
    let session = gatehouse_core::ids::SessionId::parse(&session).map_err(|_| PageError::NotFound)?;
    st.services.sessions.delete(&console.admin, id, session).await?;
    done(&console.url(&format!("/accounts/{id}")), "session_revoked")
}

pub async fn revoke_all_sessions(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, .. }: ConsoleForm<Empty>,
) -> PageResult {
    let id = AccountId::parse(&id).map_err(|_| PageError::NotFound)?;
    st.services.sessions.delete_all(&console.admin, id).await?;
    done(&console.url(&format!("/accounts/{id}")), "sessions_revoked")
}

/// Removes every second step of a managed account (`two_step.reset`; the person is mailed).
pub async fn reset_two_step(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, .. }: ConsoleForm<Empty>,
) -> PageResult {
    let id = AccountId::parse(&id).map_err(|_| PageError::NotFound)?;
    st.signin.reset_two_step(&console.admin, id).await?;
    done(&console.url(&format!("/accounts/{id}")), "two_step_reset")
}
