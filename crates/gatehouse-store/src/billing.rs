//! Each account's billing facts, kept current as the organization changes, and their tallies.
//!
//! `org_accounts.billing_facts` holds the facts core's classifier reads, as bits (see migration
//! 0022); `billing_tallies` counts an organization's accounts per set of facts, so the bill of
//! an organization of a million accounts reads a handful of rows. Every store write that can
//! change an account's facts marks the accounts it touches (`billing_dirty = 1`) and, before it
//! returns, recomputes the marked accounts of that organization and moves them between tallies
//! ([`Db::billing_refresh`]). A new `org_accounts` row starts marked, so a refresh of its
//! organization counts it whatever wrote it.
//!
//! Concurrency: a mark first locks the organization row (PostgreSQL `FOR UPDATE`; SQLite has one
//! writer), so the marks and recomputations of two transactions in one organization never
//! interleave: the later one reads what the earlier committed. Without it, a grant to a group
//! and a new member of that group, committed at once, could each miss the other.

use crate::db::{Db, sql_with};
use crate::dialect::Dialect;
use crate::rows;
use crate::sql::Sql;
use gatehouse_core::Result;
use gatehouse_core::billing::FactsCount;
use gatehouse_core::ids::{AccessId, AccountId, GroupId, InstanceId, OrgId, PolicyId};
use gatehouse_core::model::OrgAccount;
use gatehouse_core::page::{Page, PageRequest};
use gatehouse_core::ports::BillingReads;
use sqlx::AnyConnection;
use std::collections::BTreeMap;
use std::ops::DerefMut;

/// The accounts of one organization that a change touches.
pub(crate) enum Touched<'a> {
    Account(AccountId),
    Accounts(&'a [AccountId]),
    /// The group's members.
    Group(GroupId),
    /// Everyone with access to the instance, directly or through a group.
    Instance(InstanceId),
    /// Whoever the grant reaches (its account, or its group's members).
    Grant(AccessId),
    /// The policy's members (the accounts without a policy too, if it is the default).
    Policy(PolicyId),
}

/// Accounts per statement when a list is marked.
const MARK_CHUNK: usize = 500;

/// Accounts recomputed at once from which the table's statistics are renewed.
const MASS_CHANGE: u64 = 10_000;

/// The most accounts a change recomputes by key; a change that reaches more marks them.
const LISTED_MAX: usize = 500;

/// What [`Db::billing_mark`] found: the accounts themselves, or marks in the table.
pub(crate) enum Marked {
    Listed(Vec<String>),
    Flagged,
}

const TALLY_UPSERT: &str =
    " ON CONFLICT (org_id, facts) DO UPDATE SET accounts = billing_tallies.accounts + excluded.accounts";

/// Pushes a query of the `account_id`s that `touched` reaches in `org`. `Account` and
/// `Accounts` name them, and [`Db::billing_mark`] turns a `Grant` into its account or group
/// first: for those nothing is pushed.
fn push_reach(q: &mut Sql, org: OrgId, touched: &Touched<'_>) {
    match touched {
        Touched::Group(g) => {
            q.push("SELECT account_id FROM group_members WHERE org_id = ")
                .bind(org.to_string())
                .push(" AND group_id = ")
                .bind(g.to_string());
        }
        // Its direct grants' accounts and its granted groups' members.
        Touched::Instance(i) => {
            q.push("SELECT account_id FROM product_access WHERE instance_id = ")
                .bind(i.to_string())
                .push(
                    " AND account_id IS NOT NULL UNION SELECT gm.account_id FROM group_members gm \
                     JOIN product_access pa ON pa.group_id = gm.group_id WHERE pa.instance_id = ",
                )
                .bind(i.to_string());
        }
        Touched::Policy(p) => {
            q.push("SELECT account_id FROM org_accounts WHERE org_id = ")
                .bind(org.to_string())
                .push(" AND (policy_id = ")
                .bind(p.to_string())
                .push(" OR (policy_id IS NULL AND EXISTS (SELECT 1 FROM auth_policies WHERE id = ")
                .bind(p.to_string())
                .push(" AND is_default = 1)))");
        }
        Touched::Account(_) | Touched::Accounts(_) | Touched::Grant(_) => {}
    }
}

/// The accounts a change recomputes by key ([`Marked::Listed`]).
struct Listed {
    dialect: Dialect,
    org: OrgId,
    /// The one account, named as itself: PostgreSQL takes a JSON list for a hundred rows, and
    /// for a hundred it hashed every grant and membership of the organization instead of
    /// looking up the account's own (3.5 ms at 1,000 accounts).
    one: Option<String>,
    /// The accounts as a JSON array.
    list: String,
}

impl Listed {
    fn new(dialect: Dialect, org: OrgId, ids: Vec<String>) -> Result<Self> {
        let list = serde_json::to_string(&ids).map_err(gatehouse_core::CoreError::internal)?;
        let one = match <[String; 1]>::try_from(ids) {
            Ok([id]) => Some(id),
            Err(_) => None,
        };
        Ok(Self {
            dialect,
            org,
            one,
            list,
        })
    }

    /// Pushes a query of the accounts, as column `v`.
    fn push_accounts(&self, q: &mut Sql) {
        if let Some(id) = &self.one {
            q.push("SELECT ").bind(id.clone()).push(" AS v");
        } else {
            self.dialect.push_text_list(q, self.list.clone());
        }
    }

    /// Pushes the condition naming the accounts' `org_accounts` rows.
    fn push_where(&self, q: &mut Sql) {
        q.push(" WHERE org_id = ").bind(self.org.to_string());
        if let Some(id) = &self.one {
            q.push(" AND account_id = ").bind(id.clone());
        } else {
            q.push(" AND account_id IN (");
            self.push_accounts(q);
            q.push(")");
        }
    }

    /// The statement that takes the accounts out of their tallies (`sign` "-") or puts them
    /// in ("").  The list drives (CROSS JOIN keeps SQLite's join order): each account is one
    /// lookup by key. Left to choose, SQLite read the organization's counted accounts in (org,
    /// facts) order (427 ms for one account at 1,000,000).
    fn tally(&self, sign: &'static str) -> Sql {
        let mut q =
            Sql::new("INSERT INTO billing_tallies (org_id, facts, accounts) SELECT oa.org_id, oa.billing_facts, ");
        q.push(sign).push("COUNT(*) FROM (");
        self.push_accounts(&mut q);
        q.push(") j CROSS JOIN org_accounts oa WHERE oa.org_id = ")
            .bind(self.org.to_string())
            .push(" AND oa.account_id = j.v AND oa.billing_facts >= 0 GROUP BY oa.org_id, oa.billing_facts")
            .push(TALLY_UPSERT);
        q
    }
}

impl<C: DerefMut<Target = AnyConnection> + Send> Db<C> {
    /// Serializes billing changes in `org` (PostgreSQL: row lock until commit).
    pub(crate) async fn billing_lock(&mut self, org: OrgId) -> Result<()> {
        if let Some(sql) = self.dialect.lock_org_sql() {
            self.exec(&Sql::new(sql).with(org.to_string())).await?;
        }
        Ok(())
    }

    /// Locks `org` and finds the accounts `touched` names, before a change that may remove
    /// what reaches them (a grant, a group, an instance). A few are kept as a list, and
    /// [`Db::billing_settle`] recomputes exactly those, by key. More than [`LISTED_MAX`] are
    /// marked in the table (`billing_dirty`) and recomputed through the marked-accounts index.
    pub(crate) async fn billing_mark(&mut self, org: OrgId, touched: Touched<'_>) -> Result<Marked> {
        self.billing_lock(org).await?;
        // A grant reaches its account or its group's members: its row first, by key, then
        // the group through its own index (a union of both read every membership on PostgreSQL:
        // 8 ms at 100,000).
        let touched = match touched {
            Touched::Grant(id) => {
                let q = Sql::new("SELECT account_id, group_id FROM product_access WHERE id = $1").with(id.to_string());
                let row = self
                    .one(&q, |r| Ok((rows::os(r, "account_id")?, rows::os(r, "group_id")?)))
                    .await?;
                match row {
                    Some((Some(account), _)) => return Ok(Marked::Listed(vec![account])),
                    Some((None, Some(group))) => Touched::Group(GroupId::parse(&group)?),
                    _ => return Ok(Marked::Listed(Vec::new())),
                }
            }
            other => other,
        };
        let listed = match touched {
            Touched::Account(a) => Some(vec![a.to_string()]),
            Touched::Accounts(list) if list.len() <= LISTED_MAX => Some(list.iter().map(ToString::to_string).collect()),
            Touched::Accounts(_) => None,
            _ => {
                let mut q = Sql::new("SELECT account_id FROM (");
                push_reach(&mut q, org, &touched);
                q.push(") r");
                self.dialect.push_limit(&mut q, LISTED_MAX as i64 + 1, 0);
                let ids = self.all(&q, |r| rows::s(r, "account_id")).await?;
                (ids.len() <= LISTED_MAX).then_some(ids)
            }
        };
        if let Some(ids) = listed {
            return Ok(Marked::Listed(ids));
        }
        let head = || {
            let mut q = Sql::new("UPDATE org_accounts SET billing_dirty = 1 WHERE billing_dirty = 0 AND org_id = ");
            q.bind(org.to_string());
            q
        };
        if let Touched::Accounts(list) = touched {
            for chunk in list.chunks(MARK_CHUNK) {
                let mut q = head();
                q.push(" AND account_id IN (");
                for (n, a) in chunk.iter().enumerate() {
                    q.push(if n == 0 { "" } else { ", " }).bind(a.to_string());
                }
                self.exec(q.push(")")).await?;
            }
            return Ok(Marked::Flagged);
        }
        // One `IN` over a union, not an OR of two: an OR made SQLite read every account of the
        // organization (13 ms at 100,000) where the union drives lookups by key.
        let mut q = head();
        q.push(" AND account_id IN (");
        push_reach(&mut q, org, &touched);
        self.exec(q.push(")")).await?;
        Ok(Marked::Flagged)
    }

    /// Recomputes what [`Db::billing_mark`] found, after the change.
    pub(crate) async fn billing_settle(&mut self, org: OrgId, marked: Marked) -> Result<u64> {
        match marked {
            Marked::Flagged => self.billing_refresh(org).await,
            Marked::Listed(ids) => self.billing_refresh_listed(org, ids).await,
        }
    }

    /// Recomputes the accounts `ids` of `org` (and clears their marks), by key: the marked-
    /// accounts index is not read, so a change of one account costs the same whatever the
    /// organization's size and however many dead entries a mass change left in that index.
    async fn billing_refresh_listed(&mut self, org: OrgId, ids: Vec<String>) -> Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let listed = Listed::new(self.dialect, org, ids)?;
        let n = if self.dialect.has_writing_ctes() {
            self.billing_move_listed_at_once(&listed).await?
        } else {
            self.exec(&listed.tally("-")).await?;
            let mut update = Sql::new(concat!(
                "UPDATE org_accounts SET billing_dirty = 0, billing_facts = ",
                facts_expr!("org_accounts")
            ));
            listed.push_where(&mut update);
            let n = self.exec(&update).await?;
            self.exec(&listed.tally("")).await?;
            n
        };
        let empty = Sql::new("DELETE FROM billing_tallies WHERE org_id = $1 AND accounts = 0").with(org.to_string());
        self.exec(&empty).await?;
        Ok(n)
    }

    /// PostgreSQL: [`Db::billing_refresh_listed`] in one statement (two round trips fewer).
    /// Every part of it reads the rows as they were before the statement, so `old` holds the
    /// facts the update replaces.
    async fn billing_move_listed_at_once(&mut self, listed: &Listed) -> Result<u64> {
        let mut q = Sql::new("WITH old AS (SELECT billing_facts FROM org_accounts");
        listed.push_where(&mut q);
        q.push(concat!(
            " AND billing_facts >= 0), new AS (UPDATE org_accounts SET billing_dirty = 0, billing_facts = ",
            facts_expr!("org_accounts")
        ));
        listed.push_where(&mut q);
        q.push(" RETURNING billing_facts), moved AS (INSERT INTO billing_tallies (org_id, facts, accounts) SELECT ")
            .bind(listed.org.to_string())
            .push(
                ", m.facts, SUM(m.d) FROM (SELECT billing_facts AS facts, -1 AS d FROM old UNION ALL \
                 SELECT billing_facts, 1 FROM new WHERE billing_facts >= 0) m GROUP BY m.facts",
            )
            .push(TALLY_UPSERT)
            .push(") SELECT COUNT(*) AS n FROM new");
        Ok(u64::try_from(self.int(&q, "n").await?).unwrap_or(0))
    }

    /// Recomputes the marked accounts of `org` and moves them between tallies; answers how
    /// many were recomputed. The caller holds the lock ([`Db::billing_mark`], or
    /// [`Db::billing_lock`] for rows it inserted, which start marked).
    pub(crate) async fn billing_refresh(&mut self, org: OrgId) -> Result<u64> {
        let tally = |sign: &'static str| {
            let mut q =
                Sql::new("INSERT INTO billing_tallies (org_id, facts, accounts) SELECT org_id, billing_facts, ");
            q.push(sign)
                .push(
                    "COUNT(*) FROM org_accounts WHERE org_id = $1 AND billing_dirty = 1 AND billing_facts >= 0 \
                     GROUP BY org_id, billing_facts",
                )
                .push(TALLY_UPSERT);
            q.with(org.to_string())
        };
        self.exec(&tally("-")).await?;
        let update = Sql::new(concat!(
            "UPDATE org_accounts SET billing_facts = ",
            facts_expr!("org_accounts"),
            " WHERE org_id = $1 AND billing_dirty = 1"
        ))
        .with(org.to_string());
        let n = self.exec(&update).await?;
        if n == 0 {
            return Ok(0);
        }
        self.exec(&tally("")).await?;
        let clear = Sql::new("UPDATE org_accounts SET billing_dirty = 0 WHERE org_id = $1 AND billing_dirty = 1")
            .with(org.to_string());
        self.exec(&clear).await?;
        let empty = Sql::new("DELETE FROM billing_tallies WHERE org_id = $1 AND accounts = 0").with(org.to_string());
        self.exec(&empty).await?;
        if n >= MASS_CHANGE
            && let Some(sql) = self.dialect.analyze_sql()
        {
            // The statistics still say these accounts are marked: without new ones, PostgreSQL
            // reads the whole table for the marked accounts (1.2 s for GET /billing at
            // 1,000,000 accounts) until autovacuum next analyzes it.
            self.exec(&Sql::new(sql)).await?;
        }
        Ok(n)
    }

    /// Takes the accounts matching `filter` (a condition on `org_accounts` whose values are
    /// bound from `$1`) out of their tallies before their rows are deleted, with each of
    /// their organizations locked.
    pub(crate) async fn billing_forget(&mut self, filter: &'static str, values: &[String]) -> Result<()> {
        let mut orgs = Sql::new("SELECT DISTINCT org_id FROM org_accounts WHERE ");
        orgs.push(filter).push(" ORDER BY org_id");
        let mut tally = Sql::new(
            "INSERT INTO billing_tallies (org_id, facts, accounts) SELECT org_id, billing_facts, -COUNT(*) \
             FROM org_accounts WHERE billing_facts >= 0 AND ",
        );
        tally
            .push(filter)
            .push(" GROUP BY org_id, billing_facts")
            .push(TALLY_UPSERT);
        for v in values {
            orgs = orgs.with(v.clone());
            tally = tally.with(v.clone());
        }
        for org in self.all(&orgs, rows::org_id).await? {
            self.billing_lock(org).await?;
        }
        self.exec(&tally).await?;
        Ok(())
    }

    /// The organizations `account` belongs to, each locked (in order, so two such calls never
    /// wait on each other crosswise) with the account marked there.
    pub(crate) async fn billing_mark_everywhere(&mut self, account: AccountId) -> Result<Vec<(OrgId, Marked)>> {
        let q =
            Sql::new("SELECT org_id FROM org_accounts WHERE account_id = $1 ORDER BY org_id").with(account.to_string());
        let orgs = self.all(&q, rows::org_id).await?;
        let mut marked = Vec::with_capacity(orgs.len());
        for org in orgs {
            marked.push((org, self.billing_mark(org, Touched::Account(account)).await?));
        }
        Ok(marked)
    }
}

impl<C: DerefMut<Target = AnyConnection> + Send> BillingReads for Db<C> {
    /// The tallies, corrected by any account marked and not yet recomputed (a bulk write that
    /// recomputes in its own transaction), so the count is exact at every moment.
    async fn billing_tallies(&mut self, org: OrgId) -> Result<Vec<FactsCount>> {
        let q = Sql::new(concat!(
            "SELECT facts, accounts AS n FROM billing_tallies WHERE org_id = $1 \
             UNION ALL SELECT billing_facts AS facts, -COUNT(*) AS n FROM org_accounts WHERE org_id = $1 \
             AND billing_dirty = 1 AND billing_facts >= 0 GROUP BY billing_facts \
             UNION ALL SELECT ",
            facts_expr!("org_accounts"),
            " AS facts, COUNT(*) AS n FROM org_accounts WHERE org_id = $1 AND billing_dirty = 1 GROUP BY 1"
        ))
        .with(org.to_string());
        let parts = self.all(&q, |r| Ok((rows::i(r, "facts")?, rows::i(r, "n")?))).await?;
        let mut sums: BTreeMap<i64, i64> = BTreeMap::new();
        for (facts, n) in parts {
            *sums.entry(facts).or_default() += n;
        }
        Ok(sums
            .into_iter()
            .filter(|(_, n)| *n != 0)
            .map(|(key, accounts)| FactsCount {
                key,
                facts: rows::facts_of(key),
                accounts,
            })
            .collect())
    }
    async fn billing_accounts(&mut self, org: OrgId, keys: &[i64], page: &PageRequest) -> Result<Page<OrgAccount>> {
        if keys.is_empty() {
            return Ok(Page::from_overfetch(Vec::new(), page.limit, |a: &OrgAccount| {
                a.account.id.to_string()
            }));
        }
        let mut q = sql_with(org_account_select!(), org.to_string());
        q.push(" AND oa.billing_facts IN (");
        for (n, k) in keys.iter().enumerate() {
            q.push(if n == 0 { "" } else { ", " }).bind(*k);
        }
        q.push(")");
        self.page(q, "a.id", false, page, rows::org_account, |a| a.account.id.to_string())
            .await
    }

    async fn billing_drift(&mut self, org: OrgId) -> Result<i64> {
        let q = Sql::new(concat!(
            "SELECT COUNT(*) AS n FROM org_accounts WHERE org_id = $1 AND billing_facts <> ",
            facts_expr!("org_accounts")
        ))
        .with(org.to_string());
        let stale = self.int(&q, "n").await?;
        let counted = self.billing_tallies(org).await?.iter().map(|g| g.accounts).sum::<i64>();
        let q = Sql::new("SELECT COUNT(*) AS n FROM org_accounts WHERE org_id = $1").with(org.to_string());
        Ok(stale + (self.int(&q, "n").await? - counted).abs())
    }

    async fn list_billing_runs(
        &mut self,
        org: OrgId,
        limit: u32,
    ) -> Result<Vec<gatehouse_core::billing::run::BillingRun>> {
        self.runs_of(org, limit).await
    }
}

/// Every account's facts counted from scratch, for every organization (migration 0022's data
/// step, and the operator's repair): answers how many accounts were counted.
pub(crate) async fn recount(conn: &mut AnyConnection, dialect: crate::dialect::Dialect) -> Result<u64> {
    let mut db = Db { conn, dialect };
    db.exec(&Sql::new("DELETE FROM billing_tallies")).await?;
    db.exec(&Sql::new(
        "UPDATE org_accounts SET billing_dirty = 1, billing_facts = -1",
    ))
    .await?;
    let orgs = db
        .all(&Sql::new("SELECT id AS org_id FROM orgs ORDER BY id"), rows::org_id)
        .await?;
    let mut n = 0;
    for org in orgs {
        n += db.billing_refresh(org).await?;
    }
    Ok(n)
}
