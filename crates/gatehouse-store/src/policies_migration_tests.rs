//! Migration 0021 on a database that has organizations and identity providers: every
//! organization gets its default policy, which takes over the providers' "enforced" switches,
//! with a `policy.created` event of the migration; it runs once.

use crate::dialect::Dialect;
use crate::migrate::{CREATE, checksum, list, run};
use crate::testing::TestDatabase;
use sqlx::{AssertSqlSafe, Connection, Row};

const ONE: &str = "0190f0aa-0000-7000-8000-0000000000c1";
const TWO: &str = "0190f0aa-0000-7000-8000-0000000000c2";
const NONE: &str = "0190f0aa-0000-7000-8000-0000000000c3";
const IDP_A: &str = "0190f0aa-0000-7000-8000-0000000000d1";

async fn the_default_policy_takes_over_the_providers_switches(engine: Dialect) {
    let db = TestDatabase::create(engine).await;
    let url = engine.normalize_url(&db.options.url);
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    sqlx::query(CREATE).execute(&mut conn).await.unwrap();
    for (name, sql) in list(engine).iter().take_while(|(n, _)| *n != "0021_policies") {
        sqlx::raw_sql(AssertSqlSafe(*sql)).execute(&mut conn).await.unwrap();
        sqlx::query("INSERT INTO gatehouse_migrations (name, checksum, applied_at) VALUES ($1, $2, 0)")
            .bind(*name)
            .bind(checksum(sql))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    for org in [ONE, TWO, NONE] {
        sqlx::query("INSERT INTO orgs (id, name, plan, created_at) VALUES ($1, 'Org', 'free', 0)")
            .bind(org)
            .execute(&mut conn)
            .await
            .unwrap();
    }
    // ONE enforces one provider (and has another, not enforced); TWO enforces two; NONE none.
    for (id, org, enforced) in [
        (IDP_A, ONE, 1),
        ("0190f0aa-0000-7000-8000-0000000000d2", ONE, 0),
        ("0190f0aa-0000-7000-8000-0000000000d3", TWO, 1),
        ("0190f0aa-0000-7000-8000-0000000000d4", TWO, 1),
        ("0190f0aa-0000-7000-8000-0000000000d5", NONE, 0),
    ] {
        sqlx::query(
            "INSERT INTO identity_providers (id, org_id, name, protocol, enforced, allow_idp_initiated, map_groups, \
             settings, created_at, updated_at) VALUES ($1, $2, 'IdP', 'oidc', $3, 0, 0, '{}', 0, 0)",
        )
        .bind(id)
        .bind(org)
        .bind(enforced)
        .execute(&mut conn)
        .await
        .unwrap();
    }
    conn.close().await.unwrap();

    let pool = sqlx::any::AnyPoolOptions::new().connect(&url).await.unwrap();
    let ran = run(&pool, engine).await.unwrap();
    assert_eq!(ran.first().map(String::as_str), Some("0021_policies"));
    let rows =
        sqlx::query("SELECT org_id, name, is_default, sso_enforced, sso_idp_id FROM auth_policies ORDER BY org_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    let got: Vec<(String, String, i64, i64, Option<String>)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    let default = |org: &str, enforced: i64, idp: Option<&str>| {
        (
            org.to_owned(),
            "Default".to_owned(),
            1,
            enforced,
            idp.map(str::to_owned),
        )
    };
    assert_eq!(
        got,
        [
            default(ONE, 1, Some(IDP_A)),
            default(TWO, 1, None),
            default(NONE, 0, None)
        ],
        "one provider is named; several are each domain's own; none enforces nothing"
    );
    let events = sqlx::query("SELECT org_id, action, actor_type FROM audit_events ORDER BY org_id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(events.len(), 3, "one event per organization");
    assert!(
        events
            .iter()
            .all(|e| e.get::<String, _>(1) == "policy.created" && e.get::<String, _>(2) == "system")
    );
    assert!(run(&pool, engine).await.unwrap().is_empty(), "it runs once");
}

#[tokio::test]
async fn sqlite_the_default_policy_takes_over_the_providers_switches() {
    sqlx::any::install_default_drivers();
    the_default_policy_takes_over_the_providers_switches(Dialect::Sqlite).await;
}

#[tokio::test]
async fn postgres_the_default_policy_takes_over_the_providers_switches() {
    sqlx::any::install_default_drivers();
    the_default_policy_takes_over_the_providers_switches(Dialect::Postgres).await;
}
