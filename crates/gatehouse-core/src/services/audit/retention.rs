//! Audit retention: events older than the retention period go a small batch at a time, each
//! batch its own short transaction (the server's job pauses as long as it took after each), so
//! writers (SQLite has one at a time) wait for a batch at most, never for the whole pass, and
//! the writes that queued behind a batch go before the next.
//!
//! Each batch's transaction renews the lease (a long pass keeps it; a node that lost it stops
//! before deleting anything more) and writes, per organization whose events it deleted, one
//! `audit.pruned` event with how many. So every deletion commits with its record: a pass that
//! stops halfway (lease lost, process killed) leaves nothing deleted unaccounted for, and an
//! organization's `deleted` counts sum to what went. In steady state (an hourly pass deleting
//! an hour's worth) that is one event per organization and pass; only a pass catching up on a
//! large backlog writes one per batch.

use super::{Audit, RETENTION_LEASE};
use crate::Timestamp;
use crate::audit::{Actor, AuditAction, AuditEvent, RequestMeta};
use crate::error::{CoreError, Result};
use crate::ids::EventId;
use crate::ports::{PrunedBatch, PrunedEvents, prelude::*};

/// Events per batch. Measured with four writers creating events through the API during the
/// pass (`benches/audit_prune.rs`, 2 cores). On SQLite a write waits for the batch in
/// progress: over 100,000 events, batches of 250 put the writes' p99 at 65-74 ms, 100 at
/// 50 ms, 50 at 41 ms; over 1,000,000 events, 100 still gave 103 ms (p50 15 ms) at 4,600
/// events/s without pauses, and 48 ms (p50 6 ms) at 1,760 events/s with the server's pause
/// after each batch ([`Audit::prune_pausing`]). PostgreSQL kept p99 near 10-12 ms at every
/// size, 18,600 events/s at 100 without pauses.
pub const PRUNE_BATCH: u32 = 100;

/// How long each batch's take of the lease lasts; a batch takes milliseconds.
const LEASE_SECS: i64 = 300;

/// The retention a pass applies, fixed when it starts.
#[derive(Clone, Copy)]
struct Pass {
    cutoff: Timestamp,
    retention_days: u32,
    batch: u32,
}

impl<S: Store> Audit<S> {
    /// Deletes events older than `retention_days`, [`PRUNE_BATCH`] at a time, recording per
    /// organization and batch how many went, in the batch's transaction. Returns the number
    /// deleted, or `None` when another node holds the lease. A pass that loses the lease
    /// halfway stops and returns what it deleted.
    pub async fn prune(&self, retention_days: u32, holder: &str) -> Result<Option<i64>> {
        self.prune_in_batches(retention_days, PRUNE_BATCH, holder).await
    }

    /// [`Self::prune`] with batches of at most `batch` events.
    pub async fn prune_in_batches(&self, retention_days: u32, batch: u32, holder: &str) -> Result<Option<i64>> {
        self.prune_pausing(retention_days, batch, holder, |_| std::future::ready(()))
            .await
    }

    /// [`Self::prune_in_batches`], awaiting `pause(took)` after each batch but the last, `took`
    /// being how long the batch took. The server's job sleeps that long: the pass then takes
    /// at most half of the writer's time, and the writes that queued behind a batch (SQLite
    /// has one writer) go before the next.
    pub async fn prune_pausing<P, F>(
        &self,
        retention_days: u32,
        batch: u32,
        holder: &str,
        mut pause: P,
    ) -> Result<Option<i64>>
    where
        P: FnMut(std::time::Duration) -> F + Send,
        F: Future<Output = ()> + Send,
    {
        if batch == 0 {
            return Err(CoreError::validation("batch", "must be at least 1"));
        }
        let pass = Pass {
            cutoff: self.clock.now().plus_secs(-i64::from(retention_days) * 86_400),
            retention_days,
            batch,
        };
        let mut after = None;
        let mut total = 0;
        loop {
            let started = std::time::Instant::now();
            let Some(done) = self.prune_batch(pass, after, holder).await? else {
                return Ok(after.map(|_| total));
            };
            let deleted: i64 = done.per_org.iter().map(|p| p.count).sum();
            total += deleted;
            // A short batch was the last: nothing older than the cutoff is left after it.
            match done.last {
                Some(last) if deleted >= i64::from(batch) => after = Some(last),
                _ => return Ok(Some(total)),
            }
            pause(started.elapsed()).await;
        }
    }

    /// One batch in one transaction: the lease, the deletion, its `audit.pruned` events.
    /// `None` when the lease is another node's.
    async fn prune_batch(&self, pass: Pass, after: Option<EventId>, holder: &str) -> Result<Option<PrunedBatch>> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if !tx
            .acquire_lease(RETENTION_LEASE, holder, now, now.plus_secs(LEASE_SECS))
            .await?
        {
            return Ok(None);
        }
        let done = tx.delete_event_batch(pass.cutoff, after, pass.batch).await?;
        let events: Vec<AuditEvent> = done.per_org.iter().map(|p| pruned_event(p, pass, now)).collect();
        tx.insert_events(&events).await?;
        tx.commit().await?;
        Ok(Some(done))
    }
}

fn pruned_event(p: &PrunedEvents, pass: Pass, now: Timestamp) -> AuditEvent {
    AuditEvent::new(
        p.org,
        &Actor::system("retention"),
        &RequestMeta::default(),
        AuditAction::AuditPruned,
        now,
    )
    .target("org", p.org, None)
    .after(&serde_json::json!({
        "deleted": p.count,
        "before": Timestamp::to_rfc3339(pass.cutoff),
        "retention_days": pass.retention_days,
    }))
}
