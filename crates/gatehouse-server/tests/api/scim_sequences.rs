//! Provisioning sequences as Okta and Entra ID send them (from their public docs), and the
//! RFC 7643 enterprise user example, on both engines.

use super::scim::{PATCH_OP, USER, directory, okta_user, q, scim};
use gatehouse_testkit::{TestApp, engine_tests};
use reqwest::StatusCode;
use serde_json::json;

engine_tests!(
    okta_provisioning_sequence_runs_as_okta_sends_it,
    entra_provisioning_sequence_runs_as_entra_sends_it,
    the_rfc_7643_full_enterprise_user_example_round_trips,
);

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
        assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
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
    app.verify_domain(&org, "acme.test", "automatic").await;
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
        assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
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
