//! Background jobs. Periodic jobs share one runner: each is a name, a schedule and a small
//! function, and the runner takes the job's lease in the database before it runs it, so with
//! several nodes on one database a job runs on one node at a time. The directory change
//! listener is not periodic (it hears other nodes as they speak) and keeps its own loop.

use crate::state::AppState;
use gatehouse_core::ports::BoxFuture;
use std::time::Duration;
use tokio::sync::watch;

/// A job the runner starts on a schedule.
struct PeriodicJob {
    /// What the logs call it and the name of its lease.
    name: &'static str,
    /// The wait before its first run after start.
    first_after: Duration,
    /// The wait between runs.
    every: Duration,
    /// How long a run may hold the lease; shorter than `every`, so a node that dies mid-run
    /// leaves the job to another node at the next turn.
    lease_secs: i64,
    /// The work itself, given this node's lease holder name; it logs its own outcome.
    run: for<'a> fn(&'a AppState, &'a str) -> BoxFuture<'a, ()>,
}

/// Every periodic job, with the schedule each has always had.
const PERIODIC: [PeriodicJob; 9] = [
    PeriodicJob {
        // The lease `prune_events` also takes inside its own transaction (core's
        // RETENTION_LEASE): the same name and the same holder, so that take is a renewal.
        name: "audit-retention",
        first_after: Duration::from_mins(1),
        every: Duration::from_hours(1),
        lease_secs: 300,
        run: |s, holder| Box::pin(audit_retention(s, holder)),
    },
    PeriodicJob {
        name: "audit-text-statistics",
        first_after: Duration::from_mins(2),
        every: Duration::from_hours(1),
        lease_secs: 600,
        run: |s, _| Box::pin(audit_text_statistics(s)),
    },
    PeriodicJob {
        name: "domain-checks",
        first_after: Duration::from_mins(5),
        every: Duration::from_mins(5),
        lease_secs: 240,
        run: |s, _| Box::pin(domain_checks(s)),
    },
    PeriodicJob {
        name: "account-deletions",
        first_after: Duration::from_mins(5),
        every: Duration::from_mins(5),
        lease_secs: 240,
        run: |s, _| Box::pin(account_deletions(s)),
    },
    PeriodicJob {
        name: "sign-in-cleanup",
        first_after: Duration::from_mins(2),
        every: Duration::from_mins(15),
        lease_secs: 600,
        run: |s, _| Box::pin(sign_in_cleanup(s)),
    },
    PeriodicJob {
        name: "oauth-cleanup",
        first_after: Duration::from_mins(3),
        every: Duration::from_mins(15),
        lease_secs: 600,
        run: |s, _| Box::pin(oauth_cleanup(s)),
    },
    PeriodicJob {
        name: "sso-cleanup",
        first_after: Duration::from_mins(4),
        every: Duration::from_mins(15),
        lease_secs: 600,
        run: |s, _| Box::pin(sso_cleanup(s)),
    },
    PeriodicJob {
        name: "billing-enforcement",
        first_after: Duration::from_mins(1),
        every: Duration::from_mins(5),
        lease_secs: 240,
        run: |s, _| Box::pin(billing_enforcement(s)),
    },
    PeriodicJob {
        name: "billing-runs",
        first_after: Duration::from_mins(2),
        every: Duration::from_mins(15),
        lease_secs: 600,
        run: |s, _| Box::pin(billing_runs(s)),
    },
];

/// Stores the run (counts per rule, amount, invoice record) of every paid subscription's
/// cycle that ended and has none yet.
async fn billing_runs(state: &AppState) {
    match state.services.billing.run_due(&state.pricing).await {
        Ok(n) => tracing::info!(runs = n, "billing runs pass"),
        Err(e) => tracing::error!(error = %e, "billing runs failed"),
    }
}

/// Records in the audit log, once, each organization whose enforcement paused for want of a
/// trial or subscription (when the operator requires one), and the end of those pauses when
/// the operator no longer does. Enforcement itself pauses and resumes at the moment the trial
/// or subscription ends or starts: this job only writes it down.
async fn billing_enforcement(state: &AppState) {
    match state.services.subscriptions.record_enforcement().await {
        Ok(p) if p.paused + p.resumed > 0 => {
            tracing::info!(paused = p.paused, resumed = p.resumed, "enforcement pauses recorded");
        }
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "billing enforcement pass failed"),
    }
}

/// Deletes started SSO sign-ins nobody finished, remembered assertion ids past their expiry
/// and the single-logout records of sessions that are gone.
async fn sso_cleanup(state: &AppState) {
    match state.services.sso.prune().await {
        Ok(n) => tracing::info!(deleted = n, "sso cleanup pass"),
        Err(e) => tracing::error!(error = %e, "sso cleanup failed"),
    }
}

/// Deletes spent codes, expired refresh tokens, ended product sessions and unpublished keys.
async fn oauth_cleanup(state: &AppState) {
    match state.services.provider.prune().await {
        Ok(n) => tracing::info!(deleted = n, "oauth cleanup pass"),
        Err(e) => tracing::error!(error = %e, "oauth cleanup failed"),
    }
}

/// Starts every background job; each stops when `stop` turns true.
pub fn spawn_all(state: AppState, stop: watch::Receiver<bool>) {
    // One holder name per node: a node renews its own lease, another node waits it out.
    let holder = format!("node-{}", uuid::Uuid::now_v7());
    for job in &PERIODIC {
        tokio::spawn(run_periodic(job, state.clone(), holder.clone(), stop.clone()));
    }
    tokio::spawn(directory_changes_loop(state, stop));
}

/// The runner: wait, take the lease, run; until stopped.
async fn run_periodic(job: &'static PeriodicJob, state: AppState, holder: String, mut stop: watch::Receiver<bool>) {
    let mut wait = job.first_after;
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            () = tokio::time::sleep(wait) => {}
        }
        wait = job.every;
        match run_if_leased(&state, job, &holder).await {
            Ok(true) => {}
            Ok(false) => tracing::debug!(job = job.name, "lease held elsewhere"),
            Err(e) => tracing::error!(job = job.name, error = %e, "job lease failed"),
        }
    }
}

/// Runs the named periodic job now, if `holder` gets its lease, as the runner does at each
/// turn; `None` for a name no job has. The schedule is left as it is.
pub async fn run_now(state: &AppState, name: &str, holder: &str) -> Option<gatehouse_core::Result<bool>> {
    let job = PERIODIC.iter().find(|j| j.name == name)?;
    Some(run_if_leased(state, job, holder).await)
}

/// Takes the job's lease and, only if it got it, runs the job. Whether it ran.
async fn run_if_leased(state: &AppState, job: &PeriodicJob, holder: &str) -> gatehouse_core::Result<bool> {
    if !lease(state, job, holder).await? {
        return Ok(false);
    }
    (job.run)(state, holder).await;
    Ok(true)
}

async fn lease(state: &AppState, job: &PeriodicJob, holder: &str) -> gatehouse_core::Result<bool> {
    state.services.leases.acquire(job.name, holder, job.lease_secs).await
}

/// Deletes audit events older than the retention period (and records that it did).
async fn audit_retention(state: &AppState, holder: &str) {
    match state
        .services
        .audit
        .prune_pausing(
            state.config.audit.retention_days,
            gatehouse_core::services::PRUNE_BATCH,
            holder,
            tokio::time::sleep,
        )
        .await
    {
        Ok(Some(n)) => tracing::info!(deleted = n, "audit retention pass"),
        Ok(None) => tracing::debug!("audit retention lease held elsewhere"),
        Err(e) => tracing::error!(error = %e, "audit retention failed"),
    }
}

/// Renews the estimated counts of the search text's fragments that free-text search reads
/// to keep away from common ones (PostgreSQL; a moment on SQLite, which has nothing to do).
async fn audit_text_statistics(state: &AppState) {
    match state.services.audit.refresh_text_statistics().await {
        Ok(n) => tracing::info!(fragments_kept = n, "audit text statistics renewed"),
        Err(e) => tracing::error!(error = %e, "audit text statistics failed"),
    }
}

/// Domain checks: pending domains hourly, verified ones daily (the service picks which are due).
async fn domain_checks(state: &AppState) {
    match state.services.domains.run_checks().await {
        Ok((n, failures)) => {
            tracing::info!(checked = n, "domain checks pass");
            for f in failures {
                tracing::warn!(failure = %f, "domain check failed");
            }
        }
        Err(e) => tracing::error!(error = %e, "domain checks failed"),
    }
}

/// Finishes account deletions whose grace period is over.
async fn account_deletions(state: &AppState) {
    match state.services.accounts.purge_deleted().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(deleted = n, "accounts deleted after their grace period"),
        Err(e) => tracing::error!(error = %e, "account deletion pass failed"),
    }
}

/// Deletes expired sessions, dead reset links and forgotten throttle keys.
async fn sign_in_cleanup(state: &AppState) {
    match state.signin.prune_expired().await {
        Ok(p) => tracing::info!(
            sessions = p.sessions,
            resets = p.resets,
            throttles = p.throttles,
            "sign-in cleanup pass"
        ),
        Err(e) => tracing::error!(error = %e, "sign-in cleanup failed"),
    }
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
        services.directories.set_token_cache_live(false);
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
    use gatehouse_core::ports::ChangeFeed;
    let Some(mut changes) = services.listen_directory_changes().await? else {
        return Ok(());
    };
    services.directories.set_token_cache_live(true);
    loop {
        changes.next().await?;
        services.directories.forget_verified_tokens();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_periodic_job_has_its_own_lease_and_gives_it_up_before_its_next_turn() {
        let mut names: Vec<&str> = PERIODIC.iter().map(|j| j.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), PERIODIC.len(), "two jobs share a lease");
        for job in &PERIODIC {
            let lease = Duration::from_secs(u64::try_from(job.lease_secs).unwrap());
            assert!(lease < job.every, "{} holds its lease past its next turn", job.name);
        }
    }
}
