//! Org API keys: shown once, stored as a digest, expiring, revocable, scoped to one org.

use gatehouse_testkit::{TestApp, engine_tests};
use reqwest::StatusCode;
use serde_json::json;

engine_tests!(
    requests_without_a_valid_key_are_refused_and_change_nothing,
    a_revoked_key_stops_working_at_once,
    an_expired_key_stops_working,
    key_secrets_are_shown_once_and_stored_only_as_digests,
);

async fn requests_without_a_valid_key_are_refused_and_change_nothing(app: TestApp) {
    let org = app.create_org("Acme").await;
    let before = app.snapshot().await;
    let url = format!("{}/api/v1/orgs/{}/accounts", app.base, org.id);
    let body = json!({"email":"x@example.com","display_name":"X"});
    let none = app.client.post(&url).json(&body).send().await.unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert!(
        none.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let bogus = app
        .client
        .post(&url)
        .bearer_auth("ghk_notarealkey")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(bogus.status(), StatusCode::UNAUTHORIZED);
    let problem: serde_json::Value = bogus.json().await.unwrap();
    assert_eq!(problem["code"], "invalid_api_key");
    assert_eq!(app.snapshot().await, before);
}

async fn a_revoked_key_stops_working_at_once(app: TestApp) {
    let org = app.create_org("Acme").await;
    let created = app
        .post(&org, "/api-keys", json!({"name":"ci", "expires_in_days": 30}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.headers["cache-control"], "no-store");
    let ci = gatehouse_testkit::TestOrg {
        key: created.json["secret"].as_str().unwrap().to_owned(),
        ..org.clone()
    };
    assert_eq!(app.get(&ci, "/accounts").await.status, StatusCode::OK);
    let id = created.json["key"]["id"].as_str().unwrap();
    let revoked = app.post(&org, &format!("/api-keys/{id}/revoke"), json!({})).await;
    assert_eq!(revoked.json["status"], "revoked");
    let before = app.snapshot().await;
    let r = app.post(&ci, "/groups", json!({"name":"Sneaky"})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "api_key_revoked");
    assert_eq!(app.snapshot().await, before);
    let ev = app.events(&org, "api_key.revoked").await;
    assert_eq!(ev[0]["targets"][0]["id"], id);
}

async fn an_expired_key_stops_working(app: TestApp) {
    let org = app.create_org("Acme").await;
    let created = app
        .post(&org, "/api-keys", json!({"name":"short", "expires_in_days": 1}))
        .await;
    let short = gatehouse_testkit::TestOrg {
        key: created.json["secret"].as_str().unwrap().to_owned(),
        ..org.clone()
    };
    assert_eq!(app.get(&short, "/accounts").await.status, StatusCode::OK);
    app.clock.advance_secs(86_400);
    let r = app.get(&short, "/accounts").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "api_key_expired");
    let listed = app.get(&org, "/api-keys").await;
    let statuses: Vec<&str> = listed.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["status"].as_str().unwrap())
        .collect();
    assert!(statuses.contains(&"expired") && statuses.contains(&"active"));
    let too_long = app
        .post(&org, "/api-keys", json!({"name":"forever", "expires_in_days": 10_000}))
        .await;
    assert_eq!(too_long.json["errors"][0]["field"], "expires_in_days");
}

async fn key_secrets_are_shown_once_and_stored_only_as_digests(app: TestApp) {
    let org = app.create_org("Acme").await;
    let created = app.post(&org, "/api-keys", json!({"name":"reporting"})).await;
    let secret = created.json["secret"].as_str().unwrap();
    let id = created.json["key"]["id"].as_str().unwrap();
    let shown = app.get(&org, &format!("/api-keys/{id}")).await;
    assert!(!shown.text.contains(secret));
    assert!(shown.json["last_used_at"].is_null(), "never used yet");
    let user = gatehouse_testkit::TestOrg {
        key: secret.to_owned(),
        ..org.clone()
    };
    app.get(&user, "/accounts").await;
    let after_use = app.get(&org, &format!("/api-keys/{id}")).await;
    assert!(after_use.json["last_used_at"].is_string(), "last use is recorded");
    assert!(secret.starts_with(shown.json["prefix"].as_str().unwrap()));
    let events = app.get(&org, "/events?action=api_key.created").await;
    assert!(!events.text.contains(secret), "the audit log never holds a secret");
    let pool = sqlx::AnyPool::connect(&app.options().url).await.unwrap();
    let digests: Vec<String> = sqlx::query_scalar("SELECT digest FROM api_keys")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(digests.iter().all(|d| d.len() == 64 && d != secret));
    pool.close().await;
}

/// The sign-in pages: attempt limits, the hashing queue, reset links, cleanup, form input.
mod sign_in;
