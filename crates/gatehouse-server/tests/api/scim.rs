//! SCIM 2.0 over HTTP, driven as identity providers drive it, on both engines.

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
    groups_carry_members_and_access_and_are_read_only_elsewhere,
    bulk_resolves_bulk_ids_in_any_order_and_stops_on_errors,
    the_safety_valve_holds_deactivations_past_the_hourly_limit_until_released,
    okta_provisioning_sequence_runs_as_okta_sends_it,
    entra_provisioning_sequence_runs_as_entra_sends_it,
    the_rfc_7643_full_enterprise_user_example_round_trips,
    users_sort_by_columns_and_by_any_attribute,
    users_filter_with_gt_ge_lt_le_on_strings_and_dates,
    value_paths_take_or_not_parentheses_and_pr_within_one_element,
    users_sort_by_attributes_without_columns_missing_last_both_ways,
    case_exact_substring_filters_match_case_on_both_engines,
    groups_filter_on_names_ids_and_meta_in_sql,
    groups_filter_on_members_with_value_paths_or_and_not,
    groups_sort_by_columns_missing_external_ids_last,
);

async fn users_sort_by_columns_and_by_any_attribute(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = directory(&app, &org, "Okta").await;
    let (_, config, _) = scim(&app, &d, reqwest::Method::GET, "/ServiceProviderConfig", None).await;
    assert_eq!(config["sort"]["supported"], true);
    for (who, family) in [("b", "Young"), ("c", "Adams"), ("a", "Moss")] {
        scim(
            &app,
            &d,
            reqwest::Method::POST,
            "/Users",
            Some(okta_user(&format!("{who}@acme.test"), who, family)),
        )
        .await;
    }
    let names = |v: &Value, key: &str| -> Vec<String> {
        v["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.pointer(key).unwrap().as_str().unwrap().to_owned())
            .collect()
    };
    let (_, by_user, _) = scim(
        &app,
        &d,
        reqwest::Method::GET,
        "/Users?sortBy=userName&sortOrder=descending",
        None,
    )
    .await;
    assert_eq!(
        names(&by_user, "/userName"),
        vec!["c@acme.test", "b@acme.test", "a@acme.test"]
    );
    let (_, by_family, _) = scim(
        &app,
        &d,
        reqwest::Method::GET,
        "/Users?sortBy=name.familyName&count=2",
        None,
    )
    .await;
    assert_eq!(
        names(&by_family, "/name/familyName"),
        vec!["Adams", "Moss"],
        "sorted before paging"
    );
    assert_eq!(by_family["totalResults"], 3);
    let (_, searched, _) = scim(&app, &d, reqwest::Method::POST, "/Users/.search", Some(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "sortBy": "meta.created", "sortOrder": "descending"
    }))).await;
    assert_eq!(names(&searched, "/userName")[0], "a@acme.test", "newest first");
    for g in ["Zeta", "alpha"] {
        scim(
            &app,
            &d,
            reqwest::Method::POST,
            "/Groups",
            Some(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": g})),
        )
        .await;
    }
    let (_, groups, _) = scim(
        &app,
        &d,
        reqwest::Method::GET,
        "/Groups?sortBy=displayName&excludedAttributes=members",
        None,
    )
    .await;
    assert_eq!(
        names(&groups, "/displayName"),
        vec!["alpha", "Zeta"],
        "case-insensitive order"
    );
    let (s, bad, _) = scim(&app, &d, reqwest::Method::GET, "/Users?sortBy=shoeSize", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
    assert_eq!(bad["scimType"], "invalidValue");
}

fn q(filter: &str) -> String {
    format!("/Users?filter={}", urlencode(filter))
}

/// Okta's SCIM 2.0 sequence (its public "SCIM 2.0 test" and provisioning guides): probe,
/// look up by userName, create, read, update with PUT, deactivate with PATCH, push a group
/// and its members, unassign.
#[allow(clippy::too_many_lines)] // the sequence, step by step as Okta sends it
async fn okta_provisioning_sequence_runs_as_okta_sends_it(app: TestApp) {
    use reqwest::Method as M;
    let org = app.create_org("Acme").await;
    let d = directory(&app, &org, "Okta").await;
    let (s, probe, _) = scim(&app, &d, M::GET, "/Users?count=1&startIndex=1", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(probe["totalResults"], 0);
    let (_, none, _) = scim(&app, &d, M::GET, &q("userName eq \"okta.user@acme.test\""), None).await;
    assert_eq!(none["totalResults"], 0);
    let (s, u, _) = scim(
        &app,
        &d,
        M::POST,
        "/Users",
        Some(okta_user("okta.user@acme.test", "Okta", "User")),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let id = u["id"].as_str().unwrap().to_owned();
    assert_eq!(
        scim(&app, &d, M::GET, &format!("/Users/{id}"), None).await.1["userName"],
        "okta.user@acme.test"
    );
    let (_, one_found, _) = scim(&app, &d, M::GET, &q("userName eq \"okta.user@acme.test\""), None).await;
    assert_eq!(one_found["totalResults"], 1);
    let mut changed = okta_user("okta.user@acme.test", "Okta", "Renamed");
    changed["id"] = json!(id);
    let (s, put, _) = scim(&app, &d, M::PUT, &format!("/Users/{id}"), Some(changed)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(put["name"]["familyName"], "Renamed");
    let (s, off, _) = scim(
        &app,
        &d,
        M::PATCH,
        &format!("/Users/{id}"),
        Some(json!({
            "schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": false}}]
        })),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(off["active"], false);
    let (_, other, _) = scim(
        &app,
        &d,
        M::POST,
        "/Users",
        Some(okta_user("second@acme.test", "Second", "User")),
    )
    .await;
    let other_id = other["id"].as_str().unwrap().to_owned();
    // Group push: create empty, rename (Okta echoes the id), add and remove members, delete.
    let (s, g, _) = scim(
        &app,
        &d,
        M::POST,
        "/Groups",
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Okta Pushed", "members": []
        })),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let gid = g["id"].as_str().unwrap().to_owned();
    let ops = [
        json!({"op": "replace", "value": {"id": gid, "displayName": "Okta Pushed Renamed"}}),
        json!({"op": "add", "path": "members", "value": [{"value": other_id, "display": "second@acme.test"}]}),
        json!({"op": "remove", "path": format!("members[value eq \"{other_id}\"]")}),
    ];
    for op in ops {
        let (s, body, _) = scim(
            &app,
            &d,
            M::PATCH,
            &format!("/Groups/{gid}"),
            Some(json!({"schemas": [PATCH_OP], "Operations": [op]})),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }
    let (_, group, _) = scim(&app, &d, M::GET, &format!("/Groups/{gid}"), None).await;
    assert_eq!(group["displayName"], "Okta Pushed Renamed");
    assert!(
        group["members"].as_array().is_none_or(Vec::is_empty),
        "no members (an empty list may be left out, RFC 7643 §2.5)"
    );
    assert_eq!(
        scim(&app, &d, M::DELETE, &format!("/Groups/{gid}"), None).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        scim(&app, &d, M::GET, "/Users/00000000-0000-7000-8000-000000000000", None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

/// Microsoft Entra ID's sequence (its SCIM validator and provisioning docs): lookups by
/// userName, create with the enterprise extension, PATCH with capitalized ops, value-filter
/// paths and a manager, "False" as a string, groups with excludedAttributes=members.
#[allow(clippy::too_many_lines)] // the sequence, step by step as Entra sends it
async fn entra_provisioning_sequence_runs_as_entra_sends_it(app: TestApp) {
    use reqwest::Method as M;
    let org = app.create_org("Acme").await;
    let d = directory(&app, &org, "Entra").await;
    let (_, none, _) = scim(&app, &d, M::GET, &q("userName eq \"Test_User_0a1b@acme.test\""), None).await;
    assert_eq!(none["totalResults"], 0);
    let entra_user = |user: &str, ext: &str| {
        json!({
            "schemas": [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "externalId": ext,
            "userName": user,
            "active": true,
            "displayName": "Test User",
            "emails": [{"primary": true, "type": "work", "value": user}],
            "name": {"formatted": "Test User", "familyName": "User", "givenName": "Test"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "42", "department": "R&D"}
        })
    };
    let (s, boss, _) = scim(
        &app,
        &d,
        M::POST,
        "/Users",
        Some(entra_user("boss@acme.test", "boss-ext")),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{boss}");
    let (s, u, _) = scim(
        &app,
        &d,
        M::POST,
        "/Users",
        Some(entra_user("Test_User_0a1b@acme.test", "0a1b")),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{u}");
    let id = u["id"].as_str().unwrap().to_owned();
    let (_, found, _) = scim(&app, &d, M::GET, &q("userName eq \"test_user_0a1b@acme.test\""), None).await;
    assert_eq!(found["totalResults"], 1);
    let (s, patched, _) = scim(&app, &d, M::PATCH, &format!("/Users/{id}"), Some(json!({
        "schemas": [PATCH_OP],
        "Operations": [
            {"op": "Replace", "path": "displayName", "value": "Test User Renamed"},
            {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "Test_User_0a1b@acme.test"},
            {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": boss["id"]},
            {"op": "Replace", "path": "active", "value": "False"}
        ]
    }))).await;
    assert_eq!(s, StatusCode::OK, "{patched}");
    assert_eq!(patched["displayName"], "Test User Renamed");
    assert_eq!(patched["active"], false);
    assert_eq!(
        patched["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"]["value"],
        boss["id"]
    );
    let account = app.get(&org, "/accounts?email=test_user_0a1b@acme.test").await;
    assert_eq!(account.json["items"][0]["display_name"], "Test User Renamed");
    assert_eq!(account.json["items"][0]["status"], "deactivated");
    let (s, g, _) = scim(&app, &d, M::POST, "/Groups", Some(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", "displayName": "Group1DisplayName", "members": []
    }))).await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    let gid = g["id"].as_str().unwrap().to_owned();
    let (_, listed, _) = scim(
        &app,
        &d,
        M::GET,
        "/Groups?excludedAttributes=members&filter=displayName%20eq%20%22Group1DisplayName%22",
        None,
    )
    .await;
    assert_eq!(listed["totalResults"], 1);
    assert!(listed["Resources"][0].get("members").is_none());
    for op in [
        json!({"op": "Add", "path": "members", "value": [{"value": id}]}),
        json!({"op": "Remove", "path": "members", "value": [{"value": id}]}),
    ] {
        let (s, body, _) = scim(
            &app,
            &d,
            M::PATCH,
            &format!("/Groups/{gid}"),
            Some(json!({"schemas": [PATCH_OP], "Operations": [op]})),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }
    let (_, group, _) = scim(&app, &d, M::GET, &format!("/Groups/{gid}"), None).await;
    assert!(
        group["members"].as_array().is_none_or(Vec::is_empty),
        "no members (an empty list may be left out, RFC 7643 §2.5)"
    );
}

/// RFC 7643 §8.3: the full enterprise user representation, accepted and returned intact
/// (but for what a service provider assigns: id and meta; and the password it never keeps).
async fn the_rfc_7643_full_enterprise_user_example_round_trips(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = directory(&app, &org, "RFC").await;
    let example = json!({
        "schemas": [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": "701984",
        "userName": "bjensen@example.com",
        "name": {"formatted": "Ms. Barbara J Jensen, III", "familyName": "Jensen", "givenName": "Barbara", "middleName": "Jane", "honorificPrefix": "Ms.", "honorificSuffix": "III"},
        "displayName": "Babs Jensen",
        "nickName": "Babs",
        "profileUrl": "https://login.example.com/bjensen",
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}, {"value": "babs@jensen.org", "type": "home"}],
        "addresses": [{"streetAddress": "100 Universal City Plaza", "locality": "Hollywood", "region": "CA", "postalCode": "91608", "country": "USA", "formatted": "100 Universal City Plaza\nHollywood, CA 91608 USA", "type": "work", "primary": true}],
        "phoneNumbers": [{"value": "555-555-5555", "type": "work"}, {"value": "555-555-4444", "type": "mobile"}],
        "ims": [{"value": "someaimhandle", "type": "aim"}],
        "photos": [{"value": "https://photos.example.com/profilephoto/72930000000Ccne/F", "type": "photo"}],
        "userType": "Employee",
        "title": "Tour Guide",
        "preferredLanguage": "en-US",
        "locale": "en-US",
        "timezone": "America/Los_Angeles",
        "active": true,
        "password": "t1meMa$heen",
        "x509Certificates": [{"value": "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "701984", "costCenter": "4130", "organization": "Universal Studios", "division": "Theme Park", "department": "Tour Operations",
            "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "$ref": "../Users/26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}
        }
    });
    let (s, created, _) = scim(&app, &d, reqwest::Method::POST, "/Users", Some(example.clone())).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let (_, got, _) = scim(
        &app,
        &d,
        reqwest::Method::GET,
        &format!("/Users/{}", created["id"].as_str().unwrap()),
        None,
    )
    .await;
    for key in [
        "externalId",
        "name",
        "nickName",
        "emails",
        "addresses",
        "phoneNumbers",
        "ims",
        "photos",
        "userType",
        "title",
        "timezone",
        "x509Certificates",
    ] {
        assert_eq!(got[key], example[key], "{key}");
    }
    let ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    assert_eq!(got[ext]["costCenter"], "4130");
    assert!(got.get("password").is_none());
    assert_eq!(got["meta"]["resourceType"], "User");
}

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

struct Dir {
    base: String,
    token: String,
    id: String,
}

async fn directory(app: &TestApp, org: &TestOrg, name: &str) -> Dir {
    let r = app.post(org, "/directories", json!({"name": name})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    Dir {
        base: r.json["directory"]["scim_base_url"].as_str().unwrap().to_owned(),
        token: r.json["token"]["secret"].as_str().unwrap().to_owned(),
        id: r.json["directory"]["id"].as_str().unwrap().to_owned(),
    }
}

async fn scim(
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

fn okta_user(user_name: &str, given: &str, family: &str) -> Value {
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

fn urlencode(s: &str) -> String {
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

async fn okta_and_entra_patches_apply_and_etags_guard_writes(app: TestApp) {
    let org = app.create_org("Acme").await;
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

#[allow(clippy::too_many_lines)] // one provisioning story, told step by step
async fn groups_carry_members_and_access_and_are_read_only_elsewhere(app: TestApp) {
    const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
    let org = app.create_org("Acme").await;
    let d = directory(&app, &org, "Entra").await;
    let mut ids = Vec::new();
    for who in ["g1", "g2", "g3"] {
        let (_, u, _) = scim(
            &app,
            &d,
            reqwest::Method::POST,
            "/Users",
            Some(okta_user(&format!("{who}@acme.test"), who, "Member")),
        )
        .await;
        ids.push(u["id"].as_str().unwrap().to_owned());
    }
    let (s, g, _) = scim(
        &app,
        &d,
        reqwest::Method::POST,
        "/Groups",
        Some(json!({
            "schemas": [GROUP], "displayName": "Engineering", "externalId": "eng-1",
            "members": [{"value": ids[0]}, {"value": ids[1]}]
        })),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    assert_eq!(g["members"].as_array().unwrap().len(), 2);
    let gid = g["id"].as_str().unwrap().to_owned();
    let local = app.get(&org, "/groups?name=Engineering").await;
    let org_group = local.json["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(local.json["items"][0]["member_count"], 2);
    // Read-only outside SCIM…
    let denied = app
        .patch(&org, &format!("/groups/{org_group}"), json!({"name": "Renamed"}))
        .await;
    assert_eq!(denied.code(), "group_managed_by_directory");
    // …but product access granted to it reaches its members.
    let site = app
        .post(
            &org,
            "/instances",
            json!({"product":"confluence","name":"Wiki","url":"https://wiki.acme.test","edition":"standard"}),
        )
        .await;
    let grant = app
        .post(
            &org,
            "/access",
            json!({"instance_id": site.json["id"], "group_id": org_group, "role": "user"}),
        )
        .await;
    assert_eq!(grant.status, StatusCode::CREATED);
    assert_eq!(
        app.get(&org, "/accounts?product=confluence").await.json["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Entra ID: add one member, remove another by value filter, rename.
    let (s, patched, _) = scim(
        &app,
        &d,
        reqwest::Method::PATCH,
        &format!("/Groups/{gid}"),
        Some(json!({
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "Add", "path": "members", "value": [{"value": ids[2]}]},
                {"op": "Remove", "path": format!("members[value eq \"{}\"]", ids[0])},
                {"op": "Replace", "path": "displayName", "value": "Engineering EU"}
            ]
        })),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{patched}");
    let (_, full, _) = scim(&app, &d, reqwest::Method::GET, &format!("/Groups/{gid}"), None).await;
    let mut members: Vec<&str> = full["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    members.sort_unstable();
    let mut expected = vec![ids[1].as_str(), ids[2].as_str()];
    expected.sort_unstable();
    assert_eq!(members, expected);
    assert_eq!(
        app.get(&org, &format!("/groups/{org_group}")).await.json["name"],
        "Engineering EU"
    );
    let (_, slim, _) = scim(
        &app,
        &d,
        reqwest::Method::GET,
        &format!("/Groups/{gid}?excludedAttributes=members"),
        None,
    )
    .await;
    assert!(slim.get("members").is_none());
    let (_, found, _) = scim(
        &app,
        &d,
        reqwest::Method::GET,
        "/Groups?filter=displayName%20eq%20%22engineering%20eu%22",
        None,
    )
    .await;
    assert_eq!(found["totalResults"], 1);
    let (s, bad, _) = scim(&app, &d, reqwest::Method::PATCH, &format!("/Groups/{gid}"), Some(json!({
        "schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": "no-such-user"}]}]
    }))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
    // Removing the directory keeps the group, now local.
    assert_eq!(
        app.delete(&org, &format!("/directories/{}", d.id)).await.status,
        StatusCode::NO_CONTENT
    );
    let renamed = app
        .patch(
            &org,
            &format!("/groups/{org_group}"),
            json!({"name": "Engineering (local)"}),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text);
    assert_eq!(renamed.json["member_count"], 2);
    let actions = app
        .get(&org, "/events?action=scim.group_created,scim.group_updated")
        .await;
    assert_eq!(actions.json["items"][0]["actor"]["type"], "directory");
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

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// Four users with varied attributes, created a minute apart (ann first, dee last):
///
/// | user | name.familyName | title     | emails (type, primary)                      | externalId |
/// |------|-----------------|-----------|---------------------------------------------|------------|
/// | ann  | Adams           | Engineer  | ann@acme.test work primary, ann@home.test home | e1      |
/// | bob  | baker           | manager   | bob@acme.test work                          | —          |
/// | cid  | —               | Zoologist | cid@other.test (no type)                    | e3         |
/// | dee  | Carter          | —         | dee@acme.test home primary, dee@work.test work | e4      |
///
/// Returns each one's `meta.created`.
async fn four_people(app: &TestApp, d: &Dir) -> Vec<String> {
    let people = [
        json!({"schemas": [USER, ENTERPRISE], "userName": "ann@acme.test", "externalId": "e1",
            "name": {"familyName": "Adams", "givenName": "Ann"}, "title": "Engineer",
            "emails": [{"value": "ann@acme.test", "type": "work", "primary": true}, {"value": "ann@home.test", "type": "home"}],
            ENTERPRISE: {"employeeNumber": "42"}}),
        json!({"schemas": [USER], "userName": "bob@acme.test",
            "name": {"familyName": "baker"}, "title": "manager",
            "emails": [{"value": "bob@acme.test", "type": "work"}]}),
        json!({"schemas": [USER], "userName": "cid@acme.test", "externalId": "e3",
            "name": {"givenName": "Cid"}, "title": "Zoologist",
            "emails": [{"value": "cid@other.test"}]}),
        json!({"schemas": [USER], "userName": "dee@acme.test", "externalId": "e4",
            "name": {"familyName": "Carter"},
            "emails": [{"value": "dee@acme.test", "type": "home", "primary": true}, {"value": "dee@work.test", "type": "work"}]}),
    ];
    let mut created = Vec::new();
    for p in people {
        app.clock.advance_secs(60);
        let (s, u, _) = scim(app, d, reqwest::Method::POST, "/Users", Some(p)).await;
        assert_eq!(s, StatusCode::CREATED, "{u}");
        created.push(u["meta"]["created"].as_str().unwrap().to_owned());
    }
    created
}

/// The short names (`ann`) of the users a query returns, in the order returned.
async fn listed(app: &TestApp, d: &Dir, path: &str) -> Vec<String> {
    let (s, body, _) = scim(app, d, reqwest::Method::GET, path, None).await;
    assert_eq!(s, StatusCode::OK, "{path}: {body}");
    let names: Vec<String> = body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["userName"].as_str().unwrap().split('@').next().unwrap().to_owned())
        .collect();
    assert_eq!(body["totalResults"], names.len(), "{path}");
    names
}

/// The short names of the users a filter matches, sorted.
async fn matching(app: &TestApp, d: &Dir, filter: &str) -> Vec<String> {
    let mut names = listed(app, d, &q(filter)).await;
    names.sort();
    names
}

/// The same instant in another notation: two hours later on the clock, at +02:00.
fn at_plus_two(rfc3339: &str) -> String {
    let t = gatehouse_core::Timestamp::parse_rfc3339(rfc3339, "t").unwrap();
    let shifted = gatehouse_core::Timestamp::from_millis(t.millis() + 2 * 3600 * 1000).to_rfc3339();
    format!("{}+02:00", shifted.strip_suffix('Z').unwrap())
}

/// Half a millisecond after an instant (finer than the store keeps), in UTC.
fn half_ms_after(rfc3339: &str) -> String {
    let ms = gatehouse_core::Timestamp::parse_rfc3339(rfc3339, "t").unwrap().millis();
    let second = gatehouse_core::Timestamp::from_millis(ms - ms.rem_euclid(1000)).to_rfc3339();
    format!("{}.{:03}5Z", second.strip_suffix('Z').unwrap(), ms.rem_euclid(1000))
}

async fn users_filter_with_gt_ge_lt_le_on_strings_and_dates(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = directory(&app, &org, "Okta").await;
    let created = four_people(&app, &d).await;
    // Later, bob changes: his lastModified moves, his created does not.
    app.clock.advance_secs(60);
    let bob = &listed_ids(&app, &d, "userName eq \"bob@acme.test\"").await[0];
    let (s, patched, _) = scim(
        &app,
        &d,
        reqwest::Method::PATCH,
        &format!("/Users/{bob}"),
        Some(json!({
            "schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "Manager"}]
        })),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{patched}");
    let modified = patched["meta"]["lastModified"].as_str().unwrap().to_owned();
    let cases: Vec<(String, Vec<&str>)> = vec![
        // Strings of caseExact=false attributes compare folded.
        ("name.familyName gt \"b\"".into(), vec!["bob", "dee"]),
        ("name.familyName ge \"BAKER\"".into(), vec!["bob", "dee"]),
        ("name.familyName lt \"Carter\"".into(), vec!["ann", "bob"]),
        ("name.familyName le \"carter\"".into(), vec!["ann", "bob", "dee"]),
        ("title gt \"M\" and title lt \"z\"".into(), vec!["bob"]),
        ("not (title ge \"n\")".into(), vec!["ann", "bob", "dee"]),
        ("userName gt \"C\"".into(), vec!["cid", "dee"]),
        ("userName le \"bob@acme.test\"".into(), vec!["ann", "bob"]),
        ("externalId lt \"e3\"".into(), vec!["ann"]),
        ("externalId ge \"e3\"".into(), vec!["cid", "dee"]),
        ("emails.value ge \"d\"".into(), vec!["dee"]),
        (format!("{ENTERPRISE}:employeeNumber gt \"4\""), vec!["ann"]),
        // dateTimes compare as instants, on the columns behind meta.
        (format!("meta.created gt \"{}\"", created[1]), vec!["cid", "dee"]),
        (format!("meta.created ge \"{}\"", created[1]), vec!["bob", "cid", "dee"]),
        (format!("meta.created lt \"{}\"", created[1]), vec!["ann"]),
        (format!("meta.created le \"{}\"", created[1]), vec!["ann", "bob"]),
        (format!("meta.created eq \"{}\"", at_plus_two(&created[2])), vec!["cid"]),
        (
            format!("meta.created ne \"{}\"", at_plus_two(&created[2])),
            vec!["ann", "bob", "dee"],
        ),
        // Between two milliseconds: nothing is equal, and the order stays exact.
        (format!("meta.created eq \"{}\"", half_ms_after(&created[1])), vec![]),
        (
            format!("meta.created lt \"{}\"", half_ms_after(&created[1])),
            vec!["ann", "bob"],
        ),
        (
            format!("meta.created ge \"{}\"", half_ms_after(&created[1])),
            vec!["cid", "dee"],
        ),
        (format!("meta.lastModified gt \"{}\"", created[3]), vec!["bob"]),
        (
            format!("meta.lastModified eq \"{}\"", at_plus_two(&modified)),
            vec!["bob"],
        ),
        (
            format!("meta[created lt \"{}\" or lastModified ge \"{modified}\"]", created[1]),
            vec!["ann", "bob"],
        ),
        ("meta.version eq \"W/\\\"2\\\"\"".into(), vec!["bob"]),
        (
            "meta.resourceType eq \"User\" and meta.location ew \"/Users/\"".into(),
            vec![],
        ),
        // externalId is a column; `pr` on it is too.
        ("externalId pr".into(), vec!["ann", "cid", "dee"]),
        ("not (externalId pr)".into(), vec!["bob"]),
        ("externalId eq null".into(), vec!["bob"]),
        ("title pr and name pr".into(), vec!["ann", "bob", "cid"]),
        ("name.familyName eq null".into(), vec!["cid"]),
        (format!("schemas eq \"{ENTERPRISE}\""), vec!["ann"]),
    ];
    for (filter, expected) in &cases {
        assert_eq!(&matching(&app, &d, filter).await, expected, "{filter}");
    }
    let location_of_cid = format!(
        "{}/Users/{}",
        d.base,
        listed_ids(&app, &d, "userName sw \"cid\"").await[0]
    );
    assert_eq!(
        matching(&app, &d, &format!("meta.location eq \"{location_of_cid}\"")).await,
        vec!["cid"]
    );
    // Ordering a boolean is not a comparison SCIM defines (RFC 7644 §3.4.2.2).
    let (s, bad, _) = scim(&app, &d, reqwest::Method::GET, &q("active gt false"), None).await;
    assert_eq!(
        (s, bad["scimType"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalidFilter"))
    );
}

/// The ids of the users a filter matches, in id order.
async fn listed_ids(app: &TestApp, d: &Dir, filter: &str) -> Vec<String> {
    let (_, body, _) = scim(app, d, reqwest::Method::GET, &q(filter), None).await;
    body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn value_paths_take_or_not_parentheses_and_pr_within_one_element(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = directory(&app, &org, "Okta").await;
    four_people(&app, &d).await;
    for (filter, expected) in [
        (
            "emails[type eq \"work\" or type eq \"home\"]",
            vec!["ann", "bob", "dee"],
        ),
        // RFC 7644 §3.4.2.2: some element meets the whole filter; cid's email has no type, so
        // it is not "work".
        ("emails[not (type eq \"work\")]", vec!["ann", "cid", "dee"]),
        ("emails[type ne \"work\"]", vec!["ann", "cid", "dee"]),
        ("emails[not (type pr)]", vec!["cid"]),
        ("emails[type eq null]", vec!["cid"]),
        ("emails[type pr and not (primary eq true)]", vec!["ann", "bob", "dee"]),
        ("emails[primary eq true and type eq \"work\"]", vec!["ann"]),
        ("emails[type eq \"work\" and not (value ew \"acme.test\")]", vec!["dee"]),
        // Both conditions on one element: ann's home address does not end in acme.test.
        ("emails[type eq \"home\" and value ew \"acme.test\"]", vec!["dee"]),
        (
            "emails[(type eq \"home\" or type eq \"work\") and (value sw \"DEE\" or (value sw \"ann\" and not (primary pr)))]",
            vec!["ann", "dee"],
        ),
        (
            "emails[value co \"@\" and value co \".\" and value ew \".test\" and value sw \"d\" and type eq \"work\" and value ne \"a\" and value ne \"b\"]",
            vec!["dee"],
        ),
        (
            "emails[value ew \"other.test\"] or emails[type eq \"home\" and primary eq true]",
            vec!["cid", "dee"],
        ),
        ("not (emails[type eq \"work\"])", vec!["cid"]),
        ("name[givenName pr and not (familyName pr)]", vec!["cid"]),
        ("name[not (givenName pr)]", vec!["bob", "dee"]),
        ("emails pr and name pr", vec!["ann", "bob", "cid", "dee"]),
    ] {
        assert_eq!(matching(&app, &d, filter).await, expected, "{filter}");
    }
}

async fn users_sort_by_attributes_without_columns_missing_last_both_ways(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = directory(&app, &org, "Okta").await;
    four_people(&app, &d).await;
    for (query, expected) in [
        // RFC 7644 §3.4.2.3: missing values last in both orders; case-insensitive.
        ("sortBy=name.familyName", vec!["ann", "bob", "dee", "cid"]),
        (
            "sortBy=name.familyName&sortOrder=descending",
            vec!["dee", "bob", "ann", "cid"],
        ),
        ("sortBy=title&sortOrder=descending", vec!["cid", "bob", "ann", "dee"]),
        // The primary email's type, else the first one's: home (dee), work (ann primary, bob
        // first), none (cid); ties by id, which follows creation.
        ("sortBy=emails.type", vec!["dee", "ann", "bob", "cid"]),
        (
            "sortBy=emails.type&sortOrder=descending",
            vec!["bob", "ann", "dee", "cid"],
        ),
        (
            "sortBy=externalId&sortOrder=descending",
            vec!["dee", "cid", "ann", "bob"],
        ),
        ("sortBy=externalId", vec!["ann", "cid", "dee", "bob"]),
        (
            "sortBy=urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            vec!["ann", "bob", "cid", "dee"],
        ),
        (
            "sortBy=name.familyName&filter=title%20pr&startIndex=2&count=2",
            vec!["bob", "cid"],
        ),
    ] {
        let (_, body, _) = scim(&app, &d, reqwest::Method::GET, &format!("/Users?{query}"), None).await;
        let names: Vec<&str> = body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["userName"].as_str().unwrap().split('@').next().unwrap())
            .collect();
        assert_eq!(names, expected, "{query}");
    }
    let (s, bad, _) = scim(&app, &d, reqwest::Method::GET, "/Users?sortBy=name", None).await;
    assert_eq!(
        (s, bad["scimType"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalidValue")),
        "{bad}"
    );
}

/// LIKE must not ignore case on SQLite where PostgreSQL's does not: case-exact attributes
/// (RFC 7643 §2.2 caseExact) compare as written on both engines, the others folded.
async fn case_exact_substring_filters_match_case_on_both_engines(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = directory(&app, &org, "Okta").await;
    for (who, external, profile) in [
        ("low", "abc123", "https://example.com/low"),
        ("up", "ABC999", "HTTPS://EXAMPLE.COM/UP"),
    ] {
        let mut u = okta_user(&format!("{who}@acme.test"), who, "Case");
        u["externalId"] = json!(external);
        u["profileUrl"] = json!(profile);
        let (s, body, _) = scim(&app, &d, reqwest::Method::POST, "/Users", Some(u)).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    for (filter, expected) in [
        // externalId is caseExact: a column.
        ("externalId sw \"ABC\"", vec!["up"]),
        ("externalId sw \"abc\"", vec!["low"]),
        ("externalId co \"C1\"", vec![]),
        ("externalId co \"c1\"", vec!["low"]),
        ("externalId ew \"999\"", vec!["up"]),
        // profileUrl is a reference, so caseExact: the value index's exact column.
        ("profileUrl sw \"https://\"", vec!["low"]),
        ("profileUrl co \"EXAMPLE\"", vec!["up"]),
        // caseExact false stays case-insensitive.
        ("userName sw \"LOW\"", vec!["low"]),
        ("emails[value ew \"ACME.TEST\"]", vec!["low", "up"]),
        ("name.givenName co \"O\"", vec!["low"]),
    ] {
        assert_eq!(matching(&app, &d, filter).await, expected, "{filter}");
    }
    // The API's own searches stay case-insensitive (they compare lower-cased text).
    let found = app.get(&org, "/accounts?email=LOW%40ACME&name=LOW%20CASE").await;
    assert_eq!(found.json["items"].as_array().unwrap().len(), 1, "{}", found.text);
}

const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// The groups the /Groups filter tests share, each created a minute after the last, over four
/// users (display names Ann Adams, Bob Baker, Cid Carter, Dee Dunn):
///
/// | group | externalId | members                                        |
/// |-------|------------|------------------------------------------------|
/// | Alpha | ext-A1     | ann, bob                                       |
/// | beta  | ext-a2     | bob                                            |
/// | Gamma | —          | —                                              |
/// | delta | EXT-B      | cid, dee; ann added a minute later (version 2) |
struct GroupFixture {
    /// Short user name -> SCIM user id.
    users: std::collections::BTreeMap<&'static str, String>,
    /// Group name -> SCIM group id.
    ids: std::collections::BTreeMap<&'static str, String>,
    /// Group name -> meta.created.
    created: std::collections::BTreeMap<&'static str, String>,
    /// delta's meta.lastModified.
    modified: String,
}

async fn four_groups(app: &TestApp, d: &Dir) -> GroupFixture {
    let mut users = std::collections::BTreeMap::new();
    for (who, given, family) in [
        ("ann", "Ann", "Adams"),
        ("bob", "Bob", "Baker"),
        ("cid", "Cid", "Carter"),
        ("dee", "Dee", "Dunn"),
    ] {
        let (s, u, _) = scim(
            app,
            d,
            reqwest::Method::POST,
            "/Users",
            Some(okta_user(&format!("{who}@acme.test"), given, family)),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{u}");
        users.insert(who, u["id"].as_str().unwrap().to_owned());
    }
    let (mut ids, mut created) = (std::collections::BTreeMap::new(), std::collections::BTreeMap::new());
    for (name, external, members) in [
        ("Alpha", Some("ext-A1"), vec!["ann", "bob"]),
        ("beta", Some("ext-a2"), vec!["bob"]),
        ("Gamma", None, vec![]),
        ("delta", Some("EXT-B"), vec!["cid", "dee"]),
    ] {
        app.clock.advance_secs(60);
        let mut body = json!({
            "schemas": [GROUP_SCHEMA], "displayName": name,
            "members": members.iter().map(|m| json!({"value": users[m]})).collect::<Vec<_>>(),
        });
        if let Some(e) = external {
            body["externalId"] = json!(e);
        }
        let (s, g, _) = scim(app, d, reqwest::Method::POST, "/Groups", Some(body)).await;
        assert_eq!(s, StatusCode::CREATED, "{g}");
        ids.insert(name, g["id"].as_str().unwrap().to_owned());
        created.insert(name, g["meta"]["created"].as_str().unwrap().to_owned());
    }
    app.clock.advance_secs(60);
    let (s, patched, _) = scim(
        app,
        d,
        reqwest::Method::PATCH,
        &format!("/Groups/{}", ids["delta"]),
        Some(json!({
            "schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": users["ann"]}]}]
        })),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{patched}");
    GroupFixture {
        users,
        ids,
        created,
        modified: patched["meta"]["lastModified"].as_str().unwrap().to_owned(),
    }
}

/// The display names of the groups a /Groups query returns, in the order returned.
async fn group_names(app: &TestApp, d: &Dir, query: &str) -> Vec<String> {
    let path = format!("/Groups?excludedAttributes=members&{query}");
    let (s, body, _) = scim(app, d, reqwest::Method::GET, &path, None).await;
    assert_eq!(s, StatusCode::OK, "{path}: {body}");
    let names: Vec<String> = body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["displayName"].as_str().unwrap().to_owned())
        .collect();
    if !query.contains("count=") {
        assert_eq!(body["totalResults"], names.len(), "{path}");
    }
    names
}

/// The display names of the groups a filter matches, sorted case-insensitively.
async fn groups_matching(app: &TestApp, d: &Dir, filter: &str) -> Vec<String> {
    let mut names = group_names(app, d, &format!("filter={}", urlencode(filter))).await;
    names.sort_by_key(|n| n.to_lowercase());
    names
}

#[allow(clippy::too_many_lines)] // a table of filters and what each matches
async fn groups_filter_on_names_ids_and_meta_in_sql(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = directory(&app, &org, "Entra").await;
    let f = four_groups(&app, &d).await;
    let alpha = &f.ids["Alpha"];
    // UUIDv7 ids: which follow Alpha's, by code point.
    let after_alpha: Vec<&str> = ["beta", "delta", "Gamma"]
        .into_iter()
        .filter(|g| f.ids[g].as_str() > alpha.as_str())
        .collect();
    let cases: Vec<(String, Vec<&str>)> = vec![
        // displayName: caseExact false, compared folded.
        ("displayName eq \"ALPHA\"".into(), vec!["Alpha"]),
        ("displayName ne \"alpha\"".into(), vec!["beta", "delta", "Gamma"]),
        ("displayName co \"ET\"".into(), vec!["beta"]),
        ("displayName sw \"g\"".into(), vec!["Gamma"]),
        ("displayName ew \"TA\"".into(), vec!["beta", "delta"]),
        ("displayName gt \"beta\"".into(), vec!["delta", "Gamma"]),
        ("displayName ge \"BETA\"".into(), vec!["beta", "delta", "Gamma"]),
        ("displayName lt \"Delta\"".into(), vec!["Alpha", "beta"]),
        ("displayName le \"delta\"".into(), vec!["Alpha", "beta", "delta"]),
        ("displayName pr".into(), vec!["Alpha", "beta", "delta", "Gamma"]),
        ("displayName eq null".into(), vec![]),
        // externalId: caseExact, by code point ("EXT-B" < "ext-A1" < "ext-a2").
        ("externalId eq \"ext-a1\"".into(), vec![]),
        ("externalId eq \"ext-A1\"".into(), vec!["Alpha"]),
        ("externalId sw \"ext-\"".into(), vec!["Alpha", "beta"]),
        ("externalId co \"a\"".into(), vec!["beta"]),
        ("externalId ew \"B\"".into(), vec!["delta"]),
        ("externalId gt \"ext-A1\"".into(), vec!["beta"]),
        ("externalId le \"ext-A1\"".into(), vec!["Alpha", "delta"]),
        ("externalId lt \"ext-A1\"".into(), vec!["delta"]),
        ("externalId ne \"ext-a2\"".into(), vec!["Alpha", "delta", "Gamma"]),
        ("externalId pr".into(), vec!["Alpha", "beta", "delta"]),
        ("externalId eq null".into(), vec!["Gamma"]),
        ("not (externalId pr)".into(), vec!["Gamma"]),
        // id: caseExact.
        (format!("id eq \"{alpha}\""), vec!["Alpha"]),
        (format!("id eq \"{}\"", alpha.to_uppercase()), vec![]),
        (format!("id ne \"{alpha}\""), vec!["beta", "delta", "Gamma"]),
        (
            format!("id sw \"{alpha}\" or id ew \"{}\"", &f.ids["beta"][24..]),
            vec!["Alpha", "beta"],
        ),
        (format!("id co \"{}\"", &f.ids["Gamma"][10..30]), vec!["Gamma"]),
        (format!("id gt \"{alpha}\""), after_alpha),
        ("id pr".into(), vec!["Alpha", "beta", "delta", "Gamma"]),
        // meta dates compare as instants, in any notation.
        (
            format!("meta.created gt \"{}\"", f.created["beta"]),
            vec!["delta", "Gamma"],
        ),
        (
            format!("meta.created ge \"{}\"", f.created["beta"]),
            vec!["beta", "delta", "Gamma"],
        ),
        (format!("meta.created lt \"{}\"", f.created["beta"]), vec!["Alpha"]),
        (
            format!("meta.created le \"{}\"", f.created["beta"]),
            vec!["Alpha", "beta"],
        ),
        (
            format!("meta.created eq \"{}\"", at_plus_two(&f.created["beta"])),
            vec!["beta"],
        ),
        (
            format!("meta.created ne \"{}\"", at_plus_two(&f.created["beta"])),
            vec!["Alpha", "delta", "Gamma"],
        ),
        (
            format!("meta.created eq \"{}\"", half_ms_after(&f.created["beta"])),
            vec![],
        ),
        (
            format!("meta.created lt \"{}\"", half_ms_after(&f.created["beta"])),
            vec!["Alpha", "beta"],
        ),
        (
            format!("meta.lastModified gt \"{}\"", f.created["delta"]),
            vec!["delta"],
        ),
        (
            format!("meta.lastModified eq \"{}\"", at_plus_two(&f.modified)),
            vec!["delta"],
        ),
        (
            format!(
                "meta[created lt \"{}\" or lastModified ge \"{}\"]",
                f.created["beta"], f.modified
            ),
            vec!["Alpha", "delta"],
        ),
        ("meta.version eq \"W/\\\"2\\\"\"".into(), vec!["delta"]),
        ("meta.version ne \"W/\\\"1\\\"\"".into(), vec!["delta"]),
        (format!("meta.location eq \"{}/Groups/{alpha}\"", d.base), vec!["Alpha"]),
        (
            format!("meta.location sw \"{}/Groups/\"", d.base),
            vec!["Alpha", "beta", "delta", "Gamma"],
        ),
        ("meta.resourceType eq \"User\"".into(), vec![]),
        (
            "meta.resourceType eq \"Group\" and displayName sw \"a\"".into(),
            vec!["Alpha"],
        ),
        // Trees of them.
        (
            "(displayName sw \"a\" or externalId eq \"EXT-B\") and not (displayName eq \"delta\")".into(),
            vec!["Alpha"],
        ),
    ];
    for (filter, expected) in &cases {
        assert_eq!(&groups_matching(&app, &d, filter).await, expected, "{filter}");
    }
    for filter in [
        // No column holds a group's schemas as served: refused rather than guessed.
        format!("schemas eq \"{GROUP_SCHEMA}\""),
        "displayName gt 3".into(),
        "meta.created gt \"yesterday\"".into(),
        "title eq \"x\"".into(),
    ] {
        let path = format!("/Groups?filter={}", urlencode(&filter));
        let (s, bad, _) = scim(&app, &d, reqwest::Method::GET, &path, None).await;
        assert_eq!(
            (s, bad["scimType"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalidFilter")),
            "{filter}: {bad}"
        );
    }
}

#[allow(clippy::too_many_lines)] // a table of filters and what each matches
async fn groups_filter_on_members_with_value_paths_or_and_not(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = directory(&app, &org, "Entra").await;
    let f = four_groups(&app, &d).await;
    let u = |who: &str| f.users[who].clone();
    let (ann, bob, cid, dee) = (u("ann"), u("bob"), u("cid"), u("dee"));
    let cases: Vec<(String, Vec<&str>)> = vec![
        (format!("members[value eq \"{bob}\"]"), vec!["Alpha", "beta"]),
        (format!("members.value eq \"{cid}\""), vec!["delta"]),
        // A complex attribute compares through its value (RFC 7644 §3.4.2.2).
        (format!("members eq \"{cid}\""), vec!["delta"]),
        // ann joined delta by PATCH.
        (format!("members[value eq \"{ann}\"]"), vec!["Alpha", "delta"]),
        (format!("members[value eq \"{}\"]", ann.to_uppercase()), vec![]),
        ("members pr".into(), vec!["Alpha", "beta", "delta"]),
        ("not (members pr)".into(), vec!["Gamma"]),
        ("members eq null".into(), vec!["Gamma"]),
        ("members.value pr".into(), vec!["Alpha", "beta", "delta"]),
        (
            format!("members[value eq \"{bob}\" or value eq \"{cid}\"]"),
            vec!["Alpha", "beta", "delta"],
        ),
        (
            format!("members[value eq \"{bob}\"] and members[value eq \"{ann}\"]"),
            vec!["Alpha"],
        ),
        (
            format!("members[value eq \"{bob}\"] and not (members[value eq \"{ann}\"])"),
            vec!["beta"],
        ),
        // Some member other than bob: beta has only bob, Gamma nobody.
        (format!("members[not (value eq \"{bob}\")]"), vec!["Alpha", "delta"]),
        (format!("members[value ne \"{bob}\"]"), vec!["Alpha", "delta"]),
        // No member is bob: the empty group too.
        (format!("members.value ne \"{bob}\""), vec!["delta", "Gamma"]),
        (
            format!("not (members[value eq \"{ann}\" or value eq \"{dee}\"])"),
            vec!["beta", "Gamma"],
        ),
        (format!("members[value gt \"{ann}\" and value lt \"{ann}\"]"), vec![]),
        // Every member is a User (type caseExact false).
        ("members[type eq \"User\"]".into(), vec!["Alpha", "beta", "delta"]),
        ("members.type eq \"user\"".into(), vec!["Alpha", "beta", "delta"]),
        ("members[type eq \"Group\"]".into(), vec![]),
        ("members.type ne \"User\"".into(), vec!["Gamma"]),
        (
            format!("members[type eq \"User\" and value eq \"{dee}\"]"),
            vec!["delta"],
        ),
        // display: the member's account display name, as members[].display serves it.
        ("members.display co \"ADAMS\"".into(), vec!["Alpha", "delta"]),
        ("members[display sw \"bob\"]".into(), vec!["Alpha", "beta"]),
        ("members[display eq \"dee dunn\"]".into(), vec!["delta"]),
        ("members.display gt \"c\"".into(), vec!["delta"]),
        ("members.display pr".into(), vec!["Alpha", "beta", "delta"]),
        (
            format!("members[$ref eq \"{}/Users/{bob}\"]", d.base),
            vec!["Alpha", "beta"],
        ),
        (format!("members.$ref ew \"/Users/{cid}\""), vec!["delta"]),
        // With the group's own attributes.
        (
            format!("members[value eq \"{bob}\"] or displayName eq \"gamma\""),
            vec!["Alpha", "beta", "Gamma"],
        ),
        (
            format!(
                "members[value eq \"{ann}\"] and meta.created gt \"{}\"",
                f.created["Alpha"]
            ),
            vec!["delta"],
        ),
        (
            format!("not (members pr) or (members.value eq \"{bob}\" and externalId sw \"ext-a\")"),
            vec!["beta", "Gamma"],
        ),
    ];
    for (filter, expected) in &cases {
        assert_eq!(&groups_matching(&app, &d, filter).await, expected, "{filter}");
    }
    // What members[] serves agrees with what the filter saw.
    let (_, alpha, _) = scim(
        &app,
        &d,
        reqwest::Method::GET,
        &format!("/Groups/{}", f.ids["Alpha"]),
        None,
    )
    .await;
    let mut displays: Vec<&str> = alpha["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["display"].as_str().unwrap())
        .collect();
    displays.sort_unstable();
    assert_eq!(displays, vec!["Ann Adams", "Bob Baker"]);
    for filter in [
        "members[foo eq \"x\"]",
        "members.foo pr",
        "members[value eq 1]",
        "members[value eq \"x\"] and members[display[value pr]]",
    ] {
        let path = format!("/Groups?filter={}", urlencode(filter));
        let (s, bad, _) = scim(&app, &d, reqwest::Method::GET, &path, None).await;
        assert_eq!(
            (s, bad["scimType"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalidFilter")),
            "{filter}: {bad}"
        );
    }
}

async fn groups_sort_by_columns_missing_external_ids_last(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = directory(&app, &org, "Entra").await;
    let f = four_groups(&app, &d).await;
    let mut by_id: Vec<&str> = f.ids.keys().copied().collect();
    by_id.sort_by_key(|g| f.ids[g].clone());
    let by_id_desc: Vec<&str> = by_id.iter().rev().copied().collect();
    // meta.version: delta has 2, the rest 1, tied by id.
    let mut by_version: Vec<&str> = by_id.iter().copied().filter(|g| *g != "delta").collect();
    by_version.push("delta");
    for (query, expected) in [
        ("sortBy=displayName", vec!["Alpha", "beta", "delta", "Gamma"]),
        (
            "sortBy=displayName&sortOrder=descending",
            vec!["Gamma", "delta", "beta", "Alpha"],
        ),
        (
            "sortBy=urn:ietf:params:scim:schemas:core:2.0:Group:displayName",
            vec!["Alpha", "beta", "delta", "Gamma"],
        ),
        // Code-point order, and the group without one last both ways (RFC 7644 §3.4.2.3).
        ("sortBy=externalId", vec!["delta", "Alpha", "beta", "Gamma"]),
        (
            "sortBy=externalId&sortOrder=descending",
            vec!["beta", "Alpha", "delta", "Gamma"],
        ),
        ("sortBy=meta.created", vec!["Alpha", "beta", "Gamma", "delta"]),
        (
            "sortBy=meta.created&sortOrder=descending",
            vec!["delta", "Gamma", "beta", "Alpha"],
        ),
        (
            "sortBy=meta.lastModified&sortOrder=descending",
            vec!["delta", "Gamma", "beta", "Alpha"],
        ),
        ("sortBy=id", by_id.clone()),
        ("", by_id.clone()),
        ("sortBy=id&sortOrder=descending", by_id_desc),
        ("sortBy=meta.version", by_version),
        // Filtered, sorted, then paged.
        (
            "filter=members%20pr&sortBy=displayName&sortOrder=descending&startIndex=2&count=1",
            vec!["beta"],
        ),
    ] {
        assert_eq!(group_names(&app, &d, query).await, expected, "{query}");
    }
    let (_, page, _) = scim(
        &app,
        &d,
        reqwest::Method::GET,
        "/Groups?filter=members%20pr&sortBy=displayName&startIndex=2&count=1",
        None,
    )
    .await;
    assert_eq!(page["totalResults"], 3);
    for bad_sort in ["members", "members.value", "shoeSize"] {
        let (s, bad, _) = scim(
            &app,
            &d,
            reqwest::Method::GET,
            &format!("/Groups?sortBy={bad_sort}"),
            None,
        )
        .await;
        assert_eq!(
            (s, bad["scimType"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalidValue")),
            "{bad_sort}: {bad}"
        );
    }
}
