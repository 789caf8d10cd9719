//! Authentication policies benchmark (issue 16): moving the most accounts one request takes
//! (10,000) into a policy and back, and simulating a change over a policy's members, on each
//! engine, through the admin API of a server on loopback.
//!
//!   cargo bench -p gatehouse-server --bench policies
//!   BENCH_ENGINES=sqlite BENCH_MEMBERS=10000 cargo bench -p gatehouse-server --bench policies
//!
//! Prints a Markdown table. Figures are for the machine it runs on; nothing here asserts time.

use gatehouse_core::authz;
use gatehouse_core::ids::OrgId;
use gatehouse_core::services::{NewAccount, Services};
use gatehouse_testkit::{Dialect, TestApp};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let engines = std::env::var("BENCH_ENGINES").unwrap_or_else(|_| "sqlite,postgres".into());
    let members = env_usize("BENCH_MEMBERS", 10_000);
    println!("| engine | measure | result |\n|---|---|---|");
    for e in engines.split(',') {
        let dialect = match e.trim() {
            "sqlite" => Dialect::Sqlite,
            "postgres" => Dialect::Postgres,
            other => panic!("unknown engine {other}"),
        };
        run(dialect, e.trim(), members).await;
    }
}

/// Managed accounts on the org's verified domain, made through the store (16 tasks); their ids.
async fn managed_accounts(services: &Services<gatehouse_store::SqlStore>, org: OrgId, n: usize) -> Vec<String> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (services, next) = (services.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let admin = authz::system(org, "bench");
            let mut ids = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break ids;
                }
                let input = NewAccount::parse(&format!("member-{i}@bench.test"), "Bench Member").unwrap();
                let (made, _) = services.accounts.create(&admin, input).await.unwrap();
                ids.push(made.account.id.to_string());
            }
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

async fn run(dialect: Dialect, name: &str, members: usize) {
    let app = TestApp::spawn(dialect).await;
    let org = app.create_org("Bench").await;
    app.verify_domain(&org, "bench.test", "manual").await;
    let org_id = OrgId::parse(&org.id).unwrap();
    let services = Services::new(app.store.clone(), app.clock.clone());
    let ids = managed_accounts(&services, org_id, members).await;
    let default = app.get(&org, "/policies").await.json["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let target = app.post(&org, "/policies", json!({"name": "Target"})).await.json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for chunk in ids.chunks(10_000) {
        for (label, to) in [("into a policy", &target), ("back to the default", &default)] {
            let start = Instant::now();
            let r = app
                .post(&org, &format!("/policies/{to}/members"), json!({"account_ids": chunk}))
                .await;
            let secs = start.elapsed().as_secs_f64();
            assert_eq!(
                r.json["moved"],
                chunk.len(),
                "{}",
                r.text.chars().take(300).collect::<String>()
            );
            println!(
                "| {name} | move {} accounts {label} (one request, one event each) | {:.2} s ({:.0} accounts/s) |",
                chunk.len(),
                secs,
                chunk.len() as f64 / secs
            );
        }
    }
    let proposal = json!({"two_step_verification": "required", "password": {"min_length": 20}});
    let mut times = Vec::new();
    let mut report = Value::Null;
    for _ in 0..5 {
        let start = Instant::now();
        report = app
            .post(&org, &format!("/policies/{default}/simulate"), proposal.clone())
            .await
            .json;
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    assert_eq!(report["accounts_checked"], members);
    println!(
        "| {name} | simulate a change over {members} members (median of 5; {} listed, truncated {}) | {:.0} ms |",
        report["accounts"].as_array().map_or(0, Vec::len),
        report["truncated"],
        times[2] * 1000.0
    );
}
