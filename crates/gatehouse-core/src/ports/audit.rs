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
    /// Deletes events that occurred before `cutoff`; answers how many for each org touched.
    fn delete_events_before(&mut self, cutoff: Timestamp) -> impl Future<Output = Result<Vec<PrunedEvents>>> + Send;
}

/// How many events of one organization a retention pass deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrunedEvents {
    pub org: OrgId,
    pub count: i64,
}
