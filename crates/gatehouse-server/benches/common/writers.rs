//! Writers through the API and their latency, shared by the benches that measure writes
//! during a retention pass.

use gatehouse_testkit::{TestApp, TestOrg};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn pct(sorted: &[Duration], p: f64) -> String {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    format!("{:.1}", sorted[i].as_secs_f64() * 1000.0)
}

pub fn latencies(mut all: Vec<Duration>) -> String {
    all.sort();
    format!(
        "p50 {} ms, p99 {} ms, max {} ms ({} writes)",
        pct(&all, 0.5),
        pct(&all, 0.99),
        pct(&all, 1.0),
        all.len()
    )
}

/// Four writers creating groups through the API until `stop`; each answers its latencies.
pub fn start_writers(
    app: &Arc<TestApp>,
    org: &TestOrg,
    stop: &Arc<AtomicBool>,
    tag: &str,
) -> Vec<tokio::task::JoinHandle<Vec<Duration>>> {
    (0..4)
        .map(|w| {
            let (app, org, stop, tag) = (app.clone(), org.clone(), stop.clone(), tag.to_owned());
            tokio::spawn(async move {
                let mut all = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let r = app
                        .post(&org, "/groups", json!({"name": format!("{tag}-{w}-{}", all.len())}))
                        .await;
                    all.push(t.elapsed());
                    assert_eq!(r.status, 201, "{}", r.text);
                }
                all
            })
        })
        .collect()
}

pub async fn join_writers(writers: Vec<tokio::task::JoinHandle<Vec<Duration>>>) -> Vec<Duration> {
    let mut all = Vec::new();
    for w in writers {
        all.extend(w.await.unwrap());
    }
    all
}
