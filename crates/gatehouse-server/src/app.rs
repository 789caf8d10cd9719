//! Building the router and serving it, with graceful shutdown and background jobs.

use crate::conn::{CappedListener, ConnLimits, ServeConnections};
use crate::error::ApiError;
use crate::limits::EdgeLimits;
use crate::state::AppState;
use crate::{api, console, jobs, limits, ops, scim, web};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnFailure, TraceLayer};

pub use crate::limits::MAX_BODY_BYTES;

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api::router())
        .merge(web::router())
        .merge(console::router())
        .merge(scim::router())
        .merge(crate::oidc::router())
        .merge(crate::sso::router())
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .fallback(|uri: axum::http::Uri| async move {
            scim::no_such_endpoint(uri.path()).unwrap_or_else(|| {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such endpoint.").into_response()
            })
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "This endpoint does not support that method.",
            )
        })
        .layer(axum::middleware::from_fn(crate::nul::refuse_nul))
        // Bodies get a deadline; rates are counted before anything else reads the request;
        // both answers (408, 429) are still counted in /metrics.
        .layer(axum::middleware::from_fn_with_state(
            state.config.http.body_timeout,
            limits::body_deadline,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(EdgeLimits::new(&state.config.limits, state.config.trusted_proxies.clone())),
            limits::enforce,
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), ops::track))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        // Pages load only their own scripts and styles; nothing may frame them or post elsewhere.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
            ),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("handler panicked");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Something went wrong on our side.",
            )
            .into_response()
        }))
        // A 5xx is logged at WARN here: a real internal error is logged at ERROR where it
        // happens (`error.rs`), and a 503 from a full hashing queue is the server shedding
        // load as designed, which an attacker could otherwise turn into a flood of ERRORs.
        .layer(TraceLayer::new_for_http().on_failure(DefaultOnFailure::new().level(tracing::Level::WARN)))
        .with_state(state)
}

/// A server running in the background.
pub struct Running {
    pub addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    handle: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops accepting, lets in-flight requests finish, then returns.
    pub async fn stop(self) -> std::io::Result<()> {
        let _ = self.shutdown.send(true);
        self.handle.await.unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

/// Binds and serves in the background; jobs start with it. At most `[http] max_connections`
/// connections are open at once, each under the header and idle timeouts (`crate::conn`).
pub async fn spawn(state: AppState, listen: SocketAddr) -> std::io::Result<Running> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = watch::channel(false);
    jobs::spawn_all(state.clone(), rx.clone());
    crate::oidc::spawn(state.clone(), rx.clone());
    let http = &state.config.http;
    let limits = ConnLimits {
        max_connections: http.max_connections,
        header_timeout: http.header_timeout,
        idle_timeout: http.idle_timeout,
    };
    let listener = CappedListener::new(listener, limits, state.metrics.clone());
    let app = ServeConnections::new(router(state));
    let mut stop = rx;
    let handle = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await
    });
    Ok(Running {
        addr,
        shutdown: tx,
        handle,
    })
}

/// Serves until SIGINT or SIGTERM, then drains in-flight requests (up to 30 s).
pub async fn serve_until_signal(state: AppState, listen: SocketAddr) -> anyhow::Result<()> {
    let running = spawn(state, listen).await?;
    tracing::info!(addr = %running.addr, "gatehouse listening");
    shutdown_signal().await;
    tracing::info!("shutting down; finishing in-flight requests");
    if let Ok(stopped) = tokio::time::timeout(Duration::from_secs(30), running.stop()).await {
        stopped?;
    } else {
        tracing::warn!("in-flight requests did not finish within 30 s");
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
