//! The Gatehouse store: the core's storage ports implemented once, in portable SQL, over
//! SQLite (embedded default) and PostgreSQL through sqlx's `Any` driver.
//!
//! Engine differences live only in [`dialect`]. Queries use `$n` placeholders, which both
//! engines accept; dynamic queries are built by [`sql::Sql`], which only ever binds values.

#[macro_use]
mod cols;
mod access;
mod accounts;
mod audit;
mod audit_query;
mod audit_retention;
mod audit_text;
mod billing;
mod billing_runs;
mod db;
pub mod dialect;
mod directory;
mod domains;
mod email_links;
mod error;
mod invitations;
mod jobs;
mod json_rows;
mod keys;
mod management;
mod migrate;
mod notices;
mod oauth;
mod oauth_grants;
mod orgs;
mod policies;
#[cfg(test)]
mod policies_migration_tests;
mod provisioned;
mod rows;
mod scim;
mod scim_group_query;
mod scim_query;
mod signin;
mod sql;
mod sqlite_memory;
mod sso;
mod subscriptions;
mod two_step;
mod value_rows;

pub use audit_query::SCAN_BUDGET as AUDIT_SCAN_BUDGET;
pub use db::{Db, SqlReader, SqlTx};
pub use dialect::{Dialect, SqliteSynchronous};
pub use migrate::{MIGRATIONS_POSTGRES, MIGRATIONS_SQLITE};
pub use sqlite_memory::SqliteMemory;

use error::db_err;
use gatehouse_core::ports::Store;
use gatehouse_core::{CoreError, Result};
use sqlx::AnyPool;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use std::str::FromStr;
use std::time::Duration;

/// The PostgreSQL notification channel on which a node announces that a directory or its
/// tokens changed (see `DirectoryTx::announce_directory_change`).
pub const DIRECTORY_CHANGES_CHANNEL: &str = "gatehouse_directory_changes";

/// A live subscription to directory change announcements.
pub struct DirectoryChanges(sqlx::postgres::PgListener);

impl gatehouse_core::ports::ChangeFeed for DirectoryChanges {
    async fn next(&mut self) -> Result<()> {
        match self.0.try_recv().await.map_err(db_err)? {
            Some(_) => Ok(()),
            None => Err(CoreError::Internal("the notification connection was lost".into())),
        }
    }
}

/// How long a pooled connection may sit unused before it is checked with a ping on its next use.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(10);

/// The store over one database.
#[derive(Clone, Debug)]
pub struct SqlStore {
    reader: AnyPool,
    /// SQLite allows one writer at a time, so writes go through a pool of one connection and
    /// queue in-process instead of failing with SQLITE_BUSY. PostgreSQL uses one pool for both.
    writer: AnyPool,
    dialect: Dialect,
    /// For connections of its own outside the pools (change notifications).
    url: String,
}

/// How to connect.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub url: String,
    pub max_connections: u32,
    /// SQLite's `synchronous` level on every connection (PostgreSQL ignores it).
    pub sqlite_synchronous: SqliteSynchronous,
    /// SQLite's page cache and memory-mapping limits on every connection (PostgreSQL ignores them).
    pub sqlite_memory: SqliteMemory,
}

impl SqlStore {
    /// Connects and applies pending migrations.
    pub async fn connect(opts: &StoreOptions) -> Result<Self> {
        let store = Self::connect_without_migrating(opts).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects without touching the schema (for `readyz`-style checks and tools).
    pub async fn connect_without_migrating(opts: &StoreOptions) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let dialect = Dialect::from_url(&opts.url)?;
        let url = dialect.normalize_url(&opts.url);
        let (synchronous, memory) = (opts.sqlite_synchronous, opts.sqlite_memory);
        let connect =
            AnyConnectOptions::from_str(&url).map_err(|e| CoreError::Internal(format!("bad database url: {e}")))?;
        let build = |max: u32| {
            AnyPoolOptions::new()
                .max_connections(max)
                .acquire_timeout(Duration::from_secs(10))
                // A ping before every use would be a round trip per query on PostgreSQL. Only
                // a connection that sat idle for a while is checked (a restarted or failed-over
                // server, a dropped network path); a busy one that died fails its statement
                // and the pool drops it. Connections older than 30 minutes are replaced.
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for >= IDLE_BEFORE_PING {
                            sqlx::Connection::ping(conn).await?;
                        }
                        Ok(true)
                    })
                })
                .max_lifetime(Duration::from_mins(30))
                .after_connect(move |conn, _| {
                    Box::pin(async move { dialect.on_connect(conn, synchronous, memory).await })
                })
        };
        let reader = build(opts.max_connections.max(1))
            .connect_with(connect.clone())
            .await
            .map_err(|e| CoreError::Internal(format!("cannot connect to the database: {e}")))?;
        let writer = match dialect.writer_pool() {
            Some(size) => build(size)
                .connect_with(connect)
                .await
                .map_err(|e| CoreError::Internal(format!("cannot connect to the database: {e}")))?,
            None => reader.clone(),
        };
        Ok(Self {
            reader,
            writer,
            dialect,
            url,
        })
    }

    /// Listens for the directory changes nodes announce (`DirectoryTx::announce_directory_change`);
    /// `None` where the database serves one node.
    pub async fn listen_directory_changes(&self) -> Result<Option<DirectoryChanges>> {
        if !self.dialect.is_shared() {
            return Ok(None);
        }
        let mut l = sqlx::postgres::PgListener::connect(&self.url).await.map_err(db_err)?;
        l.listen(DIRECTORY_CHANGES_CHANNEL).await.map_err(db_err)?;
        Ok(Some(DirectoryChanges(l)))
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Whether other nodes may share this database: then what a node caches from it must be
    /// forgotten when they announce a change.
    pub fn is_shared(&self) -> bool {
        self.dialect.is_shared()
    }

    /// How many batched writes are worth running at once on this database.
    pub fn batch_writers(&self) -> usize {
        self.dialect.batch_writers()
    }

    /// Whether `backup` can copy this database while it is in use (SQLite); PostgreSQL is
    /// backed up with pg_dump.
    pub fn has_online_backup(&self) -> bool {
        self.dialect.online_backup_sql().is_some()
    }

    /// Applies pending migrations; safe to run from several nodes at once.
    pub async fn migrate(&self) -> Result<Vec<String>> {
        migrate::run(&self.writer, self.dialect).await
    }

    /// Whether the database answers and every known migration is applied.
    pub async fn is_ready(&self) -> bool {
        migrate::pending(&self.reader, self.dialect)
            .await
            .is_ok_and(|p| p.is_empty())
    }

    /// Writes a consistent copy of the database to `dest` while it is in use (see
    /// `has_online_backup`).
    pub async fn backup_sqlite(&self, dest: &str) -> Result<()> {
        let Some(backup) = self.dialect.online_backup_sql() else {
            return Err(CoreError::validation(
                "database",
                "online backup is for SQLite; use pg_dump for PostgreSQL",
            ));
        };
        let mut conn = self.reader.acquire().await.map_err(db_err)?;
        sql::Sql::new(backup).with(dest).execute(&mut conn).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}

impl Store for SqlStore {
    type Reader = SqlReader;
    type Tx = SqlTx;
    type DirectoryChanges = DirectoryChanges;

    async fn is_ready(&self) -> bool {
        SqlStore::is_ready(self).await
    }

    async fn listen_directory_changes(&self) -> Result<Option<DirectoryChanges>> {
        SqlStore::listen_directory_changes(self).await
    }

    async fn reader(&self) -> Result<SqlReader> {
        let conn = self.reader.acquire().await.map_err(db_err)?;
        Ok(Db {
            conn,
            dialect: self.dialect,
        })
    }

    async fn begin(&self) -> Result<SqlTx> {
        let conn = self.writer.begin().await.map_err(db_err)?;
        Ok(Db {
            conn,
            dialect: self.dialect,
        })
    }

    async fn insert_provisioned_users(
        &self,
        p: &gatehouse_core::ports::ProvisionedUsers<'_>,
    ) -> Result<std::collections::HashSet<gatehouse_core::ids::AccountId>> {
        self.write_provisioned(p).await
    }
}

#[cfg(any(test, feature = "testing"))]
pub mod testing;
