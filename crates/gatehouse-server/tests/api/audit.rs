//! The audit trail: filters, detail, action names, streamed exports and retention.

use gatehouse_testkit::{TestApp, engine_tests};
use reqwest::StatusCode;
use serde_json::json;

engine_tests!(
    events_filter_by_time_actor_action_target_ip_and_text,
    event_detail_and_action_names,
    csv_export_neutralizes_formulas_and_carries_every_event,
    jsonl_export_streams_one_event_per_line,
    retention_prunes_old_events_and_records_that_it_did,
);

async fn events_filter_by_time_actor_action_target_ip_and_text(app: TestApp) {
    let org = app.create_org("Acme").await;
    app.clock.advance_secs(60);
    let t0 = app.clock_now();
    let a_id = app.create_account(&org, "needle@example.com", "Needle").await;
    // Adding it also sent its invitation, audited as auth.invitation_sent.
    app.clock.advance_secs(60);
    let t1 = app.clock_now();
    app.clock.advance_secs(60);
    app.create_group(&org, "Haystack").await;

    let in_window = app.get(&org, &format!("/events?since={t0}&until={t1}")).await;
    let actions = |r: &gatehouse_testkit::Resp| {
        let mut a: Vec<String> = r.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect();
        a.sort();
        a
    };
    assert_eq!(actions(&in_window), vec!["account.created", "auth.invitation_sent"]);
    let by_target = app.get(&org, &format!("/events?target={a_id}")).await;
    assert_eq!(actions(&by_target), vec!["account.created", "auth.invitation_sent"]);
    let text = app.get(&org, "/events?q=NEEDLE").await;
    assert_eq!(actions(&text), vec!["account.created", "auth.invitation_sent"]);
    let two = app
        .get(&org, "/events?action=account.created,group.created&actor_type=api_key")
        .await;
    assert_eq!(two.json["items"].as_array().unwrap().len(), 2);
    assert_eq!(two.json["items"][0]["action"], "group.created", "newest first");
    let key_id = two.json["items"][0]["actor"]["id"].as_str().unwrap();
    let by_actor = app
        .get(&org, &format!("/events?actor={key_id}&actor_type=api_key"))
        .await;
    assert_eq!(
        by_actor.json["items"].as_array().unwrap().len(),
        3,
        "with the invitation"
    );
    let by_ip = app.get(&org, "/events?ip=127.0.0.1").await;
    assert_eq!(by_ip.json["items"].as_array().unwrap().len(), 3);
    let none = app.get(&org, "/events?ip=10.9.9.9").await;
    assert!(none.json["items"].as_array().unwrap().is_empty());
    let bad = app.get(&org, "/events?action=account.exploded&since=yesterday").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = bad.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"since") && fields.contains(&"action"), "{fields:?}");
}

async fn event_detail_and_action_names(app: TestApp) {
    let org = app.create_org("Acme").await;
    let id = app.create_group(&org, "Before").await;
    app.patch(&org, &format!("/groups/{id}"), json!({"name":"After"})).await;
    let ev = &app.events(&org, "group.updated").await[0];
    let detail = app.get(&org, &format!("/events/{}", ev["id"].as_str().unwrap())).await;
    assert_eq!(detail.json["changes"]["before"]["name"], "Before");
    assert_eq!(detail.json["changes"]["after"]["name"], "After");
    let actions = app.get(&org, "/event-actions").await;
    let names: Vec<&str> = actions.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"product_access.granted") && names.contains(&"group.updated"));
}

async fn csv_export_neutralizes_formulas_and_carries_every_event(app: TestApp) {
    let org = app.create_org("Acme").await;
    for n in 0..1205 {
        let r = app
            .post(
                &org,
                "/groups",
                json!({"name": format!("=HYPERLINK(\"http://evil.example\",\"{n}\")")}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let r = app
        .client
        .get(format!(
            "{}/api/v1/orgs/{}/events/export?action=group.created",
            app.base, org.id
        ))
        .bearer_auth(&org.key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("audit-events.csv")
    );
    let body = r.text().await.unwrap();
    let mut rd = csv::Reader::from_reader(body.as_bytes());
    let headers = rd.headers().unwrap().clone();
    assert_eq!(&headers[0], "id");
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1205, "every event, across export chunks");
    for row in &rows {
        for cell in row {
            assert!(!cell.starts_with(['=', '+', '-', '@']), "formula cell {cell}");
        }
    }
    assert!(
        rows[0][6].contains("=HYPERLINK"),
        "targets keep their text, behind a neutral first character"
    );
}

async fn jsonl_export_streams_one_event_per_line(app: TestApp) {
    let org = app.create_org("Acme").await;
    app.post(&org, "/groups", json!({"name":"One"})).await;
    let r = app
        .client
        .get(format!(
            "{}/api/v1/orgs/{}/events/export?format=jsonl",
            app.base, org.id
        ))
        .bearer_auth(&org.key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/x-ndjson");
    let body = r.text().await.unwrap();
    let lines: Vec<serde_json::Value> = body.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let total = app.get(&org, "/events?limit=200").await.json["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(lines.len(), total);
    assert_eq!(lines[0]["action"], "group.created");
    let bad = app.get(&org, "/events/export?format=xlsx").await;
    assert_eq!(bad.json["errors"][0]["field"], "format");
}

async fn retention_prunes_old_events_and_records_that_it_did(app: TestApp) {
    let org = app.create_org("Acme").await;
    app.post(&org, "/groups", json!({"name":"Old"})).await;
    let old_count = app.get(&org, "/events?limit=200").await.json["items"]
        .as_array()
        .unwrap()
        .len();
    app.clock.advance_secs(31 * 86_400);
    app.post(&org, "/groups", json!({"name":"New"})).await;
    let services = gatehouse_core::services::Services::new(app.store.clone(), app.clock.clone());
    let deleted = services.audit.prune(30, "test-node").await.unwrap();
    assert_eq!(deleted, Some(old_count as i64));
    let left = app.get(&org, "/events?limit=200").await;
    let actions: Vec<&str> = left.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["audit.pruned", "group.created"]);
    assert_eq!(left.json["items"][0]["changes"]["after"]["deleted"], old_count);
    assert_eq!(
        services.audit.prune(30, "other-node").await.unwrap(),
        None,
        "another node waits for the lease"
    );
}
