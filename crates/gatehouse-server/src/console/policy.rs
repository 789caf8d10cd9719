//! One authentication policy: its edit form (every setting), "make default", deletion.
//!
//! A save is reviewed first: posting the form shows what the simulator says the new settings
//! would do to the policy's members (counts per reason, the accounts with their reasons), and
//! only the review's confirm button (the same values with `confirm=1`) saves. A refused save
//! (422 for a field, 409 for a change that would lock every admin out) changes nothing and
//! shows the form again with what was entered.

use super::common::{Chrome, Console, ConsoleForm, NoticeQuery, done};
use super::identity_providers::refusal;
use super::policy_form::{PolicyForm, policy_notice, summary};
use super::policy_moves::SimView;
use crate::state::AppState;
use crate::web::pages::{PageError, PageResult, render_status};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gatehouse_core::ids::PolicyId;
use gatehouse_core::services::policies::{PolicyPatch, PolicySummary, Proposal};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "policy.html")]
struct PolicyPage {
    c: Chrome,
    notice: Option<&'static str>,
    errors: Vec<String>,
    id: String,
    name: String,
    is_default: bool,
    members: i64,
    rules: Vec<String>,
    f: PolicyForm,
    /// The organization's identity providers: (id, name).
    idps: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "policy_review.html")]
struct ReviewPage {
    c: Chrome,
    notice: Option<&'static str>,
    errors: Vec<String>,
    id: String,
    name: String,
    before: Vec<String>,
    after: Vec<String>,
    end_sessions: bool,
    sim: SimView,
    hidden: Vec<(&'static str, String)>,
}

pub fn parse_id(raw: &str) -> Result<PolicyId, PageError> {
    PolicyId::parse(raw).map_err(|_| PageError::NotFound)
}

/// The page of the policy; the form shows `form` (what was entered) or the policy as it is.
async fn build(
    st: &AppState,
    console: &Console,
    s: PolicySummary,
    errors: Vec<String>,
    form: Option<PolicyForm>,
) -> Result<PolicyPage, PageError> {
    let idps = st
        .services
        .idps
        .list(&console.admin)
        .await?
        .into_iter()
        .map(|i| (i.id.to_string(), i.name))
        .collect();
    let p = s.policy;
    Ok(PolicyPage {
        c: console.chrome("policies"),
        notice: None,
        errors,
        id: p.id.to_string(),
        rules: summary(&p.settings),
        f: form.unwrap_or_else(|| PolicyForm::of(&p)),
        name: p.name,
        is_default: p.is_default,
        members: s.member_count,
        idps,
    })
}

pub async fn detail(
    State(st): State<AppState>,
    console: Console,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let s = st.services.policies.get(&console.admin, parse_id(&id)?).await?;
    let mut p = build(&st, &console, s, Vec::new(), None).await?;
    p.notice = policy_notice(q.notice.as_deref());
    render_status(StatusCode::OK, &p)
}

/// The edit form's post: the review of the simulation, or (with `confirm`) the save.
pub async fn update(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, form }: ConsoleForm<PolicyForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    let s = st.services.policies.get(&console.admin, id).await?;
    let result = match form.read() {
        Ok((name, patch)) if form.confirm.is_some() => {
            let change = PolicyPatch {
                name: Some(name),
                settings: Some(patch),
                end_sessions: form.end_sessions.is_some(),
            };
            match st.services.policies.update(&console.admin, id, change).await {
                Ok(_) => return done(&console.url(&format!("/policies/{id}")), "policy_saved"),
                Err(e) => Err(e),
            }
        }
        Ok((_, patch)) => {
            let proposal = Proposal {
                settings: Some(patch),
                account_ids: None,
            };
            st.services.policies.simulate(&console.admin, id, &proposal).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(report) => {
            let page = ReviewPage {
                c: console.chrome("policies"),
                notice: None,
                errors: Vec::new(),
                id: id.to_string(),
                before: summary(&s.policy.settings),
                after: summary(&report.settings),
                name: s.policy.name,
                end_sessions: form.end_sessions.is_some(),
                hidden: form.hidden(),
                sim: SimView::from(report),
            };
            render_status(StatusCode::OK, &page)
        }
        Err(e) => {
            let (status, errors) = refusal(e)?;
            render_status(status, &build(&st, &console, s, errors, Some(form)).await?)
        }
    }
}

/// Makes the policy the one new managed accounts join.
pub async fn make_default(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, .. }: ConsoleForm<super::common::Empty>,
) -> PageResult {
    let id = parse_id(&id)?;
    st.services.policies.make_default(&console.admin, id).await?;
    done(&console.url(&format!("/policies/{id}")), "policy_default")
}

#[derive(Deserialize)]
pub struct DeleteForm {
    /// The confirmation box; without it nothing is deleted.
    confirm: Option<String>,
}

/// Deletes a policy that is not the default, once the admin ticked the confirmation.
pub async fn delete(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, form }: ConsoleForm<DeleteForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    let result = if form.confirm.is_some() {
        st.services.policies.delete(&console.admin, id).await
    } else {
        Err(gatehouse_core::CoreError::validation(
            "",
            "Tick the box to confirm that the policy should be deleted.",
        ))
    };
    match result {
        Ok(()) => done(&console.url("/policies"), "policy_deleted"),
        Err(e) => {
            let (status, errors) = refusal(e)?;
            let s = st.services.policies.get(&console.admin, id).await?;
            render_status(status, &build(&st, &console, s, errors, None).await?)
        }
    }
}
