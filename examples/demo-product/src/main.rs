//! `demo-product`: see `--help` and the README.

use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser as _;
use demo_product::config::{Args, Config};
use demo_product::http::HttpClient;
use demo_product::provider::Provider;
use demo_product::{App, router};
use tracing_subscriber::EnvFilter;

/// Each call to the provider ends within this time.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);
/// Discovery is tried this often before the demo gives up (about a minute in all).
const DISCOVERY_ATTEMPTS: u32 = 10;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo-product: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    // One TLS backend for the whole process (reqwest would otherwise pick one per client).
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let config = Config::from_args(args)?;
    println!(
        "Register this product at the provider (client {}) with:",
        config.client_id.as_str()
    );
    println!("  redirect URI:             {}", config.redirect_uri.as_str());
    println!(
        "  post-logout redirect URI: {}",
        config.post_logout_redirect_uri.as_str()
    );
    println!("  back-channel logout URI:  {}", config.backchannel_logout_uri);
    let http = HttpClient::new(PROVIDER_TIMEOUT)?;
    let provider = Provider::discover_with_retry(&config, http, DISCOVERY_ATTEMPTS, Duration::from_millis(500)).await?;
    println!("Discovered the provider at {}", provider.issuer().as_str());
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    println!(
        "Demo product listening on {}; open {}",
        listener.local_addr()?,
        config.public_url
    );
    let app = App::new(config, provider);
    axum::serve(listener, router(app))
        .with_graceful_shutdown(shutdown())
        .await?;
    Ok(())
}

/// Ctrl-C or SIGTERM: stop taking requests and let those in flight end.
async fn shutdown() {
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
