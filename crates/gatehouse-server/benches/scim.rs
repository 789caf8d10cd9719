//! SCIM benchmark: users provisioned per second over HTTP (16 concurrent clients), one PATCH
//! adding 10,000 members to a group, and `userName eq` lookup latency with many users.
//!
//!   cargo bench -p gatehouse-server --bench scim
//!   BENCH_ENGINES=sqlite BENCH_SCIM_USERS=10000 BENCH_LOOKUP_USERS=1000000 cargo bench -p gatehouse-server --bench scim
//!   BENCH_MAX_CONNECTIONS=8 (the server's database pool)
//!   BENCH_TOKEN_CACHE_SECONDS=0 (read the SCIM token on every request; default: the server's)
//!   BENCH_SQLITE_SYNCHRONOUS=normal (SQLite's durability level; default: the server's, full)
//!   BENCH_ONLY=lookup (seed and time only the lookups, e.g. under `perf record`)
//!   BENCH_LOOKUPS=300 (how many lookups are timed; the loop's start and end go to stderr)
//!
//! Prints a Markdown table; nothing here asserts time.

use gatehouse_core::Timestamp;
use gatehouse_core::audit::{Actor, ActorKind, AuditEvent, RequestMeta};
use gatehouse_core::directory::ScimUser;
use gatehouse_core::ids::{AccountId, DirectoryId, OrgId};
use gatehouse_core::model::Account;
use gatehouse_core::ports::{NewProvisionedUser, OrgLink, ProvisionedUsers, Store};
use gatehouse_core::product::AccountStatus;
use gatehouse_testkit::{Dialect, TestApp};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let engines = std::env::var("BENCH_ENGINES").unwrap_or_else(|_| "sqlite,postgres".into());
    let users = env_usize("BENCH_SCIM_USERS", 10_000);
    let lookup_users = env_usize("BENCH_LOOKUP_USERS", 200_000);
    println!("| engine | measure | result |\n|---|---|---|");
    for e in engines.split(',') {
        let dialect = if e.trim() == "postgres" {
            Dialect::Postgres
        } else {
            Dialect::Sqlite
        };
        run(dialect, e.trim(), users, lookup_users).await;
    }
}

/// CPU time this process's threads have run, in ms (Linux schedstat; 0 elsewhere). Less
/// sensitive to other load on the machine than wall time.
fn cpu_ms() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    let ns: u64 = tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next().and_then(|n| n.parse::<u64>().ok()))
        .sum();
    ns as f64 / 1e6
}

struct Dir {
    base: String,
    token: String,
    id: String,
}

#[allow(clippy::too_many_lines)] // a benchmark script reads best top to bottom
async fn run(dialect: Dialect, name: &str, users: usize, lookup_users: usize) {
    // BENCH_MAX_CONNECTIONS: the server's database pool (default: the server's own default).
    let pool = std::env::var("BENCH_MAX_CONNECTIONS").ok().and_then(|v| v.parse().ok());
    // BENCH_TOKEN_CACHE_SECONDS: how long a verified SCIM token is trusted (0: read each time).
    let token_cache = std::env::var("BENCH_TOKEN_CACHE_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok());
    // BENCH_SQLITE_SYNCHRONOUS: full or normal (default: the server's own default).
    let synchronous = std::env::var("BENCH_SQLITE_SYNCHRONOUS")
        .ok()
        .map(|v| gatehouse_store::SqliteSynchronous::parse(&v).expect("BENCH_SQLITE_SYNCHRONOUS: full or normal"));
    let app = Arc::new(
        TestApp::spawn_with(dialect, |c| {
            if let Some(s) = synchronous {
                c.database.sqlite_synchronous = s;
            }
            if let Some(n) = pool {
                c.database.max_connections = n;
            }
            if let Some(s) = token_cache {
                c.scim.token_cache_seconds = s;
            }
        })
        .await,
    );
    let org = app.create_org("Bench").await;
    let r = app.post(&org, "/directories", json!({"name": "Bench IdP"})).await;
    let dir = Arc::new(Dir {
        base: r.json["directory"]["scim_base_url"].as_str().unwrap().to_owned(),
        token: r.json["token"]["secret"].as_str().unwrap().to_owned(),
        id: r.json["directory"]["id"].as_str().unwrap().to_owned(),
    });

    let users = if std::env::var("BENCH_ONLY").is_ok_and(|v| v == "lookup") {
        0
    } else {
        provision_and_patch(&app, &dir, name, users).await
    };
    seed_users(
        &app,
        OrgId::parse(&org.id).unwrap(),
        DirectoryId::parse(&dir.id).unwrap(),
        lookup_users,
    )
    .await;
    let lookups = env_usize("BENCH_LOOKUPS", 300).max(1);
    let mut samples = Vec::with_capacity(lookups);
    eprintln!("lookup loop starts (pid {})", std::process::id());
    let (loop_start, loop_cpu) = (Instant::now(), cpu_ms());
    for k in 0..lookups {
        let i = (k * 7919) % lookup_users;
        let t = Instant::now();
        let res = app
            .client
            .get(format!(
                "{}/Users?filter=userName%20eq%20%22seed{i}%40bench.test%22",
                dir.base
            ))
            .bearer_auth(&dir.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let v: Value = res.json().await.unwrap();
        samples.push(t.elapsed());
        assert_eq!(v["totalResults"], 1);
    }
    eprintln!(
        "lookup loop ends: {lookups} lookups, mean {:.3} ms, process CPU {:.3} ms each",
        loop_start.elapsed().as_secs_f64() * 1000.0 / lookups as f64,
        (cpu_ms() - loop_cpu) / lookups as f64
    );
    samples.sort();
    let pct = |p: f64| samples[((samples.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1000.0;
    println!(
        "| {name} | userName eq lookup among {} users (API), p50 / p95 | {:.2} / {:.2} ms |",
        lookup_users + users,
        pct(0.5),
        pct(0.95)
    );
}

/// Provisions `users` users over SCIM with 16 clients, then adds them all to one group with a
/// single PATCH; prints both figures and returns how many users it made.
#[allow(clippy::too_many_lines)] // a benchmark script reads best top to bottom
async fn provision_and_patch(app: &Arc<TestApp>, dir: &Arc<Dir>, name: &str, users: usize) -> usize {
    let next = Arc::new(AtomicUsize::new(0));
    let ids = Arc::new(std::sync::Mutex::new(Vec::with_capacity(users)));
    let start = Instant::now();
    let cpu_start = cpu_ms();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (app, dir, next, ids) = (app.clone(), dir.clone(), next.clone(), ids.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= users {
                    break;
                }
                let body = json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": format!("user{i}@bench.test"),
                    "name": {"givenName": "Bench", "familyName": format!("User {i}")},
                    "emails": [{"primary": true, "type": "work", "value": format!("user{i}@bench.test")}],
                    "externalId": format!("ext-{i}"),
                    "active": true
                });
                let res = app
                    .client
                    .post(format!("{}/Users", dir.base))
                    .bearer_auth(&dir.token)
                    .header("content-type", "application/scim+json")
                    .body(body.to_string())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 201);
                let v: Value = res.json().await.unwrap();
                ids.lock().unwrap().push(v["id"].as_str().unwrap().to_owned());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    println!(
        "| {name} | users provisioned over SCIM (16 clients, {users}) | {:.0}/s (process CPU {:.0} ms) |",
        users as f64 / start.elapsed().as_secs_f64(),
        cpu_ms() - cpu_start
    );
    let (sum, count) = (
        app.metric("gatehouse_scim_create_batch_size_sum").await,
        app.metric("gatehouse_scim_create_batch_size_count").await,
    );
    println!(
        "| {name} | creates per batch (mean of {count} batches; {} rolled back) | {:.1} |",
        app.metric("gatehouse_scim_create_batch_rollbacks_total").await,
        sum / count.max(1.0)
    );

    let res = app
        .client
        .post(format!("{}/Groups", dir.base))
        .bearer_auth(&dir.token)
        .header("content-type", "application/scim+json")
        .body(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Everyone"}).to_string(),
        )
        .send()
        .await
        .unwrap();
    let gid = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let members: Vec<Value> = ids.lock().unwrap().iter().map(|i| json!({"value": i})).collect();
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "path": "members", "value": members}]});
    let start = Instant::now();
    let cpu_start = cpu_ms();
    let res = app
        .client
        .patch(format!("{}/Groups/{gid}", dir.base))
        .bearer_auth(&dir.token)
        .header("content-type", "application/scim+json")
        .body(patch.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204, "{}", res.text().await.unwrap_or_default());
    println!(
        "| {name} | one PATCH adding {} members to a group | {:.0} ms (process CPU {:.0} ms) |",
        ids.lock().unwrap().len(),
        start.elapsed().as_secs_f64() * 1000.0,
        cpu_ms() - cpu_start
    );

    ids.lock().unwrap().len()
}

/// Adds `n` provisioned users straight through the store, as the batch path writes them
/// (fast setup for the lookup).
async fn seed_users(app: &TestApp, org: OrgId, dir: DirectoryId, n: usize) {
    let now = Timestamp::now();
    let actor = Actor {
        kind: ActorKind::Directory,
        id: Some(dir.to_string()),
        label: "Bench IdP".into(),
    };
    let mut i = 0;
    while i < n {
        let mut batch = Vec::with_capacity(1000);
        for _ in 0..1000.min(n - i) {
            let email = format!("seed{i}@bench.test");
            let account = Account {
                id: AccountId::new(),
                email: email.clone(),
                display_name: "Seed".into(),
                status: AccountStatus::Active,
                created_at: now,
                last_active_at: None,
                delete_after: None,
            };
            let user = ScimUser {
                id: uuid::Uuid::now_v7().to_string(),
                directory_id: dir,
                account_id: account.id,
                user_name: email.clone(),
                external_id: Some(format!("seed-{i}")),
                email: Some(email.clone()),
                active: true,
                resource: json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": email, "active": true}).to_string(),
                version: 1,
                created_at: now,
                updated_at: now,
            };
            let event = AuditEvent::new(
                org,
                &actor,
                &RequestMeta::default(),
                gatehouse_core::audit::AuditAction::ScimUserCreated,
                now,
            )
            .target("account", account.id, Some(&email));
            // Nobody verified bench.test: the directory's organization sees these accounts
            // without managing them, as the users it provisions over HTTP here.
            batch.push(NewProvisionedUser {
                link: OrgLink::unmanaged(org, account.id),
                account,
                user,
                event,
            });
            i += 1;
        }
        let written = app
            .store
            .insert_provisioned_users(&ProvisionedUsers {
                users: &batch,
                linked_at: now,
            })
            .await
            .unwrap();
        assert_eq!(written.len(), batch.len());
    }
}
