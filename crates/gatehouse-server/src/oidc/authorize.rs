//! `GET|POST /oauth2/authorize` (RFC 6749 §4.1.1, OIDC Core §3.1.2): a product sends a person
//! here to sign in. An unknown client or an unregistered redirect URI gets an error page and
//! never a redirect (RFC 6749 §4.1.2.1: the address is unverified); every other error goes
//! back to the product. The person signs in through the hosted pages and comes back here; one
//! who may not use the product sees a page saying so.

use crate::extract::ClientMeta;
use crate::state::AppState;
use crate::web::pages::{PageError, render_status, urlencode};
use crate::web::session::signed_in;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use gatehouse_core::CoreError;
use gatehouse_core::audit::RequestMeta;
use gatehouse_core::oauth::{Client, GrantType};
use gatehouse_core::policy::ExternalDemand;
use gatehouse_core::services::provider::{CodeRequest, unix_secs};
use gatehouse_oidc::{
    AuthorizeParams, AuthorizeRequest, ClientRules, ErrorCode, NextStep, OAuthError, match_redirect_uri,
    redirect_with_code, redirect_with_error,
};

#[derive(Template)]
#[template(path = "oauth_error.html")]
struct ErrorPage<'a> {
    code: &'a str,
    description: &'a str,
}

#[derive(Template)]
#[template(path = "oauth_denied.html")]
struct DeniedPage<'a> {
    client: &'a str,
    email: &'a str,
    back: &'a str,
    switch: &'a str,
}

/// The page for a request that must not be redirected (unknown client, bad redirect URI).
fn error_page(e: &OAuthError) -> Response {
    let page = ErrorPage {
        code: e.code.as_str(),
        description: &e.description,
    };
    render_status(StatusCode::BAD_REQUEST, &page).unwrap_or_else(IntoResponse::into_response)
}

/// A redirect back to the product (302 after a GET, 303 after a POST), never cached.
fn redirect(to: &str, after_post: bool) -> Response {
    let status = if after_post {
        StatusCode::SEE_OTHER
    } else {
        StatusCode::FOUND
    };
    match HeaderValue::from_str(to) {
        Ok(location) => (
            status,
            [
                (header::LOCATION, location),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
        )
            .into_response(),
        Err(_) => error_page(&OAuthError::new(
            ErrorCode::InvalidRequest,
            "The redirect address is not valid.",
        )),
    }
}

pub async fn get(
    State(st): State<AppState>,
    ClientMeta(meta): ClientMeta,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    match serde_urlencoded::from_str::<Vec<(String, String)>>(q.as_deref().unwrap_or_default()) {
        Ok(pairs) => authorize(&st, &meta, &headers, pairs, false).await,
        Err(_) => error_page(&OAuthError::new(ErrorCode::InvalidRequest, "The query is not valid.")),
    }
}

/// OIDC Core §3.1.2.1: the authorization endpoint takes POST with a form too.
pub async fn post(
    State(st): State<AppState>,
    ClientMeta(meta): ClientMeta,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) {
        Ok(pairs) => authorize(&st, &meta, &headers, pairs, true).await,
        Err(_) => error_page(&OAuthError::new(ErrorCode::InvalidRequest, "The form is not valid.")),
    }
}

/// The request checked far enough to know where errors may go: the client and its exact
/// redirect URI. Anything wrong before that is an error page.
fn rules(client: &Client) -> ClientRules {
    ClientRules {
        public: client.public,
        allows_code: client.allows(GrantType::AuthorizationCode),
        allows_refresh: client.allows(GrantType::RefreshToken),
    }
}

async fn authorize(
    st: &AppState,
    meta: &RequestMeta,
    headers: &HeaderMap,
    pairs: Vec<(String, String)>,
    after_post: bool,
) -> Response {
    let params = match AuthorizeParams::from_pairs(&pairs) {
        Ok(p) => p,
        Err(e) => return error_page(&e),
    };
    let client = match st.services.provider.client(&params.client_id).await {
        Ok(c) => c,
        Err(CoreError::NotFound { .. }) => {
            return error_page(&OAuthError::new(
                ErrorCode::InvalidRequest,
                "No product is registered with this client_id.",
            ));
        }
        Err(e) => return PageError::from(e).into_response(),
    };
    let redirect_uri = match match_redirect_uri(&client.redirect_uris, params.redirect_uri.as_deref()) {
        Ok(u) => u,
        Err(e) => return error_page(&e),
    };
    let issuer = super::issuer::issuer(st);
    let now = unix_secs(st.services.now());
    let req = match params.validate(&rules(&client), now) {
        Ok(r) => r,
        Err(e) => {
            return redirect(
                &redirect_with_error(&redirect_uri, &e, params.state.as_deref(), issuer),
                after_post,
            );
        }
    };
    let who = match signed_in(st, headers).await {
        Ok(w) => w,
        Err(e) => return PageError::from(e).into_response(),
    };
    let auth_time = who.as_ref().map(|w| unix_secs(w.session().created_at));
    let back_with = |e: &OAuthError| {
        redirect(
            &redirect_with_error(&redirect_uri, e, req.state.as_deref(), issuer),
            after_post,
        )
    };
    match req.next_step(auth_time, now) {
        NextStep::Refuse(e) => back_with(&e),
        NextStep::Login => redirect(&login_detour(&pairs, &req), after_post),
        NextStep::Proceed => {
            let who = who.expect("a session that needs no sign-in exists");
            proceed(st, meta, &client, &who, &req, &pairs, &redirect_uri, after_post).await
        }
    }
}

/// A session good enough for the request: the person is admitted (or told they are not) and
/// the product gets its code.
#[allow(clippy::too_many_arguments)] // the request's parts, each checked by the caller
async fn proceed(
    st: &AppState,
    meta: &RequestMeta,
    client: &Client,
    who: &gatehouse_core::authz::SignedIn,
    req: &AuthorizeRequest,
    pairs: &[(String, String)],
    redirect_uri: &str,
    after_post: bool,
) -> Response {
    let issuer = super::issuer::issuer(st);
    let back_with = |e: &OAuthError| {
        redirect(
            &redirect_with_error(redirect_uri, e, req.state.as_deref(), issuer),
            after_post,
        )
    };
    match st.services.provider.admit(client, who, meta).await {
        Ok(true) => {}
        Ok(false) if req.prompt.none => {
            return back_with(&OAuthError::new(
                ErrorCode::AccessDenied,
                "This account has no access to the product.",
            ));
        }
        Ok(false) => return denied(client, &who.account().email, req, pairs, issuer),
        Err(e) => return PageError::from(e).into_response(),
    }
    // The external-users policy of the product's organization, for a person it does not manage.
    match st.services.policies.external_demand(client.org_id, who).await {
        Ok(None) => {}
        Ok(Some(_)) if req.prompt.none => {
            return back_with(&OAuthError::new(
                ErrorCode::InteractionRequired,
                "The organization asks this person to sign in again or confirm their email address.",
            ));
        }
        Ok(Some(ExternalDemand::SignInAgain)) => return redirect(&login_detour(pairs, req), after_post),
        Ok(Some(ExternalDemand::EmailCode)) => {
            let to = format!("/account/verify-email?next={}", urlencode(&authorize_again(pairs)));
            return redirect(&to, after_post);
        }
        Err(e) => return PageError::from(e).into_response(),
    }
    let code_req = CodeRequest {
        redirect_uri: redirect_uri.to_owned(),
        scope: req.scopes.to_string(),
        nonce: req.nonce.clone(),
        code_challenge: req.code_challenge.clone(),
    };
    match st.services.provider.issue_code(client, who, code_req, meta).await {
        Ok(code) => redirect(
            &redirect_with_code(redirect_uri, &code, req.state.as_deref(), issuer),
            after_post,
        ),
        Err(e) => {
            tracing::error!(error = %e, "issuing an authorization code failed");
            back_with(&OAuthError::new(
                ErrorCode::ServerError,
                "Something went wrong on our side.",
            ))
        }
    }
}

/// The sign-in pages, then back to this request. `prompt=login` and `max_age` are left out of
/// the way back: the sign-in they asked for has happened by then, and asking again would loop.
/// (A person could strip them from the request themselves; the ID token's `auth_time` is what
/// a product checks, OIDC Core §3.1.2.1.)
fn login_detour(pairs: &[(String, String)], req: &AuthorizeRequest) -> String {
    let next = authorize_again(pairs);
    let mut to = format!("/login?next={}", urlencode(&next));
    if let Some(hint) = &req.login_hint {
        to.push_str("&login_hint=");
        to.push_str(&urlencode(hint));
    }
    to
}

/// This request again, without `prompt` and `max_age` (see [`login_detour`]).
fn authorize_again(pairs: &[(String, String)]) -> String {
    let back: Vec<&(String, String)> = pairs.iter().filter(|(k, _)| k != "prompt" && k != "max_age").collect();
    format!(
        "/oauth2/authorize?{}",
        serde_urlencoded::to_string(&back).unwrap_or_default()
    )
}

/// The page for a person the product does not admit: its button returns them to the product
/// with `error=access_denied` (RFC 6749 §4.1.2.1); a link lets them sign in as someone else.
fn denied(client: &Client, email: &str, req: &AuthorizeRequest, pairs: &[(String, String)], issuer: &str) -> Response {
    let e = OAuthError::new(ErrorCode::AccessDenied, "The person has no access to this product.");
    let back = redirect_with_error(&req.redirect_uri, &e, req.state.as_deref(), issuer);
    let switch = login_detour(pairs, req);
    let page = DeniedPage {
        client: &client.name,
        email,
        back: &back,
        switch: &switch,
    };
    render_status(StatusCode::FORBIDDEN, &page).unwrap_or_else(IntoResponse::into_response)
}
