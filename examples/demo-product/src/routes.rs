//! The demo's routes. Each handler reads its input, asks the provider or the stores, and
//! answers a page or a redirect; nothing the provider sent is used before it is verified.

use std::time::{Duration, Instant};

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

use crate::AppState;
use crate::flow::{RefreshInput, constant_time_eq};
use crate::html;
use crate::session::{
    LOGIN_COOKIE, PENDING_TTL, SESSION_COOKIE, SESSION_TTL, Session, cookie, lock, random_token, set_cookie,
};

/// Every request, provider calls included, ends within this time.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest request body read (a logout token is well under this).
const MAX_REQUEST_BODY: usize = 64 * 1024;

/// The demo's routes with their limits and security headers.
pub fn router(state: AppState) -> Router {
    let headers = ServiceBuilder::new()
        .layer(header_layer(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
        ))
        .layer(header_layer(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // The callback's URL holds a code and the pages hold tokens: never send them onward.
        .layer(header_layer(header::REFERRER_POLICY, "no-referrer"))
        .layer(header_layer(header::CACHE_CONTROL, "no-store"))
        .layer(header_layer(header::X_FRAME_OPTIONS, "DENY"));
    Router::new()
        .route("/", get(home))
        .route("/login", get(login))
        .route("/callback", get(callback))
        .route("/refresh", post(refresh))
        .route("/logout", post(logout))
        .route("/backchannel-logout", post(backchannel_logout))
        .route("/healthz", get(healthz))
        .layer(headers)
        .layer(RequestBodyLimitLayer::new(MAX_REQUEST_BODY))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .with_state(state)
}

fn header_layer(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

fn page(status: StatusCode, body: String) -> Response {
    (status, Html(body)).into_response()
}

fn error_page(status: StatusCode, title: &str, message: &str, details: Option<&str>) -> Response {
    page(status, html::error(title, message, details))
}

fn redirect(location: &str, cookies: &[HeaderValue]) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, value);
    }
    for c in cookies {
        res.headers_mut().append(header::SET_COOKIE, c.clone());
    }
    res
}

fn with_cookie(mut res: Response, cookie: HeaderValue) -> Response {
    res.headers_mut().append(header::SET_COOKIE, cookie);
    res
}

#[derive(Deserialize)]
struct HomeQuery {
    notice: Option<String>,
}

/// `GET /`: the signed-in person and their tokens, or the sign-in button.
async fn home(
    State(app): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<HomeQuery>, QueryRejection>,
) -> Response {
    // Only the demo's own notices are shown, never text taken from the URL.
    let notice = match query.ok().and_then(|Query(q)| q.notice).as_deref() {
        Some("refreshed") => Some("The tokens were refreshed."),
        Some("signed-out") => Some("You are signed out of the demo."),
        _ => None,
    };
    if let Some(key) = cookie(&headers, SESSION_COOKIE) {
        let sessions = lock(&app.stores.sessions);
        if let Some(session) = sessions.get(key, Instant::now()) {
            return page(StatusCode::OK, html::signed_in(session, notice));
        }
    }
    page(StatusCode::OK, html::signed_out(notice))
}

/// `GET /login`: a new authorization request; its state, nonce and PKCE verifier wait
/// server-side under a random cookie.
async fn login(State(app): State<AppState>) -> Response {
    let (url, pending) = app.provider.authorization_request();
    let key = random_token();
    lock(&app.stores.pending).insert(key.clone(), pending, Instant::now());
    let cookie = set_cookie(LOGIN_COOKIE, &key, PENDING_TTL, app.config.secure_cookies);
    redirect(url.as_str(), &[cookie])
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /callback`: the authorization response (RFC 6749 §4.1.2, RFC 9207).
async fn callback(
    State(app): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<CallbackQuery>, QueryRejection>,
) -> Response {
    // The pending sign-in is used once, whatever happens next.
    let pending = cookie(&headers, LOGIN_COOKIE).and_then(|key| lock(&app.stores.pending).take(key, Instant::now()));
    let clear = set_cookie(LOGIN_COOKIE, "", Duration::ZERO, app.config.secure_cookies);
    let refuse = |status, message: &str, details: Option<&str>| {
        with_cookie(error_page(status, "Sign-in failed", message, details), clear.clone())
    };
    let Ok(Query(q)) = query else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "The answer from the provider is malformed.",
            None,
        );
    };
    let Some(pending) = pending else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "This sign-in is unknown or has expired. Please sign in again.",
            None,
        );
    };
    // RFC 6749 §10.12: the state ties the answer to the request this browser started.
    if !q
        .state
        .as_deref()
        .is_some_and(|s| constant_time_eq(s, pending.state.secret()))
    {
        return refuse(
            StatusCode::BAD_REQUEST,
            "The answer does not belong to this sign-in (state).",
            None,
        );
    }
    // RFC 9207 §2.4: refuse an answer from another issuer (a mix-up attack) before using it.
    if let Err(why) = app.provider.check_iss(q.iss.as_deref()) {
        return refuse(StatusCode::BAD_REQUEST, why, None);
    }
    if let Some(error) = q.error {
        return with_cookie(authorization_error(&error, q.error_description.as_deref()), clear);
    }
    let Some(code) = q.code else {
        return refuse(StatusCode::BAD_REQUEST, "The answer carries no code.", None);
    };
    let nonce = pending.nonce.clone();
    match app.provider.finish_login(code, pending).await {
        Ok((profile, tokens)) => {
            let session = Session {
                profile,
                nonce,
                tokens,
                csrf: random_token(),
            };
            let key = app.stores.open_session(session);
            let cookie = set_cookie(SESSION_COOKIE, &key, SESSION_TTL, app.config.secure_cookies);
            redirect("/", &[cookie, clear])
        }
        Err(e) => {
            tracing::warn!(error = %e, "sign-in failed");
            refuse(
                StatusCode::BAD_GATEWAY,
                "The provider's tokens were refused.",
                Some(&e.to_string()),
            )
        }
    }
}

/// The page for an error answer from the authorization endpoint (RFC 6749 §4.1.2.1).
fn authorization_error(error: &str, description: Option<&str>) -> Response {
    if error == "access_denied" {
        return page(StatusCode::FORBIDDEN, html::access_denied(description));
    }
    let details = format!("{error}: {}", description.unwrap_or("no description"));
    error_page(
        StatusCode::BAD_REQUEST,
        "Sign-in failed",
        "The provider refused the sign-in.",
        Some(&details),
    )
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

/// The session's key, when the form carries its CSRF token; `Err` (the page to answer,
/// boxed: it is large) for a forged post.
fn session_for_form(
    app: &AppState,
    headers: &HeaderMap,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Result<Option<String>, Box<Response>> {
    let Some(key) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let sessions = lock(&app.stores.sessions);
    let Some(session) = sessions.get(key, Instant::now()) else {
        return Ok(None);
    };
    match form {
        Ok(Form(f)) if constant_time_eq(&f.csrf, &session.csrf) => Ok(Some(key.to_owned())),
        _ => Err(Box::new(error_page(
            StatusCode::FORBIDDEN,
            "Not allowed",
            "This form did not come from the demo's own page.",
            None,
        ))),
    }
}

/// `POST /refresh`: the refresh grant; the page then shows the new tokens.
async fn refresh(
    State(app): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    let key = match session_for_form(&app, &headers, form) {
        Ok(Some(key)) => key,
        Ok(None) => return redirect("/", &[]),
        Err(res) => return *res,
    };
    let input = {
        let sessions = lock(&app.stores.sessions);
        let Some(s) = sessions.get(&key, Instant::now()) else {
            return redirect("/", &[]);
        };
        let Some(refresh_token) = s.tokens.refresh_token.clone() else {
            return redirect("/", &[]);
        };
        RefreshInput {
            refresh_token,
            nonce: s.nonce.clone(),
            sub: s.profile.sub.clone(),
            id_token: s.tokens.id_token.clone(),
            id_claims: s.tokens.id_claims.clone(),
        }
    };
    match app.provider.refresh(input).await {
        Ok((profile, tokens)) => {
            // A back-channel logout may have ended the session meanwhile: then nothing is kept.
            if let Some(s) = lock(&app.stores.sessions).get_mut(&key, Instant::now()) {
                if let Some(mut p) = profile {
                    p.sid = p.sid.or_else(|| s.profile.sid.take());
                    s.profile = p;
                }
                s.tokens = tokens;
            }
            redirect("/?notice=refreshed", &[])
        }
        Err(e) => {
            tracing::warn!(error = %e, "refresh failed");
            error_page(
                StatusCode::BAD_GATEWAY,
                "Refresh failed",
                "The tokens could not be refreshed.",
                Some(&e.to_string()),
            )
        }
    }
}

/// `POST /logout`: ends the local session, then RP-initiated logout at the provider.
async fn logout(
    State(app): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    let clear = set_cookie(SESSION_COOKIE, "", Duration::ZERO, app.config.secure_cookies);
    let key = match session_for_form(&app, &headers, form) {
        Ok(Some(key)) => key,
        Ok(None) => return redirect("/", &[clear]),
        Err(res) => return *res,
    };
    let Some(session) = lock(&app.stores.sessions).take(&key, Instant::now()) else {
        return redirect("/", &[clear]);
    };
    // RP-Initiated Logout §2: the ID token as a hint, and the registered post-logout URI.
    let post_logout = app.config.post_logout_redirect_uri.as_str();
    match app
        .provider
        .end_session_url(&session.tokens.id_token, post_logout, &random_token())
    {
        Some(url) => redirect(url.as_str(), &[clear]),
        None => redirect("/?notice=signed-out", &[clear]),
    }
}

#[derive(Deserialize)]
struct LogoutTokenForm {
    logout_token: String,
}

/// `POST /backchannel-logout`: OIDC Back-Channel Logout 1.0 §2.5–2.8.
async fn backchannel_logout(
    State(app): State<AppState>,
    form: Result<Form<LogoutTokenForm>, FormRejection>,
) -> Response {
    // §2.8: a refused logout answers 400, with an OAuth error body.
    let refused = || {
        let mut res = (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({ "error": "invalid_request" })),
        )
            .into_response();
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res
    };
    let Ok(Form(form)) = form else { return refused() };
    let token = match app.provider.verify_logout_token(&form.logout_token).await {
        Ok(token) => token,
        Err(e) => {
            tracing::info!(error = %e, "back-channel logout token refused");
            return refused();
        }
    };
    {
        // §2.6: a jti seen before is a replay.
        let mut seen = lock(&app.stores.seen_logout_tokens);
        let now = Instant::now();
        if seen.get(&token.jti, now).is_some() {
            tracing::info!("back-channel logout token replayed");
            return refused();
        }
        seen.insert(token.jti.clone(), (), now);
    }
    let ended = app.stores.end_sessions(token.sub.as_deref(), token.sid.as_deref());
    tracing::info!(ended, "back-channel logout");
    // §2.8: 200 on success, and never cached.
    let mut res = StatusCode::OK.into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `GET /healthz`.
async fn healthz() -> &'static str {
    "ok"
}
