//! Product access: who may use which instance, with which role.

use super::common::{Chrome, Console, ConsoleForm, Empty, NoticeQuery, done, form_errors, given, notice_text};
use crate::state::AppState;
use crate::web::pages::{PageError, PageResult, render_status};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gatehouse_core::ids::AccessId;
use gatehouse_core::model::{AccessFilter, AccountFilter, Principal};
use gatehouse_core::page::PageRequest;
use gatehouse_core::product::Role;
use gatehouse_core::services::GrantAccess;
use serde::Deserialize;
use std::collections::HashMap;

pub struct GrantRow {
    id: String,
    instance: String,
    who: String,
    role: String,
}

#[derive(Template)]
#[template(path = "access.html")]
struct AccessPage {
    c: Chrome,
    notice: Option<&'static str>,
    errors: Vec<String>,
    instances: Vec<(String, String)>,
    accounts: Vec<(String, String)>,
    groups: Vec<(String, String)>,
    roles: Vec<&'static str>,
    rows: Vec<GrantRow>,
}

async fn build(st: &AppState, console: &Console, errors: Vec<String>) -> Result<AccessPage, PageError> {
    let first = PageRequest::first(200);
    let admin = &console.admin;
    let instances = st.services.instances.list(admin, None, &first).await?.items;
    let accounts = st
        .services
        .accounts
        .list(admin, &AccountFilter::default(), &first)
        .await?
        .items;
    let groups = st.services.groups.list(admin, None, &first).await?.items;
    let grants = st
        .services
        .access
        .list(admin, &AccessFilter::default(), &first)
        .await?
        .items;
    let inst_names: HashMap<_, _> = instances
        .iter()
        .map(|i| (i.id, format!("{} ({})", i.name, i.product.display_name())))
        .collect();
    let acc_names: HashMap<_, _> = accounts
        .iter()
        .map(|a| {
            (
                a.account.id,
                format!("{} <{}>", a.account.display_name, a.account.email),
            )
        })
        .collect();
    let grp_names: HashMap<_, _> = groups.iter().map(|g| (g.id, g.name.clone())).collect();
    let rows = grants
        .into_iter()
        .map(|g| GrantRow {
            id: g.id.to_string(),
            instance: inst_names.get(&g.instance_id).cloned().unwrap_or_default(),
            who: match g.principal {
                Principal::Account(a) => acc_names.get(&a).cloned().unwrap_or_else(|| a.to_string()),
                Principal::Group(gr) => format!("Group {}", grp_names.get(&gr).cloned().unwrap_or_default()),
            },
            role: g.role.to_string(),
        })
        .collect();
    Ok(AccessPage {
        c: console.chrome("access"),
        notice: None,
        errors,
        instances: instances
            .iter()
            .map(|i| (i.id.to_string(), inst_names[&i.id].clone()))
            .collect(),
        accounts: accounts
            .iter()
            .map(|a| (a.account.id.to_string(), acc_names[&a.account.id].clone()))
            .collect(),
        groups: groups.iter().map(|g| (g.id.to_string(), g.name.clone())).collect(),
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
        rows,
    })
}

pub async fn page(State(st): State<AppState>, console: Console, Query(q): Query<NoticeQuery>) -> PageResult {
    let mut p = build(&st, &console, Vec::new()).await?;
    p.notice = notice_text(q.notice.as_deref());
    render_status(StatusCode::OK, &p)
}

#[derive(Deserialize)]
pub struct GrantForm {
    instance_id: String,
    account_id: String,
    group_id: String,
    role: String,
}

pub async fn grant(State(st): State<AppState>, ConsoleForm { console, form }: ConsoleForm<GrantForm>) -> PageResult {
    let result = match GrantAccess::parse(
        &form.instance_id,
        given(&form.account_id),
        given(&form.group_id),
        &form.role,
    ) {
        Ok(input) => st.services.access.create(&console.admin, input).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => done(&console.url("/access"), "access_granted"),
        Err(e) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &build(&st, &console, form_errors(e)?).await?,
        ),
    }
}

pub async fn revoke(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, .. }: ConsoleForm<Empty>,
) -> PageResult {
    let id = AccessId::parse(&id).map_err(|_| PageError::NotFound)?;
    st.services.access.delete(&console.admin, id).await?;
    done(&console.url("/access"), "access_revoked")
}
