//! A policy's members: the list (paged by account id), and moving accounts in, one typed id or
//! email, or a CSV file of up to 10,000 rows. Every move is reviewed first (who moves, who
//! does not and why, and what the simulator says the policy would do to the ones who move);
//! the review's confirm button moves them and the report says what happened to each row.
//!
//! With JavaScript, `static/policies.js` reads the file in the browser, asks `simulate` for the
//! review, then posts the rows to `move` in chunks while a progress bar advances (each chunk
//! is one move: a chunk refused, for a lockout say, stops the upload with the chunks before
//! it moved). Without it, the file is posted as a form and the server does the same in one
//! move, all or nothing.

use super::common::{Chrome, Console, ConsoleJson, ConsoleListForm};
use super::identity_providers::refusal;
use super::policy::parse_id;
use super::policy_form::policy_notice;
use super::policy_moves::{OUTCOMES, Resolved, Row, SimView, apply, checked, resolve, rows_of, simulate_move};
use crate::state::AppState;
use crate::web::csrf::unreadable;
use crate::web::pages::{PageError, PageResult, render_status};
use askama::Template;
use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use gatehouse_core::CoreError;
use gatehouse_core::ids::{AccountId, PolicyId};
use gatehouse_core::secret::constant_time_eq;
use gatehouse_core::services::policies::MAX_MOVE;
use serde::Deserialize;
use serde_json::json;

const PAGE: u32 = 100;

#[derive(Template)]
#[template(path = "policy_members.html")]
struct MembersPage {
    c: Chrome,
    notice: Option<&'static str>,
    errors: Vec<String>,
    id: String,
    name: String,
    /// (account id, email, display name, password state)
    members: Vec<(String, String, String, &'static str)>,
    next_after: Option<String>,
    entries: String,
    max: usize,
}

/// The review of a move (`done` false) or its report (`done` true).
#[derive(Template)]
#[template(path = "policy_move.html")]
struct MovePage {
    c: Chrome,
    notice: Option<&'static str>,
    errors: Vec<String>,
    id: String,
    name: String,
    done: bool,
    rows: Vec<Row>,
    /// (label, count) of the rows by outcome, those with any.
    tally: Vec<(&'static str, usize)>,
    sim: Option<SimView>,
    /// The rows as posted again by the confirm button.
    entries: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MembersQuery {
    after: Option<String>,
    notice: Option<String>,
}

async fn build(
    st: &AppState,
    console: &Console,
    id: PolicyId,
    after: Option<AccountId>,
    errors: Vec<String>,
) -> Result<MembersPage, PageError> {
    let s = st.services.policies.get(&console.admin, id).await?;
    let page = st.services.policies.members(&console.admin, id, after, PAGE).await?;
    let next_after = (page.len() == PAGE as usize)
        .then(|| page.last().map(|m| m.account.id.to_string()))
        .flatten();
    Ok(MembersPage {
        c: console.chrome("policies"),
        notice: None,
        errors,
        id: id.to_string(),
        name: s.policy.name,
        members: page
            .into_iter()
            .map(|m| {
                (
                    m.account.id.to_string(),
                    m.account.email,
                    m.account.display_name,
                    m.password.as_str(),
                )
            })
            .collect(),
        next_after,
        entries: String::new(),
        max: MAX_MOVE,
    })
}

pub async fn page(
    State(st): State<AppState>,
    console: Console,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<MembersQuery>,
) -> PageResult {
    let id = parse_id(&id)?;
    let after = q
        .after
        .as_deref()
        .map(AccountId::parse)
        .transpose()
        .map_err(|_| PageError::NotFound)?;
    let mut p = build(&st, &console, id, after, Vec::new()).await?;
    p.notice = policy_notice(q.notice.as_deref());
    render_status(StatusCode::OK, &p)
}

/// Reviews (or, confirmed, makes) the move of `text`'s rows; a refusal (too many rows, a
/// lockout) shows the members page with its messages and the rows, and nothing moves.
async fn review_or_move(st: &AppState, console: &Console, id: PolicyId, text: String, confirm: bool) -> PageResult {
    let s = st.services.policies.get(&console.admin, id).await?;
    let result = async {
        let mut r: Resolved = resolve(st, &console.admin, rows_of(&text)?).await?;
        let sim = if confirm {
            apply(st, &console.admin, id, &mut r).await?;
            None
        } else {
            simulate_move(st, &console.admin, id, &r).await?
        };
        Ok::<_, CoreError>((r, sim))
    }
    .await;
    match result {
        Ok((r, sim)) => {
            let tally = OUTCOMES
                .iter()
                .map(|(c, l)| (*l, r.count(c)))
                .filter(|(_, n)| *n > 0)
                .collect();
            let page = MovePage {
                c: console.chrome("policies"),
                notice: None,
                errors: Vec::new(),
                id: id.to_string(),
                name: s.policy.name,
                done: confirm,
                rows: r.rows,
                tally,
                sim,
                entries: text,
            };
            render_status(StatusCode::OK, &page)
        }
        Err(e) => {
            let (status, errors) = refusal(e)?;
            let mut p = build(st, console, id, None, errors).await?;
            p.entries = text;
            render_status(status, &p)
        }
    }
}

#[derive(Deserialize)]
pub struct MoveForm {
    /// One account id or email per line.
    entries: String,
    confirm: Option<String>,
}

/// The move form (one account typed in, or a review's confirm button).
pub async fn move_form(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleListForm { console, form }: ConsoleListForm<MoveForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    review_or_move(&st, &console, id, form.entries, form.confirm.is_some()).await
}

/// The CSV file posted as a form (no JavaScript): its review. The CSRF field comes before
/// the file in the form, and is checked before the file is read.
pub async fn upload(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    console: Console,
    mut multipart: Multipart,
) -> PageResult {
    let id = parse_id(&id)?;
    let mut csrf_ok = false;
    let mut text = None;
    while let Some(field) = multipart.next_field().await.map_err(|e| unreadable(&e))? {
        match field.name() {
            Some("csrf") => {
                let sent = field.text().await.map_err(|e| unreadable(&e))?;
                csrf_ok = constant_time_eq(&sent, console.signed_in.csrf());
            }
            Some("file") if csrf_ok => {
                let bytes = field.bytes().await.map_err(|e| unreadable(&e))?;
                text = Some(String::from_utf8(bytes.to_vec()).map_err(|_| {
                    PageError::BadRequest("The file is not UTF-8 text (save the CSV as UTF-8).".into())
                })?);
            }
            _ => {}
        }
    }
    if !csrf_ok {
        return Err(PageError::Csrf);
    }
    let text = text.ok_or_else(|| PageError::BadRequest("Choose a CSV file to upload.".into()))?;
    review_or_move(&st, &console, id, text, false).await
}

#[derive(Deserialize)]
pub struct EntriesBody {
    entries: Vec<String>,
}

/// A refusal in JSON for the script: its status and message.
fn json_refusal(e: CoreError) -> Result<axum::response::Response, PageError> {
    let (status, errors) = refusal(e)?;
    Ok((status, Json(json!({ "error": errors.join(" ") }))).into_response())
}

/// The script's review: each row's planned outcome and the simulation of the move.
pub async fn simulate_json(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleJson { console, body }: ConsoleJson<EntriesBody>,
) -> PageResult {
    let id = parse_id(&id)?;
    let result = async {
        let r = resolve(&st, &console.admin, checked(body.entries)?).await?;
        let sim = simulate_move(&st, &console.admin, id, &r).await?;
        Ok::<_, CoreError>((r, sim))
    }
    .await;
    match result {
        Ok((r, sim)) => Ok(Json(json!({ "rows": r.rows, "simulation": sim })).into_response()),
        Err(e) => json_refusal(e),
    }
}

/// One chunk of the script's upload: moved, and each row's outcome.
pub async fn move_json(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleJson { console, body }: ConsoleJson<EntriesBody>,
) -> PageResult {
    let id = parse_id(&id)?;
    let result = async {
        let mut r = resolve(&st, &console.admin, checked(body.entries)?).await?;
        apply(&st, &console.admin, id, &mut r).await?;
        Ok::<_, CoreError>(r)
    }
    .await;
    match result {
        Ok(r) => Ok(Json(json!({ "rows": r.rows })).into_response()),
        Err(e) => json_refusal(e),
    }
}
