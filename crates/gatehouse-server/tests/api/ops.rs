//! Health, readiness, metrics and the OpenAPI document.

use gatehouse_testkit::{TestApp, engine_tests};
use reqwest::{Method, StatusCode};

engine_tests!(
    health_readiness_and_metrics_answer,
    openapi_document_is_served,
    a_periodic_job_runs_on_one_node_until_its_lease_runs_out,
    made_up_methods_and_paths_add_no_metric_series,
);

async fn health_readiness_and_metrics_answer(app: TestApp) {
    let h = app.client.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(h.status(), StatusCode::OK);
    let r = app.client.get(format!("{}/readyz", app.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let org = app.create_org("Acme").await;
    app.get(&org, "/accounts").await;
    let m = app.metrics_text().await;
    assert!(m.contains("gatehouse_http_requests_total"), "{m}");
    assert!(
        m.contains("route=\"/api/v1/orgs/{org_id}/accounts\""),
        "routes are templates, not raw paths: {m}"
    );
    assert!(!m.contains(&org.id));
}

async fn openapi_document_is_served(app: TestApp) {
    let r = app
        .client
        .get(format!("{}/api/v1/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let doc: serde_json::Value = r.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/v1/orgs/{org_id}/accounts"]["post"].is_object());
}

/// The committed copy (docs/openapi.json) must match what the server serves. Regenerate with
/// `UPDATE_OPENAPI=1 cargo test -p gatehouse-server --test api openapi`.
#[test]
fn committed_openapi_matches_the_generated_document() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
    let generated = gatehouse_server::api::openapi_document();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json is stale: rerun with UPDATE_OPENAPI=1"
    );
}

async fn a_periodic_job_runs_on_one_node_until_its_lease_runs_out(app: TestApp) {
    use gatehouse_server::jobs::run_now;
    let state = &app.state;
    for job in ["audit-retention", "domain-checks", "account-deletions"] {
        assert!(
            run_now(state, job, "node-a").await.unwrap().unwrap(),
            "{job}: the first node runs it"
        );
        assert!(
            !run_now(state, job, "node-b").await.unwrap().unwrap(),
            "{job}: another node waits"
        );
        assert!(
            run_now(state, job, "node-a").await.unwrap().unwrap(),
            "{job}: the holder runs it again"
        );
    }
    app.clock.advance_secs(301);
    assert!(
        run_now(state, "domain-checks", "node-b").await.unwrap().unwrap(),
        "a lease its holder stopped renewing passes to another node"
    );
    assert!(run_now(state, "no-such-job", "node-a").await.is_none());
}

/// Series of the request counter and the latency histogram.
fn series(metrics: &str) -> Vec<&str> {
    let mut names: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("gatehouse_http_request"))
        .map(|l| l.rsplit_once(' ').map_or(l, |(name, _)| name))
        .collect();
    names.sort_unstable();
    names
}

async fn made_up_methods_and_paths_add_no_metric_series(app: TestApp) {
    let org = app.create_org("Acme").await;
    let flood = |round: usize| {
        let app = &app;
        let org = &org;
        async move {
            for i in 0..15 {
                let method = Method::from_bytes(format!("MADEUP{round}X{i}").as_bytes()).unwrap();
                for path in [
                    "/healthz".to_owned(),
                    format!("/api/v1/orgs/{}/accounts", org.id),
                    format!("/no/such/path/{round}/{i}"),
                ] {
                    let r = app
                        .client
                        .request(method.clone(), format!("{}{path}", app.base))
                        .send()
                        .await
                        .unwrap();
                    assert!(r.status().is_client_error(), "{path}: {}", r.status());
                }
                app.client
                    .get(format!("{}/made-up-{round}-{i}", app.base))
                    .send()
                    .await
                    .unwrap();
            }
        }
    };
    flood(1).await;
    app.metrics_text().await;
    let after_one = app.metrics_text().await;
    flood(2).await;
    app.metrics_text().await;
    let after_two = app.metrics_text().await;
    assert_eq!(series(&after_one), series(&after_two), "a second flood adds no series");
    assert!(after_two.contains("method=\"OTHER\""), "{after_two}");
    assert!(after_two.contains("route=\"unmatched\""), "{after_two}");
    for made_up in ["MADEUP", "made-up", "/no/such"] {
        assert!(!after_two.contains(made_up), "{made_up} became a label");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_require_the_configured_bearer_token() {
    let app = TestApp::spawn_with(gatehouse_testkit::Dialect::Sqlite, |c| {
        c.metrics.token = Some("scrape-secret".into());
    })
    .await;
    let url = format!("{}/metrics", app.base);
    let none = app.client.get(&url).send().await.unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert!(none.headers().contains_key("www-authenticate"));
    let body = none.text().await.unwrap();
    assert!(!body.contains("gatehouse_http"), "{body}");
    let wrong = app.client.get(&url).bearer_auth("scrape-secreT").send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let right = app
        .client
        .get(&url)
        .header("authorization", "bearer scrape-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::OK);
    assert!(right.text().await.unwrap().contains("gatehouse_http_requests_total"));
}
