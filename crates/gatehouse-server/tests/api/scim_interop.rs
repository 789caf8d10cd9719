//! SCIM as every client reads it without a quirk: discovery as ListResponses, SCIM errors for
//! everything under /scim/v2/, PATCH answers, conditional reads, Bulk locations and the
//! attributes a directory may write.

use super::scim::{Dir, ENTERPRISE, PATCH_OP, USER, directory, okta_user, scim};
use gatehouse_testkit::{TestApp, engine_tests};
use reqwest::{Method as M, StatusCode};
use serde_json::{Value, json};

engine_tests!(
    discovery_answers_list_responses_and_each_schema_and_resource_type_by_id,
    every_answer_under_scim_v2_is_a_scim_error_in_scim_json,
    patch_answers_honour_attributes_and_a_group_patch_answers_204_unless_asked,
    if_none_match_with_the_current_version_answers_304,
    every_bulk_result_carries_its_location_and_malformed_bulk_requests_change_nothing,
    removing_a_member_who_is_not_in_the_group_is_a_no_op,
    a_patch_with_the_whole_enterprise_extension_and_its_schemas_key_is_accepted,
    unknown_attributes_control_characters_and_oversize_values_are_refused_and_change_nothing,
    extensions_the_server_does_not_advertise_are_ignored,
);

const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

fn patch(ops: Value) -> Value {
    let mut body = json!({"schemas": [PATCH_OP]});
    body["Operations"] = ops;
    body
}

async fn user(app: &TestApp, d: &Dir, email: &str) -> String {
    let (s, u, _) = scim(app, d, M::POST, "/Users", Some(okta_user(email, "Ann", "Lee"))).await;
    assert_eq!(s, StatusCode::CREATED, "{u}");
    u["id"].as_str().unwrap().to_owned()
}

async fn group(app: &TestApp, d: &Dir, name: &str, members: &[&str]) -> String {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    let (s, g, _) = scim(
        app,
        d,
        M::POST,
        "/Groups",
        Some(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name, "members": members})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    g["id"].as_str().unwrap().to_owned()
}

fn member_ids(g: &Value) -> Vec<String> {
    let mut ids: Vec<String> = g["members"]
        .as_array()
        .map(|a| a.iter().map(|m| m["value"].as_str().unwrap().to_owned()).collect())
        .unwrap_or_default();
    ids.sort();
    ids
}

fn assert_scim_error(status: StatusCode, body: &Value, headers: &reqwest::header::HeaderMap, want: StatusCode) {
    assert_eq!(status, want, "{body}");
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/scim+json"),
        "{:?}",
        headers["content-type"]
    );
    assert_eq!(body["schemas"], json!([ERROR]), "{body}");
    assert_eq!(body["status"], want.as_u16().to_string());
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{body}");
}

async fn discovery_answers_list_responses_and_each_schema_and_resource_type_by_id(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = directory(&app, &org, "Entra").await;
    let (s, schemas, _) = scim(&app, &d, M::GET, "/Schemas", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(schemas["schemas"], json!([LIST]));
    assert_eq!(schemas["totalResults"], 3);
    let ids: Vec<&str> = schemas["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [USER, ENTERPRISE, "urn:ietf:params:scim:schemas:core:2.0:Group"]);
    for id in ids {
        let (s, one, _) = scim(&app, &d, M::GET, &format!("/Schemas/{id}"), None).await;
        assert_eq!(s, StatusCode::OK, "{one}");
        assert_eq!(one["id"], id);
        assert_eq!(one["meta"]["location"], format!("{}/Schemas/{id}", d.base));
    }
    // The server needs an email, and its schema says so.
    let (_, user_schema, _) = scim(&app, &d, M::GET, &format!("/Schemas/{USER}"), None).await;
    let emails = user_schema["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "emails")
        .unwrap();
    assert_eq!(emails["required"], true);
    assert_eq!(emails["subAttributes"][0]["name"], "value");
    assert_eq!(emails["subAttributes"][0]["required"], true);
    let (s, types, _) = scim(&app, &d, M::GET, "/ResourceTypes", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(types["schemas"], json!([LIST]));
    assert_eq!(types["totalResults"], 2);
    assert_eq!(types["Resources"][0]["id"], "User");
    let (s, group_type, _) = scim(&app, &d, M::GET, "/ResourceTypes/Group", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(group_type["endpoint"], "/Groups");
    for path in ["/Schemas/urn:example:nope", "/ResourceTypes/Printer"] {
        let (s, body, headers) = scim(&app, &d, M::GET, path, None).await;
        assert_scim_error(s, &body, &headers, StatusCode::NOT_FOUND);
    }
}

async fn every_answer_under_scim_v2_is_a_scim_error_in_scim_json(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = directory(&app, &org, "Okta").await;
    let before = app.snapshot().await;
    let cases: Vec<(M, &str, Option<Value>, StatusCode)> = vec![
        (M::GET, "/Printers", None, StatusCode::NOT_FOUND),
        (M::GET, "/Users/2819c223/extra", None, StatusCode::NOT_FOUND),
        (M::GET, "/Users/no-such-user", None, StatusCode::NOT_FOUND),
        (M::GET, "/Groups/no-such-group", None, StatusCode::NOT_FOUND),
        (M::DELETE, "/Schemas", None, StatusCode::METHOD_NOT_ALLOWED),
        (
            M::POST,
            "/ServiceProviderConfig",
            Some(json!({})),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            M::PUT,
            "/Users",
            Some(okta_user("x@acme.test", "X", "Y")),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (M::GET, "/Users?startIndex=first", None, StatusCode::BAD_REQUEST),
        (M::GET, "/Groups?count=many", None, StatusCode::BAD_REQUEST),
        (M::GET, "/Users?filter=userName%20eq", None, StatusCode::BAD_REQUEST),
        (
            M::GET,
            "/Users?sortBy=userName&sortOrder=sideways",
            None,
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (method, path, body, want) in cases {
        let (s, res, headers) = scim(&app, &d, method.clone(), path, body).await;
        assert_scim_error(s, &res, &headers, want);
    }
    // Outside any directory, and without a token.
    for url in [
        format!("{}/scim/v2/nothing-here", app.base),
        format!("{}/scim/v2", app.base),
    ] {
        let res = app.client.get(&url).send().await.unwrap();
        let headers = res.headers().clone();
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_scim_error(status, &body, &headers, StatusCode::NOT_FOUND);
    }
    let res = app.client.get(format!("{}/Users", d.base)).send().await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let body: Value = res.json().await.unwrap();
    assert_scim_error(status, &body, &headers, StatusCode::UNAUTHORIZED);
    assert!(headers.contains_key("www-authenticate"));
    // Malformed JSON.
    let res = app
        .client
        .post(format!("{}/Users", d.base))
        .bearer_auth(&d.token)
        .header("content-type", "application/scim+json")
        .body("{\"userName\": ")
        .send()
        .await
        .unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let body: Value = res.json().await.unwrap();
    assert_scim_error(status, &body, &headers, StatusCode::BAD_REQUEST);
    assert_eq!(body["scimType"], "invalidSyntax");
    assert_eq!(app.snapshot().await, before, "nothing changed");
}

async fn patch_answers_honour_attributes_and_a_group_patch_answers_204_unless_asked(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = directory(&app, &org, "Okta").await;
    let ann = user(&app, &d, "ann@acme.test").await;
    let bob = user(&app, &d, "bob@acme.test").await;
    // A User PATCH answers 200 with the whole resource: every attribute returned by default.
    let (s, full, headers) = scim(
        &app,
        &d,
        M::PATCH,
        &format!("/Users/{ann}"),
        Some(patch(json!([{"op": "replace", "path": "title", "value": "Lead"}]))),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{full}");
    for attr in [
        "id",
        "schemas",
        "userName",
        "name",
        "emails",
        "displayName",
        "active",
        "title",
        "meta",
    ] {
        assert!(full.get(attr).is_some(), "{attr} missing from {full}");
    }
    assert!(full.get("password").is_none());
    assert_eq!(
        headers["etag"].to_str().unwrap(),
        full["meta"]["version"].as_str().unwrap()
    );
    // ... shown as `attributes` and `excludedAttributes` ask.
    let (s, slim, _) = scim(
        &app,
        &d,
        M::PATCH,
        &format!("/Users/{ann}?attributes=title"),
        Some(patch(json!([{"op": "replace", "path": "title", "value": "Head"}]))),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let mut keys: Vec<&str> = slim.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["id", "schemas", "title"], "{slim}");
    assert_eq!(slim["title"], "Head");
    let (_, without, _) = scim(
        &app,
        &d,
        M::PATCH,
        &format!("/Users/{ann}?excludedAttributes=emails,name"),
        Some(patch(json!([{"op": "replace", "path": "title", "value": "Chief"}]))),
    )
    .await;
    assert!(
        without.get("emails").is_none() && without.get("name").is_none(),
        "{without}"
    );
    assert_eq!(without["userName"], "ann@acme.test");
    // A Group PATCH answers 204 with its new version...
    let gid = group(&app, &d, "Ops", &[&ann]).await;
    let (s, body, headers) = scim(
        &app,
        &d,
        M::PATCH,
        &format!("/Groups/{gid}"),
        Some(patch(
            json!([{"op": "add", "path": "members", "value": [{"value": bob}]}]),
        )),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(body, Value::Null);
    assert_eq!(headers["etag"], "W/\"2\"");
    // ... or 200 with the full resource, members included, when the client asks with `attributes`.
    let (s, shown, _) = scim(
        &app,
        &d,
        M::PATCH,
        &format!("/Groups/{gid}?attributes=displayName,members"),
        Some(patch(
            json!([{"op": "replace", "path": "displayName", "value": "Operations"}]),
        )),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{shown}");
    assert_eq!(shown["displayName"], "Operations");
    let mut both = vec![ann.clone(), bob.clone()];
    both.sort();
    assert_eq!(member_ids(&shown), both);
    let (_, read, _) = scim(&app, &d, M::GET, &format!("/Groups/{gid}"), None).await;
    assert_eq!(member_ids(&read), both, "a group's default answer carries its members");
    assert_eq!(read["meta"]["version"], "W/\"3\"");
}

async fn if_none_match_with_the_current_version_answers_304(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = directory(&app, &org, "Okta").await;
    let ann = user(&app, &d, "ann@acme.test").await;
    let gid = group(&app, &d, "Ops", &[&ann]).await;
    for path in [format!("/Users/{ann}"), format!("/Groups/{gid}")] {
        let (_, first, headers) = scim(&app, &d, M::GET, &path, None).await;
        let etag = headers["etag"].to_str().unwrap().to_owned();
        assert_eq!(first["meta"]["version"], etag.as_str());
        let conditional = |tag: &str| {
            app.client
                .get(format!("{}{path}", d.base))
                .bearer_auth(&d.token)
                .header("if-none-match", tag.to_owned())
                .send()
        };
        let res = conditional(&etag).await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(res.headers()["etag"].to_str().unwrap(), etag);
        assert!(res.text().await.unwrap().is_empty());
        // The strong form of the tag and a list holding it match too (RFC 7232 §3.2).
        let strong = etag.trim_start_matches("W/").to_owned();
        let listed = format!("W/\"999\", {etag}");
        for tag in [strong.as_str(), listed.as_str(), "*"] {
            assert_eq!(
                conditional(tag).await.unwrap().status(),
                StatusCode::NOT_MODIFIED,
                "{tag}"
            );
        }
        // An older version gets the resource.
        let res = conditional("W/\"0\"").await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.json::<Value>().await.unwrap()["id"], first["id"]);
    }
}

async fn every_bulk_result_carries_its_location_and_malformed_bulk_requests_change_nothing(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = directory(&app, &org, "Okta").await;
    let gone = user(&app, &d, "gone@acme.test").await;
    let gid = group(&app, &d, "Old team", &[]).await;
    let bulk = |ops: Value, extra: Value| {
        let mut b = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": ops});
        b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        b
    };
    let (s, res, _) = scim(&app, &d, M::POST, "/Bulk", Some(bulk(json!([
        {"method": "POST", "path": "/Users", "bulkId": "u1", "data": okta_user("new@acme.test", "New", "Person")},
        {"method": "PATCH", "path": format!("/Groups/{gid}"), "data": patch(json!([{"op": "add", "path": "members", "value": [{"value": "bulkId:u1"}]}]))},
        {"method": "DELETE", "path": format!("/Users/{gone}")},
        {"method": "DELETE", "path": format!("/Groups/{gid}")},
        {"method": "DELETE", "path": "/Users/no-such-user"}
    ]), json!({})))).await;
    assert_eq!(s, StatusCode::OK, "{res}");
    let ops = res["Operations"].as_array().unwrap();
    let statuses: Vec<&str> = ops.iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["201", "204", "204", "204", "404"], "{res}");
    let new = ops[0]["location"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let expected = [
        format!("{}/Users/{new}", d.base),
        format!("{}/Groups/{gid}", d.base),
        format!("{}/Users/{gone}", d.base),
        format!("{}/Groups/{gid}", d.base),
        format!("{}/Users/no-such-user", d.base),
    ];
    for (op, location) in ops.iter().zip(&expected) {
        assert_eq!(op["location"], location.as_str(), "{op}");
    }
    // Malformed requests are refused whole: duplicate bulkIds, failOnErrors below 1.
    let before = app.snapshot().await;
    let twice = bulk(
        json!([
            {"method": "POST", "path": "/Users", "bulkId": "same", "data": okta_user("one@acme.test", "One", "A")},
            {"method": "POST", "path": "/Users", "bulkId": "same", "data": okta_user("two@acme.test", "Two", "B")}
        ]),
        json!({}),
    );
    let one = json!([{"method": "POST", "path": "/Users", "bulkId": "x", "data": okta_user("three@acme.test", "Three", "C")}]);
    for (body, needle) in [
        (twice, "same"),
        (bulk(one.clone(), json!({"failOnErrors": 0})), "failOnErrors"),
        (bulk(one.clone(), json!({"failOnErrors": -1})), "failOnErrors"),
        (bulk(one, json!({"failOnErrors": "all"})), "failOnErrors"),
    ] {
        let (s, err, headers) = scim(&app, &d, M::POST, "/Bulk", Some(body)).await;
        assert_scim_error(s, &err, &headers, StatusCode::BAD_REQUEST);
        assert_eq!(err["scimType"], "invalidValue");
        assert!(err["detail"].as_str().unwrap().contains(needle), "{err}");
    }
    assert_eq!(app.snapshot().await, before, "nothing changed");
}

async fn removing_a_member_who_is_not_in_the_group_is_a_no_op(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = directory(&app, &org, "Entra").await;
    let ann = user(&app, &d, "ann@acme.test").await;
    let bob = user(&app, &d, "bob@acme.test").await;
    let left = user(&app, &d, "left@acme.test").await;
    assert_eq!(
        scim(&app, &d, M::DELETE, &format!("/Users/{left}"), None).await.0,
        StatusCode::NO_CONTENT
    );
    let gid = group(&app, &d, "Ops", &[&ann]).await;
    // Entra ID and Okta resend removals: of a provisioned user who is not a member, of a user
    // deleted since, of an id never seen. Each is a no-op.
    for gone in [&bob, &left, &"never-provisioned".to_owned()] {
        for op in [
            json!({"op": "Remove", "path": "members", "value": [{"value": gone}]}),
            json!({"op": "remove", "path": format!("members[value eq \"{gone}\"]")}),
        ] {
            let (s, body, _) = scim(&app, &d, M::PATCH, &format!("/Groups/{gid}"), Some(patch(json!([op])))).await;
            assert_eq!(s, StatusCode::NO_CONTENT, "{gone}: {body}");
        }
    }
    let (_, g, _) = scim(&app, &d, M::GET, &format!("/Groups/{gid}"), None).await;
    assert_eq!(member_ids(&g), [ann]);
}

async fn a_patch_with_the_whole_enterprise_extension_and_its_schemas_key_is_accepted(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = directory(&app, &org, "Okta").await;
    let ann = user(&app, &d, "ann@acme.test").await;
    let (s, u, _) = scim(
        &app,
        &d,
        M::PATCH,
        &format!("/Users/{ann}"),
        Some(patch(json!([{"op": "replace", "path": ENTERPRISE, "value": {
            "schemas": [ENTERPRISE], "department": "Tours", "employeeNumber": "701984"
        }}]))),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{u}");
    assert_eq!(
        u[ENTERPRISE],
        json!({"department": "Tours", "employeeNumber": "701984"})
    );
    assert!(u["schemas"].as_array().unwrap().contains(&json!(ENTERPRISE)));
    let (_, read, _) = scim(&app, &d, M::GET, &format!("/Users/{ann}"), None).await;
    assert_eq!(read[ENTERPRISE]["department"], "Tours");
}

async fn unknown_attributes_control_characters_and_oversize_values_are_refused_and_change_nothing(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = directory(&app, &org, "Okta").await;
    let ann = user(&app, &d, "ann@acme.test").await;
    let gid = group(&app, &d, "Ops", &[]).await;
    let before = app.snapshot().await;
    let with = |extra: Value| {
        let mut u = okta_user("new@acme.test", "New", "Person");
        u.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        u
    };
    let posts = [
        (with(json!({"nickname2": "typo"})), "nickname2"),
        (with(json!({"name": {"givenName": "New", "middle": "J"}})), "middle"),
        (
            with(json!({"emails": [{"value": "new@acme.test", "primary": true, "label": "work"}]})),
            "label",
        ),
        (
            with(json!({"schemas": [USER, ENTERPRISE], ENTERPRISE: {"costCentre": "4130"}})),
            "costCentre",
        ),
        (with(json!({"title": "Lead\u{7}"})), "control characters"),
        (with(json!({"nickName": "\u{1b}[31mred"})), "control characters"),
        (with(json!({"title": "x".repeat(5000)})), "at most"),
        (with(json!({"displayName": "Ann\u{202E}gnp.exe"})), "displayName"),
    ];
    for (body, needle) in posts {
        let (s, err, headers) = scim(&app, &d, M::POST, "/Users", Some(body)).await;
        assert_scim_error(s, &err, &headers, StatusCode::BAD_REQUEST);
        assert!(err["detail"].as_str().unwrap().contains(needle), "{needle}: {err}");
    }
    let (s, err, _) = scim(
        &app,
        &d,
        M::POST,
        "/Groups",
        Some(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Team", "owner": "x"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{err}");
    let (s, err, _) = scim(
        &app,
        &d,
        M::PUT,
        &format!("/Groups/{gid}"),
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Ops\u{202B}"
        })),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{err}");
    for op in [
        json!({"op": "replace", "path": "title", "value": "a\u{8}b"}),
        json!({"op": "add", "value": {"nickName": "y".repeat(3000)}}),
        json!({"op": "add", "path": "emails", "value": [{"value": "x@acme.test", "kind": "work"}]}),
        json!({"op": "replace", "path": "nosuch", "value": "x"}),
    ] {
        let (s, err, _) = scim(
            &app,
            &d,
            M::PATCH,
            &format!("/Users/{ann}"),
            Some(patch(json!([op.clone()]))),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{op}: {err}");
    }
    assert_eq!(app.snapshot().await, before, "nothing changed");
    let (_, read, _) = scim(&app, &d, M::GET, &format!("/Users/{ann}"), None).await;
    assert!(read.get("title").is_none() && read.get("nickName").is_none(), "{read}");
}

async fn extensions_the_server_does_not_advertise_are_ignored(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = directory(&app, &org, "Entra").await;
    let custom = "urn:ietf:params:scim:schemas:extension:CustomExtension:2.0:User";
    let mut body = okta_user("ann@acme.test", "Ann", "Lee");
    body["schemas"] = json!([USER, custom, "urn:okta:onprem_app:1.0:user:custom"]);
    body[custom] = json!({"costCenter": "4130"});
    let (s, u, _) = scim(&app, &d, M::POST, "/Users", Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{u}");
    assert_eq!(u["schemas"], json!([USER]));
    assert!(u.get(custom).is_none());
    let id = u["id"].as_str().unwrap();
    let (s, u, _) = scim(
        &app,
        &d,
        M::PATCH,
        &format!("/Users/{id}"),
        Some(patch(json!([
            {"op": "Replace", "path": format!("{custom}:costCenter"), "value": "5000"},
            {"op": "Replace", "path": "title", "value": "Lead"}
        ]))),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{u}");
    assert_eq!(u["title"], "Lead");
    assert!(u.get(custom).is_none());
}
