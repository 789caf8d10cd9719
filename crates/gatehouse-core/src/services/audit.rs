use super::capability::capability;
use crate::audit::{AuditEvent, AuditFilter, EventPage};
use crate::authz::OrgAdmin;
use crate::error::{CoreError, Result};
use crate::ids::EventId;
use crate::page::PageRequest;
use crate::ports::prelude::*;

/// The lease name the retention job takes, so only one node prunes at a time.
pub const RETENTION_LEASE: &str = "audit-retention";

capability!(Audit, "Reading and pruning the audit log.");

pub(super) mod retention;

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

    /// Renews the text index's fragment statistics (see
    /// [`AuditRetentionTx::refresh_text_statistics`]) in one transaction: searches see the
    /// old counts or the new, never a table half filled. How many fragments it kept.
    pub async fn refresh_text_statistics(&self) -> Result<u64> {
        let mut tx = self.store.begin().await?;
        let kept = tx.refresh_text_statistics().await?;
        tx.commit().await?;
        Ok(kept)
    }

    pub async fn get(&self, admin: &OrgAdmin, id: EventId) -> Result<AuditEvent> {
        self.store
            .reader()
            .await?
            .find_event(admin.org(), id)
            .await?
            .ok_or(CoreError::NotFound { entity: "event" })
    }
}
