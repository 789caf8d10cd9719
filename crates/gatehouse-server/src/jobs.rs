//! Background jobs. Each takes a lease in the database before it works, so with several nodes
//! on one database a job runs on one node at a time.

use crate::state::AppState;
use std::time::Duration;
use tokio::sync::watch;

const RETENTION_EVERY: Duration = Duration::from_hours(1);

pub fn spawn_all(state: AppState, stop: watch::Receiver<bool>) {
    tokio::spawn(retention_loop(state, stop));
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
