//! The registration form of a product client, shared by the list page (register) and the
//! detail page (edit): what a person entered, turned into the core's `ClientInput`, and what
//! the form's fields show when it is rendered again.

use super::common::Console;
use crate::state::AppState;
use crate::web::pages::PageError;
use gatehouse_core::oauth::{Client, ClientInput, GrantType};
use gatehouse_core::page::PageRequest;
use serde::Deserialize;

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
    pub fn blank() -> Self {
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
