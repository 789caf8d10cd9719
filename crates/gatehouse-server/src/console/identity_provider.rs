//! One identity provider: the values its IdP admin pastes into the IdP (they never change:
//! they are made from the public URL and the provider's id), its settings, the edit form,
//! enforcement on or off, a test sign-in, and deletion after a confirmation.

use super::common::{Chrome, Console, ConsoleForm, NoticeQuery, done};
use super::identity_providers::{protocol_label, refusal, sso_notice, verified_domains};
use super::idp_form::{FormView, IdpForm};
use crate::sso::settings::{IdpInput, spec_for};
use crate::state::AppState;
use crate::web::pages::{PageError, PageResult, render_status};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gatehouse_core::ids::IdpId;
use gatehouse_core::sso::{IdentityProvider, Settings};
use serde::Deserialize;

/// A value to paste into the IdP: (label, element id, value).
type Paste = (&'static str, &'static str, String);

#[derive(Template)]
#[template(path = "identity_provider.html")]
struct IdpPage {
    c: Chrome,
    notice: Option<&'static str>,
    errors: Vec<String>,
    id: String,
    name: String,
    protocol_label: &'static str,
    domains: String,
    enforced: bool,
    created: String,
    updated: String,
    paste: Vec<Paste>,
    /// SAML: our signing and encryption certificate (PEM).
    sp_certificate: Option<String>,
    /// The provider's settings as read back: (label, value).
    settings: Vec<(&'static str, String)>,
    test_url: String,
    f: FormView,
}

/// What the IdP admin pastes, as the admin API serves it (`sp_entity_id`, `acs_url`,
/// `slo_url`, `redirect_uri`): the SAML SP entity id is our metadata URL.
fn paste_values(st: &AppState, idp: &IdentityProvider) -> Vec<Paste> {
    let base = st.config.public_url.trim_end_matches('/');
    let id = idp.id;
    match idp.settings {
        Settings::Saml(_) => vec![
            (
                "SP entity id (our metadata URL)",
                "sp-entity-id",
                format!("{base}/saml/{id}/metadata"),
            ),
            (
                "Assertion consumer service URL (HTTP-POST)",
                "acs-url",
                format!("{base}/saml/{id}/acs"),
            ),
            ("Single logout URL", "slo-url", format!("{base}/saml/{id}/slo")),
        ],
        Settings::Oidc(_) => vec![("Redirect URI", "redirect-uri", format!("{base}/oidc/{id}/callback"))],
    }
}

fn yes_no(b: bool) -> String {
    (if b { "Yes" } else { "No" }).to_owned()
}

fn settings_of(idp: &IdentityProvider) -> Vec<(&'static str, String)> {
    let mut out = match &idp.settings {
        Settings::Saml(s) => vec![
            ("IdP entity id", s.entity_id.clone()),
            ("IdP sign-in URL", s.sso_url.clone()),
            ("IdP logout URL", s.slo_url.clone().unwrap_or_else(|| "None".to_owned())),
            ("Trusted certificates", s.certificates.len().to_string()),
            ("Sign requests", yes_no(s.sign_requests)),
            ("SHA-1 signatures accepted", yes_no(s.allow_sha1)),
            ("RSA PKCS#1 v1.5 key transport accepted", yes_no(s.allow_rsa1_5)),
            ("IdP-initiated sign-in", yes_no(idp.allow_idp_initiated)),
        ],
        Settings::Oidc(o) => vec![
            ("Issuer", o.issuer.clone()),
            ("Client id", o.client_id.clone()),
            (
                "Client secret",
                (if idp.sealed_secret.is_some() {
                    "Stored (never shown)"
                } else {
                    "None"
                })
                .to_owned(),
            ),
            ("Scopes", o.scopes.join(" ")),
        ],
    };
    out.push(("Groups from the IdP join local groups", yes_no(idp.map_groups)));
    out
}

/// The page of `idp`; the edit form shows `form` (what was entered) or the settings today.
async fn build(
    st: &AppState,
    console: &Console,
    idp: &IdentityProvider,
    errors: Vec<String>,
    form: Option<&IdpForm>,
) -> Result<IdpPage, PageError> {
    let verified = verified_domains(st, console).await?;
    let f = match form {
        Some(f) => FormView::new(f, "edit-", &verified, false),
        None => FormView::new(&IdpForm::of(idp), "edit-", &verified, false),
    };
    let protocol = idp.protocol();
    let here = console.url(&format!("/identity-providers/{}", idp.id));
    Ok(IdpPage {
        c: console.chrome("sso"),
        notice: None,
        errors,
        id: idp.id.to_string(),
        name: idp.name.clone(),
        protocol_label: protocol_label(protocol),
        domains: idp.domains.join(", "),
        enforced: idp.enforced,
        created: idp.created_at.to_rfc3339(),
        updated: idp.updated_at.to_rfc3339(),
        paste: paste_values(st, idp),
        sp_certificate: match &idp.settings {
            Settings::Saml(s) => Some(s.sp_certificate.clone()),
            Settings::Oidc(_) => None,
        },
        settings: settings_of(idp),
        // The sign-in routes read `test=1` and come back here with what the IdP said.
        test_url: format!("/{}/{}/login?test=1&next={here}", protocol.as_str(), idp.id),
        f,
    })
}

fn parse_id(id: &str) -> Result<IdpId, PageError> {
    IdpId::parse(id).map_err(|_| PageError::NotFound)
}

pub async fn detail(
    State(st): State<AppState>,
    console: Console,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let idp = st.services.idps.get(&console.admin, parse_id(&id)?).await?;
    let mut p = build(&st, &console, &idp, Vec::new(), None).await?;
    p.notice = sso_notice(q.notice.as_deref());
    render_status(StatusCode::OK, &p)
}

/// Applies `input` to the stored provider (metadata is fetched before the transaction, as the
/// admin API does), then back to the page with `notice`; a refusal re-renders the page with
/// its messages and, for the edit form, what was entered.
async fn change(
    st: &AppState,
    console: &Console,
    id: IdpId,
    input: IdpInput,
    form: Option<&IdpForm>,
    notice: &str,
) -> PageResult {
    let before = st.services.idps.get(&console.admin, id).await?;
    let result = match spec_for(st, id, input, Some(&before)).await {
        Ok(spec) => st.services.idps.update(&console.admin, id, move |_| Ok(spec)).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => done(&console.url(&format!("/identity-providers/{id}")), notice),
        Err(e) => {
            let (status, errors) = refusal(e)?;
            render_status(status, &build(st, console, &before, errors, form).await?)
        }
    }
}

/// Saves the edit form. A blank client secret keeps the stored one.
pub async fn update(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, form }: ConsoleForm<Vec<(String, String)>>,
) -> PageResult {
    let id = parse_id(&id)?;
    let protocol = st.services.idps.get(&console.admin, id).await?.protocol();
    let form = IdpForm::from_pairs(form)?.of_protocol(protocol);
    let input = form.input(Some(protocol));
    change(&st, &console, id, input, Some(&form), "idp_updated").await
}

#[derive(Deserialize)]
pub struct EnforceForm {
    /// "on" or "off", from the page's button.
    enforced: String,
}

/// Turns enforcement on or off.
pub async fn enforce(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, form }: ConsoleForm<EnforceForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    let on = match form.enforced.as_str() {
        "on" => true,
        "off" => false,
        _ => return Err(PageError::BadRequest("Enforcement is on or off.".into())),
    };
    let input = IdpInput {
        enforced: Some(on),
        ..IdpInput::default()
    };
    let notice = if on { "idp_enforced" } else { "idp_not_enforced" };
    change(&st, &console, id, input, None, notice).await
}

#[derive(Deserialize)]
pub struct DeleteForm {
    /// The confirmation box; without it nothing is deleted.
    confirm: Option<String>,
}

/// Removes the provider once the admin ticked the confirmation.
pub async fn delete(
    State(st): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    ConsoleForm { console, form }: ConsoleForm<DeleteForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    if form.confirm.is_none() {
        let idp = st.services.idps.get(&console.admin, id).await?;
        let errors = vec!["Tick the box to confirm that the identity provider should be removed.".to_owned()];
        return render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &build(&st, &console, &idp, errors, None).await?,
        );
    }
    st.services.idps.delete(&console.admin, id).await?;
    done(&console.url("/identity-providers"), "idp_deleted")
}
