//! Foundation benchmark: account creation through the store and the API, every audit filter
//! (alone, in the console's combinations, matching nothing) and free text at 10M events in one
//! organization with 4 concurrent clients, export rates and the process's memory — on each
//! engine.
//!
//!   cargo bench -p gatehouse-server --bench foundation
//!   BENCH_ENGINES=sqlite BENCH_ACCOUNTS=20000 BENCH_EVENTS=200000 cargo bench -p gatehouse-server --bench foundation
//!   BENCH_ACCOUNTS=0 BENCH_EVENTS=10000000 cargo bench -p gatehouse-server --bench foundation   (audit only)
//!
//! `BENCH_KEEP=1` keeps the audit-only databases between runs (SQLite under
//! `<temp>/gatehouse-bench/`, PostgreSQL as `gh_bench_*`), so seeding 10M events is paid once;
//! drop them by hand when done. `BENCH_PRUNE_DAYS=162` ends the run with a retention pass
//! (the server's batches and pauses) deleting what is older than that many days (the oldest
//! tenth of the seeded 180 days) while four writers create groups through the API: their
//! latency during the pass. It deletes those events, which the next kept run seeds again.
//!
//! Prints a Markdown table. Figures are for the machine it runs on; nothing here asserts time.

use gatehouse_core::Timestamp;
use gatehouse_core::audit::{Actor, ActorKind, AuditEvent, AuditFilter, RequestMeta};
use gatehouse_core::authz;
use gatehouse_core::ids::OrgId;
use gatehouse_core::page::PageRequest;
use gatehouse_core::ports::{Clock, prelude::*};
use gatehouse_core::services::{NewAccount, Services};
use gatehouse_testkit::{Dialect, TestApp, TestOrg};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let engines = std::env::var("BENCH_ENGINES").unwrap_or_else(|_| "sqlite,postgres".into());
    let accounts = env_usize("BENCH_ACCOUNTS", 100_000);
    let events = env_usize("BENCH_EVENTS", 10_000_000);
    println!("| engine | measure | result |\n|---|---|---|");
    for e in engines.split(',') {
        let dialect = match e.trim() {
            "sqlite" => Dialect::Sqlite,
            "postgres" => Dialect::Postgres,
            other => panic!("unknown engine {other}"),
        };
        run(dialect, e.trim(), accounts, events).await;
    }
}

async fn run(dialect: Dialect, name: &str, accounts: usize, events: usize) {
    let keep = std::env::var_os("BENCH_KEEP").is_some() && accounts == 0;
    let (app, org) = if keep {
        kept_app(dialect, events).await
    } else {
        let app = Arc::new(TestApp::spawn(dialect).await);
        let org = app.create_org("Bench").await;
        (app, org)
    };
    let org_id = OrgId::parse(&org.id).unwrap();
    let services = Services::new(app.store.clone(), app.clock.clone());

    if accounts > 0 {
        let rate = create_accounts_via_store(&services, org_id, accounts).await;
        println!("| {name} | accounts created through the store (16 tasks, {accounts}) | {rate:.0}/s |");
        let rate = create_accounts_via_api(&app, &org, accounts).await;
        println!("| {name} | accounts created through the API (32 connections, {accounts}) | {rate:.0}/s |");
    }

    let start = Instant::now();
    let existing = seed_events(&app, org_id, events).await;
    println!(
        "| {name} | audit events seeded to {} (store, batches of 5000) | {:.0}/s |",
        existing,
        events as f64 / start.elapsed().as_secs_f64()
    );

    // The statistics autovacuum keeps of a live table (it analyzes after a tenth changes).
    if dialect == Dialect::Postgres {
        let pool = sqlx::AnyPool::connect(&app.options().url).await.unwrap();
        sqlx::query("ANALYZE audit_events").execute(&pool).await.unwrap();
        pool.close().await;
    }
    // What the hourly job keeps of the text's fragments (PostgreSQL; nothing on SQLite).
    let t = Instant::now();
    let kept = services.audit.refresh_text_statistics().await.unwrap();
    println!(
        "| {name} | text statistics job | {kept} fragments kept in {:.2} s |",
        t.elapsed().as_secs_f64()
    );
    println!("| {name} | resident memory after seeding | {} |", memory());
    // Two unmeasured requests of every query per client first, as a server that has run a
    // while has its statements prepared on every connection: otherwise the first query
    // measured pays for that (PostgreSQL's and SQLite's "no filter" p95 went 4-4.5 ms to 5.6).
    for (_, query) in filtered_queries() {
        page_latency(&app, &org, &query, 8).await;
    }
    for (label, query) in filtered_queries() {
        let m = page_latency(&app, &org, &query, 200).await;
        println!(
            "| {name} | audit page of 50, {label} (API, 4 clients) | p50 {:.2} ms, p95 {:.2} ms; {} of 200 stopped at the budget |",
            m.p50, m.p95, m.partial
        );
    }
    let (p50, p95) = store_page_latency(&services, org_id, 200).await;
    println!("| {name} | audit page of 50, action filter (store) | p50 {p50:.2} ms, p95 {p95:.2} ms |");

    // One unmeasured pass warms the caches, so the two formats are compared on equal terms.
    export(&app, &org, "jsonl").await;
    for format in ["csv", "jsonl"] {
        let (n, secs) = export(&app, &org, format).await;
        println!(
            "| {name} | {format} export of {n} events (API) | {:.0} events/s ({secs:.1} s) |",
            n as f64 / secs
        );
    }
    println!("| {name} | resident memory at the end | {} |", memory());
    if let Some(days) = std::env::var("BENCH_PRUNE_DAYS").ok().and_then(|d| d.parse().ok()) {
        prune_while_writing(&app, &org, &services, days, name).await;
    }
}

#[path = "common/writers.rs"]
mod common_writers;

/// A retention pass over the org's log keeping `days`, with four writers through the API.
async fn prune_while_writing(
    app: &Arc<TestApp>,
    org: &TestOrg,
    services: &Services<gatehouse_store::SqlStore>,
    days: u32,
    name: &str,
) {
    use common_writers::{join_writers, latencies, start_writers};
    use std::sync::atomic::AtomicBool;
    // Past any lease the server's own job took meanwhile.
    app.clock.advance_secs(301);
    let stop = Arc::new(AtomicBool::new(false));
    let writers = start_writers(app, org, &stop, "before");
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    let before = latencies(join_writers(writers).await);
    println!("| {name} | writes through the API, no pass running | {before} |");
    let stop = Arc::new(AtomicBool::new(false));
    let writers = start_writers(app, org, &stop, "during");
    let t = Instant::now();
    let pass = services
        .audit
        .prune_pausing(days, gatehouse_core::services::PRUNE_BATCH, "bench", tokio::time::sleep);
    let deleted = pass.await.unwrap().expect("the lease");
    let took = t.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let during = latencies(join_writers(writers).await);
    println!("| {name} | writes through the API during a retention pass | {during} |");
    println!(
        "| {name} | retention pass | {deleted} events older than {days} days in {took:.1} s: {:.0} events/s |",
        deleted as f64 / took
    );
}

/// The server over a database kept between runs, and its bench organization (made on the
/// first run, its id kept beside the database) with a new key. Retention is set far out so the
/// server's job does not prune the seeded months while the bench measures.
async fn kept_app(dialect: Dialect, events: usize) -> (Arc<TestApp>, TestOrg) {
    let name = format!("foundation_{events}");
    let (db, existed) = gatehouse_store::testing::TestDatabase::kept(dialect, &name).await;
    let sidecar = std::env::temp_dir()
        .join("gatehouse-bench")
        .join(format!("{name}-{dialect:?}.org"));
    // The database's secrets are sealed with this key file, kept beside it.
    let key_file = sidecar.with_extension("key");
    std::fs::create_dir_all(sidecar.parent().unwrap()).unwrap();
    let app = Arc::new(
        TestApp::spawn_on(db, |c| {
            c.audit.retention_days = 36_500;
            c.secret_key_file = Some(key_file);
        })
        .await,
    );
    let known = if existed {
        std::fs::read_to_string(&sidecar).ok()
    } else {
        None
    };
    let org = if let Some(id) = known {
        let org = OrgId::parse(id.trim()).unwrap();
        let services = Services::new(app.store.clone(), app.clock.clone());
        let spec = gatehouse_core::services::NewApiKey::parse("bench", Some(1)).unwrap();
        let created = services
            .api_keys
            .create(&authz::system(org, "bench"), spec)
            .await
            .unwrap();
        TestOrg {
            id: org.to_string(),
            key: created.secret,
            admin_account_id: String::new(),
        }
    } else {
        let org = app.create_org("Bench").await;
        std::fs::write(&sidecar, &org.id).unwrap();
        org
    };
    (app, org)
}

#[path = "common/memory.rs"]
mod common_memory;

/// The process's resident memory now and at its peak.
fn memory() -> String {
    let (rss, peak) = common_memory::memory();
    format!("{rss:.0} MiB (peak {peak:.0} MiB)")
}

async fn create_accounts_via_store(services: &Services<gatehouse_store::SqlStore>, org: OrgId, n: usize) -> f64 {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (services, next) = (services.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let admin = authz::system(org, "bench");
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let input = NewAccount::parse(&format!("store-{i}@bench.example"), "Bench Person").unwrap();
                services.accounts.create(&admin, input).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    n as f64 / start.elapsed().as_secs_f64()
}

async fn create_accounts_via_api(app: &Arc<TestApp>, org: &TestOrg, n: usize) -> f64 {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let (app, org, next) = (app.clone(), org.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let r = app
                    .post(
                        &org,
                        "/accounts",
                        json!({"email": format!("api-{i}@bench.example"), "display_name": "Bench Person"}),
                    )
                    .await;
                assert_eq!(r.status, 201, "{}", r.text);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    n as f64 / start.elapsed().as_secs_f64()
}

use gatehouse_core::audit::AuditAction::AccountDeactivated;

const ACTIONS: [gatehouse_core::audit::AuditAction; 6] = {
    use gatehouse_core::audit::AuditAction::{
        AccountUpdated, GroupCreated, GroupMemberAdded, InstanceUpdated, ProductAccessGranted, ProductAccessRevoked,
    };
    [
        AccountUpdated,
        GroupMemberAdded,
        ProductAccessGranted,
        ProductAccessRevoked,
        InstanceUpdated,
        GroupCreated,
    ]
};

/// Tops the org's log up to `total` events spread over the last 180 days, oldest first. Event
/// `i` is one of 6 actions by API key `key-{i % 50}` from one of 200 addresses on account
/// `acct-{i % 10000}` (`person{i % 10000}@bench.example`); every 100,000th is Ada Lovelace
/// (an account, not a key) deactivating `ada@acme.example`: rare text.
async fn seed_events(app: &TestApp, org: OrgId, total: usize) -> usize {
    let have = {
        use gatehouse_core::ports::prelude::*;
        app.store.reader().await.unwrap().count_events(org).await.unwrap() as usize
    };
    let missing = total.saturating_sub(have);
    let now = app.clock.now().millis();
    let span = 180 * 86_400_000_i64;
    let ada = Actor {
        kind: ActorKind::Account,
        id: Some("acc-ada".into()),
        label: "Ada Lovelace".into(),
    };
    let mut i = 0usize;
    while i < missing {
        let mut tx = app.store.begin().await.unwrap();
        let mut batch = Vec::with_capacity(5000);
        for _ in 0..5000.min(missing - i) {
            // Oldest first, so ids (which carry the time) grow as rows are added.
            let at = Timestamp::from_millis(now - span + (span / missing as i64) * i as i64);
            let meta = RequestMeta {
                ip: Some(format!("198.51.100.{}", i % 200)),
                user_agent: Some("bench/1.0".into()),
            };
            let ev = if i % 100_000 == 99_999 {
                AuditEvent::new(org, &ada, &meta, AccountDeactivated, at).target(
                    "account",
                    "acct-ada",
                    Some("ada@acme.example"),
                )
            } else {
                let actor = Actor {
                    kind: ActorKind::ApiKey,
                    id: Some(format!("key-{}", i % 50)),
                    label: format!("Key {}", i % 50),
                };
                AuditEvent::new(org, &actor, &meta, ACTIONS[i % ACTIONS.len()], at).target(
                    "account",
                    format!("acct-{}", i % 10_000),
                    Some(&format!("person{}@bench.example", i % 10_000)),
                )
            };
            batch.push(ev.after(&json!({"n": i})));
            i += 1;
        }
        tx.insert_events(&batch).await.unwrap();
        tx.commit().await.unwrap();
    }
    have + missing
}

/// Every filter alone (matching much, little and nothing), the console's combinations (text,
/// action, actor, time range), and free text common, rare and absent.
fn filtered_queries() -> Vec<(&'static str, String)> {
    let now = Timestamp::now();
    let day_ago = now.plus_secs(-86_400 * 30).to_rfc3339();
    let day_before = now.plus_secs(-86_400 * 29).to_rfc3339();
    let day = format!("since={day_ago}&until={day_before}");
    vec![
        ("no filter", String::new()),
        ("one-day time range", day.clone()),
        ("actor_type=api_key (nearly all)", "actor_type=api_key".into()),
        ("actor_type=directory (none)", "actor_type=directory".into()),
        ("actor (1 in 50)", "actor=key-7".into()),
        ("actor (none)", "actor=nobody".into()),
        ("action (1 in 6)", "action=product_access.granted".into()),
        ("action (none)", "action=group.deleted".into()),
        (
            "three actions",
            "action=group.created,account.updated,group.deleted".into(),
        ),
        ("target (1 in 10,000)", "target=acct-4242".into()),
        ("target (none)", "target=nothing-here".into()),
        ("ip (1 in 200)", "ip=198.51.100.77".into()),
        ("ip (none)", "ip=203.0.113.1".into()),
        ("action + time range", format!("action=group.created&{day}")),
        ("actor + time range", format!("actor=key-7&{day}")),
        ("action + actor (1 in 150)", "action=group.created&actor=key-5".into()),
        ("action + actor (none)", "action=group.created&actor=key-8".into()),
        ("text + action", "q=person1&action=group.created".into()),
        ("text + actor (none)", "q=zzqq&actor=key-7".into()),
        ("text + time range", format!("q=person42&{day}")),
        ("free text, common (person1)", "q=person1".into()),
        ("free text, rare word (lovelace)", "q=lovelace".into()),
        ("free text, rare prefix (ada@acme)", "q=ada@acme".into()),
        ("free text, rare (person9999@)", "q=person9999@".into()),
        ("free text, absent (zzqq)", "q=zzqq".into()),
    ]
}

/// Latency of `runs` requests of `query` from 4 concurrent clients.
struct Measured {
    p50: f64,
    p95: f64,
    partial: usize,
}

async fn page_latency(app: &Arc<TestApp>, org: &TestOrg, query: &str, runs: usize) -> Measured {
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (app, org, query) = (app.clone(), org.clone(), query.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::with_capacity(runs / 4);
            let mut partial = 0;
            for _ in 0..runs / 4 {
                let start = Instant::now();
                let r = app.get(&org, &format!("/events?limit=50&{query}")).await;
                samples.push(start.elapsed());
                assert_eq!(r.status, 200, "{}", r.text);
                partial += usize::from(r.json.get("searched_until").is_some());
            }
            (samples, partial)
        }));
    }
    let (mut samples, mut partial) = (Vec::with_capacity(runs), 0);
    for t in tasks {
        let (s, p) = t.await.unwrap();
        samples.extend(s);
        partial += p;
    }
    samples.sort();
    Measured {
        p50: pct(&samples, 0.5),
        p95: pct(&samples, 0.95),
        partial,
    }
}

async fn store_page_latency(services: &Services<gatehouse_store::SqlStore>, org: OrgId, runs: usize) -> (f64, f64) {
    let admin = authz::system(org, "bench");
    let filter = AuditFilter {
        actions: vec!["product_access.granted".into()],
        ..Default::default()
    };
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        services
            .audit
            .list(&admin, &filter, &PageRequest::first(50))
            .await
            .unwrap();
        samples.push(start.elapsed());
    }
    samples.sort();
    (pct(&samples, 0.5), pct(&samples, 0.95))
}

async fn export(app: &TestApp, org: &TestOrg, format: &str) -> (usize, f64) {
    let start = Instant::now();
    let url = format!("{}/api/v1/orgs/{}/events/export?format={format}", app.base, org.id);
    let mut res = app.client.get(url).bearer_auth(&org.key).send().await.unwrap();
    let mut lines = 0usize;
    while let Some(chunk) = res.chunk().await.unwrap() {
        // A plain count is plenty fast next to the network read it follows.
        #[allow(clippy::naive_bytecount)]
        let n = chunk.iter().filter(|b| **b == b'\n').count();
        lines += n;
    }
    let secs = start.elapsed().as_secs_f64();
    (if format == "csv" { lines - 1 } else { lines }, secs)
}
