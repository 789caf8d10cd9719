//! Fresh databases for tests, on either engine. Used by the store's contract tests and the
//! server's HTTP tests; never by production code paths.

use crate::StoreOptions;
use crate::dialect::Dialect;
use sqlx::{AnyConnection, AssertSqlSafe, Connection};

/// Where test PostgreSQL databases are created: `GATEHOUSE_TEST_PG` or the local server.
pub fn pg_admin_url() -> String {
    std::env::var("GATEHOUSE_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database made for one test; a SQLite file lives as long as this value.
pub struct TestDatabase {
    pub options: StoreOptions,
    pub dialect: Dialect,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// A new, empty database on `dialect`. PostgreSQL databases are named `gh_test_*` so the
    /// test command can drop leftovers before a run.
    pub async fn create(dialect: Dialect) -> Self {
        match dialect {
            Dialect::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("gatehouse.db");
                Self {
                    options: StoreOptions {
                        url: format!("sqlite://{}", path.display()),
                        max_connections: 8,
                        sqlite_synchronous: crate::SqliteSynchronous::default(),
                    },
                    dialect,
                    _dir: Some(dir),
                }
            }
            Dialect::Postgres => {
                sqlx::any::install_default_drivers();
                let admin = pg_admin_url();
                let name = format!("gh_test_{}", uuid::Uuid::now_v7().simple());
                let mut conn = AnyConnection::connect(&admin)
                    .await
                    .expect("PostgreSQL must be running for postgres tests");
                // The name is generated above from hex digits only; it is not input.
                sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .expect("create database");
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_owned();
                Self {
                    options: StoreOptions {
                        url: format!("{base}/{name}"),
                        max_connections: 8,
                        sqlite_synchronous: crate::SqliteSynchronous::default(),
                    },
                    dialect,
                    _dir: None,
                }
            }
        }
    }
}

/// Runs `sql` (a query answering one integer, such as `PRAGMA synchronous`) on every
/// connection the store holds at its fullest: all of the reading pool's connections, acquired
/// concurrently and held together (so each is a different connection), then the writer's own.
pub async fn on_every_connection(store: &crate::SqlStore, sql: &'static str) -> Vec<i64> {
    let max = store.reader.options().get_max_connections();
    let mut acquiring = tokio::task::JoinSet::new();
    for _ in 0..max {
        let pool = store.reader.clone();
        acquiring.spawn(async move { pool.acquire().await.expect("acquire") });
    }
    let mut held = acquiring.join_all().await;
    let mut values = Vec::new();
    for conn in &mut held {
        values.push(sqlx::query_scalar(sql).fetch_one(&mut **conn).await.expect("query"));
    }
    if store.dialect.writer_pool().is_some() {
        let mut conn = store.writer.acquire().await.expect("acquire writer");
        values.push(sqlx::query_scalar(sql).fetch_one(&mut *conn).await.expect("query"));
    }
    values
}
