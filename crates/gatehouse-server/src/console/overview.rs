//! The console's home: which organization, and its overview.

use super::common::{Chrome, Console};
use super::events::{EventRow, rows_of};
use crate::state::AppState;
use crate::web::pages::{PageError, PageResult, render};
use crate::web::session::MaybeSignedIn;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use gatehouse_core::audit::AuditFilter;
use gatehouse_core::page::PageRequest;

#[derive(Template)]
#[template(path = "orgs.html")]
struct OrgsPage {
    orgs: Vec<(String, String)>,
}

/// `/admin`: straight to the organization when there is one, a choice when there are several.
pub async fn home(State(st): State<AppState>, MaybeSignedIn(person): MaybeSignedIn) -> PageResult {
    let Some(person) = person else {
        return Err(PageError::SignIn { next: "/admin".into() });
    };
    let orgs = st.services.admins.list_orgs_of(person.account().id).await?;
    if let [only] = orgs.as_slice() {
        return Ok(Redirect::to(&format!("/admin/orgs/{}", only.id)).into_response());
    }
    render(&OrgsPage {
        orgs: orgs.into_iter().map(|o| (o.id.to_string(), o.name)).collect(),
    })
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    c: Chrome,
    notice: Option<&'static str>,
    errors: Vec<String>,
    accounts: i64,
    billable: i64,
    instances: i64,
    groups: i64,
    events: Vec<EventRow>,
}

pub async fn page(State(st): State<AppState>, console: Console) -> PageResult {
    let counts = st.services.orgs.get_counts(&console.admin).await?;
    let recent = st
        .services
        .audit
        .list(&console.admin, &AuditFilter::default(), &PageRequest::first(10))
        .await?;
    render(&OverviewPage {
        c: console.chrome("overview"),
        notice: None,
        errors: Vec::new(),
        accounts: counts.accounts,
        billable: counts.billable_accounts,
        instances: counts.instances,
        groups: counts.groups,
        events: rows_of(recent.items),
    })
}
