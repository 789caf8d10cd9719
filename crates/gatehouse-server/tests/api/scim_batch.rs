//! Concurrent SCIM creates are written in batches: many users to a transaction, each with its
//! own audit event, and a batch that hits a conflict rolls back whole and its users go one by
//! one, each getting its exact answer. The batch waits 300 ms for company here, so the
//! concurrent requests of a round meet in one batch.

use futures::future::join_all;
use gatehouse_core::ports::prelude::*;
use gatehouse_testkit::{Dialect, TestApp};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_concurrent_creates_share_a_transaction_and_conflicts_fall_back() {
    concurrent_creates_share_a_transaction_and_conflicts_fall_back(Dialect::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_concurrent_creates_share_a_transaction_and_conflicts_fall_back() {
    concurrent_creates_share_a_transaction_and_conflicts_fall_back(Dialect::Postgres).await;
}

fn user(user_name: &str, external_id: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "externalId": external_id,
        "name": {"givenName": "Batch", "familyName": external_id},
        "emails": [{"primary": true, "type": "work", "value": user_name}],
        "active": true
    })
}

/// The batch-size histogram's (sum, count) from /metrics.
async fn batch_sizes(app: &TestApp) -> (f64, f64) {
    (
        app.metric("gatehouse_scim_create_batch_size_sum").await,
        app.metric("gatehouse_scim_create_batch_size_count").await,
    )
}

#[allow(clippy::too_many_lines)] // two rounds, then the proof of what was written
async fn concurrent_creates_share_a_transaction_and_conflicts_fall_back(dialect: Dialect) {
    let app = TestApp::spawn_with(dialect, |c| c.scim.batch_linger_ms = 300).await;
    let org = app.create_org("Acme").await;
    // Acme verified acme.test: it manages the accounts its directory creates there.
    app.verify_domain(&org, "acme.test", "automatic").await;
    let super::scim::Dir {
        base,
        token,
        id: directory_id,
    } = super::scim::directory(&app, &org, "Okta").await;
    let existing = app
        .post(
            &org,
            "/accounts",
            json!({"email": "old@acme.test", "display_name": "Old"}),
        )
        .await;
    assert_eq!(existing.status, StatusCode::CREATED);
    // Another organization has verified globex.test: its people are not Acme's to create.
    let globex = app.create_org("Globex").await;
    let d = app
        .post(
            &globex,
            "/domains",
            json!({"name": "globex.test", "claim_mode": "automatic"}),
        )
        .await;
    assert_eq!(d.status, StatusCode::CREATED, "{}", d.text);
    app.dns
        .set_txt("globex.test", &[&[d.json["txt_record"].as_str().unwrap()]]);
    let v = app
        .post(
            &globex,
            &format!("/domains/{}/verify", d.json["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(v.json["domain"]["status"], "verified", "{}", v.text);
    let post = |body: Value| {
        let (client, url, token) = (app.client.clone(), format!("{base}/Users"), token.clone());
        async move {
            let res = client
                .post(url)
                .bearer_auth(token)
                .header("content-type", "application/scim+json")
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            let status = res.status();
            (status, res.json::<Value>().await.unwrap())
        }
    };

    // Round one: ten new users, one whose account exists and one on the other organization's
    // domain, all at once.
    let mut bodies: Vec<Value> = (0..10)
        .map(|i| user(&format!("new{i}@acme.test"), &format!("n{i}")))
        .collect();
    bodies.push(user("old@acme.test", "o1"));
    bodies.push(user("ann@globex.test", "g1"));
    let mut answers = join_all(bodies.into_iter().map(&post)).await;
    let (s, refused) = answers.pop().unwrap();
    assert_eq!(s, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["scimType"], "uniqueness");
    for (s, body) in &answers {
        assert_eq!(*s, StatusCode::CREATED, "{body}");
    }
    let (sum, count) = batch_sizes(&app).await;
    assert!(
        count >= 1.0 && sum > count,
        "some batch held several creates: sum {sum}, count {count}"
    );
    let ids: HashSet<String> = answers
        .iter()
        .map(|(_, b)| b["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 11, "each user its own id");
    let old = app.get(&org, "/accounts?email=old@acme.test").await;
    assert_eq!(old.json["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        old.json["items"][0]["id"], existing.json["id"],
        "linked, not duplicated"
    );

    // Round two: a userName sent twice among new users. The batch meets the conflict, rolls
    // back, and every request goes alone: one of the pair is refused, the rest are created.
    let mut bodies: Vec<Value> = (10..13)
        .map(|i| user(&format!("new{i}@acme.test"), &format!("n{i}")))
        .collect();
    bodies.push(user("twice@acme.test", "t1"));
    bodies.push(user("twice@acme.test", "t2"));
    let answers = join_all(bodies.into_iter().map(&post)).await;
    let created = answers.iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
    let conflicts: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CONFLICT)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(created, 4, "{answers:?}");
    assert_eq!(conflicts.len(), 1, "{answers:?}");
    assert_eq!(conflicts[0]["scimType"], "uniqueness");

    // What was written: one account per email, every one on acme.test managed, each user readable and
    // found by userName, and exactly one creation event per user with the directory as actor.
    let accounts = app.get(&org, "/accounts?limit=100").await;
    let items = accounts.json["items"].as_array().unwrap();
    let emails: Vec<&str> = items.iter().map(|a| a["email"].as_str().unwrap()).collect();
    let distinct: HashSet<&&str> = emails.iter().collect();
    assert_eq!(emails.len(), distinct.len(), "no duplicate accounts: {emails:?}");
    for i in 0..13 {
        assert!(emails.contains(&format!("new{i}@acme.test").as_str()), "new{i} missing");
    }
    assert!(emails.contains(&"twice@acme.test") && emails.contains(&"old@acme.test"));
    let ann = app
        .store
        .reader()
        .await
        .unwrap()
        .find_account_by_email("ann@globex.test")
        .await
        .unwrap();
    assert!(ann.is_none(), "no account on the refused user's email: {ann:?}");
    let on_acme = items
        .iter()
        .filter(|a| a["email"].as_str().unwrap().ends_with("@acme.test"));
    assert!(
        on_acme.clone().count() == 15 && on_acme.clone().all(|a| a["is_managed"] == true),
        "{items:?}"
    );
    let listed = app
        .client
        .get(format!("{base}/Users?count=100"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        listed["totalResults"], 15,
        "11 + 4 users, nothing half-written: {listed}"
    );
    let events = app.get(&org, "/events?action=scim.user_created&limit=100").await;
    let events = events.json["items"].as_array().unwrap();
    assert_eq!(events.len(), 15);
    let targets: HashSet<String> = events
        .iter()
        .map(|e| {
            assert_eq!(e["actor"]["type"], "directory");
            assert_eq!(e["actor"]["id"], directory_id.as_str());
            e["targets"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["type"] == "scim_user")
                .unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(targets.len(), 15, "one event per user");
    assert!(ids.is_subset(&targets));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_batch_right_after_a_domain_is_verified_links_its_users_as_managed() {
    a_batch_right_after_a_domain_is_verified_links_its_users_as_managed(Dialect::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_batch_right_after_a_domain_is_verified_links_its_users_as_managed() {
    a_batch_right_after_a_domain_is_verified_links_its_users_as_managed(Dialect::Postgres).await;
}

/// Sends `n` creates at once (so they meet in a batch) on `domain`; all must be created.
async fn create_round(app: &TestApp, base: &str, token: &str, prefix: &str, n: usize, domain: &str) {
    let answers = join_all((0..n).map(|i| {
        app.client
            .post(format!("{base}/Users"))
            .bearer_auth(token)
            .header("content-type", "application/scim+json")
            .body(user(&format!("{prefix}{i}@{domain}"), &format!("{prefix}-{i}")).to_string())
            .send()
    }))
    .await;
    for a in answers {
        assert_eq!(a.unwrap().status(), StatusCode::CREATED);
    }
}

/// Batches remember a domain's verification for a few seconds. A batch that comes right after
/// the domain was verified must still link its users as managed (the store refuses a link
/// decided on a stale read; those users go alone and read afresh), and one right before it as
/// unmanaged.
async fn a_batch_right_after_a_domain_is_verified_links_its_users_as_managed(dialect: Dialect) {
    let app = TestApp::spawn_with(dialect, |c| c.scim.batch_linger_ms = 300).await;
    let org = app.create_org("Acme").await;
    let dir = super::scim::directory(&app, &org, "Okta").await;
    create_round(&app, &dir.base, &dir.token, "before", 8, "acme.test").await;
    // Claimed by hand: verifying takes none of the accounts already there.
    app.verify_domain(&org, "acme.test", "manual").await;
    create_round(&app, &dir.base, &dir.token, "after", 8, "acme.test").await;
    let (sum, count) = batch_sizes(&app).await;
    assert!(sum > count, "creates met in batches ({sum} in {count})");

    let list = app.get(&org, "/accounts?limit=100").await;
    let accounts = list.json["items"].as_array().expect("items");
    let managed = |prefix: &str| -> Vec<bool> {
        accounts
            .iter()
            .filter(|a| a["email"].as_str().unwrap().starts_with(prefix))
            .map(|a| a["is_managed"].as_bool().unwrap())
            .collect()
    };
    assert_eq!(managed("before"), vec![false; 8], "{}", list.text);
    assert_eq!(managed("after"), vec![true; 8], "{}", list.text);
}
