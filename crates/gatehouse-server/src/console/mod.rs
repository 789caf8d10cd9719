//! The admin console: server-rendered pages under `/admin`, sign-in under `/login`.
//!
//! Every page and form goes through the same core services as the API, with the signed-in
//! admin account as the actor. Forms carry a per-session CSRF token; pages work without
//! JavaScript, and htmx (embedded) only boosts navigation.

mod access;
mod accounts;
mod assets;
mod directories;
mod domains;
mod events;
mod groups;
mod instances;
mod keys;
mod login;
mod overview;

use crate::error::ApiError;
use crate::extract::request_meta;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use gatehouse_core::CoreError;
use gatehouse_core::authz::OrgAdmin;
use gatehouse_core::ids::OrgId;
use gatehouse_core::secret::constant_time_eq;
use gatehouse_core::signin::ActiveSession;
use serde::Deserialize;
use serde::de::DeserializeOwned;

pub const SESSION_COOKIE: &str = "gh_session";
pub const LOGIN_CSRF_COOKIE: &str = "gh_login_csrf";

pub fn router() -> Router<AppState> {
    let o = |p: &str| format!("/admin/orgs/{{org_id}}{p}");
    Router::new()
        .route("/login", get(login::page).post(login::submit))
        .route("/login/forgot", get(login::forgot_page).post(login::forgot_submit))
        .route("/login/reset", get(login::reset_page).post(login::reset_submit))
        .route("/logout", post(login::logout))
        .route("/admin", get(overview::home))
        .route(&o(""), get(overview::page))
        .route(&o("/instances"), get(instances::page).post(instances::create))
        .route(&o("/instances/{id}/delete"), post(instances::delete))
        .route(&o("/directories"), get(directories::page).post(directories::create))
        .route(&o("/directories/{id}"), get(directories::detail))
        .route(&o("/directories/{id}/tokens"), post(directories::rotate))
        .route(&o("/directories/{id}/tokens/{token}/revoke"), post(directories::revoke))
        .route(&o("/directories/{id}/limit"), post(directories::limit))
        .route(&o("/directories/{id}/held/release"), post(directories::release))
        .route(&o("/directories/{id}/held/discard"), post(directories::discard))
        .route(&o("/directories/{id}/remove"), post(directories::remove))
        .route(&o("/domains"), get(domains::page).post(domains::add))
        .route(&o("/domains/{id}"), get(domains::detail))
        .route(&o("/domains/{id}/verify"), post(domains::verify))
        .route(&o("/domains/{id}/claim-mode"), post(domains::claim_mode))
        .route(&o("/domains/{id}/claim"), post(domains::claim))
        .route(&o("/domains/{id}/remove"), post(domains::remove))
        .route(&o("/accounts"), get(accounts::page).post(accounts::create))
        .route(&o("/accounts/{id}"), get(accounts::detail))
        .route(&o("/accounts/{id}/status"), post(accounts::set_status))
        .route(&o("/accounts/{id}/delete"), post(accounts::delete))
        .route(&o("/accounts/{id}/cancel-deletion"), post(accounts::cancel_deletion))
        .route(
            &o("/accounts/{id}/api-tokens/{token}/revoke"),
            post(accounts::revoke_token),
        )
        .route(&o("/groups"), get(groups::page).post(groups::create))
        .route(&o("/groups/{id}"), get(groups::detail))
        .route(&o("/groups/{id}/members"), post(groups::add_member))
        .route(
            &o("/groups/{id}/members/{account_id}/remove"),
            post(groups::remove_member),
        )
        .route(&o("/access"), get(access::page).post(access::grant))
        .route(&o("/access/{id}/revoke"), post(access::revoke))
        .route(&o("/api-keys"), get(keys::page).post(keys::create))
        .route(&o("/api-keys/{id}/revoke"), post(keys::revoke))
        .route(&o("/events"), get(events::page))
        .route(&o("/events/export"), get(events::export))
        .route(&o("/events/{id}"), get(events::detail))
        .merge(assets::router())
}

/// What every console page shows around its content.
pub struct Chrome {
    pub org_id: String,
    pub org_name: String,
    pub user_email: String,
    pub csrf: String,
    /// Which nav entry is current.
    pub active: &'static str,
    /// Banners every page shows (a verified domain whose proof went missing).
    pub warnings: Vec<String>,
}

/// A signed-in admin on one of their organizations' pages.
pub struct Console {
    pub admin: OrgAdmin,
    pub session: ActiveSession,
    pub org_name: String,
    pub warnings: Vec<String>,
}

impl Console {
    pub fn chrome(&self, active: &'static str) -> Chrome {
        Chrome {
            org_id: self.admin.org().to_string(),
            org_name: self.org_name.clone(),
            user_email: self.session.account.email.clone(),
            csrf: self.session.session.csrf.clone(),
            active,
            warnings: self.warnings.clone(),
        }
    }

    /// `/admin/orgs/{org}{path}`
    pub fn url(&self, path: &str) -> String {
        format!("/admin/orgs/{}{path}", self.admin.org())
    }
}

/// Why a console request could not go on; each renders as a page, never as JSON.
pub enum PageError {
    SignIn { next: String },
    NotFound,
    Csrf,
    Core(CoreError),
    Render,
}

impl From<CoreError> for PageError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::NotFound { .. } => PageError::NotFound,
            other => PageError::Core(other),
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    title: &'a str,
    message: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, message) = match self {
            PageError::SignIn { next } => {
                let target = format!("/login?next={}", urlencode(&next));
                return Redirect::to(&target).into_response();
            }
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing here, or it belongs to an organization you do not administer.".to_owned(),
            ),
            PageError::Csrf => (
                StatusCode::FORBIDDEN,
                "Form expired",
                "The form expired or was not sent from Gatehouse. Reload the page and try again.".to_owned(),
            ),
            PageError::Render => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Something went wrong on our side.".to_owned(),
            ),
            PageError::Core(e) => {
                let api = ApiError::from(e);
                (api.status, "Something went wrong", api.detail)
            }
        };
        let body = MessagePage {
            title,
            message: &message,
        }
        .render()
        .unwrap_or_else(|_| message.clone());
        (status, Html(body)).into_response()
    }
}

pub type PageResult = Result<Response, PageError>;

/// Renders a template as an HTML response.
pub fn render(t: &impl Template) -> PageResult {
    render_status(StatusCode::OK, t)
}

pub fn render_status(status: StatusCode, t: &impl Template) -> PageResult {
    match t.render() {
        Ok(html) => Ok((status, Html(html)).into_response()),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            Err(PageError::Render)
        }
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
        _ => return None,
    })
}

pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|q| q[1..].to_owned())
        .unwrap_or_default()
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure when served over https.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let secure = if state.config.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let age = max_age.map(|a| format!("; Max-Age={a}")).unwrap_or_default();
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax{secure}{age}"))
        .expect("cookie text is ASCII")
}

async fn active_session(parts: &Parts, state: &AppState) -> Result<Option<ActiveSession>, PageError> {
    match cookie(&parts.headers, SESSION_COOKIE) {
        Some(token) => Ok(state.signin.session(&token).await?),
        None => Ok(None),
    }
}

impl FromRequestParts<AppState> for Console {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let next = parts.uri.path_and_query().map_or("/admin", |p| p.as_str()).to_owned();
        let session = active_session(parts, state).await?.ok_or(PageError::SignIn { next })?;
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| PageError::NotFound)?;
        let org = params
            .iter()
            .find(|(k, _)| *k == "org_id")
            .and_then(|(_, v)| OrgId::parse(v).ok())
            .ok_or(PageError::NotFound)?;
        let meta = request_meta(parts, &state.config.trusted_proxies);
        let admin = state.signin.authorize(&session, org, meta).await?;
        let org_name = state.services.orgs.get(&admin).await?.name;
        let warnings = state
            .services
            .domains
            .list(&admin)
            .await?
            .into_iter()
            .filter_map(|d| {
                d.failing_since.map(|since| {
                    format!(
                        "The verification record of {} has been missing since {}; the domain will be unverified if it stays missing.",
                        d.name,
                        since.to_rfc3339()
                    )
                })
            })
            .collect::<Vec<String>>();
        let mut warnings = warnings;
        for d in state.services.list_directories(&admin).await? {
            let held = state.services.list_held_operations(&admin, d.id).await?.len();
            if held > 0 {
                warnings.push(format!(
                    "{held} deactivation(s) from the directory {} are held by the safety valve: release or discard them.",
                    d.name
                ));
            }
        }
        Ok(Console {
            admin,
            session,
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

#[derive(Deserialize)]
struct WithCsrf<T> {
    csrf: String,
    #[serde(flatten)]
    inner: T,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for ConsoleForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, PageError> {
        let (mut parts, body) = req.into_parts();
        let console = Console::from_request_parts(&mut parts, state).await?;
        let bytes = axum::body::to_bytes(body, crate::app::MAX_BODY_BYTES)
            .await
            .map_err(|_| PageError::Csrf)?;
        let parsed: WithCsrf<T> = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            tracing::debug!(error = %e, "unreadable console form");
            PageError::Csrf
        })?;
        if !constant_time_eq(&parsed.csrf, &console.session.session.csrf) {
            return Err(PageError::Csrf);
        }
        Ok(ConsoleForm {
            console,
            form: parsed.inner,
        })
    }
}

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
