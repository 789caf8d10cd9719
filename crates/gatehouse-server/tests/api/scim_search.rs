//! Searching with POST (RFC 7644 §3.4.3): per resource type, and from the root across Users and
//! Groups as one paged list.

use super::scim::{directory, scim};
use gatehouse_testkit::{TestApp, engine_tests};
use reqwest::StatusCode;
use serde_json::{Value, json};

engine_tests!(root_and_group_searches_page_across_types_and_skip_types_a_filter_cannot_name);

async fn root_and_group_searches_page_across_types_and_skip_types_a_filter_cannot_name(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = directory(&app, &org, "Okta").await;
    let (app, d) = (&app, &d);
    let post = |path: &str, body: Value| {
        let path = path.to_owned();
        async move {
            let (status, v, _) = scim(app, d, reqwest::Method::POST, &path, Some(body)).await;
            (status, v)
        }
    };
    for (user, display) in [("ada@acme.test", "Ada Lovelace"), ("bob@acme.test", "Bob Builder")] {
        let (s, _) = post(
            "/Users",
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user, "displayName": display}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    for g in ["Admins", "Builders"] {
        let (s, _) = post(
            "/Groups",
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": g}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let search = |extra: Value| {
        let mut body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let names = |v: &Value| -> Vec<String> {
        v["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["userName"].as_str().or(r["displayName"].as_str()).unwrap().to_owned())
            .collect()
    };

    let (s, v) = post("/Groups/.search", search(json!({"filter": "displayName sw \"A\""}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(names(&v), vec!["Admins"]);

    // The root: users first, then groups, paged as one list.
    let (_, all) = post("/.search", search(json!({"sortBy": "displayName", "count": 3}))).await;
    assert_eq!(all["totalResults"], 4, "{all}");
    assert_eq!(names(&all), vec!["ada@acme.test", "bob@acme.test", "Admins"]);
    let (_, rest) = post(
        "/.search",
        search(json!({"sortBy": "displayName", "startIndex": 3, "count": 5})),
    )
    .await;
    assert_eq!(names(&rest), vec!["Admins", "Builders"]);
    assert_eq!(rest["startIndex"], 3);

    // displayName is on both types; userName only on users.
    let (_, both) = post("/.search", search(json!({"filter": "displayName sw \"b\""}))).await;
    assert_eq!(names(&both), vec!["bob@acme.test", "Builders"]);
    let (_, users_only) = post("/.search", search(json!({"filter": "userName sw \"ada\""}))).await;
    assert_eq!(names(&users_only), vec!["ada@acme.test"]);
    assert_eq!(users_only["totalResults"], 1);

    // Refusals: an attribute of neither type, a body that is not a SearchRequest.
    let (s, e) = post("/.search", search(json!({"filter": "shoeSize eq 1"}))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["scimType"], "invalidFilter");
    let (s, e) = post(
        "/.search",
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["scimType"], "invalidValue");
}
