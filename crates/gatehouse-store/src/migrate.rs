//! Migrations: one folder per engine with the same file names, embedded in the binary and
//! applied in order, each in its own transaction, recorded with a checksum.

use crate::{Dialect, db_err};
use gatehouse_core::{CoreError, Result};
use sqlx::{AnyPool, AssertSqlSafe, Row};

/// (name, SQL) for SQLite, in order.
pub const MIGRATIONS_SQLITE: &[(&str, &str)] = &[
    (
        "0001_foundation",
        include_str!("../migrations/sqlite/0001_foundation.sql"),
    ),
    ("0002_console", include_str!("../migrations/sqlite/0002_console.sql")),
    ("0003_domains", include_str!("../migrations/sqlite/0003_domains.sql")),
    ("0004_scim", include_str!("../migrations/sqlite/0004_scim.sql")),
    (
        "0005_scim_groups",
        include_str!("../migrations/sqlite/0005_scim_groups.sql"),
    ),
    (
        "0006_scim_safety",
        include_str!("../migrations/sqlite/0006_scim_safety.sql"),
    ),
    (
        "0007_scim_values",
        include_str!("../migrations/sqlite/0007_scim_values.sql"),
    ),
];
/// (name, SQL) for PostgreSQL, in the same order with the same names.
pub const MIGRATIONS_POSTGRES: &[(&str, &str)] = &[
    (
        "0001_foundation",
        include_str!("../migrations/postgres/0001_foundation.sql"),
    ),
    ("0002_console", include_str!("../migrations/postgres/0002_console.sql")),
    ("0003_domains", include_str!("../migrations/postgres/0003_domains.sql")),
    ("0004_scim", include_str!("../migrations/postgres/0004_scim.sql")),
    (
        "0005_scim_groups",
        include_str!("../migrations/postgres/0005_scim_groups.sql"),
    ),
    (
        "0006_scim_safety",
        include_str!("../migrations/postgres/0006_scim_safety.sql"),
    ),
    (
        "0007_scim_values",
        include_str!("../migrations/postgres/0007_scim_values.sql"),
    ),
];

fn list(d: Dialect) -> &'static [(&'static str, &'static str)] {
    match d {
        Dialect::Sqlite => MIGRATIONS_SQLITE,
        Dialect::Postgres => MIGRATIONS_POSTGRES,
    }
}

fn checksum(sql: &str) -> String {
    // FNV-1a is enough to notice an edited migration; it is not a security boundary.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in sql.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    format!("{h:016x}")
}

const CREATE: &str = "CREATE TABLE IF NOT EXISTS gatehouse_migrations (name TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)";

async fn applied(pool: &AnyPool) -> Result<Vec<(String, String)>> {
    let rows = sqlx::query("SELECT name, checksum FROM gatehouse_migrations ORDER BY name")
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<String, _>(0).map_err(db_err)?,
                r.try_get::<String, _>(1).map_err(db_err)?,
            ))
        })
        .collect()
}

/// Names of migrations not yet applied; an error if the table is missing or a recorded
/// migration was edited.
pub(crate) async fn pending(pool: &AnyPool, d: Dialect) -> Result<Vec<&'static str>> {
    let done = applied(pool).await?;
    let mut out = Vec::new();
    for (name, sql) in list(d) {
        match done.iter().find(|(n, _)| n == name) {
            Some((_, sum)) if *sum != checksum(sql) => {
                return Err(CoreError::Internal(format!(
                    "migration {name} was changed after it was applied"
                )));
            }
            Some(_) => {}
            None => out.push(*name),
        }
    }
    Ok(out)
}

pub(crate) async fn run(pool: &AnyPool, d: Dialect) -> Result<Vec<String>> {
    sqlx::query(CREATE).execute(pool).await.map_err(db_err)?;
    let mut ran = Vec::new();
    for (name, sql) in list(d) {
        let mut tx = pool.begin().await.map_err(db_err)?;
        if let Some(lock) = d.migration_lock_sql() {
            sqlx::query(lock).execute(&mut *tx).await.map_err(db_err)?;
        }
        let done = sqlx::query("SELECT checksum FROM gatehouse_migrations WHERE name = $1")
            .bind(*name)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        if let Some(row) = done {
            let sum: String = row.try_get(0).map_err(db_err)?;
            if sum != checksum(sql) {
                return Err(CoreError::Internal(format!(
                    "migration {name} was changed after it was applied"
                )));
            }
            continue;
        }
        sqlx::raw_sql(AssertSqlSafe(*sql))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query("INSERT INTO gatehouse_migrations (name, checksum, applied_at) VALUES ($1, $2, $3)")
            .bind(*name)
            .bind(checksum(sql))
            .bind(gatehouse_core::Timestamp::now().millis())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        tracing::info!(migration = name, "applied migration");
        ran.push((*name).to_owned());
    }
    Ok(ran)
}
