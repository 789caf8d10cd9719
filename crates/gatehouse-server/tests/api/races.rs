//! Concurrency: uniqueness holds under racing requests.

use gatehouse_testkit::{TestApp, engine_tests};
use reqwest::StatusCode;
use serde_json::json;

engine_tests!(fifty_racing_creations_of_one_email_leave_one_account_and_one_event);

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
