//! Groups: create, members, and what access a group carries.

use super::common::{Chrome, Console, ConsoleForm, Empty, NoticeQuery, done, form_errors, notice_text};
use crate::state::AppState;
use crate::web::pages::{PageError, PageResult, render_status};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gatehouse_core::ids::{AccountId, GroupId};
use gatehouse_core::model::{AccessFilter, AccountFilter, Principal};
use gatehouse_core::page::PageRequest;
use gatehouse_core::services::NewGroup;
use serde::Deserialize;

pub struct GroupRow {
    id: String,
    name: String,
    description: String,
    members: i64,
}

#[derive(Template)]
#[template(path = "groups.html")]
struct GroupsPage {
    c: Chrome,
    notice: Option<&'static str>,
    errors: Vec<String>,
    rows: Vec<GroupRow>,
    form_name: String,
    form_description: String,
}

async fn build(st: &AppState, console: &Console, errors: Vec<String>) -> Result<GroupsPage, PageError> {
    let list = st
        .services
        .groups
        .list(&console.admin, None, &PageRequest::first(200))
        .await?;
    Ok(GroupsPage {
        c: console.chrome("groups"),
        notice: None,
        errors,
        rows: list
            .items
            .into_iter()
            .map(|g| GroupRow {
                id: g.id.to_string(),
                name: g.name,
                description: g.description,
                members: g.member_count,
            })
            .collect(),
        form_name: String::new(),
        form_description: String::new(),
    })
}

pub async fn page(State(st): State<AppState>, console: Console, Query(q): Query<NoticeQuery>) -> PageResult {
    let mut p = build(&st, &console, Vec::new()).await?;
    p.notice = notice_text(q.notice.as_deref());
    render_status(StatusCode::OK, &p)
}

#[derive(Deserialize)]
pub struct CreateForm {
    name: String,
    description: String,
}

pub async fn create(State(st): State<AppState>, ConsoleForm { console, form }: ConsoleForm<CreateForm>) -> PageResult {
    let result = match NewGroup::parse(&form.name, Some(&form.description)) {
        Ok(input) => st.services.groups.create(&console.admin, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(g) => done(&console.url(&format!("/groups/{}", g.id)), "group_created"),
        Err(e) => {
            let mut p = build(&st, &console, form_errors(e)?).await?;
            p.form_name = form.name;
            p.form_description = form.description;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
    }
}

#[derive(Template)]
#[template(path = "group.html")]
struct GroupPage {
    c: Chrome,
    notice: Option<&'static str>,
    errors: Vec<String>,
    id: String,
    name: String,
    description: String,
    candidates: Vec<(String, String)>,
    members: Vec<(String, String, String)>,
    access: Vec<(String, String)>,
}

async fn build_group(
    st: &AppState,
    console: &Console,
    id: GroupId,
    errors: Vec<String>,
) -> Result<GroupPage, PageError> {
    let g = st.services.groups.get(&console.admin, id).await?;
    let members = st
        .services
        .groups
        .list_members(&console.admin, id, &PageRequest::first(200))
        .await?
        .items;
    let all = st
        .services
        .accounts
        .list(&console.admin, &AccountFilter::default(), &PageRequest::first(200))
        .await?
        .items;
    let candidates = all
        .into_iter()
        .filter(|a| !members.iter().any(|m| m.account_id == a.account.id))
        .map(|a| {
            (
                a.account.id.to_string(),
                format!("{} <{}>", a.account.display_name, a.account.email),
            )
        })
        .collect();
    let grants = st
        .services
        .access
        .list(
            &console.admin,
            &AccessFilter {
                instance: None,
                principal: Some(Principal::Group(id)),
            },
            &PageRequest::first(200),
        )
        .await?
        .items;
    let mut access = Vec::new();
    for a in grants {
        let inst = st.services.instances.get(&console.admin, a.instance_id).await?;
        access.push((inst.name, a.role.to_string()));
    }
    Ok(GroupPage {
        c: console.chrome("groups"),
        notice: None,
        errors,
        id: id.to_string(),
        name: g.name,
        description: g.description,
        candidates,
        members: members
            .into_iter()
            .map(|m| (m.account_id.to_string(), m.display_name, m.email))
            .collect(),
        access,
    })
}

pub async fn detail(
    State(st): State<AppState>,
    console: Console,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let id = GroupId::parse(&id).map_err(|_| PageError::NotFound)?;
    let mut p = build_group(&st, &console, id, Vec::new()).await?;
    p.notice = notice_text(q.notice.as_deref());
    render_status(StatusCode::OK, &p)
}

#[derive(Deserialize)]
pub struct MemberForm {
    account_id: String,
}

pub async fn add_member(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, form }: ConsoleForm<MemberForm>,
) -> PageResult {
    let id = GroupId::parse(&id).map_err(|_| PageError::NotFound)?;
    let result = match AccountId::parse(&form.account_id) {
        Ok(account) => st.services.groups.add_member(&console.admin, id, account).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => done(&console.url(&format!("/groups/{id}")), "member_added"),
        Err(e) => {
            let errors = form_errors(e)?;
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &build_group(&st, &console, id, errors).await?,
            )
        }
    }
}

pub async fn remove_member(
    State(st): State<AppState>,
    Path((_, id, account)): Path<(String, String, String)>,
    ConsoleForm { console, .. }: ConsoleForm<Empty>,
) -> PageResult {
    let id = GroupId::parse(&id).map_err(|_| PageError::NotFound)?;
    let account = AccountId::parse(&account).map_err(|_| PageError::NotFound)?;
    st.services.groups.remove_member(&console.admin, id, account).await?;
    done(&console.url(&format!("/groups/{id}")), "member_removed")
}
