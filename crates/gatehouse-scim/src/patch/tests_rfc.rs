//! The PATCH examples of RFC 7644 §3.5.2.1–§3.5.2.3, and the RFC rules they illustrate.

use serde_json::{Value, json};

use super::*;
use crate::schema::ENTERPRISE_USER_SCHEMA;

const BABS: &str = "2819c223-7f76-453a-919d-413861904646";
const JAMES: &str = "08e1d05d-121c-4561-8b96-473d93df9210";

pub(super) fn request(operations: Value) -> Value {
    let mut body = json!({ "schemas": [PATCH_OP_SCHEMA] });
    body["Operations"] = operations;
    body
}

pub(super) fn tour_guides() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
        "displayName": "Tour Guides",
        "members": [{"value": BABS, "$ref": format!("https://example.com/v2/Users/{BABS}"), "display": "Babs Jensen"}],
        "meta": {"resourceType": "Group", "version": "W/\"3694e05e9dff592\""}
    })
}

pub(super) fn bjensen() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": BABS,
        "externalId": "bjensen",
        "userName": "bjensen@example.com",
        "name": {"familyName": "Jensen", "givenName": "Barbara", "middleName": "Jane"},
        "active": true,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "addresses": [
            {"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood", "primary": true},
            {"type": "home", "streetAddress": "456 Hollywood Blvd", "locality": "Hollywood"}
        ],
        "meta": {"resourceType": "User", "created": "2010-01-23T04:56:22Z", "lastModified": "2011-05-13T04:42:34Z"}
    })
}

pub(super) fn patched(mut resource: Value, kind: ResourceKind, operations: Value) -> (Value, PatchOutcome) {
    let outcome = apply_patch(&mut resource, kind, &request(operations)).unwrap_or_else(|e| panic!("{e}"));
    (resource, outcome)
}

fn names(outcome: &PatchOutcome) -> Vec<&str> {
    outcome.changed.iter().map(String::as_str).collect()
}

fn ids(set: &std::collections::BTreeSet<String>) -> Vec<&str> {
    set.iter().map(String::as_str).collect()
}

#[test]
fn rfc_add_a_member_to_a_group() {
    let (group, outcome) = patched(
        tour_guides(),
        ResourceKind::Group,
        json!([{
            "op": "add",
            "path": "members",
            "value": [{"display": "James Smith", "$ref": format!("https://example.com/v2/Users/{JAMES}"), "value": JAMES}]
        }]),
    );
    let members = group["members"].as_array().unwrap();
    assert_eq!(members.len(), 2);
    assert_eq!(members[1]["value"], JAMES);
    assert_eq!(names(&outcome), ["members"]);
    assert_eq!(ids(&outcome.members.added), [JAMES]);
    assert!(outcome.members.removed.is_empty() && !outcome.members.cleared);
}

#[test]
fn rfc_add_without_path_adds_each_attribute_of_the_value() {
    let (user, outcome) = patched(
        bjensen(),
        ResourceKind::User,
        json!([{"op": "add", "value": {"emails": [{"value": "babs@jensen.org", "type": "home"}, {"value": "b@x.org", "type": "other"}], "nickname": "Babs"}}]),
    );
    assert_eq!(
        user["nickName"], "Babs",
        "attribute names are case-insensitive and stored canonically"
    );
    assert!(user.get("nickname").is_none());
    assert_eq!(
        user["emails"].as_array().unwrap().len(),
        3,
        "the home email was already there"
    );
    assert_eq!(names(&outcome), ["emails", "nickName"]);
}

#[test]
fn rfc_adding_a_value_that_is_already_present_changes_nothing() {
    let (group, outcome) = patched(
        tour_guides(),
        ResourceKind::Group,
        json!([{"op": "add", "path": "members", "value": [{"value": BABS}]}]),
    );
    assert_eq!(group, tour_guides());
    assert!(outcome.is_noop(), "{outcome:?}");
}

#[test]
fn rfc_remove_a_single_member_by_value_filter() {
    let (group, outcome) = patched(
        tour_guides(),
        ResourceKind::Group,
        json!([{"op": "remove", "path": format!("members[value eq \"{BABS}\"]")}]),
    );
    assert!(
        group.get("members").is_none(),
        "an emptied multi-valued attribute is unassigned"
    );
    assert_eq!(ids(&outcome.members.removed), [BABS]);
    assert_eq!(names(&outcome), ["members"]);
}

#[test]
fn rfc_remove_all_members() {
    let (group, outcome) = patched(
        tour_guides(),
        ResourceKind::Group,
        json!([{"op": "remove", "path": "members"}]),
    );
    assert!(group.get("members").is_none());
    assert!(outcome.members.cleared);
}

#[test]
fn rfc_remove_all_members_then_add_new_ones() {
    let (group, outcome) = patched(
        tour_guides(),
        ResourceKind::Group,
        json!([
            {"op": "remove", "path": "members"},
            {"op": "add", "path": "members", "value": [
                {"display": "Babs Jensen", "$ref": format!("https://example.com/v2/Users/{BABS}"), "value": BABS},
                {"display": "James Smith", "$ref": format!("https://example.com/v2/Users/{JAMES}"), "value": JAMES}
            ]}
        ]),
    );
    assert_eq!(group["members"].as_array().unwrap().len(), 2);
    assert!(outcome.members.cleared);
    assert_eq!(ids(&outcome.members.added), [JAMES, BABS]);
}

#[test]
fn rfc_remove_values_matching_a_complex_filter() {
    let (user, _) = patched(
        bjensen(),
        ResourceKind::User,
        json!([{"op": "remove", "path": "emails[type eq \"work\" and value ew \"example.com\"]"}]),
    );
    assert_eq!(user["emails"], json!([{"value": "babs@jensen.org", "type": "home"}]));
}

#[test]
fn rfc_remove_a_sub_attribute() {
    let (user, outcome) = patched(
        bjensen(),
        ResourceKind::User,
        json!([{"op": "remove", "path": "name.middleName"}]),
    );
    assert_eq!(user["name"], json!({"familyName": "Jensen", "givenName": "Barbara"}));
    assert_eq!(names(&outcome), ["name"]);
}

#[test]
fn rfc_replace_all_members() {
    let (group, outcome) = patched(
        tour_guides(),
        ResourceKind::Group,
        json!([{"op": "replace", "path": "members", "value": [
            {"display": "James Smith", "$ref": format!("https://example.com/v2/Users/{JAMES}"), "value": JAMES}
        ]}]),
    );
    assert_eq!(group["members"].as_array().unwrap().len(), 1);
    assert_eq!(group["members"][0]["value"], JAMES);
    assert!(
        !outcome.members.cleared,
        "with the list loaded the difference is reported"
    );
    assert_eq!(ids(&outcome.members.added), [JAMES]);
    assert_eq!(ids(&outcome.members.removed), [BABS]);
}

#[test]
fn rfc_replace_the_value_matching_a_filter() {
    let (user, _) = patched(
        bjensen(),
        ResourceKind::User,
        json!([{"op": "replace", "path": "addresses[type eq \"work\"]", "value": {
            "type": "work",
            "streetAddress": "911 Universal City Plaza",
            "locality": "Hollywood",
            "region": "CA",
            "postalCode": "91608",
            "country": "US",
            "formatted": "911 Universal City Plaza\nHollywood, CA 91608 US",
            "primary": true
        }}]),
    );
    assert_eq!(user["addresses"][0]["streetAddress"], "911 Universal City Plaza");
    assert_eq!(user["addresses"][0]["postalCode"], "91608");
    assert_eq!(user["addresses"][1]["streetAddress"], "456 Hollywood Blvd");
}

#[test]
fn rfc_replace_a_sub_attribute_of_the_values_matching_a_filter() {
    let (user, outcome) = patched(
        bjensen(),
        ResourceKind::User,
        json!([{"op": "replace", "path": "addresses[type eq \"work\"].streetAddress", "value": "1010 Broadway Ave"}]),
    );
    assert_eq!(user["addresses"][0]["streetAddress"], "1010 Broadway Ave");
    assert_eq!(user["addresses"][0]["locality"], "Hollywood");
    assert_eq!(names(&outcome), ["addresses"]);
}

#[test]
fn rfc_replace_without_path_replaces_each_attribute_of_the_value() {
    let (user, _) = patched(
        bjensen(),
        ResourceKind::User,
        json!([{"op": "replace", "value": {
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ],
            "nickname": "Babs"
        }}]),
    );
    assert_eq!(user["nickName"], "Babs");
    assert_eq!(user["emails"].as_array().unwrap().len(), 2);
}

#[test]
fn replace_of_a_multi_valued_attribute_replaces_all_its_values() {
    let (user, _) = patched(
        bjensen(),
        ResourceKind::User,
        json!([{"op": "replace", "path": "emails", "value": [{"value": "only@example.com"}]}]),
    );
    assert_eq!(user["emails"], json!([{"value": "only@example.com"}]));
}

#[test]
fn add_and_replace_on_a_complex_attribute_merge_its_sub_attributes() {
    let (user, _) = patched(
        bjensen(),
        ResourceKind::User,
        json!([
            {"op": "replace", "path": "name", "value": {"givenName": "Babs"}},
            {"op": "add", "path": "name", "value": {"honorificPrefix": "Ms."}}
        ]),
    );
    assert_eq!(
        user["name"],
        json!({"familyName": "Jensen", "givenName": "Babs", "middleName": "Jane", "honorificPrefix": "Ms."})
    );
}

#[test]
fn add_on_a_single_valued_attribute_replaces_it_and_replace_on_an_absent_one_adds_it() {
    let (user, _) = patched(
        bjensen(),
        ResourceKind::User,
        json!([
            {"op": "add", "path": "userName", "value": "babs@example.com"},
            {"op": "replace", "path": "title", "value": "Tour Guide"}
        ]),
    );
    assert_eq!(user["userName"], "babs@example.com");
    assert_eq!(user["title"], "Tour Guide");
}

#[test]
fn null_unassigns_an_attribute_and_an_emptied_complex_value_disappears() {
    let (user, outcome) = patched(
        bjensen(),
        ResourceKind::User,
        json!([
            {"op": "replace", "path": "active", "value": null},
            {"op": "replace", "path": "name", "value": {"middleName": null}},
            {"op": "remove", "path": "name.familyName"},
            {"op": "remove", "path": "name.givenName"}
        ]),
    );
    assert!(user.get("active").is_none());
    assert!(user.get("name").is_none());
    assert_eq!(names(&outcome), ["active", "name"]);
}

#[test]
fn setting_one_value_primary_clears_primary_on_the_others() {
    let (user, _) = patched(
        bjensen(),
        ResourceKind::User,
        json!([{"op": "add", "path": "emails", "value": [{"value": "new@example.com", "type": "work", "primary": true}]}]),
    );
    let emails = user["emails"].as_array().unwrap();
    assert_eq!(emails[0]["primary"], false);
    assert_eq!(emails[2]["primary"], true);

    let (user, _) = patched(
        bjensen(),
        ResourceKind::User,
        json!([{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": true}]),
    );
    assert_eq!(user["emails"][0]["primary"], false);
    assert_eq!(user["emails"][1]["primary"], true);
}

#[test]
fn adding_extension_attributes_lists_the_extension_in_schemas_and_removing_them_unlists_it() {
    let (user, outcome) = patched(
        bjensen(),
        ResourceKind::User,
        json!([{"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Tours"}]),
    );
    assert_eq!(user[ENTERPRISE_USER_SCHEMA], json!({"department": "Tours"}));
    assert_eq!(
        user["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_USER_SCHEMA])
    );
    assert_eq!(
        names(&outcome),
        [
            "schemas",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"
        ]
    );

    let (user, _) = patched(
        user,
        ResourceKind::User,
        json!([{"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"}]),
    );
    assert_eq!(user, bjensen());
}

#[test]
fn a_whole_extension_can_be_the_path() {
    let (user, _) = patched(
        bjensen(),
        ResourceKind::User,
        json!([{"op": "add", "path": ENTERPRISE_USER_SCHEMA, "value": {"costCenter": "4130", "division": "Theme Park"}}]),
    );
    assert_eq!(
        user[ENTERPRISE_USER_SCHEMA],
        json!({"costCenter": "4130", "division": "Theme Park"})
    );
    let (user, _) = patched(
        user,
        ResourceKind::User,
        json!([{"op": "remove", "path": ENTERPRISE_USER_SCHEMA}]),
    );
    assert_eq!(user, bjensen());
}

#[test]
fn operations_apply_in_order_and_a_failure_leaves_the_resource_untouched() {
    let mut user = bjensen();
    let err = apply_patch(
        &mut user,
        ResourceKind::User,
        &request(json!([
            {"op": "replace", "path": "title", "value": "Boss"},
            {"op": "replace", "path": "id", "value": "other"}
        ])),
    )
    .unwrap_err();
    assert_eq!(err.scim_type, Some("mutability"));
    assert!(err.detail.starts_with("Operations[1]: "), "{}", err.detail);
    assert_eq!(user, bjensen());
}

#[test]
fn an_unchanged_resource_reports_no_changes() {
    let (user, outcome) = patched(
        bjensen(),
        ResourceKind::User,
        json!([{"op": "replace", "value": {"userName": "bjensen@example.com", "name": {"givenName": "Barbara"}}}]),
    );
    assert_eq!(user, bjensen());
    assert!(outcome.is_noop());
}
