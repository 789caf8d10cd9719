//! Static assets, embedded in the binary: the stylesheet, the favicon, the WebAuthn codec,
//! the two-step pages' script, the policies' CSV upload, and htmx (vendored from
//! npm, htmx.org 2.0.11, BSD-2-Clause; see static/htmx.LICENSE).

use crate::state::AppState;
use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

const CSS: &str = include_str!("../../static/app.css");
const FAVICON: &str = include_str!("../../static/favicon.svg");
const HTMX: &str = include_str!("../../static/htmx.min.js");
const CONSOLE_JS: &str = include_str!("../../static/console.js");
const WEBAUTHN_JS: &str = include_str!("../../static/webauthn.js");
const TWO_STEP_JS: &str = include_str!("../../static/two-step.js");
const POLICIES_JS: &str = include_str!("../../static/policies.js");

fn asset(kind: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/static/console.js",
            get(|| async { asset("text/javascript; charset=utf-8", CONSOLE_JS) }),
        )
        .route(
            "/static/webauthn.js",
            get(|| async { asset("text/javascript; charset=utf-8", WEBAUTHN_JS) }),
        )
        .route(
            "/static/two-step.js",
            get(|| async { asset("text/javascript; charset=utf-8", TWO_STEP_JS) }),
        )
        .route(
            "/static/policies.js",
            get(|| async { asset("text/javascript; charset=utf-8", POLICIES_JS) }),
        )
        .route(
            "/static/app.css",
            get(|| async { asset("text/css; charset=utf-8", CSS) }),
        )
        .route("/static/favicon.svg", get(|| async { asset("image/svg+xml", FAVICON) }))
        .route("/favicon.ico", get(|| async { asset("image/svg+xml", FAVICON) }))
        .route(
            "/static/htmx.min.js",
            get(|| async { asset("text/javascript; charset=utf-8", HTMX) }),
        )
}
