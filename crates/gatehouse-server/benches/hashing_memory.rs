//! Memory under password hashing: the process's resident memory (VmRSS) and its peak (VmHWM,
//! from /proc/self/status) after bursts of 100 requests at once on the sign-in pages. The
//! server runs in this process, so the figures are the server's (plus this client).
//!
//!   cargo bench -p gatehouse-server --bench hashing_memory
//!   BENCH_ENGINES=sqlite,postgres BENCH_BURST=200 BENCH_HASH_QUEUE=200 cargo bench -p gatehouse-server --bench hashing_memory
//!
//! `BENCH_HASH_QUEUE` sets the hashing queue (default 32, the server's): with one as long as
//! the burst, every request is hashed and none is turned away, and the memory is the same.
//!
//! Prints a Markdown table. Nothing here asserts; figures are for the machine it runs on.

use gatehouse_testkit::{Browser, Dialect, TestApp};
use reqwest::StatusCode;
use std::collections::BTreeMap;
use std::sync::Arc;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[path = "common/memory.rs"]
mod common_memory;
use common_memory::memory;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let engines = std::env::var("BENCH_ENGINES").unwrap_or_else(|_| "sqlite".into());
    let burst = env_usize("BENCH_BURST", 100);
    println!("| engine | after | answers | VmRSS | VmHWM |\n|---|---|---|---|---|");
    for e in engines.split(',') {
        let dialect = match e.trim() {
            "sqlite" => Dialect::Sqlite,
            "postgres" => Dialect::Postgres,
            other => panic!("unknown engine {other}"),
        };
        run(dialect, e.trim(), burst).await;
    }
}

fn row(engine: &str, after: &str, answers: &BTreeMap<u16, usize>) {
    let (rss, hwm) = memory();
    let answers: Vec<String> = answers.iter().map(|(s, n)| format!("{n}× {s}")).collect();
    println!(
        "| {engine} | {after} | {} | {rss:.0} MiB | {hwm:.0} MiB |",
        answers.join(", ")
    );
}

async fn run(dialect: Dialect, engine: &str, burst: usize) {
    // Limits high enough that the bursts reach the hashing pool (one client sends them all).
    let app = Arc::new(
        TestApp::spawn_with(dialect, |c| {
            c.sign_in.ip_ceiling = 1_000_000;
            c.sign_in.email_ceiling = 1_000_000;
            c.sign_in.attempts = 1000;
            c.sign_in.hash_queue = u32::try_from(env_usize("BENCH_HASH_QUEUE", 32)).unwrap_or(32);
        })
        .await,
    );
    let org = app.create_org("Bench").await;
    let b = Arc::new(Browser::new(&app.base));
    let csrf = b.get("/login/forgot").await.csrf();
    row(engine, "start", &BTreeMap::new());

    // Unauthenticated reset posts: well-formed tokens that name no link.
    let bogus: Vec<_> = (0..burst)
        .map(|n| {
            vec![
                ("token", format!("ghr_{n:0>43}")),
                ("password", "a long enough passphrase".into()),
            ]
        })
        .collect();
    let answers = fire(&b, &csrf, "/login/reset", bogus).await;
    row(engine, &format!("{burst} unauthenticated reset posts"), &answers);

    // Reset posts with working links (all for one account): each is hashed, or turned away
    // with 503 when the queue is full.
    let mut links = Vec::new();
    for _ in 0..burst {
        let (link, _) = app.reset_link(&org).await;
        let token = link.split("token=").nth(1).unwrap().to_owned();
        links.push(vec![("token", token), ("password", "a long enough passphrase".into())]);
    }
    let answers = fire(&b, &csrf, "/login/reset", links).await;
    row(engine, &format!("{burst} reset posts with working links"), &answers);

    // Sign-ins for unknown addresses: each verifies against the dummy hash.
    let sign_ins: Vec<_> = (0..burst)
        .map(|n| {
            vec![
                ("email", format!("nobody{n}@bench.example")),
                ("password", "a guessed password".into()),
            ]
        })
        .collect();
    let answers = fire(&b, &csrf, "/login", sign_ins).await;
    row(engine, &format!("{burst} sign-ins"), &answers);
}

/// Posts every form at once; how many got each status.
async fn fire(
    b: &Arc<Browser>,
    csrf: &str,
    path: &'static str,
    forms: Vec<Vec<(&'static str, String)>>,
) -> BTreeMap<u16, usize> {
    let tasks: Vec<_> = forms
        .into_iter()
        .map(|mut form| {
            let b = b.clone();
            form.push(("csrf", csrf.to_owned()));
            if path == "/login/reset" {
                form.push(("confirm", "a long enough passphrase".into()));
            }
            tokio::spawn(async move {
                b.client
                    .post(format!("{}{path}", b.base))
                    .form(&form)
                    .send()
                    .await
                    .map_or(StatusCode::BAD_GATEWAY, |r| r.status())
            })
        })
        .collect();
    let mut answers = BTreeMap::new();
    for t in tasks {
        *answers.entry(t.await.unwrap().as_u16()).or_insert(0) += 1;
    }
    answers
}
