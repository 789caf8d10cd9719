//! Billing benchmark (issue 17): the billable count and amount of an organization of
//! 1,000,000 accounts, one account's change reflected in them, and a change that reclassifies
//! everyone (the instance they all use to the enterprise edition and back), on each engine,
//! through the admin API of a server on loopback.
//!
//!   cargo bench -p gatehouse-server --bench billing
//!   BENCH_ENGINES=sqlite BENCH_ACCOUNTS=100000 cargo bench -p gatehouse-server --bench billing
//!
//! The accounts are seeded with SQL (one statement per table; seeding is not what is measured),
//! all managed, all in one group with access to one Jira instance; then every measured step goes
//! through HTTP. One account's change is measured twice: on connections new to its statements,
//! and warm (after 200 unmeasured changes). Prints a Markdown table; nothing here asserts time.

use gatehouse_core::ids::InstanceId;
use gatehouse_testkit::{Dialect, Grantee, TestApp, TestOrg};
use serde_json::json;
use std::time::{Duration, Instant};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let engines = std::env::var("BENCH_ENGINES").unwrap_or_else(|_| "sqlite,postgres".into());
    let accounts = env_usize("BENCH_ACCOUNTS", 1_000_000);
    println!("| engine | measure | result |\n|---|---|---|");
    for e in engines.split(',') {
        let dialect = match e.trim() {
            "sqlite" => Dialect::Sqlite,
            "postgres" => Dialect::Postgres,
            other => panic!("unknown engine {other}"),
        };
        run(dialect, e.trim(), accounts).await;
    }
}

/// Unmeasured changes before the warm figures: every pooled connection runs each statement
/// more than five times.
const WARM_UP: usize = 200;

fn row(engine: &str, measure: &str, result: &str) {
    println!("| {engine} | {measure} | {result} |");
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// The median and the worst of `n` timed runs of `f`.
async fn timed<F, Fut>(n: usize, mut f: F) -> (Duration, Duration)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut all = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        f(i).await;
        all.push(t.elapsed());
    }
    all.sort();
    (all[n / 2], all[n - 1])
}

/// `n` managed accounts in `org`, all members of `group`: three INSERT ... SELECT statements.
async fn seed(app: &TestApp, org: &TestOrg, group: &str, n: usize) {
    let pool = sqlx::AnyPool::connect(&app.options().url).await.expect("pool");
    let (series, id) = match app.dialect {
        Dialect::Sqlite => (
            "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < $1)",
            "'0190f0aa-0000-7000-8000-' || printf('%012d', n)",
        ),
        Dialect::Postgres => (
            "WITH s(n) AS (SELECT generate_series(1, CAST($1 AS BIGINT)))",
            "'0190f0aa-0000-7000-8000-' || lpad(CAST(n AS TEXT), 12, '0')",
        ),
    };
    let statements = [
        format!(
            "{series} INSERT INTO accounts (id, email, display_name, display_name_folded, status, created_at, \
             email_domain) SELECT {id}, 'm' || n || '@bench.test', 'Member', 'member', 'active', 0, 'bench.test' FROM s"
        ),
        format!(
            "{series} INSERT INTO org_accounts (org_id, account_id, is_managed, added_at, managed_via) \
             SELECT '{}', {id}, 1, 0, 'created' FROM s",
            org.id
        ),
        format!(
            "{series} INSERT INTO group_members (group_id, account_id, org_id, added_at) SELECT '{group}', {id}, '{}', 0 FROM s",
            org.id
        ),
    ];
    for s in statements {
        sqlx::query(sqlx::AssertSqlSafe(s))
            .bind(i64::try_from(n).unwrap())
            .execute(&pool)
            .await
            .expect("seed");
    }
    if app.dialect == Dialect::Postgres {
        sqlx::query("ANALYZE").execute(&pool).await.expect("analyze");
    }
    pool.close().await;
}

async fn run(dialect: Dialect, name: &str, n: usize) {
    let app = TestApp::spawn(dialect).await;
    let org = app.create_org("Bench").await;
    app.verify_domain(&org, "bench.test", "manual").await;
    let jira = app
        .create_instance(&org, "jira-software", "Jira", "https://jira.bench.test", "standard")
        .await;
    let group = app.create_group(&org, "Everyone").await;
    app.grant_access(&org, jira, Grantee::Group(group), "user").await;
    let t = Instant::now();
    seed(&app, &org, &group.to_string(), n).await;
    row(name, &format!("seed {n} accounts (SQL, not the API)"), &ms(t.elapsed()));

    // Everyone's facts are computed by the first change that touches them all.
    let edition = |e: &'static str| {
        let (app, org) = (&app, &org);
        async move {
            let r = app
                .patch(org, &format!("/instances/{jira}"), json!({"edition": e}))
                .await;
            assert!(r.status.is_success(), "{}", r.text);
        }
    };
    let t = Instant::now();
    edition("enterprise").await;
    row(
        name,
        "first count of everyone (edition change to enterprise, all new)",
        &ms(t.elapsed()),
    );
    let t = Instant::now();
    edition("standard").await;
    row(
        name,
        "edition change reclassifying everyone (enterprise to standard)",
        &ms(t.elapsed()),
    );
    let t = Instant::now();
    edition("premium").await;
    row(
        name,
        "edition change that changes no one's facts (standard to premium)",
        &ms(t.elapsed()),
    );

    let bill = || async {
        let r = app.get(&org, "/billing").await;
        assert!(r.status.is_success(), "{}", r.text);
        r.json["billable_users"].as_i64().unwrap()
    };
    assert_eq!(bill().await, i64::try_from(n).unwrap(), "everyone is billed");
    let (p50, worst) = timed(21, |_| async {
        bill().await;
    })
    .await;
    row(
        name,
        "GET /billing (count, by rule, amount; median of 21)",
        &format!("{} (worst {})", ms(p50), ms(worst)),
    );

    one_account(&app, &org, jira, n, name).await;
    app.stop().await;
}

/// One account's change, then the bill that shows it, in an organization of `n` billed
/// accounts with access to `jira` through their group.
async fn one_account(app: &TestApp, org: &TestOrg, jira: InstanceId, n: usize, name: &str) {
    // One account's change, then the bill that shows it: first on connections that have not
    // run these statements yet (PostgreSQL plans each of a connection's first five runs of a
    // prepared statement anew: about 3 ms for the classifier's update), then in the steady
    // state of a running server, after as many unmeasured changes as warm every connection.
    let one = app.create_account(org, "one@bench.test", "One").await;
    let status = |i: usize| {
        let (app, org) = (app, org);
        async move {
            let status = if i.is_multiple_of(2) { "deactivated" } else { "active" };
            let r = app
                .patch(org, &format!("/accounts/{one}"), json!({"status": status}))
                .await;
            assert!(r.status.is_success(), "{}", r.text);
        }
    };
    // A grant (POST) or a revocation (DELETE of the grant found first, unmeasured).
    let grant_only = |i: usize| {
        let (app, org) = (app, org);
        async move {
            if i.is_multiple_of(2) {
                app.grant_access(org, jira, Grantee::Account(one), "user").await;
            } else {
                let g = app.get(org, &format!("/access?account_id={one}")).await;
                let id = g.json["items"][0]["id"].as_str().unwrap().to_owned();
                let t = Instant::now();
                let r = app.delete(org, &format!("/access/{id}")).await;
                assert!(r.status.is_success(), "{}", r.text);
                return Some(t.elapsed());
            }
            None
        }
    };
    let grant = |i: usize| {
        let (app, org) = (app, org);
        async move {
            grant_only(i).await;
            let expected = i64::try_from(n).unwrap() + i64::from(i.is_multiple_of(2));
            let r = app.get(org, "/billing").await;
            assert_eq!(r.json["billable_users"].as_i64().unwrap(), expected);
        }
    };
    for phase in ["cold", "warm"] {
        if phase == "warm" {
            timed(WARM_UP, status).await;
            timed(WARM_UP, grant).await;
        }
        let (p50, worst) = timed(20, status).await;
        row(
            name,
            &format!("one account's status change (PATCH; median of 20, {phase})"),
            &format!("{} (worst {})", ms(p50), ms(worst)),
        );
        let mut alone = Vec::with_capacity(20);
        for i in 0..20 {
            let t = Instant::now();
            let revoked = grant_only(i).await;
            alone.push(revoked.unwrap_or_else(|| t.elapsed()));
        }
        alone.sort();
        row(
            name,
            &format!("one account's grant or revocation alone (POST or DELETE; median of 20, {phase})"),
            &format!("{} (worst {})", ms(alone[10]), ms(alone[19])),
        );
        let (p50, worst) = timed(20, grant).await;
        row(
            name,
            &format!("one account's grant or revocation, then GET /billing showing it (median of 20, {phase})"),
            &format!("{} (worst {})", ms(p50), ms(worst)),
        );
    }
}
