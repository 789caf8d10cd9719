//! Audit retention: the oldest events deleted a small batch at a time.
//!
//! A batch is a range of the event id index (ids carry their time, so "before the cutoff" is
//! "below an id"), taken from where the previous batch stopped: on PostgreSQL the index keeps
//! the deleted entries until vacuum, and a batch that started from the beginning each time
//! would walk every entry the pass had already deleted. Only `audit_events`, `audit_targets`
//! and their triggers are touched (SQLite's text index follows the events through its delete
//! trigger), so a change of the text-search tables leaves this alone.

use crate::sql::Sql;
use crate::{SqlTx, rows};
use gatehouse_core::ids::EventId;
use gatehouse_core::ports::{AuditRetentionTx, PrunedBatch, PrunedEvents};
use gatehouse_core::{CoreError, Result, Timestamp};

impl AuditRetentionTx for SqlTx {
    async fn delete_event_batch(
        &mut self,
        cutoff: Timestamp,
        after: Option<EventId>,
        limit: u32,
    ) -> Result<PrunedBatch> {
        let after = after.map(|a| a.to_string());
        let mut q = Sql::new("SELECT MAX(b.id) AS last FROM (SELECT id FROM audit_events WHERE id < ");
        q.bind(EventId::lower_bound(cutoff));
        if let Some(a) = &after {
            q.push(" AND id > ").bind(a.clone());
        }
        q.push(" ORDER BY id");
        self.dialect.push_limit(&mut q, i64::from(limit), 0);
        q.push(") b");
        let Some(last) = self.one(&q, |r| rows::os(r, "last")).await?.flatten() else {
            return Ok(PrunedBatch::default());
        };
        // Targets first, by the same range of their event ids (their own index); the foreign
        // key's cascade would find them one event at a time.
        let mut q = Sql::new("DELETE FROM audit_targets WHERE event_id <= ");
        q.bind(last.clone());
        if let Some(a) = &after {
            q.push(" AND event_id > ").bind(a.clone());
        }
        self.exec(&q).await?;
        // The count comes from the rows the delete itself answers, so it is exactly what went.
        let mut q = Sql::new("DELETE FROM audit_events WHERE id <= ");
        q.bind(last.clone());
        if let Some(a) = &after {
            q.push(" AND id > ").bind(a.clone());
        }
        q.push(" RETURNING org_id");
        let orgs = self.all(&q, rows::org_id).await?;
        let mut per_org: Vec<PrunedEvents> = Vec::new();
        for org in orgs {
            match per_org.iter_mut().find(|p| p.org == org) {
                Some(p) => p.count += 1,
                None => per_org.push(PrunedEvents { org, count: 1 }),
            }
        }
        let last = EventId::parse(&last)
            .map_err(|_| CoreError::Internal(format!("a stored event id is not an id: {last:?}")))?;
        Ok(PrunedBatch {
            per_org,
            last: Some(last),
        })
    }

    async fn refresh_text_statistics(&mut self) -> Result<u64> {
        self.sample_text_fragments().await
    }
}
