use super::capability::capability;
use crate::Timestamp;
use crate::audit::AuditAction;
use crate::audit::{AuditEvent, AuditFilter, EventPage, RequestMeta};
use crate::authz::OrgAdmin;
use crate::error::{CoreError, Result};
use crate::ids::EventId;
use crate::page::PageRequest;
use crate::ports::{PrunedEvents, prelude::*};

/// The lease name the retention job takes, so only one node prunes at a time.
pub const RETENTION_LEASE: &str = "audit-retention";

capability!(Audit, "Reading and pruning the audit log.");

impl<S: Store> Audit<S> {
    pub async fn list(
        &self,
        admin: &OrgAdmin,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<EventPage<AuditEvent>> {
        filter.validate()?;
        self.store.reader().await?.list_events(admin.org(), filter, page).await
    }

    /// A page of stored event records, for streaming exports.
    pub async fn list_records(
        &self,
        admin: &OrgAdmin,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<EventPage<crate::audit::EventRecord>> {
        filter.validate()?;
        self.store
            .reader()
            .await?
            .list_event_records(admin.org(), filter, page)
            .await
    }

    pub async fn get(&self, admin: &OrgAdmin, id: EventId) -> Result<AuditEvent> {
        self.store
            .reader()
            .await?
            .find_event(admin.org(), id)
            .await?
            .ok_or(CoreError::NotFound { entity: "event" })
    }

    /// Deletes events older than `retention_days`, recording per organization how many went,
    /// in the same transaction. Returns the number deleted, or `None` when another node holds
    /// the lease.
    pub async fn prune(&self, retention_days: u32, holder: &str) -> Result<Option<i64>> {
        let now = self.clock.now();
        let cutoff = now.plus_secs(-i64::from(retention_days) * 86_400);
        let mut tx = self.store.begin().await?;
        if !tx
            .acquire_lease(RETENTION_LEASE, holder, now, now.plus_secs(300))
            .await?
        {
            return Ok(None);
        }
        let per_org = tx.delete_events_before(cutoff).await?;
        let mut total = 0;
        for PrunedEvents { org, count: n } in &per_org {
            total += n;
            let ev = AuditEvent::new(*org, &crate::audit::Actor::system("retention"), &RequestMeta::default(), AuditAction::AuditPruned, now)
                .target("org", org, None)
                .after(&serde_json::json!({ "deleted": n, "before": Timestamp::to_rfc3339(cutoff), "retention_days": retention_days }));
            tx.insert_event(&ev).await?;
        }
        tx.commit().await?;
        Ok(Some(total))
    }
}
