//! Single sign-on: the organization's identity providers (SAML 2.0 and OpenID Connect), the
//! forms that add them, its break-glass admins and the default groups of accounts made at a
//! first SSO sign-in. A provider's own page (the values its IdP admin pastes, editing,
//! enforcement, deletion) is in `identity_provider.rs`; both use the form of `idp_form.rs`.
//! Every change goes through `services.idps`, which checks it and records it in the audit log.

use super::common::{Chrome, Console, ConsoleForm, NoticeQuery, done, form_errors, notice_text};
use super::idp_form::{FormView, IdpForm};
use crate::sso::settings::spec_for;
use crate::state::AppState;
use crate::web::pages::{PageError, PageResult, render_status};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use gatehouse_core::CoreError;
use gatehouse_core::domain::DomainStatus;
use gatehouse_core::ids::{AccountId, GroupId, IdpId};
use gatehouse_core::page::PageRequest;
use gatehouse_core::sso::Protocol;

/// One provider in the list.
pub struct IdpRow {
    id: String,
    name: String,
    protocol: &'static str,
    domains: String,
    enforced: bool,
}

/// A checkbox of the break-glass or default-groups form: (id, label, ticked).
type Choice = (String, String, bool);

#[derive(Template)]
#[template(path = "identity_providers.html")]
struct IdpsPage {
    c: Chrome,
    notice: Option<&'static str>,
    errors: Vec<String>,
    rows: Vec<IdpRow>,
    /// The add forms: SAML, then OIDC.
    forms: [FormView; 2],
    admins: Vec<Choice>,
    groups: Vec<Choice>,
    /// Whether any provider is enforced (the break-glass list then cannot be emptied).
    any_enforced: bool,
}

/// What the page shows in its forms: by default the blank add forms and the stored lists;
/// after a refused post, what the admin entered.
#[derive(Default)]
struct Entered {
    form: Option<IdpForm>,
    break_glass: Option<Vec<String>>,
    default_groups: Option<Vec<String>>,
}

/// The protocol's name for people.
pub fn protocol_label(p: Protocol) -> &'static str {
    match p {
        Protocol::Saml => "SAML 2.0",
        Protocol::Oidc => "OpenID Connect",
    }
}

/// The notices of the single sign-on pages, by code (then the console's common ones), so no
/// request can put its own words on a page.
pub fn sso_notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "idp_created" => "Identity provider added. Give its identity provider admin the values below.",
        "idp_updated" => "Identity provider saved.",
        "idp_enforced" => "Single sign-on is enforced: managed accounts on its domains sign in through it only.",
        "idp_not_enforced" => "Single sign-on is not enforced: people on its domains may also use their passwords.",
        "idp_deleted" => "Identity provider removed; its people sign in with their passwords again.",
        "break_glass_saved" => "Break-glass admins saved.",
        "default_groups_saved" => "Default groups saved.",
        other => return notice_text(Some(other)),
    })
}

/// A refused change: its status (409 for a conflict such as a domain another provider has,
/// 422 for what does not validate) and its messages; any other failure is a real error.
pub fn refusal(e: CoreError) -> Result<(StatusCode, Vec<String>), PageError> {
    let status = match e {
        CoreError::Conflict { .. } => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Ok((status, form_errors(e)?))
}

/// The organization's verified domain names: the domain checkboxes.
pub async fn verified_domains(st: &AppState, console: &Console) -> Result<Vec<String>, PageError> {
    Ok(st
        .services
        .domains
        .list(&console.admin)
        .await?
        .into_iter()
        .filter(|d| d.status == DomainStatus::Verified)
        .map(|d| d.name)
        .collect())
}

async fn choices(st: &AppState, console: &Console, entered: &Entered) -> Result<(Vec<Choice>, Vec<Choice>), PageError> {
    let admin = &console.admin;
    let glass: Vec<String> = match &entered.break_glass {
        Some(ids) => ids.clone(),
        None => st
            .services
            .idps
            .break_glass(admin)
            .await?
            .iter()
            .map(ToString::to_string)
            .collect(),
    };
    let defaults: Vec<String> = match &entered.default_groups {
        Some(ids) => ids.clone(),
        None => st
            .services
            .idps
            .default_groups(admin)
            .await?
            .iter()
            .map(ToString::to_string)
            .collect(),
    };
    let admins = st
        .services
        .admins
        .list(admin)
        .await?
        .into_iter()
        .map(|a| {
            let id = a.account_id.to_string();
            let on = glass.contains(&id);
            (id, format!("{} <{}>", a.display_name, a.email), on)
        })
        .collect();
    let groups = st
        .services
        .groups
        .list(admin, None, &PageRequest::first(200))
        .await?
        .items
        .into_iter()
        .map(|g| {
            let id = g.id.to_string();
            let on = defaults.contains(&id);
            let label = if g.directory_id.is_some() {
                format!("{} (from a directory)", g.name)
            } else {
                g.name
            };
            (id, label, on)
        })
        .collect();
    Ok((admins, groups))
}

async fn build(st: &AppState, console: &Console, errors: Vec<String>, entered: Entered) -> Result<IdpsPage, PageError> {
    let idps = st.services.idps.list(&console.admin).await?;
    let verified = verified_domains(st, console).await?;
    let (admins, groups) = choices(st, console, &entered).await?;
    let (saml, oidc) = match entered.form {
        Some(f) if f.protocol() == Some(Protocol::Saml) => (f, IdpForm::blank(Protocol::Oidc)),
        Some(f) => (IdpForm::blank(Protocol::Saml), f),
        None => (IdpForm::blank(Protocol::Saml), IdpForm::blank(Protocol::Oidc)),
    };
    Ok(IdpsPage {
        c: console.chrome("sso"),
        notice: None,
        errors,
        any_enforced: idps.iter().any(|i| i.enforced),
        rows: idps
            .into_iter()
            .map(|i| IdpRow {
                id: i.id.to_string(),
                protocol: protocol_label(i.protocol()),
                domains: i.domains.join(", "),
                enforced: i.enforced,
                name: i.name,
            })
            .collect(),
        forms: [
            FormView::new(&saml, "saml-", &verified, true),
            FormView::new(&oidc, "oidc-", &verified, true),
        ],
        admins,
        groups,
    })
}

pub async fn page(State(st): State<AppState>, console: Console, Query(q): Query<NoticeQuery>) -> PageResult {
    let mut p = build(&st, &console, Vec::new(), Entered::default()).await?;
    p.notice = sso_notice(q.notice.as_deref());
    render_status(StatusCode::OK, &p)
}

/// Adds a provider of the protocol the form names, then on to its page (the values to paste
/// into the IdP are there). A refused form comes back with its messages and what was entered.
pub async fn create(
    State(st): State<AppState>,
    ConsoleForm { console, form }: ConsoleForm<Vec<(String, String)>>,
) -> PageResult {
    let form = IdpForm::from_pairs(form)?;
    let id = IdpId::new();
    let result = match spec_for(&st, id, form.input(None), None).await {
        Ok(spec) => st.services.idps.create(&console.admin, spec).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(idp) => done(&console.url(&format!("/identity-providers/{}", idp.id)), "idp_created"),
        Err(e) => {
            let (status, errors) = refusal(e)?;
            let entered = Entered {
                form: Some(form),
                ..Entered::default()
            };
            render_status(status, &build(&st, &console, errors, entered).await?)
        }
    }
}

/// The values of the repeated checkbox `name`.
fn ticked(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_owned())
        .collect()
}

/// Names the break-glass admins (the ticked boxes replace the list).
pub async fn break_glass(
    State(st): State<AppState>,
    ConsoleForm { console, form }: ConsoleForm<Vec<(String, String)>>,
) -> PageResult {
    let ids = ticked(&form, "account_id");
    let result = match ids.iter().map(|s| AccountId::parse(s)).collect::<Result<Vec<_>, _>>() {
        Ok(accounts) => st.services.idps.set_break_glass(&console.admin, accounts).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => done(&console.url("/identity-providers"), "break_glass_saved"),
        Err(e) => {
            let (status, errors) = refusal(e)?;
            let entered = Entered {
                break_glass: Some(ids),
                ..Entered::default()
            };
            render_status(status, &build(&st, &console, errors, entered).await?)
        }
    }
}

/// Names the groups every account made at its first SSO sign-in joins.
pub async fn default_groups(
    State(st): State<AppState>,
    ConsoleForm { console, form }: ConsoleForm<Vec<(String, String)>>,
) -> PageResult {
    let ids = ticked(&form, "group_id");
    let result = match ids.iter().map(|s| GroupId::parse(s)).collect::<Result<Vec<_>, _>>() {
        Ok(groups) => st.services.idps.set_default_groups(&console.admin, groups).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => done(&console.url("/identity-providers"), "default_groups_saved"),
        Err(e) => {
            let (status, errors) = refusal(e)?;
            let entered = Entered {
                default_groups: Some(ids),
                ..Entered::default()
            };
            render_status(status, &build(&st, &console, errors, entered).await?)
        }
    }
}
