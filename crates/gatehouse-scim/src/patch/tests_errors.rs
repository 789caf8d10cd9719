//! Each invalid PATCH maps to the `scimType` of RFC 7644 §3.12.

use serde_json::{Value, json};

use super::tests_rfc::{bjensen, request, tour_guides};
use super::*;

fn error_for(mut resource: Value, kind: ResourceKind, body: &Value) -> ScimError {
    let before = resource.clone();
    let err = apply_patch(&mut resource, kind, body).expect_err("the PATCH should fail");
    assert_eq!(resource, before, "a failed PATCH must not change the resource");
    err
}

fn user_error(operations: Value) -> ScimError {
    error_for(bjensen(), ResourceKind::User, &request(operations))
}

fn group_error(operations: Value) -> ScimError {
    error_for(tour_guides(), ResourceKind::Group, &request(operations))
}

fn assert_type(err: &ScimError, scim_type: &str) {
    assert_eq!(err.scim_type, Some(scim_type), "{err}");
    assert_eq!(err.status, 400);
}

#[test]
fn a_malformed_body_is_invalid_syntax() {
    for body in [
        json!("not an object"),
        json!({"Operations": [{"op": "add", "path": "title", "value": "x"}]}),
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "Operations": [{"op": "add", "path": "title", "value": "x"}]}),
        json!({"schemas": [PATCH_OP_SCHEMA]}),
        json!({"schemas": [PATCH_OP_SCHEMA], "Operations": []}),
        json!({"schemas": [PATCH_OP_SCHEMA], "Operations": {"op": "add"}}),
        json!({"schemas": [PATCH_OP_SCHEMA], "Operations": ["add"]}),
        json!({"schemas": [PATCH_OP_SCHEMA], "Operations": [{"path": "title", "value": "x"}]}),
        json!({"schemas": [PATCH_OP_SCHEMA], "Operations": [{"op": "move", "path": "title", "value": "x"}]}),
        json!({"schemas": [PATCH_OP_SCHEMA], "Operations": [{"op": 1, "path": "title", "value": "x"}]}),
    ] {
        let err = error_for(bjensen(), ResourceKind::User, &body);
        assert_type(&err, "invalidSyntax");
    }
}

#[test]
fn a_malformed_or_unknown_path_is_invalid_path() {
    for operations in [
        json!([{"op": "replace", "path": "emails[type eq", "value": "x"}]),
        json!([{"op": "replace", "path": 7, "value": "x"}]),
        json!([{"op": "replace", "path": "nosuch", "value": "x"}]),
        json!([{"op": "replace", "path": "name.nosuch", "value": "x"}]),
        json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:nosuch", "value": "x"}]),
        json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:nosuch", "value": "x"}]),
        json!([{"op": "replace", "value": {"nosuch": "x"}}]),
        json!([{"op": "replace", "value": {"name.givenName.x": "x"}}]),
        json!([{"op": "replace", "path": "userName[value eq \"x\"]", "value": "x"}]),
        json!([{"op": "replace", "path": "emails[type eq \"work\"].nosuch", "value": "x"}]),
        json!([{"op": "remove", "path": "nosuch"}]),
    ] {
        assert_type(&user_error(operations), "invalidPath");
    }
}

#[test]
fn remove_without_a_path_is_no_target() {
    assert_type(&user_error(json!([{"op": "remove"}])), "noTarget");
    assert_type(&user_error(json!([{"op": "remove", "path": ""}])), "noTarget");
}

#[test]
fn replace_with_a_filter_that_matches_nothing_is_no_target() {
    let err =
        user_error(json!([{"op": "replace", "path": "emails[type eq \"other\"].value", "value": "x@example.com"}]));
    assert_type(&err, "noTarget");
    let err = user_error(json!([{"op": "add", "path": "emails[value co \"nope\"].type", "value": "work"}]));
    assert_type(&err, "noTarget");
}

#[test]
fn a_filter_that_does_not_fit_the_attribute_is_invalid_filter() {
    assert_type(
        &user_error(json!([{"op": "remove", "path": "emails[nosuch eq \"x\"]"}])),
        "invalidFilter",
    );
    assert_type(
        &user_error(json!([{"op": "remove", "path": "emails[primary gt true]"}])),
        "invalidFilter",
    );
    assert_type(
        &user_error(json!([{"op": "remove", "path": "emails[type eq 1]"}])),
        "invalidFilter",
    );
}

#[test]
fn missing_values_and_values_of_the_wrong_type_are_invalid_value() {
    for operations in [
        json!([{"op": "add", "path": "title"}]),
        json!([{"op": "replace"}]),
        json!([{"op": "replace", "value": "not an object"}]),
        json!([{"op": "replace", "path": "active", "value": "maybe"}]),
        json!([{"op": "replace", "path": "active", "value": 1}]),
        json!([{"op": "replace", "path": "userName", "value": 12}]),
        json!([{"op": "replace", "path": "name", "value": "Barbara Jensen"}]),
        json!([{"op": "replace", "path": "name", "value": {"nosuch": "x"}}]),
        json!([{"op": "add", "path": "emails", "value": [{"value": true}]}]),
        json!([{"op": "add", "path": "emails", "value": [{"value": "x@example.com", "primary": "perhaps"}]}]),
        json!([{"op": "replace", "value": {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": "x"}}]),
    ] {
        assert_type(&user_error(operations), "invalidValue");
    }
    assert_type(
        &group_error(json!([{"op": "add", "path": "members", "value": [{"display": "no id"}]}])),
        "invalidValue",
    );
}

#[test]
fn a_resource_that_is_not_an_object_is_invalid_value() {
    let err = error_for(
        json!([1]),
        ResourceKind::User,
        &request(json!([{"op": "add", "path": "title", "value": "x"}])),
    );
    assert_type(&err, "invalidValue");
}

#[test]
fn changing_read_only_attributes_is_a_mutability_error() {
    for operations in [
        json!([{"op": "replace", "path": "id", "value": "other"}]),
        json!([{"op": "replace", "value": {"id": "other"}}]),
        json!([{"op": "remove", "path": "id"}]),
        json!([{"op": "remove", "path": "meta"}]),
        json!([{"op": "replace", "path": "meta.created", "value": "2020-01-01T00:00:00Z"}]),
        json!([{"op": "replace", "path": "meta", "value": {"created": "2020-01-01T00:00:00Z"}}]),
        json!([{"op": "add", "path": "groups", "value": [{"value": "g1"}]}]),
        json!([{"op": "remove", "path": "groups[value eq \"g1\"]"}]),
        json!([{"op": "remove", "path": "groups", "value": [{"value": "g1"}]}]),
    ] {
        assert_type(&user_error(operations), "mutability");
    }
}

#[test]
fn changing_immutable_member_sub_attributes_is_a_mutability_error() {
    let path = "members[value eq \"2819c223-7f76-453a-919d-413861904646\"]";
    assert_type(
        &group_error(json!([{"op": "replace", "path": format!("{path}.value"), "value": "other"}])),
        "mutability",
    );
    assert_type(
        &group_error(json!([{"op": "replace", "path": path, "value": {"display": "Someone Else"}}])),
        "mutability",
    );
    assert_type(
        &group_error(json!([{"op": "remove", "path": format!("{path}.display")}])),
        "mutability",
    );
}

#[test]
fn removing_a_required_attribute_is_a_mutability_error() {
    assert_type(&user_error(json!([{"op": "remove", "path": "userName"}])), "mutability");
    assert_type(
        &user_error(json!([{"op": "replace", "path": "userName", "value": null}])),
        "mutability",
    );
    assert_type(
        &group_error(json!([{"op": "remove", "path": "displayName"}])),
        "mutability",
    );
}

#[test]
fn errors_serialise_to_the_rfc_error_body() {
    let body = user_error(json!([{"op": "remove"}])).to_json();
    assert_eq!(body["schemas"], json!(["urn:ietf:params:scim:api:messages:2.0:Error"]));
    assert_eq!(body["status"], "400");
    assert_eq!(body["scimType"], "noTarget");
    assert!(body["detail"].as_str().unwrap().starts_with("Operations[0]: "));
}

#[test]
fn writing_the_current_value_of_a_read_only_attribute_is_not_an_error() {
    let mut user = bjensen();
    let body = request(
        json!([{"op": "replace", "value": {"id": "2819c223-7f76-453a-919d-413861904646", "meta": {"resourceType": "User"}}}]),
    );
    let outcome = apply_patch(&mut user, ResourceKind::User, &body);
    // meta differs (the value omits created/lastModified), so only the id echo is harmless.
    assert_type(&outcome.unwrap_err(), "mutability");
    let body = request(json!([{"op": "replace", "value": {"id": "2819c223-7f76-453a-919d-413861904646"}}]));
    assert!(apply_patch(&mut user, ResourceKind::User, &body).unwrap().is_noop());
}
