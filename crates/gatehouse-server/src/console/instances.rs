//! Products: the organization's product instances.

use super::common::{Chrome, Console, ConsoleForm, Empty, NoticeQuery, done, form_errors, notice_text};
use crate::state::AppState;
use crate::web::pages::{PageError, PageResult, render_status};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gatehouse_core::ids::InstanceId;
use gatehouse_core::page::PageRequest;
use gatehouse_core::product::{Edition, Product};
use gatehouse_core::services::NewInstance;
use serde::Deserialize;

pub struct InstanceRow {
    id: String,
    name: String,
    product: &'static str,
    edition: String,
    url: String,
}

#[derive(Template)]
#[template(path = "instances.html")]
struct InstancesPage {
    c: Chrome,
    notice: Option<&'static str>,
    errors: Vec<String>,
    products: Vec<(&'static str, &'static str, bool)>,
    editions: Vec<(&'static str, bool)>,
    rows: Vec<InstanceRow>,
    form_name: String,
    form_url: String,
}

async fn build(
    st: &AppState,
    console: &Console,
    errors: Vec<String>,
    form: Option<&InstanceForm>,
) -> Result<InstancesPage, PageError> {
    let list = st
        .services
        .instances
        .list(&console.admin, None, &PageRequest::first(200))
        .await?;
    let rows = list
        .items
        .into_iter()
        .map(|i| InstanceRow {
            id: i.id.to_string(),
            name: i.name,
            product: i.product.display_name(),
            edition: i.edition.to_string(),
            url: i.url,
        })
        .collect();
    Ok(InstancesPage {
        c: console.chrome("instances"),
        notice: None,
        errors,
        products: Product::ALL
            .iter()
            .map(|p| {
                (
                    p.as_str(),
                    p.display_name(),
                    form.is_some_and(|f| f.product == p.as_str()),
                )
            })
            .collect(),
        editions: Edition::ALL
            .iter()
            .map(|e| {
                (
                    e.as_str(),
                    form.map_or(*e == Edition::Standard, |f| f.edition == e.as_str()),
                )
            })
            .collect(),
        rows,
        form_name: form.map(|f| f.name.clone()).unwrap_or_default(),
        form_url: form.map(|f| f.url.clone()).unwrap_or_default(),
    })
}

pub async fn page(State(st): State<AppState>, console: Console, Query(q): Query<NoticeQuery>) -> PageResult {
    let mut p = build(&st, &console, Vec::new(), None).await?;
    p.notice = notice_text(q.notice.as_deref());
    render_status(StatusCode::OK, &p)
}

#[derive(Deserialize)]
pub struct InstanceForm {
    product: String,
    name: String,
    url: String,
    edition: String,
}

pub async fn create(
    State(st): State<AppState>,
    ConsoleForm { console, form }: ConsoleForm<InstanceForm>,
) -> PageResult {
    let result = match NewInstance::parse(&form.product, &form.name, &form.url, &form.edition) {
        Ok(input) => st.services.instances.create(&console.admin, input).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => done(&console.url("/instances"), "instance_added"),
        Err(e) => {
            let errors = form_errors(e)?;
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &build(&st, &console, errors, Some(&form)).await?,
            )
        }
    }
}

pub async fn delete(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, .. }: ConsoleForm<Empty>,
) -> PageResult {
    let id = InstanceId::parse(&id).map_err(|_| PageError::NotFound)?;
    st.services.instances.delete(&console.admin, id).await?;
    done(&console.url("/instances"), "instance_deleted")
}
