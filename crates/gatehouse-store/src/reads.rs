//! Queries, written once for both engines. Every query about an organization's data has
//! `org_id = $1` in it: another organization's rows are never found.

use crate::sql::Sql;
use crate::{Db, rows};
use gatehouse_core::audit::{AuditEvent, AuditFilter, EventRecord};
use gatehouse_core::ids::{AccessId, AccountId, ApiKeyId, EventId, GroupId, InstanceId, OrgId};
use gatehouse_core::model::{
    Access, AccessFilter, Account, AccountFilter, ApiKey, EffectiveAccess, Group, GroupMember, Instance, Org,
    OrgAccount, OrgAdminRole, OrgCounts, Principal, Session,
};
use gatehouse_core::page::{Page, PageRequest};
use gatehouse_core::ports::Reads;
use gatehouse_core::product::Product;
use gatehouse_core::{Result, Timestamp};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use std::ops::DerefMut;

macro_rules! account_cols {
    () => {
        "a.id, a.email, a.display_name, a.status, a.created_at, a.last_active_at, a.delete_after"
    };
}
/// 1 when the account `oa` has product access in its org, directly or through a group.
macro_rules! has_access {
    () => {
        "CAST(CASE WHEN EXISTS (SELECT 1 FROM product_access pa WHERE pa.org_id = oa.org_id AND pa.account_id = oa.account_id) \
         OR EXISTS (SELECT 1 FROM group_members gm JOIN product_access pa ON pa.group_id = gm.group_id \
         WHERE gm.org_id = oa.org_id AND gm.account_id = oa.account_id) THEN 1 ELSE 0 END AS BIGINT)"
    };
}
macro_rules! org_account_select {
    () => {
        concat!(
            "SELECT ",
            account_cols!(),
            ", oa.is_managed, oa.added_at, ",
            has_access!(),
            " AS has_access FROM org_accounts oa JOIN accounts a ON a.id = oa.account_id WHERE oa.org_id = "
        )
    };
}
macro_rules! group_select {
    () => {
        "SELECT g.id, g.org_id, g.name, g.description, g.created_at, g.directory_id, \
         (SELECT COUNT(*) FROM group_members gm WHERE gm.group_id = g.id) AS member_count \
         FROM org_groups g WHERE g.org_id = "
    };
}
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
    pub(crate) fn c(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }

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
        let bound = bound_q
            .fetch_all(self.c())
            .await?
            .first()
            .map(|r| rows::s(r, "id"))
            .transpose()?;
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

    async fn one<T>(&mut self, q: &Sql, map: fn(&AnyRow) -> Result<T>) -> Result<Option<T>> {
        q.fetch_all(self.c()).await?.first().map(map).transpose()
    }

    async fn all<T>(&mut self, q: &Sql, map: fn(&AnyRow) -> Result<T>) -> Result<Vec<T>> {
        q.fetch_all(self.c()).await?.iter().map(map).collect()
    }

    /// Runs a keyset page: `q` must end in a WHERE clause; `key` is the ordering column.
    async fn page<T>(
        &mut self,
        mut q: Sql,
        key: &'static str,
        desc: bool,
        page: &PageRequest,
        map: fn(&AnyRow) -> Result<T>,
        id_of: fn(&T) -> String,
    ) -> Result<Page<T>> {
        if let Some(after) = &page.after {
            q.push(" AND ")
                .push(key)
                .push(if desc { " < " } else { " > " })
                .bind(after.clone());
        }
        q.push(" ORDER BY ").push(key).push(if desc { " DESC" } else { " ASC" });
        q.push(" LIMIT ").bind(i64::from(page.limit) + 1);
        let rows = self.all(&q, map).await?;
        Ok(Page::from_overfetch(rows, page.limit, id_of))
    }
}

fn sql_with(fragment: &'static str, v: impl Into<crate::sql::Arg>) -> Sql {
    let mut q = Sql::new(fragment);
    q.bind(v);
    q
}

impl<C: DerefMut<Target = AnyConnection> + Send> Reads for Db<C> {
    async fn find_org(&mut self, id: OrgId) -> Result<Option<Org>> {
        self.one(
            &sql_with(
                "SELECT id, name, plan, created_at FROM orgs WHERE id = ",
                id.to_string(),
            ),
            rows::org,
        )
        .await
    }

    async fn org_counts(&mut self, org: OrgId) -> Result<OrgCounts> {
        let mut q = Sql::new("SELECT (SELECT COUNT(*) FROM org_accounts WHERE org_id = ");
        q.bind(org.to_string())
            .push(") AS accounts, (SELECT COUNT(*) FROM instances WHERE org_id = ");
        q.bind(org.to_string())
            .push(") AS instances, (SELECT COUNT(*) FROM org_groups WHERE org_id = ");
        q.bind(org.to_string()).push(") AS groups_count, (SELECT COUNT(*) FROM org_accounts oa JOIN accounts a ON a.id = oa.account_id WHERE oa.org_id = ");
        q.bind(org.to_string()).push(concat!(
            " AND a.status = 'active' AND ",
            has_access!(),
            " = 1) AS billable"
        ));
        let rows = q.fetch_all(self.c()).await?;
        let r = rows
            .first()
            .ok_or_else(|| gatehouse_core::CoreError::internal("count returned no row"))?;
        Ok(OrgCounts {
            accounts: rows::i(r, "accounts")?,
            instances: rows::i(r, "instances")?,
            groups: rows::i(r, "groups_count")?,
            billable_accounts: rows::i(r, "billable")?,
        })
    }

    async fn find_api_key_by_digest(&mut self, digest: &str) -> Result<Option<ApiKey>> {
        self.one(
            &sql_with("SELECT * FROM api_keys WHERE digest = ", digest),
            rows::api_key,
        )
        .await
    }

    async fn find_api_key(&mut self, org: OrgId, id: ApiKeyId) -> Result<Option<ApiKey>> {
        let mut q = sql_with("SELECT * FROM api_keys WHERE org_id = ", org.to_string());
        q.push(" AND id = ").bind(id.to_string());
        self.one(&q, rows::api_key).await
    }

    async fn list_api_keys(&mut self, org: OrgId, page: &PageRequest) -> Result<Page<ApiKey>> {
        let q = sql_with("SELECT * FROM api_keys WHERE org_id = ", org.to_string());
        self.page(q, "id", false, page, rows::api_key, |k| k.id.to_string())
            .await
    }

    async fn find_account_by_email(&mut self, email: &str) -> Result<Option<Account>> {
        let q = sql_with(
            concat!("SELECT ", account_cols!(), " FROM accounts a WHERE a.email = "),
            email,
        );
        self.one(&q, rows::account).await
    }

    async fn list_user_api_tokens(&mut self, account: AccountId) -> Result<Vec<gatehouse_core::model::UserApiToken>> {
        let mut q = sql_with("SELECT * FROM user_api_tokens WHERE account_id = ", account.to_string());
        q.push(" ORDER BY id DESC LIMIT 1000");
        self.all(&q, rows::user_api_token).await
    }

    async fn find_org_account(&mut self, org: OrgId, id: AccountId) -> Result<Option<OrgAccount>> {
        let mut q = sql_with(org_account_select!(), org.to_string());
        q.push(" AND a.id = ").bind(id.to_string());
        self.one(&q, rows::org_account).await
    }

    async fn list_org_accounts(
        &mut self,
        org: OrgId,
        f: &AccountFilter,
        page: &PageRequest,
    ) -> Result<Page<OrgAccount>> {
        let o = org.to_string();
        let mut q = sql_with(org_account_select!(), o.clone());
        if let Some(e) = &f.email {
            q.push(" AND a.email LIKE ").bind_contains(&e.to_lowercase());
        }
        if let Some(n) = &f.name {
            q.push(" AND a.display_name_folded LIKE ")
                .bind_contains(&n.to_lowercase());
        }
        if let Some(s) = f.status {
            q.push(" AND a.status = ").bind(s.as_str());
        }
        if let Some(m) = f.managed {
            q.push(" AND oa.is_managed = ").bind(i64::from(m));
        }
        if let Some(d) = &f.email_domain {
            q.push(" AND a.email_domain = ").bind(d.to_lowercase());
        }
        if let Some(t) = f.inactive_since {
            q.push(" AND (a.last_active_at IS NULL OR a.last_active_at < ")
                .bind(t.millis())
                .push(")");
        }
        if f.product.is_some() || f.instance.is_some() {
            // Direct grants, and grants to groups the account is in.
            q.push(" AND a.id IN (SELECT pa.account_id FROM product_access pa JOIN instances i ON i.id = pa.instance_id WHERE pa.org_id = ");
            q.bind(o.clone());
            push_instance_filter(&mut q, f);
            q.push(" UNION SELECT gm.account_id FROM group_members gm JOIN product_access pa ON pa.group_id = gm.group_id JOIN instances i ON i.id = pa.instance_id WHERE pa.org_id = ");
            q.bind(o);
            push_instance_filter(&mut q, f);
            q.push(")");
        }
        self.page(q, "a.id", false, page, rows::org_account, |a| a.account.id.to_string())
            .await
    }

    async fn list_account_groups(&mut self, org: OrgId, id: AccountId) -> Result<Vec<Group>> {
        let mut q = sql_with(group_select!(), org.to_string());
        q.push(" AND g.id IN (SELECT group_id FROM group_members WHERE org_id = ")
            .bind(org.to_string());
        q.push(" AND account_id = ")
            .bind(id.to_string())
            .push(") ORDER BY g.name_folded");
        self.all(&q, rows::group).await
    }

    async fn list_account_access(&mut self, org: OrgId, id: AccountId) -> Result<Vec<EffectiveAccess>> {
        let mut q = Sql::new(
            "SELECT pa.id, pa.org_id, pa.instance_id, pa.account_id, pa.group_id, pa.role, pa.created_at, i.product, i.name AS instance_name, pa.group_id AS via_group FROM product_access pa JOIN instances i ON i.id = pa.instance_id JOIN group_members gm ON gm.group_id = pa.group_id WHERE pa.org_id = ",
        );
        q.bind(org.to_string())
            .push(" AND gm.account_id = ")
            .bind(id.to_string());
        q.push(" UNION ALL SELECT pa.id, pa.org_id, pa.instance_id, pa.account_id, pa.group_id, pa.role, pa.created_at, i.product, i.name AS instance_name, NULL AS via_group FROM product_access pa JOIN instances i ON i.id = pa.instance_id WHERE pa.org_id = ");
        q.bind(org.to_string())
            .push(" AND pa.account_id = ")
            .bind(id.to_string());
        // Sorted here: SQLite does not resolve qualified columns in a compound ORDER BY.
        let mut all = self.all(&q, rows::effective_access).await?;
        all.sort_by(|a, b| (&a.instance_name, a.access.id).cmp(&(&b.instance_name, b.access.id)));
        Ok(all)
    }

    async fn find_instance(&mut self, org: OrgId, id: InstanceId) -> Result<Option<Instance>> {
        let mut q = sql_with("SELECT * FROM instances WHERE org_id = ", org.to_string());
        q.push(" AND id = ").bind(id.to_string());
        self.one(&q, rows::instance).await
    }

    async fn list_instances(
        &mut self,
        org: OrgId,
        product: Option<Product>,
        page: &PageRequest,
    ) -> Result<Page<Instance>> {
        let mut q = sql_with("SELECT * FROM instances WHERE org_id = ", org.to_string());
        if let Some(p) = product {
            q.push(" AND product = ").bind(p.as_str());
        }
        self.page(q, "id", false, page, rows::instance, |i| i.id.to_string())
            .await
    }

    async fn find_group(&mut self, org: OrgId, id: GroupId) -> Result<Option<Group>> {
        let mut q = sql_with(group_select!(), org.to_string());
        q.push(" AND g.id = ").bind(id.to_string());
        self.one(&q, rows::group).await
    }

    async fn list_groups(&mut self, org: OrgId, name: Option<&str>, page: &PageRequest) -> Result<Page<Group>> {
        let mut q = sql_with(group_select!(), org.to_string());
        if let Some(n) = name {
            q.push(" AND g.name_folded LIKE ").bind_contains(&n.to_lowercase());
        }
        self.page(q, "g.id", false, page, rows::group, |g| g.id.to_string())
            .await
    }

    async fn list_group_members(
        &mut self,
        org: OrgId,
        group: GroupId,
        page: &PageRequest,
    ) -> Result<Page<GroupMember>> {
        let mut q = Sql::new(
            "SELECT a.id, a.email, a.display_name, gm.added_at FROM group_members gm JOIN accounts a ON a.id = gm.account_id WHERE gm.org_id = ",
        );
        q.bind(org.to_string())
            .push(" AND gm.group_id = ")
            .bind(group.to_string());
        self.page(q, "a.id", false, page, rows::member, |m| m.account_id.to_string())
            .await
    }

    async fn find_access(&mut self, org: OrgId, id: AccessId) -> Result<Option<Access>> {
        let mut q = Sql::new("SELECT * FROM product_access pa WHERE pa.org_id = ");
        q.bind(org.to_string()).push(" AND pa.id = ").bind(id.to_string());
        self.one(&q, rows::access).await
    }

    async fn list_access(&mut self, org: OrgId, f: &AccessFilter, page: &PageRequest) -> Result<Page<Access>> {
        let mut q = Sql::new("SELECT * FROM product_access pa WHERE pa.org_id = ");
        q.bind(org.to_string());
        if let Some(i) = f.instance {
            q.push(" AND pa.instance_id = ").bind(i.to_string());
        }
        match f.principal {
            Some(Principal::Account(a)) => {
                q.push(" AND pa.account_id = ").bind(a.to_string());
            }
            Some(Principal::Group(g)) => {
                q.push(" AND pa.group_id = ").bind(g.to_string());
            }
            None => {}
        }
        self.page(q, "pa.id", false, page, rows::access, |a| a.id.to_string())
            .await
    }

    async fn list_org_admins(&mut self, org: OrgId) -> Result<Vec<OrgAdminRole>> {
        let q = sql_with(
            "SELECT a.id, a.email, a.display_name, r.granted_at FROM org_admins r JOIN accounts a ON a.id = r.account_id WHERE r.org_id = ",
            org.to_string(),
        );
        let mut q = q;
        q.push(" ORDER BY a.email");
        self.all(&q, rows::admin).await
    }

    async fn is_org_admin(&mut self, org: OrgId, account: AccountId) -> Result<bool> {
        let mut q = sql_with("SELECT 1 AS x FROM org_admins WHERE org_id = ", org.to_string());
        q.push(" AND account_id = ").bind(account.to_string());
        Ok(!q.fetch_all(self.c()).await?.is_empty())
    }

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
        let rows = q.fetch_all(self.c()).await?;
        let packed = rows.first().map(|r| rows::os(r, "page")).transpose()?.flatten();
        let events = match packed {
            Some(json) => rows::packed_event_records(&json)?,
            None => Vec::new(),
        };
        Ok(Page::from_overfetch(events, page.limit, |e| e.id.clone()))
    }

    async fn count_events(&mut self, org: OrgId) -> Result<i64> {
        let rows = sql_with(
            "SELECT COUNT(*) AS n FROM audit_events WHERE org_id = ",
            org.to_string(),
        )
        .fetch_all(self.c())
        .await?;
        rows.first().map_or(Ok(0), |r| rows::i(r, "n"))
    }

    async fn find_domain(
        &mut self,
        org: OrgId,
        id: gatehouse_core::ids::DomainId,
    ) -> Result<Option<gatehouse_core::domain::Domain>> {
        let mut q = sql_with("SELECT * FROM domains WHERE org_id = ", org.to_string());
        q.push(" AND id = ").bind(id.to_string());
        self.one(&q, rows::domain).await
    }

    async fn list_domains(&mut self, org: OrgId) -> Result<Vec<gatehouse_core::domain::Domain>> {
        let mut q = sql_with("SELECT * FROM domains WHERE org_id = ", org.to_string());
        q.push(" ORDER BY name");
        self.all(&q, rows::domain).await
    }

    async fn list_domain_checks(
        &mut self,
        domain: gatehouse_core::ids::DomainId,
        limit: u32,
    ) -> Result<Vec<gatehouse_core::domain::DomainCheck>> {
        let mut q = sql_with("SELECT * FROM domain_checks WHERE domain_id = ", domain.to_string());
        q.push(" ORDER BY id DESC LIMIT ").bind(i64::from(limit));
        self.all(&q, rows::domain_check).await
    }

    async fn find_verified_domain(&mut self, name: &str) -> Result<Option<gatehouse_core::domain::Domain>> {
        let mut q = sql_with("SELECT * FROM domains WHERE name = ", name);
        q.push(" AND status = 'verified'");
        self.one(&q, rows::domain).await
    }

    async fn list_due_domains(
        &mut self,
        pending_before: Timestamp,
        verified_before: Timestamp,
        limit: u32,
    ) -> Result<Vec<gatehouse_core::domain::Domain>> {
        let mut q = Sql::new(
            "SELECT * FROM domains WHERE (status = 'pending' AND (last_checked_at IS NULL OR last_checked_at < ",
        );
        q.bind(pending_before.millis())
            .push(")) OR (status = 'verified' AND (last_checked_at IS NULL OR last_checked_at < ");
        q.bind(verified_before.millis())
            .push(" OR failing_since IS NOT NULL)) ORDER BY last_checked_at LIMIT ")
            .bind(i64::from(limit));
        self.all(&q, rows::domain).await
    }

    async fn list_claimable_accounts(
        &mut self,
        org: OrgId,
        email_domain: &str,
        only: Option<&[AccountId]>,
    ) -> Result<Vec<AccountId>> {
        let mut q =
            Sql::new("SELECT a.id FROM accounts a LEFT JOIN org_accounts oa ON oa.account_id = a.id AND oa.org_id = ");
        q.bind(org.to_string())
            .push(" WHERE a.email_domain = ")
            .bind(email_domain);
        q.push(" AND COALESCE(oa.is_managed, 0) = 0");
        if let Some(ids) = only {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            q.push(" AND a.id IN (");
            for (n, id) in ids.iter().enumerate() {
                if n > 0 {
                    q.push(", ");
                }
                q.bind(id.to_string());
            }
            q.push(")");
        }
        q.push(" ORDER BY a.id");
        let rows = q.fetch_all(self.c()).await?;
        rows.iter()
            .map(|r| AccountId::parse(&rows::s(r, "id")?).map_err(gatehouse_core::CoreError::internal))
            .collect()
    }

    async fn list_accounts_due_for_deletion(&mut self, now: Timestamp, limit: u32) -> Result<Vec<(OrgId, Account)>> {
        let mut q = Sql::new(concat!(
            "SELECT ",
            account_cols!(),
            ", oa.org_id FROM accounts a JOIN org_accounts oa ON oa.account_id = a.id AND oa.is_managed = 1 \
             WHERE a.delete_after IS NOT NULL AND a.delete_after <= "
        ));
        q.bind(now.millis())
            .push(" ORDER BY a.delete_after LIMIT ")
            .bind(i64::from(limit));
        self.all(&q, |r| {
            Ok((
                OrgId::parse(&rows::s(r, "org_id")?).map_err(gatehouse_core::CoreError::internal)?,
                rows::account(r)?,
            ))
        })
        .await
    }

    async fn find_directory(
        &mut self,
        org: OrgId,
        id: gatehouse_core::ids::DirectoryId,
    ) -> Result<Option<gatehouse_core::directory::Directory>> {
        let mut q = sql_with("SELECT * FROM directories WHERE org_id = ", org.to_string());
        q.push(" AND id = ").bind(id.to_string());
        self.one(&q, crate::scim::directory).await
    }

    async fn list_directories(&mut self, org: OrgId) -> Result<Vec<gatehouse_core::directory::Directory>> {
        let mut q = sql_with("SELECT * FROM directories WHERE org_id = ", org.to_string());
        q.push(" ORDER BY id");
        self.all(&q, crate::scim::directory).await
    }

    async fn list_directory_tokens(
        &mut self,
        directory: gatehouse_core::ids::DirectoryId,
    ) -> Result<Vec<gatehouse_core::directory::DirectoryToken>> {
        let mut q = sql_with(
            "SELECT * FROM directory_tokens WHERE directory_id = ",
            directory.to_string(),
        );
        q.push(" ORDER BY id");
        self.all(&q, |r| crate::scim::token(r, "")).await
    }

    async fn find_directory_token(
        &mut self,
        digest: &str,
    ) -> Result<
        Option<(
            gatehouse_core::directory::Directory,
            gatehouse_core::directory::DirectoryToken,
        )>,
    > {
        let q = sql_with(
            "SELECT d.*, t.id AS t_id, t.directory_id AS t_directory_id, t.prefix AS t_prefix, t.created_at AS t_created_at, \
             t.expires_at AS t_expires_at, t.revoked_at AS t_revoked_at \
             FROM directory_tokens t JOIN directories d ON d.id = t.directory_id WHERE t.digest = ",
            digest,
        );
        self.one(&q, |r| Ok((crate::scim::directory(r)?, crate::scim::token(r, "t_")?)))
            .await
    }

    async fn find_scim_user(
        &mut self,
        directory: gatehouse_core::ids::DirectoryId,
        id: &str,
    ) -> Result<Option<gatehouse_core::directory::ScimUser>> {
        let mut q = sql_with("SELECT * FROM scim_users WHERE directory_id = ", directory.to_string());
        q.push(" AND id = ").bind(id);
        self.one(&q, crate::scim::user).await
    }

    async fn list_scim_users(
        &mut self,
        directory: gatehouse_core::ids::DirectoryId,
        predicate: &gatehouse_core::directory::UserPredicate,
        start: i64,
        count: i64,
        order: (gatehouse_core::directory::UserSort, bool),
    ) -> Result<(i64, Vec<gatehouse_core::directory::ScimUser>)> {
        self.scim_users_page(directory, predicate, start, count, (&order.0, order.1))
            .await
    }

    async fn find_scim_group(
        &mut self,
        directory: gatehouse_core::ids::DirectoryId,
        id: &str,
    ) -> Result<Option<gatehouse_core::directory::ScimGroup>> {
        let mut q = sql_with("SELECT * FROM scim_groups WHERE directory_id = ", directory.to_string());
        q.push(" AND id = ").bind(id);
        self.one(&q, crate::scim::group).await
    }

    async fn list_scim_groups(
        &mut self,
        directory: gatehouse_core::ids::DirectoryId,
        predicate: &gatehouse_core::directory::GroupPredicate,
        start: i64,
        count: i64,
        order: (gatehouse_core::directory::GroupSort, bool),
    ) -> Result<(i64, Vec<gatehouse_core::directory::ScimGroup>)> {
        self.scim_groups_page(directory, predicate, start, count, order).await
    }

    async fn list_scim_group_members(
        &mut self,
        directory: gatehouse_core::ids::DirectoryId,
        group: GroupId,
    ) -> Result<Vec<(String, String)>> {
        let mut q = Sql::new(
            "SELECT su.id, a.display_name FROM group_members gm JOIN scim_users su ON su.account_id = gm.account_id AND su.directory_id = ",
        );
        q.bind(directory.to_string())
            .push(" JOIN accounts a ON a.id = gm.account_id WHERE gm.group_id = ")
            .bind(group.to_string());
        q.push(" ORDER BY su.id");
        self.all(&q, |r| Ok((rows::s(r, "id")?, rows::s(r, "display_name")?)))
            .await
    }

    async fn find_scim_user_accounts(
        &mut self,
        directory: gatehouse_core::ids::DirectoryId,
        ids: &[String],
    ) -> Result<Vec<(String, AccountId)>> {
        self.scim_user_accounts(directory, ids).await
    }

    async fn count_directory_deactivations(
        &mut self,
        org: OrgId,
        directory: gatehouse_core::ids::DirectoryId,
        since: Timestamp,
    ) -> Result<i64> {
        let mut q = sql_with(
            "SELECT COUNT(*) AS n FROM audit_events WHERE org_id = ",
            org.to_string(),
        );
        q.push(" AND actor_id = ").bind(directory.to_string());
        q.push(" AND id >= ").bind(EventId::lower_bound(since));
        q.push(" AND action IN ('scim.user_deactivated', 'scim.user_deleted')");
        let rows = q.fetch_all(self.c()).await?;
        rows.first().map_or(Ok(0), |r| rows::i(r, "n"))
    }

    async fn list_held_operations(
        &mut self,
        directory: gatehouse_core::ids::DirectoryId,
    ) -> Result<Vec<gatehouse_core::directory::HeldOperation>> {
        let mut q = sql_with(
            "SELECT * FROM scim_held_operations WHERE directory_id = ",
            directory.to_string(),
        );
        q.push(" ORDER BY created_at, id");
        self.all(&q, crate::scim::held).await
    }

    async fn find_account_manager(&mut self, account: AccountId) -> Result<Option<OrgId>> {
        let mut q = sql_with(
            "SELECT org_id FROM org_accounts WHERE account_id = ",
            account.to_string(),
        );
        q.push(" AND is_managed = 1");
        let rows = q.fetch_all(self.c()).await?;
        rows.first()
            .map(|r| OrgId::parse(&rows::s(r, "org_id")?).map_err(gatehouse_core::CoreError::internal))
            .transpose()
    }

    async fn find_credentials(&mut self, email: &str) -> Result<Option<(Account, Option<String>)>> {
        let q = sql_with(
            concat!(
                "SELECT ",
                account_cols!(),
                ", a.password_hash FROM accounts a WHERE a.email = "
            ),
            email,
        );
        let rows = q.fetch_all(self.c()).await?;
        match rows.first() {
            Some(r) => Ok(Some((rows::account(r)?, rows::opt_s(r, "password_hash")?))),
            None => Ok(None),
        }
    }

    async fn find_account(&mut self, id: AccountId) -> Result<Option<Account>> {
        let q = sql_with(
            concat!("SELECT ", account_cols!(), " FROM accounts a WHERE a.id = "),
            id.to_string(),
        );
        self.one(&q, rows::account).await
    }

    async fn list_admin_orgs(&mut self, account: AccountId) -> Result<Vec<Org>> {
        let mut q = sql_with(
            "SELECT o.id, o.name, o.plan, o.created_at FROM org_admins r JOIN orgs o ON o.id = r.org_id WHERE r.account_id = ",
            account.to_string(),
        );
        q.push(" ORDER BY o.name, o.id");
        self.all(&q, rows::org).await
    }

    async fn find_session(&mut self, digest: &str) -> Result<Option<Session>> {
        self.one(
            &sql_with("SELECT * FROM sessions WHERE digest = ", digest),
            rows::session,
        )
        .await
    }

    async fn throttle_locked_until(&mut self, keys: &[String]) -> Result<i64> {
        let mut q = Sql::new("SELECT COALESCE(MAX(locked_until), 0) AS until FROM sign_in_throttle WHERE key IN (");
        for (n, k) in keys.iter().enumerate() {
            if n > 0 {
                q.push(", ");
            }
            q.bind(k.clone());
        }
        q.push(")");
        let rows = q.fetch_all(self.c()).await?;
        rows.first().map_or(Ok(0), |r| rows::i(r, "until"))
    }
}

fn push_instance_filter(q: &mut Sql, f: &AccountFilter) {
    if let Some(p) = f.product {
        q.push(" AND i.product = ").bind(p.as_str());
    }
    if let Some(i) = f.instance {
        q.push(" AND i.id = ").bind(i.to_string());
    }
}
