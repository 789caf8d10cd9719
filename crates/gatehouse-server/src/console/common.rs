//! What every console page shares: the chrome around its content, the signed-in admin
//! (`Console`, `ConsoleForm`), fixed notices and form helpers. It lives apart from the router
//! in `mod.rs` so the pages can use it without importing the module that routes to them.

use crate::extract::{path_org, request_meta};
use crate::limits::{MAX_BODY_BYTES, MAX_LIST_BYTES};
use crate::state::AppState;
use crate::web::csrf::{parse_session_form, unreadable};
use crate::web::pages::{PageError, PageResult};
use crate::web::session::signed_in;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect};
use gatehouse_core::CoreError;
use gatehouse_core::authz::{OrgAdmin, SignedIn};
use gatehouse_core::notices::OrgNotice;
use gatehouse_core::secret::constant_time_eq;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// What every console page shows around its content.
pub struct Chrome {
    pub org_id: String,
    pub org_name: String,
    pub user_email: String,
    pub csrf: String,
    /// Which nav entry is current.
    pub active: &'static str,
    /// Banners every page shows: the org notices (a domain whose proof went missing, directory
    /// changes held by the safety valve), from one query, and enforcement paused for want of a
    /// subscription.
    pub warnings: Vec<Banner>,
}

/// A banner: what needs the admin's attention, and the page where they act on it.
#[derive(Clone)]
pub struct Banner {
    pub text: String,
    /// The page under the organization's console (`/domains`).
    pub path: &'static str,
    pub link: &'static str,
}

/// A signed-in admin on one of their organizations' pages.
pub struct Console {
    pub admin: OrgAdmin,
    pub signed_in: SignedIn,
    pub org_name: String,
    pub warnings: Vec<Banner>,
}

impl Console {
    pub fn chrome(&self, active: &'static str) -> Chrome {
        Chrome {
            org_id: self.admin.org().to_string(),
            org_name: self.org_name.clone(),
            user_email: self.signed_in.account().email.clone(),
            csrf: self.signed_in.csrf().to_owned(),
            active,
            warnings: self.warnings.clone(),
        }
    }

    /// `/admin/orgs/{org}{path}`
    pub fn url(&self, path: &str) -> String {
        format!("/admin/orgs/{}{path}", self.admin.org())
    }
}

/// Redirect after a successful POST (POST-redirect-GET), with a fixed notice code.
pub fn done(to: &str, notice: &str) -> PageResult {
    let sep = if to.contains('?') { '&' } else { '?' };
    Ok(Redirect::to(&format!("{to}{sep}notice={notice}")).into_response())
}

/// Fixed notice texts, chosen by code so no request can put its own words on a page.
pub fn notice_text(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "instance_added" => "Product instance added.",
        "instance_deleted" => "Product instance removed.",
        "account_created" => "Account created.",
        "account_deactivated" => "Account deactivated.",
        "account_reactivated" => "Account reactivated.",
        "group_created" => "Group created.",
        "member_added" => "Member added.",
        "member_removed" => "Member removed.",
        "access_granted" => "Access granted.",
        "access_revoked" => "Access revoked.",
        "key_revoked" => "API key revoked.",
        "client_updated" => "Client saved.",
        "client_deleted" => "Client deleted; its sessions ended.",
        "product_session_revoked" => "Product session ended; the product was told if it listens for logouts.",
        "product_sessions_revoked" => "Every product session of this account with this organization's clients ended.",
        "domain_added" => "Domain added. Publish the record below, then verify.",
        "domain_verified" => "Domain verified.",
        "domain_not_yet" => {
            "The proof was not found yet. Check the record or file and try again; DNS changes can take a while to appear."
        }
        "domain_removed" => "Domain removed.",
        "domain_updated" => "Domain settings saved.",
        "accounts_claimed" => "Accounts claimed.",
        "token_revoked" => "Token revoked.",
        "api_token_revoked" => "API token revoked.",
        "limit_saved" => "Limit saved.",
        "held_released" => "Held changes released.",
        "held_discarded" => "Held changes discarded.",
        "directory_removed" => "Directory removed; its accounts stay and its groups are local now.",
        "account_removed" => "Account removed from the organization.",
        "deletion_scheduled" => "Account deactivated and scheduled for deletion in 14 days.",
        "deletion_canceled" => "Deletion canceled; the account is active again.",
        "session_revoked" => "Session ended; that browser is signed out.",
        "sessions_revoked" => "Every session of this account ended.",
        "two_step_reset" => {
            "Two-step verification is reset: the person signs in with their password until they set it up again."
        }
        "admin_granted" => "Admin role granted.",
        "invitation_sent" => "Invitation sent. The person becomes an admin when they accept it on their account page.",
        "admin_revoked" => "Admin role removed.",
        "invitation_cancelled" => "Invitation cancelled.",
        _ => return None,
    })
}

/// The banner of an org notice.
fn banner(n: &OrgNotice) -> Banner {
    match n {
        OrgNotice::DomainProofMissing { domain, since } => Banner {
            text: format!(
                "The verification record of {domain} has been missing since {}; the domain will be unverified if it stays missing.",
                since.to_rfc3339()
            ),
            path: "/domains",
            link: "Review domains",
        },
        OrgNotice::ChangesHeld { directory, count } => Banner {
            text: format!(
                "{count} deactivation(s) from the directory {directory} are held by the safety valve: release or discard them."
            ),
            path: "/directories",
            link: "Review directories",
        },
    }
}

/// The banner while enforcement is paused for want of a subscription.
fn paused_banner() -> Banner {
    Banner {
        text: "Enforcement is paused: this organization has no active trial or subscription, so single sign-on \
               enforcement, required two-step verification and policies other than the default are not applied. \
               Nothing is deleted; everything applies again once the organization starts a trial or subscribes."
            .to_owned(),
        path: "/policies",
        link: "Authentication policies",
    }
}

impl FromRequestParts<AppState> for Console {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let next = parts.uri.path_and_query().map_or("/admin", |p| p.as_str()).to_owned();
        let person = signed_in(state, &parts.headers)
            .await?
            .ok_or(PageError::SignIn { next })?;
        let org = path_org(parts, state).await.ok_or(PageError::NotFound)?;
        let meta = request_meta(parts, &state.config.trusted_proxies);
        let admin = state.services.admins.authorize(&person, org, meta).await?;
        let org_name = state.services.orgs.get(&admin).await?.name;
        let mut warnings: Vec<Banner> = state
            .services
            .orgs
            .list_notices(&admin)
            .await?
            .iter()
            .map(banner)
            .collect();
        if state.services.subscriptions.is_enforcement_paused(&admin).await? {
            warnings.push(paused_banner());
        }
        Ok(Console {
            admin,
            signed_in: person,
            org_name,
            warnings,
        })
    }
}

/// A console form post: the page's context plus the form, after the CSRF token was checked
/// against the session's.
pub struct ConsoleForm<T> {
    pub console: Console,
    pub form: T,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for ConsoleForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, PageError> {
        let (console, _, bytes) = console_body(req, state, MAX_BODY_BYTES).await?;
        let form = parse_session_form(&bytes, console.signed_in.csrf())?;
        Ok(ConsoleForm { console, form })
    }
}

/// The page's context and the post's body, read up to `limit` bytes.
async fn console_body(req: Request, state: &AppState, limit: usize) -> Result<(Console, Parts, Bytes), PageError> {
    let (mut parts, body) = req.into_parts();
    let console = Console::from_request_parts(&mut parts, state).await?;
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| PageError::Csrf)?;
    Ok((console, parts, bytes))
}

/// A console form that carries a list of accounts (a policy move of up to 10,000 rows): a
/// [`ConsoleForm`] with room for [`MAX_LIST_BYTES`].
pub struct ConsoleListForm<T> {
    pub console: Console,
    pub form: T,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for ConsoleListForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, PageError> {
        let (console, _, bytes) = console_body(req, state, MAX_LIST_BYTES).await?;
        let form = parse_session_form(&bytes, console.signed_in.csrf())?;
        Ok(ConsoleListForm { console, form })
    }
}

/// A JSON post from a console page's own script: the session's CSRF token comes in the
/// `x-csrf-token` header (a page's script reads it from the page's form), the body is JSON of
/// at most [`MAX_LIST_BYTES`].
pub struct ConsoleJson<T> {
    pub console: Console,
    pub body: T,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for ConsoleJson<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, PageError> {
        let (console, parts, bytes) = console_body(req, state, MAX_LIST_BYTES).await?;
        let sent = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !constant_time_eq(sent, console.signed_in.csrf()) {
            return Err(PageError::Csrf);
        }
        let body = serde_json::from_slice(&bytes).map_err(|e| unreadable(&e))?;
        Ok(ConsoleJson { console, body })
    }
}

/// The header a console script sends the session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Turns form text into `Option` (empty fields mean "not given").
pub fn given(s: &str) -> Option<&str> {
    let t = s.trim();
    (!t.is_empty()).then_some(t)
}

/// The messages of a validation error, for an alert above the form.
pub fn error_lines(e: &CoreError) -> Vec<String> {
    match e {
        CoreError::Validation { fields } => fields
            .iter()
            .map(|f| {
                if f.field.is_empty() {
                    f.message.clone()
                } else {
                    format!("{}: {}", human_field(&f.field), f.message)
                }
            })
            .collect(),
        CoreError::Conflict { message, .. } | CoreError::Forbidden { message, .. } => vec![message.clone()],
        CoreError::NotFound { entity } => vec![format!("The {entity} does not exist.")],
        _ => vec!["Something went wrong on our side.".into()],
    }
}

fn human_field(f: &str) -> String {
    let s = f.replace('_', " ");
    let mut c = s.chars();
    c.next()
        .map(|first| first.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// Splits a core result into "show these errors on the form" and "this is a real failure".
pub fn form_errors(e: CoreError) -> Result<Vec<String>, PageError> {
    match e {
        CoreError::Validation { .. }
        | CoreError::Conflict { .. }
        | CoreError::Forbidden { .. }
        | CoreError::NotFound { .. } => Ok(error_lines(&e)),
        other => Err(PageError::Core(other)),
    }
}

/// The `?notice=` code a page shows after a POST-redirect-GET.
#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    pub notice: Option<String>,
}

/// A form with no fields besides the CSRF token (a button that deletes, revokes, ...).
#[derive(Deserialize)]
pub struct Empty {}
