//! What every capability file shares: running a statement and mapping its rows, keyset
//! pages, and ending a transaction.

use crate::dialect::Dialect;
use crate::error::db_err;
use crate::rows;
use crate::sql::Sql;
use gatehouse_core::page::{Page, PageRequest};
use gatehouse_core::ports::Commit;
use gatehouse_core::{Result, Timestamp};
use sqlx::any::AnyRow;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, Transaction};
use std::ops::DerefMut;

/// A connection or transaction with the dialect it speaks.
pub struct Db<C> {
    pub(crate) conn: C,
    pub(crate) dialect: Dialect,
}

/// Reads outside a transaction.
pub type SqlReader = Db<PoolConnection<Any>>;
/// A transaction; dropped without commit, it rolls back.
pub type SqlTx = Db<Transaction<'static, Any>>;

impl<C: DerefMut<Target = AnyConnection> + Send> Db<C> {
    pub(crate) fn c(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }

    pub(crate) async fn one<T>(&mut self, q: &Sql, map: fn(&AnyRow) -> Result<T>) -> Result<Option<T>> {
        q.fetch_all(self.c()).await?.first().map(map).transpose()
    }

    /// Runs a statement; answers how many rows it changed.
    pub(crate) async fn exec(&mut self, q: &Sql) -> Result<u64> {
        q.execute(self.c()).await
    }

    /// Whether the query answers any row.
    pub(crate) async fn exists(&mut self, q: &Sql) -> Result<bool> {
        Ok(!q.fetch_all(self.c()).await?.is_empty())
    }

    /// The integer `col` of the query's first row; 0 when it answers none (counts, maxima).
    pub(crate) async fn int(&mut self, q: &Sql, col: &'static str) -> Result<i64> {
        q.fetch_all(self.c()).await?.first().map_or(Ok(0), |r| rows::i(r, col))
    }

    pub(crate) async fn all<T>(&mut self, q: &Sql, map: fn(&AnyRow) -> Result<T>) -> Result<Vec<T>> {
        q.fetch_all(self.c()).await?.iter().map(map).collect()
    }

    /// Runs a keyset page: `q` must end in a WHERE clause; `key` is the ordering column.
    pub(crate) async fn page<T>(
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

pub(crate) fn sql_with(fragment: &'static str, v: impl Into<crate::sql::Arg>) -> Sql {
    let mut q = Sql::new(fragment);
    q.bind(v);
    q
}

pub(crate) fn email_domain(email: &str) -> String {
    email.rsplit_once('@').map_or_else(String::new, |(_, d)| d.to_owned())
}

pub(crate) fn opt_ms(t: Option<Timestamp>) -> Option<i64> {
    t.map(Timestamp::millis)
}

impl Commit for SqlTx {
    async fn commit(self) -> Result<()> {
        self.conn.commit().await.map_err(db_err)
    }
}
