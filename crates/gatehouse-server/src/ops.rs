//! Health, readiness and metrics.

use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
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

pub async fn metrics(State(st): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        st.metrics.handle.render(),
    )
        .into_response()
}

/// Counts requests and their latency by route template (never the raw path, which holds ids).
pub async fn track(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    let elapsed = start.elapsed().as_secs_f64();
    metrics::with_local_recorder(&st.metrics.recorder, || {
        let labels = [("method", method), ("route", route), ("status", status)];
        metrics::counter!("gatehouse_http_requests_total", &labels).increment(1);
        metrics::histogram!("gatehouse_http_request_duration_seconds", &labels[..2]).record(elapsed);
    });
    res
}
