//! Fresh databases for tests, on either engine. Used by the store's contract tests and the
//! server's HTTP tests; never by production code paths.

use crate::StoreOptions;
use crate::dialect::Dialect;
use sqlx::{AnyConnection, AssertSqlSafe, Connection};

/// Where test PostgreSQL databases are created: `GATEHOUSE_TEST_PG` or the local server.
pub fn pg_admin_url() -> String {
    std::env::var("GATEHOUSE_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database made for one test; it lives as long as this value (a SQLite file is removed, a
/// PostgreSQL database dropped, when it goes).
pub struct TestDatabase {
    pub options: StoreOptions,
    pub dialect: Dialect,
    _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL database to drop when this value goes.
    pg_name: Option<String>,
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
                        sqlite_memory: crate::SqliteMemory::default(),
                    },
                    dialect,
                    _dir: Some(dir),
                    pg_name: None,
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
                        sqlite_memory: crate::SqliteMemory::default(),
                    },
                    dialect,
                    _dir: None,
                    pg_name: Some(name),
                }
            }
        }
    }
}

impl TestDatabase {
    /// A database that outlives the process, for benchmarks that seed millions of rows once
    /// and measure many times: SQLite at `<temp>/gatehouse-bench/{name}.db`, PostgreSQL as
    /// `gh_bench_{name}` (not `gh_test_*`, so the test command leaves it). `name` is made of
    /// ASCII letters, digits and `_`. Answers whether it already existed.
    pub async fn kept(dialect: Dialect, name: &str) -> (Self, bool) {
        assert!(
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
            "a kept database's name is letters, digits and _"
        );
        let options = |url: String| StoreOptions {
            url,
            max_connections: 8,
            sqlite_synchronous: crate::SqliteSynchronous::default(),
            sqlite_memory: crate::SqliteMemory::default(),
        };
        let (url, existed) = match dialect {
            Dialect::Sqlite => {
                let dir = std::env::temp_dir().join("gatehouse-bench");
                std::fs::create_dir_all(&dir).expect("bench dir");
                let path = dir.join(format!("{name}.db"));
                (format!("sqlite://{}", path.display()), path.exists())
            }
            Dialect::Postgres => {
                sqlx::any::install_default_drivers();
                let admin = pg_admin_url();
                let db = format!("gh_bench_{name}");
                let mut conn = AnyConnection::connect(&admin)
                    .await
                    .expect("PostgreSQL must be running");
                let found: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_database WHERE datname = $1")
                    .bind(&db)
                    .fetch_one(&mut conn)
                    .await
                    .expect("the list of databases");
                let existed = found > 0;
                if !existed {
                    // `db` is checked above to hold only letters, digits and `_`.
                    sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {db}")))
                        .execute(&mut conn)
                        .await
                        .expect("creating the kept database");
                }
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_owned();
                (format!("{base}/{db}"), existed)
            }
        };
        let db = Self {
            options: options(url),
            dialect,
            _dir: None,
            pg_name: None,
        };
        (db, existed)
    }
}

impl Drop for TestDatabase {
    /// Drops the PostgreSQL database (each is tens of MB; a suite makes hundreds). Runs on a
    /// thread of its own, so it works from any runtime or none; `FORCE` ends the connections a
    /// test's server still holds. A failure leaves a `gh_test_*` database that the test command
    /// drops before its next run.
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut conn = AnyConnection::connect(&pg_admin_url()).await.ok()?;
                // The name was generated by `create` from hex digits only.
                sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                    .execute(&mut conn)
                    .await
                    .ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("test database was not dropped; the test command drops it before its next run");
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
