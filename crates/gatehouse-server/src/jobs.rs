//! Background jobs. Each takes a lease in the database before it works, so with several nodes
//! on one database a job runs on one node at a time.

use crate::state::AppState;
use std::time::Duration;
use tokio::sync::watch;

const RETENTION_EVERY: Duration = Duration::from_hours(1);

pub fn spawn_all(state: AppState, stop: watch::Receiver<bool>) {
    tokio::spawn(retention_loop(state.clone(), stop.clone()));
    tokio::spawn(directory_changes_loop(state.clone(), stop.clone()));
    tokio::spawn(domains_loop(state, stop));
}

/// Where several nodes may share the database (PostgreSQL): hears the directory and token
/// changes other nodes announce. While the channel is down (and until it is first up) no
/// token is kept, so a revocation made on any node takes effect on this one at once.
async fn directory_changes_loop(state: AppState, mut stop: watch::Receiver<bool>) {
    let services = &state.services;
    loop {
        let heard = tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            r = hear_directory_changes(services) => r,
        };
        let Err(e) = heard else {
            return; // one node: nothing to hear
        };
        services.set_token_cache_live(false);
        tracing::warn!(error = %e, "directory change notifications interrupted; SCIM tokens are read on every request until they resume");
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// Forgets the tokens this node verified whenever another node announces a change. Returns
/// at once where the engine serves one node, and with an error when the subscription is lost.
async fn hear_directory_changes(
    services: &gatehouse_core::services::Services<gatehouse_store::SqlStore>,
) -> gatehouse_core::Result<()> {
    let Some(mut changes) = services.store.listen_directory_changes().await? else {
        return Ok(());
    };
    services.set_token_cache_live(true);
    loop {
        changes.next().await?;
        services.forget_verified_tokens();
    }
}

/// Every five minutes: domain checks (pending hourly, verified daily) and finishing account
/// deletions whose grace period is over. One node at a time, by lease.
async fn domains_loop(state: AppState, mut stop: watch::Receiver<bool>) {
    let holder = format!("node-{}", uuid::Uuid::now_v7());
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            () = tokio::time::sleep(Duration::from_mins(5)) => {}
        }
        match lease(&state, "domain-checks", &holder).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::error!(error = %e, "domain job lease failed");
                continue;
            }
        }
        match state.domains.run_checks().await {
            Ok((n, failures)) => {
                tracing::info!(checked = n, "domain checks pass");
                for f in failures {
                    tracing::warn!(failure = %f, "domain check failed");
                }
            }
            Err(e) => tracing::error!(error = %e, "domain checks failed"),
        }
        match state.services.purge_deleted_accounts().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "accounts deleted after their grace period"),
            Err(e) => tracing::error!(error = %e, "account deletion pass failed"),
        }
    }
}

async fn lease(state: &AppState, name: &str, holder: &str) -> gatehouse_core::Result<bool> {
    use gatehouse_core::ports::prelude::*;
    let now = state.services.clock.now();
    let mut tx = state.services.store.begin().await?;
    let got = tx.acquire_lease(name, holder, now, now.plus_secs(240)).await?;
    tx.commit().await?;
    Ok(got)
}

async fn retention_loop(state: AppState, mut stop: watch::Receiver<bool>) {
    let holder = format!("node-{}", uuid::Uuid::now_v7());
    let mut first = true;
    loop {
        let wait = if first { Duration::from_mins(1) } else { RETENTION_EVERY };
        first = false;
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            () = tokio::time::sleep(wait) => {}
        }
        match state
            .services
            .prune_events(state.config.audit_retention_days, &holder)
            .await
        {
            Ok(Some(n)) => tracing::info!(deleted = n, "audit retention pass"),
            Ok(None) => tracing::debug!("audit retention lease held elsewhere"),
            Err(e) => tracing::error!(error = %e, "audit retention failed"),
        }
    }
}
