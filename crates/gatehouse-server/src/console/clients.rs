//! Product clients (OpenID Connect): the list and the registration form. A confidential
//! client's secret is shown once, on the page that answers the registration. The detail page
//! (edit, rotate, delete) is in `client.rs`; both use the form of `client_form.rs`. Every
//! change goes through `services.clients`, which records it in the audit log.

use super::client::{DetailPage, build_detail};
use super::client_form::{ClientForm, FormView, instances};
use super::common::{Chrome, Console, ConsoleForm, NoticeQuery, form_errors, notice_text};
use crate::state::AppState;
use crate::web::pages::{PageError, PageResult, render_status};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use gatehouse_core::oauth::ClientSpec;
use gatehouse_core::page::PageRequest;
use std::collections::HashMap;

/// One client in the list.
pub struct ClientRow {
    id: String,
    name: String,
    kind: &'static str,
    instance: String,
    grants: String,
}

#[derive(Template)]
#[template(path = "clients.html")]
struct ClientsPage {
    c: Chrome,
    notice: Option<&'static str>,
    errors: Vec<String>,
    rows: Vec<ClientRow>,
    f: FormView,
}

async fn build(
    st: &AppState,
    console: &Console,
    errors: Vec<String>,
    form: &ClientForm,
) -> Result<ClientsPage, PageError> {
    let instances = instances(st, console).await?;
    let names: HashMap<&str, &str> = instances.iter().map(|(i, n)| (i.as_str(), n.as_str())).collect();
    let clients = st
        .services
        .clients
        .list(&console.admin, &PageRequest::first(200))
        .await?;
    let rows = clients
        .items
        .into_iter()
        .map(|c| ClientRow {
            id: c.id.to_string(),
            kind: if c.public { "public" } else { "confidential" },
            instance: c.instance_id.map_or_else(
                || "Any".to_owned(),
                |i| {
                    names
                        .get(i.to_string().as_str())
                        .map_or_else(|| i.to_string(), |n| (*n).to_owned())
                },
            ),
            grants: c.grant_types.iter().map(|g| g.as_str()).collect::<Vec<_>>().join(", "),
            name: c.name,
        })
        .collect();
    Ok(ClientsPage {
        c: console.chrome("clients"),
        notice: None,
        errors,
        rows,
        f: FormView::new(form, &instances),
    })
}

pub async fn page(State(st): State<AppState>, console: Console, Query(q): Query<NoticeQuery>) -> PageResult {
    let mut p = build(&st, &console, Vec::new(), &ClientForm::blank()).await?;
    p.notice = notice_text(q.notice.as_deref());
    render_status(StatusCode::OK, &p)
}

/// Answers with the new client's page itself (not a redirect): its secret appears this once.
/// A registration that does not validate comes back with the messages and what was entered.
pub async fn create(State(st): State<AppState>, ConsoleForm { console, form }: ConsoleForm<ClientForm>) -> PageResult {
    let result = match ClientSpec::parse_new(form.input()) {
        Ok(spec) => st.services.clients.create(&console.admin, spec).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(issued) => {
            let page: DetailPage = build_detail(&st, &console, issued, Vec::new(), None).await?;
            render_status(StatusCode::CREATED, &page)
        }
        Err(e) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &build(&st, &console, form_errors(e)?, &form).await?,
        ),
    }
}
