//! SCIM filters and sorts on /Users: comparisons on strings and dates, value paths, sorting
//! by any attribute, case-exactness, on both engines.

use super::scim::{Dir, ENTERPRISE, PATCH_OP, USER, directory, okta_user, q, scim};
use gatehouse_testkit::{TestApp, engine_tests};
use reqwest::StatusCode;
use serde_json::{Value, json};

engine_tests!(
    users_sort_by_columns_and_by_any_attribute,
    users_filter_with_gt_ge_lt_le_on_strings_and_dates,
    value_paths_take_or_not_parentheses_and_pr_within_one_element,
    users_sort_by_attributes_without_columns_missing_last_both_ways,
    case_exact_substring_filters_match_case_on_both_engines,
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
pub(crate) fn at_plus_two(rfc3339: &str) -> String {
    let t = gatehouse_core::Timestamp::parse_rfc3339(rfc3339, "t").unwrap();
    let shifted = gatehouse_core::Timestamp::from_millis(t.millis() + 2 * 3600 * 1000).to_rfc3339();
    format!("{}+02:00", shifted.strip_suffix('Z').unwrap())
}

/// Half a millisecond after an instant (finer than the store keeps), in UTC.
pub(crate) fn half_ms_after(rfc3339: &str) -> String {
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
