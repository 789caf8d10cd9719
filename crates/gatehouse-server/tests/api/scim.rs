//! SCIM 2.0 over HTTP, driven as identity providers drive it, on both engines: tokens, users,
//! PATCH and ETags, DELETE, errors, Bulk and the safety valve. The helpers here serve the other
//! `scim_*` test files too.

use gatehouse_testkit::{TestApp, TestOrg, engine_tests};
use reqwest::StatusCode;
use serde_json::{Value, json};

engine_tests!(
    directory_tokens_authenticate_rotate_with_overlap_and_revoke,
    users_become_managed_accounts_and_never_duplicates,
    filters_pages_and_attribute_selection_follow_rfc_7644,
    okta_and_entra_patches_apply_and_etags_guard_writes,
    delete_deprovisions_and_the_directory_is_the_actor,
    bad_requests_get_scim_errors_and_change_nothing,
    bulk_resolves_bulk_ids_in_any_order_and_stops_on_errors,
    the_safety_valve_holds_deactivations_past_the_hourly_limit_until_released,
);

pub(crate) fn q(filter: &str) -> String {
    format!("/Users?filter={}", urlencode(filter))
}

pub(crate) const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

pub(crate) const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

pub(crate) struct Dir {
    pub(crate) base: String,
    pub(crate) token: String,
    pub(crate) id: String,
}

pub(crate) async fn directory(app: &TestApp, org: &TestOrg, name: &str) -> Dir {
    let r = app.post(org, "/directories", json!({"name": name})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    Dir {
        base: r.json["directory"]["scim_base_url"].as_str().unwrap().to_owned(),
        token: r.json["token"]["secret"].as_str().unwrap().to_owned(),
        id: r.json["directory"]["id"].as_str().unwrap().to_owned(),
    }
}

pub(crate) async fn scim(
    app: &TestApp,
    d: &Dir,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let mut req = app
        .client
        .request(method, format!("{}{path}", d.base))
        .bearer_auth(&d.token);
    if let Some(b) = body {
        req = req.header("content-type", "application/scim+json").body(b.to_string());
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null), headers)
}

pub(crate) fn okta_user(user_name: &str, given: &str, family: &str) -> Value {
    json!({
        "schemas": [USER],
        "userName": user_name,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": true, "value": user_name, "type": "work"}],
        "displayName": format!("{given} {family}"),
        "locale": "en-US",
        "externalId": format!("00u-{user_name}"),
        "groups": [],
        "password": "never-stored-Secret1",
        "active": true
    })
}

pub(crate) fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub(crate) const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

async fn directory_tokens_authenticate_rotate_with_overlap_and_revoke(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = directory(&app, &org, "Okta").await;
    let (s, body, headers) = scim(&app, &d, reqwest::Method::GET, "/ServiceProviderConfig", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/scim+json")
    );
    assert_eq!(body["patch"]["supported"], true);
    let wrong = Dir {
        token: "ghd_not-a-token".into(),
        ..Dir {
            base: d.base.clone(),
            token: String::new(),
            id: d.id.clone(),
        }
    };
    let (s, body, _) = scim(&app, &wrong, reqwest::Method::GET, "/Users", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error");
    assert_eq!(body["status"], "401");
    let other = directory(&app, &org, "Entra").await;
    let crossed = Dir {
        token: other.token.clone(),
        base: d.base.clone(),
        id: d.id.clone(),
    };
    assert_eq!(
        scim(&app, &crossed, reqwest::Method::GET, "/Users", None).await.0,
        StatusCode::UNAUTHORIZED,
        "a token works for its own directory only"
    );
    let rotated = app
        .post(
            &org,
            &format!("/directories/{}/tokens", d.id),
            json!({"overlap_seconds": 3600}),
        )
        .await;
    assert_eq!(rotated.status, StatusCode::CREATED);
    let fresh = Dir {
        token: rotated.json["secret"].as_str().unwrap().to_owned(),
        base: d.base.clone(),
        id: d.id.clone(),
    };
    assert_eq!(
        scim(&app, &d, reqwest::Method::GET, "/Users", None).await.0,
        StatusCode::OK,
        "the old token works during the overlap"
    );
    app.clock.advance_secs(3601);
    assert_eq!(
        scim(&app, &d, reqwest::Method::GET, "/Users", None).await.0,
        StatusCode::UNAUTHORIZED,
        "and not after it"
    );
    assert_eq!(
        scim(&app, &fresh, reqwest::Method::GET, "/Users", None).await.0,
        StatusCode::OK
    );
    let tokens = app.get(&org, &format!("/directories/{}", d.id)).await;
    let new_id = tokens.json["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["status"] == "active")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.delete(&org, &format!("/directories/{}/tokens/{new_id}", d.id))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        scim(&app, &fresh, reqwest::Method::GET, "/Users", None).await.0,
        StatusCode::UNAUTHORIZED,
        "revoked at once"
    );
}

async fn users_become_managed_accounts_and_never_duplicates(app: TestApp) {
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, "acme.test", "automatic").await;
    let other = app.create_org("Globex").await;
    let d = directory(&app, &org, "Okta").await;
    let existing = app
        .post(&org, "/accounts", json!({"email":"ann@acme.test","display_name":"Ann"}))
        .await;
    let (s, u, headers) = scim(
        &app,
        &d,
        reqwest::Method::POST,
        "/Users",
        Some(okta_user("Ann@acme.test", "Ann", "Lee")),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{u}");
    assert!(
        headers["location"]
            .to_str()
            .unwrap()
            .ends_with(&format!("/Users/{}", u["id"].as_str().unwrap()))
    );
    assert_eq!(u["meta"]["resourceType"], "User");
    assert!(u.get("password").is_none(), "passwords are never stored or returned");
    let accounts = app.get(&org, "/accounts?email=ann@acme.test").await;
    assert_eq!(
        accounts.json["items"].as_array().unwrap().len(),
        1,
        "linked to the existing account"
    );
    assert_eq!(accounts.json["items"][0]["id"], existing.json["id"]);
    assert_eq!(accounts.json["items"][0]["display_name"], "Ann Lee");
    let (s, err, _) = scim(
        &app,
        &d,
        reqwest::Method::POST,
        "/Users",
        Some(okta_user("ANN@acme.test", "Ann", "Again")),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(err["scimType"], "uniqueness");
    // Globex verified globex.test: its people are not Acme's to provision.
    app.verify_domain(&other, "globex.test", "automatic").await;
    app.post(
        &other,
        "/accounts",
        json!({"email":"zed@globex.test","display_name":"Zed"}),
    )
    .await;
    let (s, err, _) = scim(
        &app,
        &d,
        reqwest::Method::POST,
        "/Users",
        Some(okta_user("zed@globex.test", "Zed", "Z")),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "another organization's account is not taken over: {err}"
    );
    let (s, _, _) = scim(
        &app,
        &d,
        reqwest::Method::POST,
        "/Users",
        Some(okta_user("new@acme.test", "New", "Person")),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let managed = app.get(&org, "/accounts?managed=true&email=new@acme.test").await;
    assert_eq!(managed.json["items"].as_array().unwrap().len(), 1);
}

async fn filters_pages_and_attribute_selection_follow_rfc_7644(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = directory(&app, &org, "Okta").await;
    for (who, family) in [
        ("u1", "Ames"),
        ("u2", "Bell"),
        ("u3", "Bell"),
        ("v4", "Cole"),
        ("u5", "Dunn"),
    ] {
        let (s, _, _) = scim(
            &app,
            &d,
            reqwest::Method::POST,
            "/Users",
            Some(okta_user(&format!("{who}@acme.test"), who, family)),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let q = |f: &str| format!("/Users?filter={}", urlencode(f));
    let (_, eq, _) = scim(&app, &d, reqwest::Method::GET, &q("userName eq \"U2@ACME.TEST\""), None).await;
    assert_eq!(eq["totalResults"], 1, "userName is case-insensitive: {eq}");
    assert_eq!(eq["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:ListResponse");
    let (_, page, _) = scim(
        &app,
        &d,
        reqwest::Method::GET,
        &format!("{}&startIndex=2&count=2", q("userName sw \"u\"")),
        None,
    )
    .await;
    assert_eq!(page["totalResults"], 4);
    assert_eq!(page["startIndex"], 2);
    assert_eq!(page["itemsPerPage"], 2);
    let (_, fam, _) = scim(
        &app,
        &d,
        reqwest::Method::GET,
        &q("name.familyName eq \"bell\" and active eq true"),
        None,
    )
    .await;
    assert_eq!(fam["totalResults"], 2, "sub-attribute filters work too: {fam}");
    for (filter, expected) in [
        ("active pr", 5),
        ("externalId pr", 5),
        ("title pr", 0),
        ("emails pr", 5),
        ("name.familyName ne \"bell\"", 3),
    ] {
        let (_, found, _) = scim(&app, &d, reqwest::Method::GET, &q(filter), None).await;
        assert_eq!(found["totalResults"], expected, "{filter}");
    }
    let (_, emails, _) = scim(
        &app,
        &d,
        reqwest::Method::GET,
        &q("emails[type eq \"work\" and value co \"v4\"]"),
        None,
    )
    .await;
    assert_eq!(emails["totalResults"], 1);
    let (s, bad, _) = scim(&app, &d, reqwest::Method::GET, &q("userName eq"), None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(bad["scimType"], "invalidFilter");
    let (_, slim, _) = scim(
        &app,
        &d,
        reqwest::Method::GET,
        &format!("{}&attributes=userName", q("userName eq \"u1@acme.test\"")),
        None,
    )
    .await;
    let r = &slim["Resources"][0];
    assert!(
        r["id"].is_string() && r["userName"].is_string() && r.get("name").is_none(),
        "{r}"
    );
    let (_, searched, _) = scim(&app, &d, reqwest::Method::POST, "/Users/.search", Some(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "userName sw \"v\"", "startIndex": 1, "count": 10
    }))).await;
    assert_eq!(searched["totalResults"], 1);
}

async fn okta_and_entra_patches_apply_and_etags_guard_writes(app: TestApp) {
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, "acme.test", "automatic").await;
    let d = directory(&app, &org, "Entra").await;
    let (_, u, headers) = scim(
        &app,
        &d,
        reqwest::Method::POST,
        "/Users",
        Some(okta_user("pat@acme.test", "Pat", "Kim")),
    )
    .await;
    let id = u["id"].as_str().unwrap();
    let v1 = headers["etag"].to_str().unwrap().to_owned();
    // Entra ID: capitalized op, no path, dotted keys, booleans as strings.
    let (s, patched, headers) = scim(
        &app,
        &d,
        reqwest::Method::PATCH,
        &format!("/Users/{id}"),
        Some(json!({
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "Replace", "path": "name.familyName", "value": "Kimura"},
                {"op": "Add", "value": {"title": "Engineer"}},
                {"op": "Replace", "path": "active", "value": "False"}
            ]
        })),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{patched}");
    assert_eq!(patched["name"]["familyName"], "Kimura");
    assert_eq!(patched["active"], false);
    assert_ne!(headers["etag"].to_str().unwrap(), v1);
    let acc = app.get(&org, "/accounts?email=pat@acme.test").await;
    assert_eq!(acc.json["items"][0]["status"], "deactivated");
    // Okta: replace without a path.
    let (s, back, _) = scim(
        &app,
        &d,
        reqwest::Method::PATCH,
        &format!("/Users/{id}"),
        Some(json!({
            "schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": true}}]
        })),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(back["active"], true);
    assert_eq!(
        app.get(&org, "/events?action=scim.user_reactivated").await.json["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // A stale ETag is refused and changes nothing.
    let before = app.snapshot().await;
    let res = app
        .client
        .put(format!("{}/Users/{id}", d.base))
        .bearer_auth(&d.token)
        .header("content-type", "application/scim+json")
        .header("if-match", v1.as_str())
        .body(okta_user("pat@acme.test", "Pat", "Stale").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(app.snapshot().await, before);
    let (s, put, _) = scim(
        &app,
        &d,
        reqwest::Method::PUT,
        &format!("/Users/{id}"),
        Some(okta_user("pat@acme.test", "Pat", "Park")),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(put["name"]["familyName"], "Park");
    assert!(put.get("title").is_none(), "PUT replaces the whole resource");
}

async fn delete_deprovisions_and_the_directory_is_the_actor(app: TestApp) {
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, "acme.test", "automatic").await;
    let d = directory(&app, &org, "Okta").await;
    let (_, u, _) = scim(
        &app,
        &d,
        reqwest::Method::POST,
        "/Users",
        Some(okta_user("gone@acme.test", "Gone", "Soon")),
    )
    .await;
    let id = u["id"].as_str().unwrap();
    let (s, _, _) = scim(&app, &d, reqwest::Method::DELETE, &format!("/Users/{id}"), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(
        scim(&app, &d, reqwest::Method::GET, &format!("/Users/{id}"), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let acc = app.get(&org, "/accounts?email=gone@acme.test").await;
    assert_eq!(acc.json["items"][0]["status"], "deactivated");
    assert_eq!(acc.json["items"][0]["is_managed"], false, "unlinked");
    let ev = app
        .get(&org, "/events?action=scim.user_created,scim.user_deleted")
        .await;
    for e in ev.json["items"].as_array().unwrap() {
        assert_eq!(e["actor"]["type"], "directory");
        assert_eq!(e["actor"]["id"], d.id.as_str());
    }
    assert_eq!(ev.json["items"].as_array().unwrap().len(), 2);
}

#[allow(clippy::too_many_lines)] // one refusal after another, then the proof nothing changed
async fn bad_requests_get_scim_errors_and_change_nothing(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = directory(&app, &org, "Okta").await;
    let e = directory(&app, &org, "Other").await;
    let (_, theirs, _) = scim(
        &app,
        &e,
        reqwest::Method::POST,
        "/Users",
        Some(okta_user("theirs@acme.test", "T", "O")),
    )
    .await;
    let before = app.snapshot().await;
    let post_raw = |body: String, ct: &'static str| {
        app.client
            .post(format!("{}/Users", d.base))
            .bearer_auth(&d.token)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let cases = [
        (
            post_raw("{\"userName\": ".into(), "application/scim+json")
                .await
                .unwrap(),
            400,
            Some("invalidSyntax"),
        ),
        (
            post_raw(
                json!({"schemas": ["urn:example:Nope"], "userName": "x@acme.test"}).to_string(),
                "application/scim+json",
            )
            .await
            .unwrap(),
            400,
            Some("invalidValue"),
        ),
        (
            post_raw(json!({"schemas": [USER]}).to_string(), "application/json")
                .await
                .unwrap(),
            400,
            Some("invalidValue"),
        ),
        (
            post_raw(
                json!({"schemas": [USER], "userName": "no-email"}).to_string(),
                "application/scim+json",
            )
            .await
            .unwrap(),
            400,
            Some("invalidValue"),
        ),
        (
            post_raw(
                r#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "nul@acme.test", "name": {"givenName": "A\u0000B"}}"#.into(),
                "application/scim+json",
            )
            .await
            .unwrap(),
            400,
            Some("invalidValue"),
        ),
        (post_raw("{}".into(), "text/plain").await.unwrap(), 415, None),
    ];
    for (res, status, scim_type) in cases {
        assert_eq!(res.status().as_u16(), status);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["status"], status.to_string());
        if let Some(t) = scim_type {
            assert_eq!(body["scimType"], t, "{body}");
        }
    }
    // An oversize body is refused before it is read: the client sees 413, or, when it was still
    // sending, the connection closing under it.
    // A client of its own, so the connection the server drops is not reused below.
    let lone = reqwest::Client::builder().no_proxy().build().unwrap();
    let oversize = lone
        .post(format!("{}/Users", d.base))
        .bearer_auth(&d.token)
        .header("content-type", "application/scim+json")
        .body("x".repeat(2 * 1024 * 1024))
        .send()
        .await;
    match oversize {
        Ok(res) => assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE),
        Err(e) => assert!(e.is_request(), "{e}"),
    }
    let foreign = theirs["id"].as_str().unwrap();
    assert_eq!(
        scim(&app, &d, reqwest::Method::GET, &format!("/Users/{foreign}"), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        scim(&app, &d, reqwest::Method::DELETE, &format!("/Users/{foreign}"), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (s, err, _) = scim(
        &app,
        &d,
        reqwest::Method::PATCH,
        &format!("/Users/{foreign}"),
        Some(json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": false}}]})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{err}");
    assert_eq!(app.snapshot().await, before, "nothing changed");
}

async fn bulk_resolves_bulk_ids_in_any_order_and_stops_on_errors(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = directory(&app, &org, "Okta").await;
    let (_, config, _) = scim(&app, &d, reqwest::Method::GET, "/ServiceProviderConfig", None).await;
    assert_eq!(config["bulk"]["supported"], true);
    // The group comes first and names the user created after it (RFC 7644 §3.7.2).
    let (s, res, _) = scim(&app, &d, reqwest::Method::POST, "/Bulk", Some(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [
            {"method": "POST", "path": "/Groups", "bulkId": "g1", "data": {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Bulk team",
                "members": [{"value": "bulkId:u1", "type": "User"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "u1", "data": okta_user("bulk@acme.test", "Bulk", "User")},
            {"method": "PATCH", "path": "/Users/bulkId:u1", "data": {
                "schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "Lead"}]}}
        ]
    }))).await;
    assert_eq!(s, StatusCode::OK, "{res}");
    let ops = res["Operations"].as_array().unwrap();
    let statuses: Vec<&str> = ops.iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, vec!["201", "201", "200"], "{res}");
    let group_location = ops[0]["location"].as_str().unwrap();
    let gid = group_location.rsplit('/').next().unwrap();
    let (_, g, _) = scim(&app, &d, reqwest::Method::GET, &format!("/Groups/{gid}"), None).await;
    assert_eq!(g["members"].as_array().unwrap().len(), 1);
    // failOnErrors: 1 stops after the first failure; later operations do not run.
    let (_, res, _) = scim(
        &app,
        &d,
        reqwest::Method::POST,
        "/Bulk",
        Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "failOnErrors": 1,
            "Operations": [
                {"method": "POST", "path": "/Users", "data": {"schemas": [USER], "userName": "not-an-email"}},
                {"method": "POST", "path": "/Users", "data": okta_user("never@acme.test", "Never", "Made")}
            ]
        })),
    )
    .await;
    let ops = res["Operations"].as_array().unwrap();
    assert_eq!(ops.len(), 1, "{res}");
    assert_eq!(ops[0]["status"], "400");
    assert_eq!(ops[0]["response"]["scimType"], "invalidValue");
    assert!(
        app.get(&org, "/accounts?email=never@").await.json["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[allow(clippy::too_many_lines)] // one story: limit, hold, alert, release, recover
async fn the_safety_valve_holds_deactivations_past_the_hourly_limit_until_released(app: TestApp) {
    let org = app.create_org("Acme").await;
    app.verify_domain(&org, "acme.test", "automatic").await;
    let d = directory(&app, &org, "Okta").await;
    let limited = app
        .patch(
            &org,
            &format!("/directories/{}", d.id),
            json!({"deactivation_limit_per_hour": 2}),
        )
        .await;
    assert_eq!(limited.status, StatusCode::OK, "{}", limited.text);
    let mut ids = Vec::new();
    for n in 0..4 {
        let (_, u, _) = scim(
            &app,
            &d,
            reqwest::Method::POST,
            "/Users",
            Some(okta_user(&format!("v{n}@acme.test"), "V", &n.to_string())),
        )
        .await;
        ids.push(u["id"].as_str().unwrap().to_owned());
    }
    let off = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": false}}]});
    for id in &ids[..2] {
        assert_eq!(
            scim(
                &app,
                &d,
                reqwest::Method::PATCH,
                &format!("/Users/{id}"),
                Some(off.clone())
            )
            .await
            .0,
            StatusCode::OK
        );
    }
    let (s, held, _) = scim(
        &app,
        &d,
        reqwest::Method::PATCH,
        &format!("/Users/{}", ids[2]),
        Some(off.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "held: {held}");
    assert_eq!(held["active"], true, "the user is unchanged while held");
    assert_eq!(
        scim(&app, &d, reqwest::Method::DELETE, &format!("/Users/{}", ids[3]), None)
            .await
            .0,
        StatusCode::ACCEPTED
    );
    let list = app.get(&org, &format!("/directories/{}/held", d.id)).await;
    assert_eq!(list.json["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.get(&org, "/accounts?email=v2@acme.test").await.json["items"][0]["status"],
        "active"
    );
    assert_eq!(
        app.get(&org, "/events?action=scim.change_held").await.json["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // An admin sees the banner, then releases: the held changes apply as the directory's.
    let (b, _) = app.console(&org).await;
    assert!(
        b.get(&format!("/admin/orgs/{}", org.id))
            .await
            .body
            .contains("held by the safety valve")
    );
    let released = app
        .post(&org, &format!("/directories/{}/held/release", d.id), json!({}))
        .await;
    assert_eq!(released.json["released"], 2, "{}", released.text);
    assert_eq!(
        app.get(&org, "/accounts?email=v2@acme.test").await.json["items"][0]["status"],
        "deactivated"
    );
    assert_eq!(
        scim(&app, &d, reqwest::Method::GET, &format!("/Users/{}", ids[3]), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert!(
        app.get(&org, &format!("/directories/{}/held", d.id)).await.json["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // An hour later the limit has room again.
    app.clock.advance_secs(3601);
    let (_, u, _) = scim(
        &app,
        &d,
        reqwest::Method::POST,
        "/Users",
        Some(okta_user("later@acme.test", "L", "Ater")),
    )
    .await;
    let later = u["id"].as_str().unwrap();
    assert_eq!(
        scim(&app, &d, reqwest::Method::PATCH, &format!("/Users/{later}"), Some(off))
            .await
            .0,
        StatusCode::OK
    );
}

/// Nodes sharing a PostgreSQL database: a token revoked through one is refused by another at
/// once, though that one had verified it and keeps verified tokens for a minute.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_token_revoked_on_one_node_is_refused_at_once_on_another() {
    use gatehouse_core::ports::{Clock, prelude::*};
    let app = TestApp::spawn_with(gatehouse_testkit::Dialect::Postgres, |c| {
        c.scim.token_cache_seconds = 60;
    })
    .await;
    let org = app.create_org("Acme").await;
    let d = directory(&app, &org, "Okta").await;
    let node = app.another_node(|_| {}).await;
    let on_node = Dir {
        base: d.base.replacen(&app.base, &node.base, 1),
        token: d.token.clone(),
        id: d.id.clone(),
    };
    for _ in 0..100 {
        if node.state.services.directories.token_cache_is_live() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        node.state.services.directories.token_cache_is_live(),
        "the node hears announcements"
    );
    assert_eq!(
        scim(&app, &on_node, reqwest::Method::GET, "/Users", None).await.0,
        StatusCode::OK,
        "verified, and kept"
    );

    // Behind every node's back (no announcement), the kept token still works there: the
    // cache is in use. Then the token is put back as it was.
    let dir_id = gatehouse_core::ids::DirectoryId::parse(&d.id).unwrap();
    let token = app
        .store
        .reader()
        .await
        .unwrap()
        .list_directory_tokens(dir_id)
        .await
        .unwrap()[0]
        .clone();
    let store = app.store.clone();
    let set = |t: gatehouse_core::directory::DirectoryToken| {
        let store = store.clone();
        async move {
            let mut tx = store.begin().await.unwrap();
            tx.update_directory_token(&t).await.unwrap();
            tx.commit().await.unwrap();
        }
    };
    set(gatehouse_core::directory::DirectoryToken {
        revoked_at: Some(app.clock.now()),
        ..token.clone()
    })
    .await;
    assert_eq!(
        scim(&app, &on_node, reqwest::Method::GET, "/Users", None).await.0,
        StatusCode::OK,
        "kept on the other node"
    );
    set(token.clone()).await;

    // Revoked through the first node: announced, and the other node forgets it.
    assert_eq!(
        app.delete(&org, &format!("/directories/{}/tokens/{}", d.id, token.id))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let mut status = StatusCode::OK;
    for _ in 0..40 {
        status = scim(&app, &on_node, reqwest::Method::GET, "/Users", None).await.0;
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, StatusCode::UNAUTHORIZED, "refused on the other node too");
    assert_eq!(
        scim(&app, &d, reqwest::Method::GET, "/Users", None).await.0,
        StatusCode::UNAUTHORIZED
    );
}
