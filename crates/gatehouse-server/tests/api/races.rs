//! Concurrency: uniqueness and attempt limits hold under racing requests.

use gatehouse_testkit::{TestApp, engine_tests};
use reqwest::StatusCode;
use serde_json::json;

engine_tests!(
    fifty_racing_creations_of_one_email_leave_one_account_and_one_event,
    sixty_sign_ins_at_once_for_one_email_check_at_most_the_limit,
);

async fn fifty_racing_creations_of_one_email_leave_one_account_and_one_event(app: TestApp) {
    let org = app.create_org("Acme").await;
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for n in 0..50 {
        let (app, org) = (app.clone(), org.clone());
        tasks.push(tokio::spawn(async move {
            let email = if n % 2 == 0 {
                "race@example.com"
            } else {
                "RACE@example.com"
            };
            app.post(
                &org,
                "/accounts",
                json!({"email": email, "display_name": format!("Racer {n}")}),
            )
            .await
            .status
        }));
    }
    let mut created = 0;
    let mut conflicts = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => conflicts += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((created, conflicts), (1, 49));
    let list = app.get(&org, "/accounts?email=race@").await;
    assert_eq!(list.json["items"].as_array().unwrap().len(), 1);
    assert_eq!(app.events(&org, "account.created").await.len(), 1);
}

async fn sixty_sign_ins_at_once_for_one_email_check_at_most_the_limit(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (_, email) = app.console(&org).await;
    let verified = || app.metric("gatehouse_password_hashes_total{op=\"verify\"}");
    let before = verified().await;
    let b = std::sync::Arc::new(gatehouse_testkit::Browser::new(&app.base));
    let csrf = b.get("/login").await.csrf();
    let tasks: Vec<_> = (0..60)
        .map(|n| {
            let (b, csrf, email) = (b.clone(), csrf.clone(), email.clone());
            tokio::spawn(async move {
                let form = [
                    ("csrf", csrf.as_str()),
                    ("email", email.as_str()),
                    ("password", &format!("guess number {n}")),
                ];
                b.client
                    .post(format!("{}/login", b.base))
                    .form(&form)
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    let (mut checked, mut refused) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    let limit = 5; // the default attempts per email and client address
    assert!((1..=limit).contains(&checked), "{checked} passwords checked of 60");
    assert_eq!(checked + refused, 60);
    assert!(
        verified().await - before <= f64::from(limit),
        "no more than the limit were hashed"
    );
    let failed = app.get(&org, "/events?action=auth.sign_in_failed&limit=200").await;
    assert_eq!(
        failed.json["items"].as_array().unwrap().len(),
        checked as usize,
        "one failure event per checked attempt"
    );
}
