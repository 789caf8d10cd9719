//! Bad input gets a specific problem and changes nothing: the database and the audit log stay
//! exactly as they were.

use gatehouse_testkit::{TestApp, engine_tests};
use reqwest::StatusCode;
use serde_json::json;

engine_tests!(
    every_kind_of_bad_body_is_refused_with_its_own_code_and_changes_nothing,
    an_email_differing_only_in_case_is_taken,
    several_bad_fields_are_reported_together,
    ids_of_another_org_answer_not_found,
    malformed_ids_and_unknown_endpoints_answer_problem_json,
    a_nul_byte_in_a_path_query_form_or_json_body_answers_400_and_changes_nothing,
    names_refuse_bidirectional_control_characters,
    the_bearer_scheme_is_case_insensitive_on_the_admin_api,
    a_token_rotation_overlap_out_of_range_is_refused,
);

async fn every_kind_of_bad_body_is_refused_with_its_own_code_and_changes_nothing(app: TestApp) {
    let org = app.create_org("Acme").await;
    let before = app.snapshot().await;
    let url = format!("{}/api/v1/orgs/{}/accounts", app.base, org.id);
    let send = |body: String, ct: &'static str| {
        app.client
            .post(&url)
            .bearer_auth(&org.key)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let cases: Vec<(String, &str, StatusCode, &str)> = vec![
        (
            "{\"email\": ".into(),
            "application/json",
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "{\"email\":\"a@example.com\",\"display_name\":\"A\",\"admin\":true}".into(),
            "application/json",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "{\"email\":5,\"display_name\":\"A\"}".into(),
            "application/json",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "{\"email\":\"a@example.com\",\"display_name\":\"A\"}".into(),
            "text/plain",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            format!(
                "{{\"email\":\"a@example.com\",\"display_name\":\"{}\"}}",
                "x".repeat(70_000)
            ),
            "application/json",
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
        ),
        (
            "{\"email\":\"not-an-email\",\"display_name\":\"A\"}".into(),
            "application/json",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "{\"email\":\"a@example.com\",\"display_name\":\"   \"}".into(),
            "application/json",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
    ];
    for (body, ct, status, code) in cases {
        let res = send(body.clone(), ct).await.unwrap();
        assert_eq!(res.status(), status, "{}", &body[..body.len().min(80)]);
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let problem: serde_json::Value = res.json().await.unwrap();
        assert_eq!(problem["code"], code);
        assert_eq!(problem["status"], status.as_u16());
        assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
    let unknown = send(
        "{\"email\":\"a@example.com\",\"display_name\":\"A\",\"admin\":true}".into(),
        "application/json",
    )
    .await
    .unwrap();
    let problem: serde_json::Value = unknown.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "admin");
    assert_eq!(app.snapshot().await, before, "nothing changed");
}

async fn an_email_differing_only_in_case_is_taken(app: TestApp) {
    let org = app.create_org("Acme").await;
    let first = app
        .post(
            &org,
            "/accounts",
            json!({"email":"grace@example.com","display_name":"Grace"}),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let before = app.snapshot().await;
    let dup = app
        .post(
            &org,
            "/accounts",
            json!({"email":"GRACE@Example.COM","display_name":"Grace H"}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert_eq!(dup.code(), "email_taken");
    assert_eq!(dup.json["errors"][0]["field"], "email");
    assert_eq!(app.snapshot().await, before);
    let g = app.post(&org, "/groups", json!({"name":"Ops"})).await;
    assert_eq!(g.status, StatusCode::CREATED);
    let dup_group = app.post(&org, "/groups", json!({"name":"OPS"})).await;
    assert_eq!(dup_group.code(), "group_name_taken");
}

async fn several_bad_fields_are_reported_together(app: TestApp) {
    let org = app.create_org("Acme").await;
    let r = app
        .post(
            &org,
            "/instances",
            json!({"product":"jira","name":"","url":"http://x.example.net/path","edition":"gold"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut fields: Vec<&str> = r.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, vec!["edition", "name", "product", "url"]);
}

async fn ids_of_another_org_answer_not_found(app: TestApp) {
    let acme = app.create_org("Acme").await;
    let globex = app.create_org("Globex").await;
    let site = app
        .post(
            &acme,
            "/instances",
            json!({"product":"trello","name":"Boards","url":"https://boards.example.net","edition":"free"}),
        )
        .await;
    let acc = app
        .post(
            &acme,
            "/accounts",
            json!({"email":"own@example.com","display_name":"Own"}),
        )
        .await;
    let grp = app.post(&acme, "/groups", json!({"name":"Acme team"})).await;
    let (site_id, acc_id, grp_id) = (
        site.json["id"].as_str().unwrap(),
        acc.json["id"].as_str().unwrap(),
        grp.json["id"].as_str().unwrap(),
    );
    let event_id = app.events(&acme, "instance.created").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = app.snapshot().await;
    for path in [
        format!("/instances/{site_id}"),
        format!("/accounts/{acc_id}"),
        format!("/groups/{grp_id}"),
        format!("/events/{event_id}"),
    ] {
        let r = app.get(&globex, &path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.code(), "not_found");
        assert_eq!(app.delete(&globex, &path).await.status.as_u16() / 100, 4, "{path}");
    }
    let cross = app
        .post(
            &globex,
            "/access",
            json!({"instance_id": site_id, "account_id": acc_id, "role": "user"}),
        )
        .await;
    assert_eq!(cross.status, StatusCode::NOT_FOUND);
    let member = app
        .post(
            &globex,
            &format!("/groups/{grp_id}/members"),
            json!({"account_id": acc_id}),
        )
        .await;
    assert_eq!(member.status, StatusCode::NOT_FOUND);
    // Acme's key on Globex's path: the organization is "not found", exactly like a made-up id.
    let wrong_org = app
        .client
        .get(format!("{}/api/v1/orgs/{}/accounts", app.base, globex.id))
        .bearer_auth(&acme.key)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_org.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.snapshot().await, before);
}

async fn malformed_ids_and_unknown_endpoints_answer_problem_json(app: TestApp) {
    let org = app.create_org("Acme").await;
    let r = app.get(&org, "/accounts/not-a-uuid").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.get(&org, "/nothing-here").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.headers["content-type"], "application/problem+json");
    let r = app.get(&org, "/accounts?limit=1000").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json["errors"][0]["field"], "limit");
    let r = app.get(&org, "/accounts?cursor=Jzsgb3IgMT0x").await;
    assert_eq!(r.json["errors"][0]["field"], "cursor");
    let r = app.get(&org, "/accounts?colour=blue").await;
    assert_eq!(r.code(), "invalid_query");
    assert_eq!(r.json["errors"][0]["field"], "colour");
}

async fn a_nul_byte_in_a_path_query_form_or_json_body_answers_400_and_changes_nothing(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = app.directory(&org, "Okta").await;
    app.create_account(&org, "ann@example.com", "Ann").await;
    let before = app.snapshot().await;
    let api = |p: &str| format!("{}/api/v1/orgs/{}{p}", app.base, org.id);
    // The admin API: problem+json, also where PostgreSQL used to answer 500 and an export a
    // 200 that broke off.
    for url in [
        api("/accounts?email=ann%00@example.com"),
        api("/accounts/%00"),
        api("/events?q=%00"),
        api("/events/export?q=a%00b"),
        api("/events/export?format=jsonl&actor=%00"),
    ] {
        let res = app.client.get(&url).bearer_auth(&org.key).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{url}");
        assert_eq!(res.headers()["content-type"], "application/problem+json", "{url}");
        let problem: serde_json::Value = res.json().await.unwrap();
        assert_eq!(problem["code"], "nul_character", "{url}");
    }
    let res = app
        .client
        .post(api("/accounts"))
        .bearer_auth(&org.key)
        .header("content-type", "application/json")
        .body(r#"{"email":"nul@example.com","display_name":"A\u0000B"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // SCIM: a SCIM error.
    for url in [
        format!("{}/Users?filter=userName%20eq%20%22a%00%22", d.base),
        format!("{}/Users/%00", d.base),
    ] {
        let res = app.client.get(&url).bearer_auth(&d.token).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{url}");
        assert_eq!(res.headers()["content-type"], "application/scim+json", "{url}");
    }
    // Sign-in and console forms: a page.
    for path in ["/login", "/login/forgot", &format!("/admin/orgs/{}/groups", org.id)] {
        let res = app
            .client
            .post(format!("{}{path}", app.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("email=ann%00@example.com&name=Ops%00&password=x")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{path}");
        assert!(
            res.headers()["content-type"].to_str().unwrap().starts_with("text/html"),
            "{path}"
        );
    }
    assert_eq!(app.snapshot().await, before, "nothing changed");
    // Text that merely looks like an escape is not a NUL.
    let ok = app.get(&org, "/accounts?email=100%2500@example.com").await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
}

async fn names_refuse_bidirectional_control_characters(app: TestApp) {
    let org = app.create_org("Acme").await;
    let before = app.snapshot().await;
    for (path, body, field) in [
        ("/groups", json!({"name": "Payroll\u{202E}fdp.exe"}), "name"),
        ("/groups", json!({"name": "Ops\u{2066}x\u{2069}"}), "name"),
        (
            "/accounts",
            json!({"email": "rtl@example.com", "display_name": "Ann\u{200F}"}),
            "display_name",
        ),
        (
            "/instances",
            json!({"product": "jira", "name": "Wiki\u{061C}", "url": "https://wiki.example.net", "edition": "free"}),
            "name",
        ),
    ] {
        let r = app.post(&org, path, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {}", r.text);
        let e = r.json["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["field"] == field)
            .unwrap()
            .clone();
        assert!(e["message"].as_str().unwrap().contains("bidirectional"), "{e}");
    }
    assert_eq!(app.snapshot().await, before, "nothing changed");
    // Right-to-left text is a name like any other.
    let r = app.post(&org, "/groups", json!({"name": "צוות"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

async fn the_bearer_scheme_is_case_insensitive_on_the_admin_api(app: TestApp) {
    let org = app.create_org("Acme").await;
    let url = format!("{}/api/v1/orgs/{}/accounts", app.base, org.id);
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let res = app
            .client
            .get(&url)
            .header("authorization", format!("{scheme} {}", org.key))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{scheme}");
    }
    for header in [
        format!("Basic {}", org.key),
        format!("Bearer{}", org.key),
        "Bearer ".to_owned(),
    ] {
        let res = app
            .client
            .get(&url)
            .header("authorization", header.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{header}");
    }
}

async fn a_token_rotation_overlap_out_of_range_is_refused(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = app.directory(&org, "Okta").await;
    let path = format!("/directories/{}/tokens", d.id);
    let tokens = || async { app.get(&org, &format!("/directories/{}", d.id)).await.json["tokens"].clone() };
    let before = tokens().await;
    for overlap in [-1, 2_592_001, i64::MAX] {
        let r = app.post(&org, &path, json!({"overlap_seconds": overlap})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{overlap}: {}", r.text);
        assert_eq!(r.json["errors"][0]["field"], "overlap_seconds");
        assert!(r.json["detail"].as_str().unwrap().contains("2592000"), "{}", r.text);
    }
    assert_eq!(tokens().await, before, "no token was issued or shortened");
    let r = app.post(&org, &path, json!({"overlap_seconds": 2_592_000})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}
