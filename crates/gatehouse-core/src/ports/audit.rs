//! The audit log.

use crate::Timestamp;
use crate::audit::{AuditEvent, AuditFilter, EventPage, EventRecord};
use crate::error::Result;
use crate::ids::{EventId, OrgId};
use crate::page::PageRequest;
use std::future::Future;

/// Audit log queries.
pub trait AuditReads {
    fn find_event(&mut self, org: OrgId, id: EventId) -> impl Future<Output = Result<Option<AuditEvent>>> + Send;
    /// Newest first, within the scan budget (see [`EventPage`]).
    fn list_events(
        &mut self,
        org: OrgId,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> impl Future<Output = Result<EventPage<AuditEvent>>> + Send;
    /// Like `list_events`, with targets and changes left as stored JSON (for exports).
    fn list_event_records(
        &mut self,
        org: OrgId,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> impl Future<Output = Result<EventPage<EventRecord>>> + Send;
    fn count_events(&mut self, org: OrgId) -> impl Future<Output = Result<i64>> + Send;
}

/// Audit log changes, only inside a transaction (an event commits with the change it records).
pub trait AuditTx {
    fn insert_event(&mut self, event: &AuditEvent) -> impl Future<Output = Result<()>> + Send;
    /// Inserts several events (and their targets) in as few statements as the engine allows.
    fn insert_events(&mut self, events: &[AuditEvent]) -> impl Future<Output = Result<()>> + Send;
}

/// Retention: old events go a small batch per transaction, so no transaction holds the
/// writer (SQLite has one) for long, however many events are due.
pub trait AuditRetentionTx {
    /// Deletes the oldest events that occurred before `cutoff` and come after `after` (an
    /// event id this pass already deleted up to), at most `limit` of them, with their targets.
    /// The batch is a range of the event id index, never a scan of the log.
    fn delete_event_batch(
        &mut self,
        cutoff: Timestamp,
        after: Option<EventId>,
        limit: u32,
    ) -> impl Future<Output = Result<PrunedBatch>> + Send;
    /// Renews the estimate of how many events each fragment of the search text is in, where
    /// the engine's text index keeps no such count (PostgreSQL), from a bounded sample of the
    /// log; answers how many fragments it kept (those seen often enough to count). A search
    /// reads the text index only through fragments estimated rare. SQLite's index counts
    /// fragments itself: nothing to do.
    fn refresh_text_statistics(&mut self) -> impl Future<Output = Result<u64>> + Send;
}

/// What one retention batch deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrunedBatch {
    /// How many of each organization's events went, in the order the organizations came.
    pub per_org: Vec<PrunedEvents>,
    /// The newest event id deleted, where the next batch starts; `None` when nothing was left.
    pub last: Option<EventId>,
}

/// How many events of one organization a retention pass deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrunedEvents {
    pub org: OrgId,
    pub count: i64,
}
