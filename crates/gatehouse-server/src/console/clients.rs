//! Product clients (OpenID Connect): the list and the registration form. A confidential
//! client's secret is shown once, on the page that answers the registration. The detail page
//! (edit, rotate, delete) is in `client.rs`; both share the form below. Every change goes
//! through `services.clients`, which records it in the audit log.

use super::client::{DetailPage, build_detail};
use super::common::{Chrome, Console, ConsoleForm, NoticeQuery, form_errors, notice_text};
use crate::state::AppState;
use crate::web::pages::{PageError, PageResult, render_status};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use gatehouse_core::oauth::{Client, ClientInput, ClientSpec, GrantType};
use gatehouse_core::page::PageRequest;
use serde::Deserialize;
use std::collections::HashMap;

/// One client in the list.
pub struct ClientRow {
    id: String,
    name: String,
    kind: &'static str,
    instance: String,
    grants: String,
}

/// The registration form as a person filled it in. Checkboxes are separate fields because
/// the console's form reader (serde_urlencoded) does not gather repeated keys into a list.
#[derive(Deserialize, Default)]
pub struct ClientForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    redirect_uris: String,
    #[serde(default)]
    post_logout_redirect_uris: String,
    #[serde(default)]
    backchannel_logout_uri: String,
    public: Option<String>,
    grant_authorization_code: Option<String>,
    grant_refresh_token: Option<String>,
    grant_client_credentials: Option<String>,
    /// Empty: any instance of the organization.
    #[serde(default)]
    instance_id: String,
}

/// One URI a line; blank lines are skipped.
fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

impl ClientForm {
    /// Every field given, so an update replaces the whole registration (an unticked box and
    /// an emptied text area mean "none", not "unchanged").
    pub fn input(&self) -> ClientInput {
        let grants = [
            (&self.grant_authorization_code, GrantType::AuthorizationCode),
            (&self.grant_refresh_token, GrantType::RefreshToken),
            (&self.grant_client_credentials, GrantType::ClientCredentials),
        ];
        let backchannel = self.backchannel_logout_uri.trim();
        let instance = self.instance_id.trim();
        ClientInput {
            name: Some(self.name.clone()),
            public: Some(self.public.is_some()),
            redirect_uris: Some(lines(&self.redirect_uris)),
            post_logout_redirect_uris: Some(lines(&self.post_logout_redirect_uris)),
            backchannel_logout_uri: Some((!backchannel.is_empty()).then(|| backchannel.to_owned())),
            grant_types: Some(
                grants
                    .iter()
                    .filter(|(on, _)| on.is_some())
                    .map(|(_, g)| g.as_str().to_owned())
                    .collect(),
            ),
            instance_id: Some((!instance.is_empty()).then(|| instance.to_owned())),
        }
    }

    /// The form filled in with a client's registration today.
    pub fn of(c: &Client) -> Self {
        let on = |g: GrantType| c.allows(g).then(String::new);
        Self {
            name: c.name.clone(),
            redirect_uris: c.redirect_uris.join("\n"),
            post_logout_redirect_uris: c.post_logout_redirect_uris.join("\n"),
            backchannel_logout_uri: c.backchannel_logout_uri.clone().unwrap_or_default(),
            public: c.public.then(String::new),
            grant_authorization_code: on(GrantType::AuthorizationCode),
            grant_refresh_token: on(GrantType::RefreshToken),
            grant_client_credentials: on(GrantType::ClientCredentials),
            instance_id: c.instance_id.map(|i| i.to_string()).unwrap_or_default(),
        }
    }

    /// A blank registration: the code grant with refresh tokens, as the API's default.
    fn blank() -> Self {
        Self {
            grant_authorization_code: Some(String::new()),
            grant_refresh_token: Some(String::new()),
            ..Self::default()
        }
    }
}

/// What the form's fields show: the values and the instance choices.
pub struct FormView {
    pub name: String,
    pub redirect_uris: String,
    pub post_logout_redirect_uris: String,
    pub backchannel_logout_uri: String,
    pub public: bool,
    /// The grant checkboxes: (field, label, ticked).
    pub grants: [(&'static str, &'static str, bool); 3],
    /// (id, name, selected); "any instance" is selected when none is.
    pub instances: Vec<(String, String, bool)>,
    pub any_instance: bool,
}

impl FormView {
    pub fn new(f: &ClientForm, instances: &[(String, String)]) -> Self {
        let chosen = f.instance_id.trim();
        Self {
            name: f.name.clone(),
            redirect_uris: f.redirect_uris.clone(),
            post_logout_redirect_uris: f.post_logout_redirect_uris.clone(),
            backchannel_logout_uri: f.backchannel_logout_uri.clone(),
            public: f.public.is_some(),
            grants: [
                (
                    "grant_authorization_code",
                    "authorization_code (people sign in)",
                    f.grant_authorization_code.is_some(),
                ),
                (
                    "grant_refresh_token",
                    "refresh_token (with the offline_access scope)",
                    f.grant_refresh_token.is_some(),
                ),
                (
                    "grant_client_credentials",
                    "client_credentials (the product's back end)",
                    f.grant_client_credentials.is_some(),
                ),
            ],
            instances: instances
                .iter()
                .map(|(id, name)| (id.clone(), name.clone(), id == chosen))
                .collect(),
            any_instance: chosen.is_empty(),
        }
    }
}

/// The organization's instances: (id, name).
pub async fn instances(st: &AppState, console: &Console) -> Result<Vec<(String, String)>, PageError> {
    Ok(st
        .services
        .instances
        .list(&console.admin, None, &PageRequest::first(200))
        .await?
        .items
        .into_iter()
        .map(|i| (i.id.to_string(), i.name))
        .collect())
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
