//! The audit log.

use crate::audit_query::Plan;
use crate::db::sql_with;
use crate::sql::Sql;
use crate::{Db, SqlTx, rows};
use gatehouse_core::Result;
use gatehouse_core::audit::{AuditEvent, AuditFilter, EventPage, EventRecord};
use gatehouse_core::ids::{EventId, OrgId};
use gatehouse_core::page::PageRequest;
use gatehouse_core::ports::{AuditReads, AuditTx};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use std::ops::DerefMut;

const EVENT_COLS: &str = "e.id, e.org_id, e.occurred_at, e.actor_type, e.actor_id, e.actor_label, e.action, e.targets, e.ip, e.user_agent, e.changes";

impl<C: DerefMut<Target = AnyConnection> + Send> Db<C> {
    /// A page of events read through [`Db::plan_events`], as rows mapped by `map`.
    async fn events_page<T>(
        &mut self,
        org: OrgId,
        f: &AuditFilter,
        page: &PageRequest,
        map: fn(&AnyRow) -> Result<T>,
        id_of: fn(&T) -> String,
    ) -> Result<EventPage<T>> {
        match self.plan_events(Sql::new("SELECT "), EVENT_COLS, org, f, page).await? {
            Plan::Direct(q) => Ok(EventPage::from_overfetch(self.all(&q, map).await?, page.limit, id_of)),
            Plan::Budgeted(found) => {
                let mut q = Sql::new("SELECT ");
                self.push_events_by_id(&mut q, org, &found.ids)?;
                Ok(EventPage {
                    items: self.all(&q, map).await?,
                    after: found.after,
                    searched_until: found.searched_until,
                })
            }
        }
    }

    /// Pushes `EVENT_COLS` of the events `ids` of `org`, newest first.
    fn push_events_by_id(&self, q: &mut Sql, org: OrgId, ids: &[String]) -> Result<()> {
        let list = serde_json::to_string(ids).map_err(gatehouse_core::CoreError::internal)?;
        q.push(EVENT_COLS)
            .push(" FROM audit_events e WHERE e.org_id = ")
            .bind(org.to_string())
            .push(" AND e.id IN (");
        self.dialect.push_text_list(q, list);
        q.push(") ORDER BY e.id DESC");
        Ok(())
    }
}

/// Events per multi-row insert.
const EVENT_CHUNK: usize = 200;

impl<C: DerefMut<Target = AnyConnection> + Send> AuditReads for Db<C> {
    async fn find_event(&mut self, org: OrgId, id: EventId) -> Result<Option<AuditEvent>> {
        let mut q = Sql::new("SELECT ");
        q.push(EVENT_COLS)
            .push(" FROM audit_events e WHERE e.org_id = ")
            .bind(org.to_string());
        q.push(" AND e.id = ").bind(id.to_string());
        self.one(&q, rows::event).await
    }

    async fn list_events(&mut self, org: OrgId, f: &AuditFilter, page: &PageRequest) -> Result<EventPage<AuditEvent>> {
        self.events_page(org, f, page, rows::event, |e| e.id.to_string()).await
    }

    async fn list_event_records(
        &mut self,
        org: OrgId,
        f: &AuditFilter,
        page: &PageRequest,
    ) -> Result<EventPage<EventRecord>> {
        let Some(head) = self.dialect.packed_events_head() else {
            return self
                .events_page(org, f, page, rows::event_record, |e| e.id.clone())
                .await;
        };
        let (mut q, found) = match self.plan_events(Sql::new(head), EVENT_COLS, org, f, page).await? {
            Plan::Direct(q) => (q, None),
            Plan::Budgeted(found) => {
                let mut q = Sql::new(head);
                self.push_events_by_id(&mut q, org, &found.ids)?;
                (q, Some(found))
            }
        };
        q.push(") p");
        let events = match self.one(&q, |r| rows::os(r, "page")).await?.flatten() {
            Some(json) => rows::packed_event_records(&json)?,
            None => Vec::new(),
        };
        Ok(match found {
            None => EventPage::from_overfetch(events, page.limit, |e| e.id.clone()),
            Some(found) => EventPage {
                items: events,
                after: found.after,
                searched_until: found.searched_until,
            },
        })
    }

    async fn count_events(&mut self, org: OrgId) -> Result<i64> {
        let q = sql_with(
            "SELECT COUNT(*) AS n FROM audit_events WHERE org_id = ",
            org.to_string(),
        );
        self.int(&q, "n").await
    }
}

impl AuditTx for SqlTx {
    async fn insert_event(&mut self, e: &AuditEvent) -> Result<()> {
        self.insert_events(std::slice::from_ref(e)).await
    }

    async fn insert_events(&mut self, events: &[AuditEvent]) -> Result<()> {
        for chunk in events.chunks(EVENT_CHUNK) {
            let (rows, targets) = crate::json_rows::event_rows(chunk)?;
            self.insert_rows(&crate::json_rows::EVENTS, &rows).await?;
            self.insert_rows(&crate::json_rows::EVENT_TARGETS, &targets).await?;
        }
        Ok(())
    }
}
