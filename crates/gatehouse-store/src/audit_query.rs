//! Audit pages whose cost is bounded whatever the log's size and whatever the filter matches.
//!
//! Every page is read through one leading index that starts with the organization and the
//! most selective filter given and ends with the event id (which carries the time, so a time
//! range is an id range on every one of them): the event's target, actor, IP, action(s) or
//! actor type, or else the organization's events in id order. When that index alone answers
//! the filter, a page reads `limit + 1` entries. When other filters must be checked row by
//! row (two filters, free text), the request reads at most [`SCAN_BUDGET`] entries of the
//! leading index; if they run out before the page fills, the page holds what was found and
//! says where the search stopped (`EventPage::after`, `searched_until`), and the next request
//! goes on from there. Free text that is rare — too rare for the newest entries to fill the
//! page — is looked up in the engine's text index instead, which answers it in one go when it
//! matches at most [`TEXT_INDEX_CAP`] older events.

use crate::db::Db;
use crate::rows;
use crate::sql::Sql;
use gatehouse_core::Result;
use gatehouse_core::Timestamp;
use gatehouse_core::audit::AuditFilter;
use gatehouse_core::ids::{EventId, OrgId};
use gatehouse_core::page::PageRequest;
use sqlx::AnyConnection;
use std::ops::DerefMut;

/// Index entries one request reads, at most, when rows must be checked beyond their index.
pub const SCAN_BUDGET: i64 = 500;
/// Actions searched each in its own index range; a longer list is checked row by row.
const ACTION_RANGES: usize = 8;
/// Older matches of free text read from the text index at once. Text that matches more is
/// common enough for the budgeted scan of the newest events to find it.
const TEXT_INDEX_CAP: i64 = 1_000;
/// What a window of an index answers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cols {
    /// `id` and `k`, the key to join the event by.
    Keys,
    /// The events' rows (not for a target's window, which reads `audit_targets`).
    Rows,
}

/// A window: the `limit` newest entries of `lead`'s index for `org` below `after`, within the
/// time range of `f`.
#[derive(Clone, Copy)]
struct Window<'a> {
    org: OrgId,
    lead: Lead<'a>,
    f: &'a AuditFilter,
    after: Option<&'a str>,
    limit: i64,
}
/// Aliases of the action ranges' subqueries (the SQL is built from static text only).
const RANGE_ALIASES: [&str; ACTION_RANGES] = [" a0", " a1", " a2", " a3", " a4", " a5", " a6", " a7"];

/// The index a page is read through.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lead<'a> {
    Target(&'a str),
    Actor(&'a str),
    Ip(&'a str),
    Actions(&'a [String]),
    /// An actor's events of some actions (the console's pair), through the actor-action index.
    ActorActions(&'a str, &'a [String]),
    ActorType(&'static str),
    Time,
}

impl Window<'_> {
    /// The same window, `limit` entries long.
    fn limit_to(self, limit: i64) -> Self {
        Self { limit, ..self }
    }
}

impl<'a> Lead<'a> {
    /// The most selective filter given: a target or an actor names few events, an action or
    /// an actor type many.
    fn of(f: &'a AuditFilter) -> Self {
        let few_actions = !f.actions.is_empty() && f.actions.len() <= ACTION_RANGES;
        if let Some(t) = &f.target_id {
            Lead::Target(t)
        } else if let Some(a) = &f.actor_id
            && few_actions
        {
            Lead::ActorActions(a, &f.actions)
        } else if let Some(a) = &f.actor_id {
            Lead::Actor(a)
        } else if let Some(ip) = &f.ip {
            Lead::Ip(ip)
        } else if few_actions {
            Lead::Actions(&f.actions)
        } else if let Some(k) = f.actor_type {
            Lead::ActorType(k.as_str())
        } else {
            Lead::Time
        }
    }

    /// Whether `f` has filters this index does not answer by itself.
    fn leaves_checks(self, f: &AuditFilter) -> bool {
        let given = usize::from(f.target_id.is_some())
            + usize::from(f.actor_id.is_some())
            + usize::from(f.ip.is_some())
            + usize::from(!f.actions.is_empty())
            + usize::from(f.actor_type.is_some())
            + usize::from(f.text.is_some());
        let answered = match self {
            Lead::Time => 0,
            Lead::ActorActions(..) => 2,
            _ => 1,
        };
        given > answered
    }
}

/// What a budgeted search found: the ids of the page, newest first, and where to go on.
pub(crate) struct Found {
    pub(crate) ids: Vec<String>,
    pub(crate) after: Option<String>,
    pub(crate) searched_until: Option<Timestamp>,
}

impl Found {
    /// The first `take - 1` of `ids` (newest first), found without a budget stop; `after`
    /// the last of them when there were more.
    fn complete(mut ids: Vec<String>, take: i64) -> Self {
        ids.truncate(usize::try_from(take).unwrap_or(usize::MAX));
        let more = ids.len() as i64 == take;
        if more {
            ids.pop();
        }
        let after = if more { ids.last().cloned() } else { None };
        Self {
            ids,
            after,
            searched_until: None,
        }
    }
}

/// How a page is read.
pub(crate) enum Plan {
    /// The leading index answers the filter: this query (ending in its ORDER BY and LIMIT of
    /// `limit + 1`) reads the page's rows directly.
    Direct(Sql),
    /// Rows were checked beyond the index; these are the page's ids.
    Budgeted(Found),
}

impl<C: DerefMut<Target = AnyConnection> + Send> Db<C> {
    /// Plans the page `page` of `org`'s events matching `f`, selecting `cols` (of `e`) after
    /// `head` when it is read directly.
    pub(crate) async fn plan_events(
        &mut self,
        head: Sql,
        cols: &'static str,
        org: OrgId,
        f: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Plan> {
        let lead = Lead::of(f);
        let take = i64::from(page.limit) + 1;
        let window = Window {
            org,
            lead,
            f,
            after: page.after.as_deref(),
            limit: SCAN_BUDGET,
        };
        if !lead.leaves_checks(f) {
            let mut q = head;
            q.push(cols).push(" FROM (");
            let order = self.push_window_events(&mut q, &window.limit_to(take));
            q.push(" ORDER BY ").push(order).push(" DESC");
            return Ok(Plan::Direct(q));
        }
        let mut q = Sql::new("SELECT e.id FROM (");
        self.push_window_events(&mut q, &window);
        q.push(" WHERE 1 = 1");
        self.push_checks(&mut q, org, lead, f, true);
        q.push(" ORDER BY e.id DESC");
        self.dialect.push_limit(&mut q, take, 0);
        self.plan_each_time(&mut q);
        let mut ids = self.all(&q, |r| rows::s(r, "id")).await?;
        if ids.len() as i64 == take {
            return Ok(Plan::Budgeted(Found::complete(ids, take)));
        }
        // The page is not full: either the leading index has nothing more, or the budget ran out.
        let mut q = Sql::new("SELECT COUNT(*) AS n, MIN(w.id) AS lo FROM (");
        self.push_window(&mut q, &window, Cols::Keys);
        q.push(") w");
        self.plan_each_time(&mut q);
        let (read, lo) = self
            .one(&q, |r| Ok((rows::i(r, "n")?, rows::os(r, "lo")?)))
            .await?
            .unwrap_or((0, None));
        let Some(lo) = lo.filter(|_| read == SCAN_BUDGET) else {
            return Ok(Plan::Budgeted(Found::complete(ids, take)));
        };
        // Text found among the newest entries is not rare: the text index would read its
        // every match (a trigram phrase of common trigrams cost SQLite's FTS5 over a second at
        // 1,000,000 events), so it goes on with the budget.
        if lead == Lead::Time
            && ids.is_empty()
            && let Some(older) = self.rare_text_ids(org, f, &lo).await?
        {
            ids.extend(older);
            return Ok(Plan::Budgeted(Found::complete(ids, take)));
        }
        Ok(Plan::Budgeted(Found {
            ids,
            searched_until: EventId::time_of(&lo),
            after: Some(lo),
        }))
    }

    /// The ids (newest first) of every event of `org` older than `below` matching `f`, found
    /// through the text index, if there are at most [`TEXT_INDEX_CAP`] of them; `None` if
    /// there are more, or the index cannot find the text for a bounded cost.
    async fn rare_text_ids(&mut self, org: OrgId, f: &AuditFilter, below: &str) -> Result<Option<Vec<String>>> {
        let Some(text) = &f.text else { return Ok(None) };
        let needle = text.to_lowercase();
        let Some(fragments) = self.rare_fragments(&needle).await? else {
            return Ok(None);
        };
        let mut q = Sql::new("SELECT e.id FROM ");
        self.dialect.push_text_index(&mut q, org, &needle, &fragments);
        q.push(" AND e.id < ").bind(below.to_owned());
        push_time_bounds(&mut q, "e.id", f);
        self.push_checks(&mut q, org, Lead::Time, f, false);
        self.dialect.push_limit(&mut q, TEXT_INDEX_CAP + 1, 0);
        self.plan_each_time(&mut q);
        let found = match self.dialect.text_index_bound() {
            None => q.fetch_all(self.c()).await?,
            Some(bound) => match bounded(self.c(), bound, &q).await? {
                Some(found) => found,
                None => return Ok(None),
            },
        };
        let mut ids = found.iter().map(|r| rows::s(r, "id")).collect::<Result<Vec<_>>>()?;
        if ids.len() as i64 > TEXT_INDEX_CAP {
            return Ok(None);
        }
        ids.sort_unstable_by(|a, b| b.cmp(a));
        Ok(Some(ids))
    }

    /// Marks `q` to be planned with its values on each run where the engine needs it.
    fn plan_each_time(&self, q: &mut Sql) {
        if self.dialect.plans_audit_each_time() {
            q.plan_each_time();
        }
    }

    /// Pushes, after `FROM (`, window `w` and the events `e` it names (its own rows, or
    /// joined by key); answers the column to order them by.
    fn push_window_events(&self, q: &mut Sql, w: &Window<'_>) -> &'static str {
        if self.reads_rows(w.lead) {
            self.push_window(q, w, Cols::Rows);
            q.push(") e");
            "e.id"
        } else {
            self.push_window(q, w, Cols::Keys);
            q.push(") w JOIN audit_events e ON e.")
                .push(self.join_col(w.lead))
                .push(" = w.k");
            "w.id"
        }
    }

    /// Whether `lead`'s window reads the events' rows itself (see
    /// [`crate::Dialect::window_reads_rows`]): not a target's, which reads `audit_targets`, nor
    /// several actions', whose ranges are merged by a sort better done on keys than on rows.
    fn reads_rows(&self, lead: Lead<'_>) -> bool {
        self.dialect.window_reads_rows()
            && match lead {
                Lead::Target(_) => false,
                Lead::Actions(a) | Lead::ActorActions(_, a) => a.iter().all(|x| *x == a[0]),
                _ => true,
            }
    }

    /// The column of `audit_events` the window's key `k` names.
    fn join_col(&self, lead: Lead<'_>) -> &'static str {
        match lead {
            Lead::Target(_) => "id",
            _ => self.dialect.event_key(),
        }
    }

    /// Pushes a query of window `w`'s entries, newest first, as `cols`.
    fn push_window(&self, q: &mut Sql, w: &Window<'_>, cols: Cols) {
        let Window {
            org,
            lead,
            f,
            after,
            limit,
        } = *w;
        let cols = match cols {
            Cols::Keys => self.dialect.window_keys(),
            Cols::Rows => "*",
        };
        let range = |q: &mut Sql, col: &'static str| {
            if let Some(a) = after {
                q.push(" AND ").push(col).push(" < ").bind(a.to_owned());
            }
            push_time_bounds(q, col, f);
            q.push(" ORDER BY ").push(col).push(" DESC");
            self.dialect.push_limit(q, limit, 0);
        };
        let head = |q: &mut Sql| {
            q.push("SELECT ")
                .push(cols)
                .push(" FROM audit_events WHERE org_id = ")
                .bind(org.to_string());
        };
        match lead {
            Lead::Target(t) => {
                q.push("SELECT event_id AS id, event_id AS k FROM audit_targets WHERE org_id = ")
                    .bind(org.to_string())
                    .push(" AND target_id = ")
                    .bind(t.to_owned());
                range(q, "event_id");
            }
            Lead::Actions(actions) | Lead::ActorActions(_, actions) => {
                let mut distinct: Vec<&String> = actions.iter().collect();
                distinct.sort();
                distinct.dedup();
                for (n, a) in distinct.into_iter().enumerate() {
                    q.push(if n == 0 {
                        "SELECT * FROM ("
                    } else {
                        " UNION ALL SELECT * FROM ("
                    });
                    head(q);
                    if let Lead::ActorActions(actor, _) = lead {
                        q.push(" AND actor_id = ").bind(actor.to_owned());
                    }
                    q.push(" AND action = ").bind(a.clone());
                    range(q, "id");
                    q.push(")").push(RANGE_ALIASES[n]);
                }
                q.push(" ORDER BY id DESC");
                self.dialect.push_limit(q, limit, 0);
            }
            Lead::Actor(v) | Lead::Ip(v) | Lead::ActorType(v) => {
                head(q);
                q.push(match lead {
                    Lead::Actor(_) => " AND actor_id = ",
                    Lead::Ip(_) => " AND ip = ",
                    _ => " AND actor_type = ",
                })
                .bind(v.to_owned());
                range(q, "id");
            }
            Lead::Time => {
                head(q);
                range(q, "id");
            }
        }
    }

    /// Pushes the filters `lead`'s index does not answer, as conditions on `e`; free text as
    /// a plain substring test when `text` is set (the text index serves it otherwise).
    fn push_checks(&self, q: &mut Sql, org: OrgId, lead: Lead<'_>, f: &AuditFilter, text: bool) {
        if let Some(t) = &f.target_id
            && !matches!(lead, Lead::Target(_))
        {
            q.push(" AND EXISTS (SELECT 1 FROM audit_targets t WHERE t.org_id = ")
                .bind(org.to_string())
                .push(" AND t.target_id = ")
                .bind(t.clone())
                .push(" AND t.event_id = e.id)");
        }
        if let Some(a) = &f.actor_id
            && !matches!(lead, Lead::Actor(_) | Lead::ActorActions(..))
        {
            q.push(" AND e.actor_id = ").bind(a.clone());
        }
        if let Some(ip) = &f.ip
            && !matches!(lead, Lead::Ip(_))
        {
            q.push(" AND e.ip = ").bind(ip.clone());
        }
        if !f.actions.is_empty() && !matches!(lead, Lead::Actions(_) | Lead::ActorActions(..)) {
            q.push(" AND e.action IN (");
            for (n, a) in f.actions.iter().enumerate() {
                q.push(if n == 0 { "" } else { ", " }).bind(a.clone());
            }
            q.push(")");
        }
        if let Some(k) = f.actor_type
            && !matches!(lead, Lead::ActorType(_))
        {
            q.push(" AND e.actor_type = ").bind(k.as_str());
        }
        if let Some(t) = &f.text
            && text
        {
            self.dialect.push_text_scan(q, &t.to_lowercase());
        }
    }
}

/// Runs `q` in a transaction of its own (a savepoint inside one) begun with `bound`, which
/// limits its time; `None` if the server cancelled it. The transaction is rolled back, which
/// ends the limit with it.
async fn bounded(conn: &mut AnyConnection, bound: &'static str, q: &Sql) -> Result<Option<Vec<sqlx::any::AnyRow>>> {
    use sqlx::Connection;
    let mut tx = conn.begin().await.map_err(crate::error::db_err)?;
    Sql::new(bound).execute(&mut tx).await?;
    let rows = q.fetch_all_or_cancelled(&mut tx).await?;
    tx.rollback().await.map_err(crate::error::db_err)?;
    Ok(rows)
}

/// Pushes the filter's time range as a range of the event-id column `col`.
fn push_time_bounds(q: &mut Sql, col: &'static str, f: &AuditFilter) {
    if let Some(since) = f.since {
        q.push(" AND ").push(col).push(" >= ").bind(EventId::lower_bound(since));
    }
    if let Some(until) = f.until {
        q.push(" AND ")
            .push(col)
            .push(" < ")
            .bind(EventId::lower_bound(until.plus_millis(1)));
    }
}

#[cfg(test)]
#[path = "audit_query_tests.rs"]
mod tests;
