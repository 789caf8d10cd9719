//! SCIM groups: members and product access, read-only elsewhere, and /Groups filters and
//! sorts, on both engines.

use super::scim::{Dir, PATCH_OP, directory, okta_user, scim, urlencode};
use super::scim_filters::{at_plus_two, half_ms_after};
use gatehouse_testkit::{TestApp, engine_tests};
use reqwest::StatusCode;
use serde_json::json;

engine_tests!(
    groups_carry_members_and_access_and_are_read_only_elsewhere,
    groups_filter_on_names_ids_and_meta_in_sql,
    groups_filter_on_members_with_value_paths_or_and_not,
    groups_sort_by_columns_missing_external_ids_last,
    users_are_served_with_the_groups_of_their_directory_computed_from_memberships,
);

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
    assert_eq!(s, StatusCode::NO_CONTENT, "{patched}");
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
        // A Group PATCH answers 204 unless the client asks to see the group.
        &format!("/Groups/{}?attributes=meta", ids["delta"]),
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

/// The `groups` a User resource is served with: (value, display) of each entry, checking each
/// entry's `$ref` and `type`; `None` when the attribute is left out.
fn served_groups(d: &Dir, user: &serde_json::Value) -> Option<Vec<(String, String)>> {
    let groups = user.get("groups")?.as_array().expect("groups is an array");
    Some(
        groups
            .iter()
            .map(|g| {
                let id = g["value"].as_str().unwrap().to_owned();
                assert_eq!(g["$ref"], format!("{}/Groups/{id}", d.base), "{g}");
                assert_eq!(g["type"], "direct", "{g}");
                (id, g["display"].as_str().unwrap().to_owned())
            })
            .collect(),
    )
}

async fn new_group(app: &TestApp, d: &Dir, name: &str, members: &[&str]) -> String {
    let members: Vec<_> = members.iter().map(|m| json!({"value": m})).collect();
    let (s, g, _) = scim(
        app,
        d,
        reqwest::Method::POST,
        "/Groups",
        Some(json!({"schemas": [GROUP_SCHEMA], "displayName": name, "members": members})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    g["id"].as_str().unwrap().to_owned()
}

async fn new_user(app: &TestApp, d: &Dir, body: serde_json::Value) -> serde_json::Value {
    let (s, u, _) = scim(app, d, reqwest::Method::POST, "/Users", Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{u}");
    u
}

async fn member_patch(app: &TestApp, d: &Dir, group: &str, op: serde_json::Value) {
    let (s, body, _) = scim(
        app,
        d,
        reqwest::Method::PATCH,
        &format!("/Groups/{group}"),
        Some(json!({"schemas": [PATCH_OP], "Operations": [op]})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
}

async fn get_user(app: &TestApp, d: &Dir, path: &str) -> serde_json::Value {
    let (s, body, _) = scim(app, d, reqwest::Method::GET, path, None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body
}

#[allow(clippy::too_many_lines)] // one membership story, read back on every path that serves users
async fn users_are_served_with_the_groups_of_their_directory_computed_from_memberships(app: TestApp) {
    let org = app.create_org("Acme").await;
    let d = directory(&app, &org, "Entra").await;
    let other = directory(&app, &org, "Okta").await;
    // A client's `groups` is readOnly: not stored, not served back.
    let mut sent = okta_user("alice@acme.test", "Alice", "Able");
    sent["groups"] = json!([{"value": "forged", "display": "Forged"}]);
    let alice = new_user(&app, &d, sent.clone()).await;
    assert!(alice.get("groups").is_none(), "{alice}");
    let alice_id = alice["id"].as_str().unwrap().to_owned();
    let bob = new_user(&app, &d, okta_user("bob@acme.test", "Bob", "Baker")).await;
    let bob_id = bob["id"].as_str().unwrap().to_owned();
    // Two groups of the directory, Alice added to each by Group PATCH.
    let beta = new_group(&app, &d, "Beta", &[]).await;
    let alpha = new_group(&app, &d, "Alpha", &[]).await;
    for g in [&alpha, &beta] {
        member_patch(
            &app,
            &d,
            g,
            json!({"op": "add", "path": "members", "value": [{"value": alice_id}]}),
        )
        .await;
    }
    // Alice is a user of the other directory too, and a member of its group: never listed here.
    let there = new_user(&app, &other, okta_user("alice@acme.test", "Alice", "Able")).await;
    let there_id = there["id"].as_str().unwrap().to_owned();
    let elsewhere = new_group(&app, &other, "Elsewhere", &[&there_id]).await;
    let accounts = app.get(&org, "/accounts").await.json;
    let alices = accounts["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["email"] == "alice@acme.test");
    assert_eq!(alices.count(), 1, "both directories' Alice is one account: {accounts}");
    let both = vec![(alpha.clone(), "Alpha".to_owned()), (beta.clone(), "Beta".to_owned())];
    let read = get_user(&app, &d, &format!("/Users/{alice_id}")).await;
    assert_eq!(served_groups(&d, &read), Some(both.clone()), "{read}");
    assert_eq!(
        served_groups(&other, &get_user(&app, &other, &format!("/Users/{there_id}")).await),
        Some(vec![(elsewhere, "Elsewhere".to_owned())])
    );
    // Omitted, not empty, for a user in no group.
    let read = get_user(&app, &d, &format!("/Users/{bob_id}")).await;
    assert!(read.get("groups").is_none(), "{read}");
    // Lists and searches carry it too, per user.
    let listed = get_user(&app, &d, "/Users?sortBy=userName").await;
    let users = listed["Resources"].as_array().unwrap();
    assert_eq!(users.len(), 2, "{listed}");
    assert_eq!(served_groups(&d, &users[0]), Some(both.clone()), "{listed}");
    assert!(users[1].get("groups").is_none(), "{listed}");
    let filter = urlencode("userName eq \"alice@acme.test\"");
    let found = get_user(&app, &d, &format!("/Users?filter={filter}")).await;
    assert_eq!(served_groups(&d, &found["Resources"][0]), Some(both.clone()), "{found}");
    let (s, searched, _) = scim(
        &app,
        &d,
        reqwest::Method::POST,
        "/.search",
        Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": "userName eq \"alice@acme.test\""
        })),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{searched}");
    assert_eq!(
        served_groups(&d, &searched["Resources"][0]),
        Some(both.clone()),
        "{searched}"
    );
    // attributes / excludedAttributes apply to it as to any attribute.
    for path in [
        format!("/Users/{alice_id}?excludedAttributes=groups"),
        format!("/Users/{alice_id}?attributes=userName"),
    ] {
        let slim = get_user(&app, &d, &path).await;
        assert!(slim.get("groups").is_none(), "{path}: {slim}");
        assert_eq!(slim["userName"], "alice@acme.test");
    }
    let slim = get_user(&app, &d, "/Users?excludedAttributes=groups").await;
    assert!(slim["Resources"][0].get("groups").is_none(), "{slim}");
    let only = get_user(&app, &d, &format!("/Users/{alice_id}?attributes=groups")).await;
    assert_eq!(served_groups(&d, &only), Some(both.clone()), "{only}");
    // Removed from one group: only the other remains.
    member_patch(
        &app,
        &d,
        &alpha,
        json!({"op": "remove", "path": format!("members[value eq \"{alice_id}\"]")}),
    )
    .await;
    let left = vec![(beta.clone(), "Beta".to_owned())];
    let read = get_user(&app, &d, &format!("/Users/{alice_id}")).await;
    assert_eq!(served_groups(&d, &read), Some(left.clone()), "{read}");
    // A PUT answers with the computed groups, whatever it sent, and stores none of it.
    let (s, put, _) = scim(
        &app,
        &d,
        reqwest::Method::PUT,
        &format!("/Users/{alice_id}"),
        Some(sent),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{put}");
    assert_eq!(served_groups(&d, &put), Some(left.clone()), "{put}");
    member_patch(
        &app,
        &d,
        &beta,
        json!({"op": "remove", "path": format!("members[value eq \"{alice_id}\"]")}),
    )
    .await;
    let (s, patched, _) = scim(
        &app,
        &d,
        reqwest::Method::PATCH,
        &format!("/Users/{alice_id}"),
        Some(json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "Lead"}]})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{patched}");
    assert!(patched.get("groups").is_none(), "no group left, none stored: {patched}");
}
