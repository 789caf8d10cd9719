//! Health, readiness and metrics.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use gatehouse_core::secret::constant_time_eq;
use secrecy::ExposeSecret;
use std::time::Instant;

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The database answers and every migration is applied.
pub async fn readyz(State(st): State<AppState>) -> Response {
    if st.services.is_ready().await {
        (StatusCode::OK, "ready").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database not ready").into_response()
    }
}

/// The Prometheus text; with `[metrics] token_file` set, only for `Authorization: Bearer
/// <that token>` (compared in constant time).
pub async fn metrics(State(st): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &st.config.metrics.token {
        let sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim());
        if !sent.is_some_and(|t| constant_time_eq(t, token.expose_secret())) {
            return ApiError {
                www_authenticate: true,
                ..ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "missing_credentials",
                    "Send the metrics token as Authorization: Bearer <token>.",
                )
            }
            .into_response();
        }
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        st.metrics.handle.render(),
    )
        .into_response()
}

/// The method as a metric label: the standard ones by name, anything else as OTHER, so that
/// made-up methods cannot add series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// Counts requests and their latency by method and route template: never the raw path, which
/// holds ids, and never a method or path a client made up (those are OTHER and "unmatched"),
/// so the series stay a fixed set.
pub async fn track(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = method_label(req.method());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    let elapsed = start.elapsed().as_secs_f64();
    metrics::with_local_recorder(&st.metrics.recorder, || {
        let labels = [("method", method.to_owned()), ("route", route), ("status", status)];
        metrics::counter!("gatehouse_http_requests_total", &labels).increment(1);
        metrics::histogram!("gatehouse_http_request_duration_seconds", &labels[..2]).record(elapsed);
    });
    res
}
