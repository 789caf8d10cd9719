//! The audit log.

use crate::db::sql_with;
use crate::sql::Sql;
use crate::{Db, SqlTx, rows};
use gatehouse_core::Result;
use gatehouse_core::audit::{AuditEvent, AuditFilter, EventRecord};
use gatehouse_core::ids::{EventId, OrgId};
use gatehouse_core::page::{Page, PageRequest};
use gatehouse_core::ports::{AuditReads, AuditTx};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use std::ops::DerefMut;

/// How many of the newest events a free-text search scans before it turns to the index.
const RECENT_SCAN: i64 = 5000;

/// Whether free text goes through the engine's trigram index or a plain scan.
#[derive(Clone, Copy)]
enum TextSearch {
    Indexed,
    Scan,
}

const EVENT_COLS: &str = "e.id, e.org_id, e.occurred_at, e.actor_type, e.actor_id, e.actor_label, e.action, e.targets, e.ip, e.user_agent, e.changes";

impl<C: DerefMut<Target = AnyConnection> + Send> Db<C> {
    /// The filtered event query, ending in its WHERE clause (pages add order and limit).
    fn event_query(&self, cols: &'static str, org: OrgId, f: &AuditFilter, text: TextSearch) -> Sql {
        self.event_query_after(Sql::new("SELECT "), cols, org, f, text)
    }

    /// `event_query` after a head of the caller's (an enclosing query's start).
    fn event_query_after(&self, mut q: Sql, cols: &'static str, org: OrgId, f: &AuditFilter, text: TextSearch) -> Sql {
        q.push(cols)
            .push(" FROM audit_events e WHERE e.org_id = ")
            .bind(org.to_string());
        // Event ids carry their time, so a time range is an id range on the (org_id, id) index.
        if let Some(since) = f.since {
            q.push(" AND e.id >= ").bind(EventId::lower_bound(since));
        }
        if let Some(until) = f.until {
            q.push(" AND e.id < ").bind(EventId::lower_bound(until.plus_millis(1)));
        }
        if let Some(kind) = f.actor_type {
            q.push(" AND e.actor_type = ").bind(kind.as_str());
        }
        if let Some(a) = &f.actor_id {
            q.push(" AND e.actor_id = ").bind(a.clone());
        }
        if !f.actions.is_empty() {
            q.push(" AND e.action IN (");
            for (n, a) in f.actions.iter().enumerate() {
                if n > 0 {
                    q.push(", ");
                }
                q.bind(a.clone());
            }
            q.push(")");
        }
        if let Some(t) = &f.target_id {
            q.push(" AND e.id IN (SELECT event_id FROM audit_targets WHERE org_id = ")
                .bind(org.to_string());
            q.push(" AND target_id = ").bind(t.clone()).push(")");
        }
        if let Some(ip) = &f.ip {
            q.push(" AND e.ip = ").bind(ip.clone());
        }
        match (&f.text, text) {
            (Some(t), TextSearch::Indexed) => self.dialect.push_text_search(&mut q, &t.to_lowercase()),
            (Some(t), TextSearch::Scan) => self.dialect.push_text_scan(&mut q, &t.to_lowercase()),
            (None, _) => {}
        }

        q
    }

    /// A page of events, newest first. Free text is searched in two steps: an unindexed scan
    /// of the newest `RECENT_SCAN` events (cheap, and enough when the text is common), then —
    /// only if the page is not full — the trigram index over everything older (cheap when the
    /// text is rare). Either step alone is slow for the other kind of text.
    async fn events_page<T>(
        &mut self,
        cols: &'static str,
        org: OrgId,
        f: &AuditFilter,
        page: &PageRequest,
        map: fn(&AnyRow) -> Result<T>,
        id_of: fn(&T) -> String,
    ) -> Result<Page<T>> {
        if f.text.is_none() {
            let q = self.event_query(cols, org, f, TextSearch::Indexed);
            return self.page(q, "e.id", true, page, map, id_of).await;
        }
        let mut bound_q = self.event_query(
            "e.id",
            org,
            &AuditFilter {
                text: None,
                ..f.clone()
            },
            TextSearch::Scan,
        );
        if let Some(after) = &page.after {
            bound_q.push(" AND e.id < ").bind(after.clone());
        }
        bound_q.push(" ORDER BY e.id DESC LIMIT 1 OFFSET ").bind(RECENT_SCAN);
        let bound = self.one(&bound_q, |r| rows::s(r, "id")).await?;
        let mut recent = self.event_query(cols, org, f, TextSearch::Scan);
        if let Some(b) = &bound {
            recent.push(" AND e.id > ").bind(b.clone());
        }
        let first = self.page(recent, "e.id", true, page, map, id_of).await?;
        let Some(b) = bound else { return Ok(first) };
        if first.next_cursor.is_some() {
            return Ok(first);
        }
        let mut older = self.event_query(cols, org, f, TextSearch::Indexed);
        older.push(" AND e.id <= ").bind(b);
        // At least one row is asked for, so a full first step still learns whether more exist.
        let rest_limit = page.limit - first.items.len() as u32;
        let rest = self
            .page(
                older,
                "e.id",
                true,
                &PageRequest {
                    after: None,
                    limit: rest_limit.max(1),
                },
                map,
                id_of,
            )
            .await?;
        let mut items = first.items;
        let more = if rest_limit == 0 {
            !rest.items.is_empty()
        } else {
            rest.next_cursor.is_some()
        };
        if rest_limit > 0 {
            items.extend(rest.items);
        }
        let next_cursor = if more {
            items.last().map(|i| gatehouse_core::page::encode_cursor(&id_of(i)))
        } else {
            None
        };
        Ok(Page { items, next_cursor })
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

    async fn list_events(&mut self, org: OrgId, f: &AuditFilter, page: &PageRequest) -> Result<Page<AuditEvent>> {
        self.events_page(EVENT_COLS, org, f, page, rows::event, |e| e.id.to_string())
            .await
    }

    async fn list_event_records(
        &mut self,
        org: OrgId,
        f: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<EventRecord>> {
        let packed_head = self.dialect.packed_events_head();
        let (Some(head), None) = (packed_head, &f.text) else {
            return self
                .events_page(EVENT_COLS, org, f, page, rows::event_record, |e| e.id.clone())
                .await;
        };
        let head = Sql::new(head);
        let mut q = self.event_query_after(head, EVENT_COLS, org, f, TextSearch::Indexed);
        if let Some(after) = &page.after {
            q.push(" AND e.id < ").bind(after.clone());
        }
        q.push(" ORDER BY e.id DESC LIMIT ")
            .bind(i64::from(page.limit) + 1)
            .push(") p");
        let packed = self.one(&q, |r| rows::os(r, "page")).await?.flatten();
        let events = match packed {
            Some(json) => rows::packed_event_records(&json)?,
            None => Vec::new(),
        };
        Ok(Page::from_overfetch(events, page.limit, |e| e.id.clone()))
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
