//! Rendering server pages, and the errors a page request can end in (each a page, never JSON).

use crate::error::ApiError;
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use gatehouse_core::CoreError;

/// Why a page request could not go on; each renders as a page, never as JSON.
pub enum PageError {
    /// Nobody is signed in: to the sign-in page, then back to `next`.
    SignIn {
        next: String,
    },
    NotFound,
    Csrf,
    /// The request could not be read (a form that does not parse, a `next` address with
    /// control characters): 400, saying what was wrong.
    BadRequest(String),
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
        let mut retry_after = None;
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
            PageError::BadRequest(message) => (StatusCode::BAD_REQUEST, "Bad request", message),
            PageError::Render => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Something went wrong on our side.".to_owned(),
            ),
            PageError::Core(e) => {
                let api = ApiError::from(e);
                retry_after = api.retry_after;
                (api.status, "Something went wrong", api.detail)
            }
        };
        let body = MessagePage {
            title,
            message: &message,
        }
        .render()
        .unwrap_or_else(|_| message.clone());
        with_retry_after((status, Html(body)).into_response(), retry_after)
    }
}

/// Adds `Retry-After` (seconds) to a refusal that has one (429, 503).
pub fn with_retry_after(mut res: Response, secs: Option<u64>) -> Response {
    if let Some(s) = secs {
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
    }
    res
}

/// What a page handler answers.
pub type PageResult = Result<Response, PageError>;

/// Renders a template as an HTML response.
pub fn render(t: &impl Template) -> PageResult {
    render_status(StatusCode::OK, t)
}

/// Renders a template as an HTML response with `status`.
pub fn render_status(status: StatusCode, t: &impl Template) -> PageResult {
    match t.render() {
        Ok(html) => Ok((status, Html(html)).into_response()),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            Err(PageError::Render)
        }
    }
}

/// A 303 to `to`; an address that cannot be a header is a bad request, never a panic.
pub fn see_other(to: &str) -> PageResult {
    let location = HeaderValue::from_str(to)
        .map_err(|_| PageError::BadRequest("The address to go to is not a valid address.".into()))?;
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response())
}

/// Percent-encodes `s` for a query string value.
pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|q| q[1..].to_owned())
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "continue.html")]
struct ContinuePage<'a> {
    to: &'a str,
}

/// A page that moves the browser on to `to` by itself (a meta refresh, no script). After a form
/// post, a redirect chain that ends on another site (a product's callback) breaks the pages'
/// `form-action 'self'` policy, which browsers apply to every redirect of the submission; this
/// page starts a new navigation instead, so the policy stays strict.
pub fn continue_to(to: &str) -> Response {
    render(&ContinuePage { to }).unwrap_or_else(IntoResponse::into_response)
}
