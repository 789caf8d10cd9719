//! Authentication policies: the list (each policy's default badge, member count and rules), the
//! form that adds one, and the external-users policy. A policy's own page is `policy.rs`, its
//! members `policy_members.rs`. Every change goes through `services.policies`.

use super::common::{Chrome, Console, ConsoleForm, NoticeQuery, done};
use super::identity_providers::refusal;
use super::policy_form::{policy_notice, summary};
use crate::state::AppState;
use crate::web::pages::{PageError, PageResult, render_status};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use gatehouse_core::CoreError;
use gatehouse_core::services::policies::NewPolicy;
use gatehouse_core::types::Name;
use serde::Deserialize;
use serde_json::{Value, json};

/// One policy in the list.
pub struct PolicyRow {
    id: String,
    name: String,
    is_default: bool,
    members: i64,
    rules: Vec<String>,
}

#[derive(Template)]
#[template(path = "policies.html")]
struct PoliciesPage {
    c: Chrome,
    notice: Option<&'static str>,
    errors: Vec<String>,
    rows: Vec<PolicyRow>,
    /// Enforcement is paused for want of a subscription.
    paused: bool,
    form_name: String,
    email_code: bool,
    session_max: String,
}

/// What the forms show after a refused post.
#[derive(Default)]
struct Entered {
    name: String,
    external: Option<ExternalForm>,
}

async fn build(
    st: &AppState,
    console: &Console,
    errors: Vec<String>,
    entered: Entered,
) -> Result<PoliciesPage, PageError> {
    let list = st.services.policies.list(&console.admin).await?;
    let (email_code, session_max) = if let Some(f) = entered.external {
        (f.require_email_code.is_some(), f.session_max_minutes)
    } else {
        let ext = st.services.policies.external(&console.admin).await?.settings;
        (
            ext.require_email_code,
            ext.session_max_minutes.map(|m| m.to_string()).unwrap_or_default(),
        )
    };
    Ok(PoliciesPage {
        c: console.chrome("policies"),
        notice: None,
        errors,
        paused: list.iter().any(|s| s.paused),
        rows: list
            .into_iter()
            .map(|s| PolicyRow {
                id: s.policy.id.to_string(),
                rules: summary(&s.policy.settings),
                name: s.policy.name,
                is_default: s.policy.is_default,
                members: s.member_count,
            })
            .collect(),
        form_name: entered.name,
        email_code,
        session_max,
    })
}

pub async fn page(State(st): State<AppState>, console: Console, Query(q): Query<NoticeQuery>) -> PageResult {
    let mut p = build(&st, &console, Vec::new(), Entered::default()).await?;
    p.notice = policy_notice(q.notice.as_deref());
    render_status(StatusCode::OK, &p)
}

#[derive(Deserialize)]
pub struct CreateForm {
    name: String,
}

/// Adds a policy with the default settings, then on to its page to set them.
pub async fn create(State(st): State<AppState>, ConsoleForm { console, form }: ConsoleForm<CreateForm>) -> PageResult {
    let result = match Name::parse(&form.name, "name", 100) {
        Ok(name) => {
            let new = NewPolicy {
                name,
                settings: json!({}),
            };
            st.services.policies.create(&console.admin, new).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(p) => done(&console.url(&format!("/policies/{}", p.id)), "policy_created"),
        Err(e) => {
            let (status, errors) = refusal(e)?;
            let entered = Entered {
                name: form.name,
                external: None,
            };
            render_status(status, &build(&st, &console, errors, entered).await?)
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ExternalForm {
    require_email_code: Option<String>,
    /// Empty: no limit.
    session_max_minutes: String,
}

fn external_patch(f: &ExternalForm) -> Result<Value, CoreError> {
    let raw = f.session_max_minutes.trim();
    let minutes = if raw.is_empty() {
        Value::Null
    } else {
        json!(
            raw.parse::<u32>()
                .map_err(|_| CoreError::validation("session_max_minutes", "must be a whole number"))?
        )
    };
    Ok(json!({
        "require_email_code": f.require_email_code.is_some(),
        "session_max_minutes": minutes,
    }))
}

/// Saves the rules for people the organization gives access to but does not manage.
pub async fn external(
    State(st): State<AppState>,
    ConsoleForm { console, form }: ConsoleForm<ExternalForm>,
) -> PageResult {
    let result = match external_patch(&form) {
        Ok(patch) => st.services.policies.update_external(&console.admin, &patch).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => done(&console.url("/policies"), "external_saved"),
        Err(e) => {
            let (status, errors) = refusal(e)?;
            let entered = Entered {
                name: String::new(),
                external: Some(form),
            };
            render_status(status, &build(&st, &console, errors, entered).await?)
        }
    }
}
