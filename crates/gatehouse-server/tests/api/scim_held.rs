//! Changes the safety valve held before held changes were typed (stored as the HTTP method and
//! body the directory sent) still show and release as they did, on both engines.

use super::scim::{Dir, PATCH_OP, directory, okta_user, scim};
use gatehouse_testkit::{TestApp, engine_tests};
use reqwest::StatusCode;
use serde_json::{Value, json};

engine_tests!(changes_held_as_sent_before_they_were_typed_still_show_and_release,);

async fn create(app: &TestApp, d: &Dir, email: &str) -> String {
    let (s, u, _) = scim(
        app,
        d,
        reqwest::Method::POST,
        "/Users",
        Some(okta_user(email, "V", "Alve")),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{u}");
    u["id"].as_str().unwrap().to_owned()
}

/// Writes a held row as the code before typed changes did: method and body as sent.
async fn hold_as_sent(app: &TestApp, d: &Dir, user: &str, method: &str, body: &str) {
    let pool = sqlx::AnyPool::connect(&app.options().url).await.unwrap();
    sqlx::query(
        "INSERT INTO scim_held_operations (id, directory_id, resource_id, kind, change, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(format!("held-{user}"))
    .bind(d.id.clone())
    .bind(user.to_owned())
    .bind(method.to_owned())
    .bind(body.to_owned())
    .bind(1_i64)
    .execute(&pool)
    .await
    .unwrap();
}

async fn changes_held_as_sent_before_they_were_typed_still_show_and_release(app: TestApp) {
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, "acme.test", "automatic").await;
    let d = directory(&app, &org, "Okta").await;
    let (patched, put, deleted) = (
        create(&app, &d, "p@acme.test").await,
        create(&app, &d, "r@acme.test").await,
        create(&app, &d, "d@acme.test").await,
    );
    let off = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": false}}]});
    hold_as_sent(&app, &d, &patched, "PATCH", &off.to_string()).await;
    let mut renamed = okta_user("r@acme.test", "Renamed", "Person");
    renamed["displayName"] = Value::from("Renamed Person");
    hold_as_sent(&app, &d, &put, "PUT", &renamed.to_string()).await;
    hold_as_sent(&app, &d, &deleted, "DELETE", "").await;
    let held = app.get(&org, &format!("/directories/{}/held", d.id)).await;
    let methods: Vec<&str> = held.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods.len(), 3, "{}", held.text);
    for m in ["PATCH", "PUT", "DELETE"] {
        assert!(methods.contains(&m), "{m} in {methods:?}");
    }
    let released = app
        .post(&org, &format!("/directories/{}/held/release", d.id), json!({}))
        .await;
    assert_eq!(released.json["released"], 3, "{}", released.text);
    assert_eq!(
        app.get(&org, "/accounts?email=p@acme.test").await.json["items"][0]["status"],
        "deactivated"
    );
    let (_, r, _) = scim(&app, &d, reqwest::Method::GET, &format!("/Users/{put}"), None).await;
    assert_eq!(r["displayName"], "Renamed Person");
    let (gone, _, _) = scim(&app, &d, reqwest::Method::GET, &format!("/Users/{deleted}"), None).await;
    assert_eq!(gone, StatusCode::NOT_FOUND);
    assert!(
        app.get(&org, &format!("/directories/{}/held", d.id)).await.json["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}
