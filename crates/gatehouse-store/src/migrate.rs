//! Migrations: one folder per engine with the same file names, embedded in the binary and
//! applied in order, each in its own transaction, recorded with a checksum.

use crate::dialect::Dialect;
use crate::error::db_err;
use crate::rows;
use crate::sql::Sql;
use gatehouse_core::{CoreError, Result};
use sqlx::{AnyPool, AssertSqlSafe};

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
    (
        "0008_scim_typed_values",
        include_str!("../migrations/sqlite/0008_scim_typed_values.sql"),
    ),
    (
        "0009_user_api_tokens",
        include_str!("../migrations/sqlite/0009_user_api_tokens.sql"),
    ),
    (
        "0010_scim_group_filters",
        include_str!("../migrations/sqlite/0010_scim_group_filters.sql"),
    ),
    (
        "0011_scim_values_without_fk",
        include_str!("../migrations/sqlite/0011_scim_values_without_fk.sql"),
    ),
    (
        "0012_held_changes",
        include_str!("../migrations/sqlite/0012_held_changes.sql"),
    ),
    (
        "0013_managed_by_verified_domain",
        include_str!("../migrations/sqlite/0013_managed_by_verified_domain.sql"),
    ),
    (
        "0014_sign_in_hardening",
        include_str!("../migrations/sqlite/0014_sign_in_hardening.sql"),
    ),
    (
        "0015_password_facts",
        include_str!("../migrations/sqlite/0015_password_facts.sql"),
    ),
    (
        "0016_sessions_and_invitations",
        include_str!("../migrations/sqlite/0016_sessions_and_invitations.sql"),
    ),
    (
        "0017_email_links",
        include_str!("../migrations/sqlite/0017_email_links.sql"),
    ),
    (
        "0018_oidc_provider",
        include_str!("../migrations/sqlite/0018_oidc_provider.sql"),
    ),
    (
        "0019_identity_providers",
        include_str!("../migrations/sqlite/0019_identity_providers.sql"),
    ),
    ("0020_two_step", include_str!("../migrations/sqlite/0020_two_step.sql")),
    ("0021_policies", include_str!("../migrations/sqlite/0021_policies.sql")),
    ("0022_billing", include_str!("../migrations/sqlite/0022_billing.sql")),
    (
        "0023_account_orgs",
        include_str!("../migrations/sqlite/0023_account_orgs.sql"),
    ),
    (
        "0024_audit_at_scale",
        include_str!("../migrations/sqlite/0024_audit_at_scale.sql"),
    ),
    (
        "0025_audit_actor_action",
        include_str!("../migrations/sqlite/0025_audit_actor_action.sql"),
    ),
    (
        "0026_audit_text_fragments",
        include_str!("../migrations/sqlite/0026_audit_text_fragments.sql"),
    ),
    (
        "0027_webauthn_ceremony_per_account",
        include_str!("../migrations/sqlite/0027_webauthn_ceremony_per_account.sql"),
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
    (
        "0008_scim_typed_values",
        include_str!("../migrations/postgres/0008_scim_typed_values.sql"),
    ),
    (
        "0009_user_api_tokens",
        include_str!("../migrations/postgres/0009_user_api_tokens.sql"),
    ),
    (
        "0010_scim_group_filters",
        include_str!("../migrations/postgres/0010_scim_group_filters.sql"),
    ),
    (
        "0011_scim_values_without_fk",
        include_str!("../migrations/postgres/0011_scim_values_without_fk.sql"),
    ),
    (
        "0012_held_changes",
        include_str!("../migrations/postgres/0012_held_changes.sql"),
    ),
    (
        "0013_managed_by_verified_domain",
        include_str!("../migrations/postgres/0013_managed_by_verified_domain.sql"),
    ),
    (
        "0014_sign_in_hardening",
        include_str!("../migrations/postgres/0014_sign_in_hardening.sql"),
    ),
    (
        "0015_password_facts",
        include_str!("../migrations/postgres/0015_password_facts.sql"),
    ),
    (
        "0016_sessions_and_invitations",
        include_str!("../migrations/postgres/0016_sessions_and_invitations.sql"),
    ),
    (
        "0017_email_links",
        include_str!("../migrations/postgres/0017_email_links.sql"),
    ),
    (
        "0018_oidc_provider",
        include_str!("../migrations/postgres/0018_oidc_provider.sql"),
    ),
    (
        "0019_identity_providers",
        include_str!("../migrations/postgres/0019_identity_providers.sql"),
    ),
    (
        "0020_two_step",
        include_str!("../migrations/postgres/0020_two_step.sql"),
    ),
    (
        "0021_policies",
        include_str!("../migrations/postgres/0021_policies.sql"),
    ),
    ("0022_billing", include_str!("../migrations/postgres/0022_billing.sql")),
    (
        "0023_account_orgs",
        include_str!("../migrations/postgres/0023_account_orgs.sql"),
    ),
    (
        "0024_audit_at_scale",
        include_str!("../migrations/postgres/0024_audit_at_scale.sql"),
    ),
    (
        "0025_audit_actor_action",
        include_str!("../migrations/postgres/0025_audit_actor_action.sql"),
    ),
    (
        "0026_audit_text_fragments",
        include_str!("../migrations/postgres/0026_audit_text_fragments.sql"),
    ),
    (
        "0027_webauthn_ceremony_per_account",
        include_str!("../migrations/postgres/0027_webauthn_ceremony_per_account.sql"),
    ),
];

/// The migrations written for this engine, in order.
pub(crate) fn list(d: Dialect) -> &'static [(&'static str, &'static str)] {
    match d {
        Dialect::Sqlite => MIGRATIONS_SQLITE,
        Dialect::Postgres => MIGRATIONS_POSTGRES,
    }
}

pub(crate) fn checksum(sql: &str) -> String {
    // FNV-1a is enough to notice an edited migration; it is not a security boundary.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in sql.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    format!("{h:016x}")
}

pub(crate) const CREATE: &str = "CREATE TABLE IF NOT EXISTS gatehouse_migrations (name TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)";

async fn applied(pool: &AnyPool) -> Result<Vec<(String, String)>> {
    let mut conn = pool.acquire().await.map_err(db_err)?;
    let rows = Sql::new("SELECT name, checksum FROM gatehouse_migrations ORDER BY name")
        .fetch_all(&mut conn)
        .await?;
    rows.iter()
        .map(|r| Ok((rows::s(r, "name")?, rows::s(r, "checksum")?)))
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

/// What a migration needs beyond its SQL, run in the same transaction.
async fn data_step(name: &str, d: Dialect, conn: &mut sqlx::AnyConnection) -> Result<()> {
    match name {
        // The typed columns of the value index are filled from each user's resource: only Rust
        // can tell a JSON number from a numeric string and read RFC 3339 instants.
        "0008_scim_typed_values" => crate::scim::reindex_all_users(conn, d).await,
        // Events are core's own (ids minted from their time, core's search text): see
        // `management`.
        "0013_managed_by_verified_domain" => crate::management::unmanage_without_verified_domain(conn, d)
            .await
            .map(|n| tracing::info!(accounts = n, "unmanaged accounts without a verified domain")),
        // Every organization gets its default policy, which takes over the per-provider SSO
        // switch: see `policies::create_default_policies`.
        "0021_policies" => crate::policies::create_default_policies(conn, d)
            .await
            .map(|n| tracing::info!(organizations = n, "created default authentication policies")),
        // Every account's billing facts are counted once: see `billing::recount`.
        "0022_billing" => crate::billing::recount(conn, d)
            .await
            .map(|n| tracing::info!(accounts = n, "counted billing facts")),
        _ => Ok(()),
    }
}

pub(crate) async fn run(pool: &AnyPool, d: Dialect) -> Result<Vec<String>> {
    Sql::new(CREATE)
        .execute(&mut *pool.acquire().await.map_err(db_err)?)
        .await?;
    let mut ran = Vec::new();
    for (name, sql) in list(d) {
        let mut tx = pool.begin().await.map_err(db_err)?;
        if let Some(lock) = d.migration_lock_sql() {
            Sql::new(lock).execute(&mut tx).await?;
        }
        let done = Sql::new("SELECT checksum FROM gatehouse_migrations WHERE name = $1")
            .with(*name)
            .fetch_all(&mut tx)
            .await?;
        if let Some(row) = done.first() {
            let sum = rows::s(row, "checksum")?;
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
        data_step(name, d, &mut tx).await?;
        Sql::new("INSERT INTO gatehouse_migrations (name, checksum, applied_at) VALUES ($1, $2, $3)")
            .with(*name)
            .with(checksum(sql))
            .with(gatehouse_core::Timestamp::now().millis())
            .execute(&mut tx)
            .await?;
        tx.commit().await.map_err(db_err)?;
        tracing::info!(migration = name, "applied migration");
        ran.push((*name).to_owned());
    }
    Ok(ran)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestDatabase;
    use sqlx::{Connection, Row};

    /// A database at 0007 holding a user indexed the old way (no typed columns, no `schemas`,
    /// here even a stale row) comes out of 0008 with the index rebuilt from the resource.
    async fn upgrading_to_typed_values_rebuilds_the_index_from_resources(engine: Dialect) {
        let db = TestDatabase::create(engine).await;
        let url = engine.normalize_url(&db.options.url);
        let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
        // The user's directory and account are beside the point here.
        let no_foreign_keys = match engine {
            Dialect::Sqlite => "PRAGMA foreign_keys = OFF",
            Dialect::Postgres => "SET session_replication_role = replica",
        };
        sqlx::query(no_foreign_keys).execute(&mut conn).await.unwrap();
        sqlx::query(CREATE).execute(&mut conn).await.unwrap();
        for (name, sql) in list(engine).iter().take_while(|(n, _)| *n != "0008_scim_typed_values") {
            sqlx::raw_sql(AssertSqlSafe(*sql)).execute(&mut conn).await.unwrap();
            sqlx::query("INSERT INTO gatehouse_migrations (name, checksum, applied_at) VALUES ($1, $2, 0)")
                .bind(*name)
                .bind(checksum(sql))
                .execute(&mut conn)
                .await
                .unwrap();
        }
        let resource = serde_json::json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ann", "title": "Engineer",
            "x": {"seen": "2011-05-13T06:42:34+02:00", "n": 7, "text": "7"}
        });
        sqlx::query(
            "INSERT INTO scim_users (id, directory_id, account_id, user_name, user_name_folded, external_id, email, \
             active, resource, version, created_at, updated_at) VALUES ('u1', 'd1', 'a1', 'ann', 'ann', NULL, NULL, 1, $1, 1, 0, 0)",
        )
        .bind(resource.to_string())
        .execute(&mut conn)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO scim_user_values (directory_id, user_id, path, element, value, value_folded) \
             VALUES ('d1', 'u1', 'title', 0, 'Old', 'old')",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();

        let pool = sqlx::any::AnyPoolOptions::new().connect(&url).await.unwrap();
        let from_0008: Vec<String> = list(engine)
            .iter()
            .skip_while(|(n, _)| *n != "0008_scim_typed_values")
            .map(|(n, _)| (*n).to_owned())
            .collect();
        assert_eq!(run(&pool, engine).await.unwrap(), from_0008);
        let rows = sqlx::query(
            "SELECT path, value, value_num, value_time FROM scim_user_values WHERE user_id = 'u1' ORDER BY path",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let got: Vec<(String, String, Option<f64>, Option<i64>)> =
            rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))).collect();
        let row = |path: &str, value: &str, num: Option<f64>, time: Option<i64>| {
            (path.to_owned(), value.to_owned(), num, time)
        };
        assert_eq!(
            got,
            vec![
                row("schemas", "urn:ietf:params:scim:schemas:core:2.0:User", None, None),
                row("title", "Engineer", None, None),
                row("x.n", "7", Some(7.0), None),
                row("x.seen", "2011-05-13T06:42:34+02:00", None, Some(1_305_261_754_000)),
                row("x.text", "7", None, None),
            ]
        );
    }

    #[tokio::test]
    async fn sqlite_upgrading_to_typed_values_rebuilds_the_index_from_resources() {
        sqlx::any::install_default_drivers();
        upgrading_to_typed_values_rebuilds_the_index_from_resources(Dialect::Sqlite).await;
    }

    #[tokio::test]
    async fn postgres_upgrading_to_typed_values_rebuilds_the_index_from_resources() {
        sqlx::any::install_default_drivers();
        upgrading_to_typed_values_rebuilds_the_index_from_resources(Dialect::Postgres).await;
    }

    /// A database at 0012 where an organization manages an account on a domain it never
    /// verified (with a deletion scheduled) and one on a domain it did: 0013 unmanages the
    /// first only, cancels its deletion, and logs `account.unmanaged` in the organization.
    async fn upgrading_to_verified_management_unmanages_accounts_without_a_verified_domain(engine: Dialect) {
        const O1: &str = "0190f0aa-0000-7000-8000-00000000000a";
        const A1: &str = "0190f0aa-0000-7000-8000-0000000000a1";
        const A2: &str = "0190f0aa-0000-7000-8000-0000000000a2";
        let db = TestDatabase::create(engine).await;
        let url = engine.normalize_url(&db.options.url);
        let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
        sqlx::query(CREATE).execute(&mut conn).await.unwrap();
        for (name, sql) in list(engine)
            .iter()
            .take_while(|(n, _)| *n != "0013_managed_by_verified_domain")
        {
            sqlx::raw_sql(AssertSqlSafe(*sql)).execute(&mut conn).await.unwrap();
            sqlx::query("INSERT INTO gatehouse_migrations (name, checksum, applied_at) VALUES ($1, $2, 0)")
                .bind(*name)
                .bind(checksum(sql))
                .execute(&mut conn)
                .await
                .unwrap();
        }
        for sql in [
            "INSERT INTO orgs (id, name, plan, created_at) VALUES ('0190f0aa-0000-7000-8000-00000000000a', 'Acme', 'free', 0)",
            "INSERT INTO domains (id, org_id, name, token, status, claim_mode, created_at, verify_by) \
             VALUES ('d1', '0190f0aa-0000-7000-8000-00000000000a', 'acme.test', 't', 'verified', 'manual', 0, 0)",
            "INSERT INTO accounts (id, email, display_name, display_name_folded, status, created_at, email_domain, \
             delete_after) VALUES ('0190f0aa-0000-7000-8000-0000000000a1', 'ceo@victim.test', 'CEO', 'ceo', 'deactivated', 0, 'victim.test', 99)",
            "INSERT INTO accounts (id, email, display_name, display_name_folded, status, created_at, email_domain) \
             VALUES ('0190f0aa-0000-7000-8000-0000000000a2', 'ann@acme.test', 'Ann', 'ann', 'active', 0, 'acme.test')",
            "INSERT INTO org_accounts (org_id, account_id, is_managed, added_at, managed_via) VALUES \
             ('0190f0aa-0000-7000-8000-00000000000a', '0190f0aa-0000-7000-8000-0000000000a1', 1, 0, 'created'), ('0190f0aa-0000-7000-8000-00000000000a', '0190f0aa-0000-7000-8000-0000000000a2', 1, 0, 'scim')",
        ] {
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
        conn.close().await.unwrap();

        let pool = sqlx::any::AnyPoolOptions::new().connect(&url).await.unwrap();
        let ran = run(&pool, engine).await.unwrap();
        assert_eq!(ran.first().map(String::as_str), Some("0013_managed_by_verified_domain"));
        let links = sqlx::query("SELECT account_id, is_managed, managed_via FROM org_accounts ORDER BY account_id")
            .fetch_all(&pool)
            .await
            .unwrap();
        let got: Vec<(String, i64, Option<String>)> = links.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
        assert_eq!(
            got,
            [(A1.to_owned(), 0, None), (A2.to_owned(), 1, Some("scim".to_owned()))]
        );
        let a1 =
            sqlx::query("SELECT status, delete_after FROM accounts WHERE id = '0190f0aa-0000-7000-8000-0000000000a1'")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(
            a1.get::<String, _>(0),
            "deactivated",
            "the account is otherwise as it was"
        );
        assert_eq!(a1.get::<Option<i64>, _>(1), None, "nobody may carry its deletion out");
        let events = sqlx::query(
            "SELECT e.org_id, e.action, e.actor_type, e.changes, e.search_text, t.target_id FROM audit_events e \
             JOIN audit_targets t ON t.event_id = e.id WHERE e.action <> 'policy.created'",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(events.len(), 1, "one event per account unmanaged");
        let e = &events[0];
        assert_eq!(
            (e.get::<String, _>(0), e.get::<String, _>(1), e.get::<String, _>(2)),
            (O1.into(), "account.unmanaged".into(), "system".into())
        );
        let changes: serde_json::Value = serde_json::from_str(&e.get::<String, _>(3)).unwrap();
        assert_eq!(changes["before"]["managed_via"], "created");
        assert_eq!(changes["after"]["is_managed"], false);
        assert!(e.get::<String, _>(4).contains("ceo@victim.test"), "found by free text");
        assert_eq!(e.get::<String, _>(5), A1);
        assert!(run(&pool, engine).await.unwrap().is_empty(), "it runs once");
    }

    #[tokio::test]
    async fn sqlite_upgrading_to_verified_management_unmanages_accounts_without_a_verified_domain() {
        sqlx::any::install_default_drivers();
        upgrading_to_verified_management_unmanages_accounts_without_a_verified_domain(Dialect::Sqlite).await;
    }

    #[tokio::test]
    async fn postgres_upgrading_to_verified_management_unmanages_accounts_without_a_verified_domain() {
        sqlx::any::install_default_drivers();
        upgrading_to_verified_management_unmanages_accounts_without_a_verified_domain(Dialect::Postgres).await;
    }

    /// A database at 0014 with two sessions: 0016 gives each its own time-ordered public id
    /// (UUIDv7 with the session's creation millisecond) and keeps everything else.
    async fn upgrading_to_session_ids_gives_every_existing_session_one(engine: Dialect) {
        let db = TestDatabase::create(engine).await;
        let url = engine.normalize_url(&db.options.url);
        let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
        sqlx::query(CREATE).execute(&mut conn).await.unwrap();
        for (name, sql) in list(engine)
            .iter()
            .take_while(|(n, _)| *n != "0016_sessions_and_invitations")
        {
            sqlx::raw_sql(AssertSqlSafe(*sql)).execute(&mut conn).await.unwrap();
            sqlx::query("INSERT INTO gatehouse_migrations (name, checksum, applied_at) VALUES ($1, $2, 0)")
                .bind(*name)
                .bind(checksum(sql))
                .execute(&mut conn)
                .await
                .unwrap();
        }
        for sql in [
            "INSERT INTO accounts (id, email, display_name, display_name_folded, status, created_at, email_domain) \
             VALUES ('0190f0aa-0000-7000-8000-0000000000a2', 'ann@acme.test', 'Ann', 'ann', 'active', 0, 'acme.test')",
            "INSERT INTO sessions (digest, account_id, csrf, created_at, last_seen_at, expires_at, ip, user_agent) VALUES \
             ('d1', '0190f0aa-0000-7000-8000-0000000000a2', 'c1', 1764400000123, 1764400000123, 1764443200123, '192.0.2.1', 'Firefox'), \
             ('d2', '0190f0aa-0000-7000-8000-0000000000a2', 'c2', 1764400000123, 1764400000123, 1764443200123, NULL, NULL)",
        ] {
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
        conn.close().await.unwrap();

        let pool = sqlx::any::AnyPoolOptions::new().connect(&url).await.unwrap();
        assert!(
            run(&pool, engine)
                .await
                .unwrap()
                .contains(&"0016_sessions_and_invitations".to_owned())
        );
        let rows = sqlx::query("SELECT digest, id, csrf, ip FROM sessions ORDER BY digest")
            .fetch_all(&pool)
            .await
            .unwrap();
        let got: Vec<(String, String, String, Option<String>)> =
            rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))).collect();
        assert_eq!(got.len(), 2);
        assert_ne!(got[0].1, got[1].1, "each session its own id");
        for (_, id, _, _) in &got {
            let u = uuid::Uuid::try_parse(id).unwrap();
            assert_eq!(u.get_version_num(), 7, "{id}");
            assert!(
                id.starts_with("019ace6f-6c7b-7"),
                "the creation millisecond leads: {id}"
            );
            gatehouse_core::ids::SessionId::parse(id).unwrap();
        }
        assert_eq!((got[0].2.as_str(), got[0].3.as_deref()), ("c1", Some("192.0.2.1")));
        assert!(run(&pool, engine).await.unwrap().is_empty(), "it runs once");
    }

    #[tokio::test]
    async fn sqlite_upgrading_to_session_ids_gives_every_existing_session_one() {
        sqlx::any::install_default_drivers();
        upgrading_to_session_ids_gives_every_existing_session_one(Dialect::Sqlite).await;
    }

    #[tokio::test]
    async fn postgres_upgrading_to_session_ids_gives_every_existing_session_one() {
        sqlx::any::install_default_drivers();
        upgrading_to_session_ids_gives_every_existing_session_one(Dialect::Postgres).await;
    }
}
