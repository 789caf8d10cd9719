//! Health, readiness, metrics and the OpenAPI document.

use gatehouse_testkit::{TestApp, engine_tests};
use reqwest::StatusCode;

engine_tests!(
    health_readiness_and_metrics_answer,
    openapi_document_is_served,
    a_periodic_job_runs_on_one_node_until_its_lease_runs_out,
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
