use serde_json::{Value, json};

use super::*;
use crate::schema::ENTERPRISE_USER_SCHEMA;

fn user() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_USER_SCHEMA],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "externalId": "bjensen",
        "userName": "bjensen@example.com",
        "password": "t1meMa$heen",
        "name": {"familyName": "Jensen", "givenName": "Barbara"},
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "meta": {"resourceType": "User", "lastModified": "2011-05-13T04:42:34Z"},
        ENTERPRISE_USER_SCHEMA: {"employeeNumber": "701984", "department": "Tour Operations"}
    })
}

fn user_projection(attributes: Option<&str>, excluded: Option<&str>) -> Value {
    project(&user(), ResourceKind::User, attributes, excluded).unwrap()
}

#[test]
fn by_default_everything_but_never_returned_attributes_is_returned() {
    let mut expected = user();
    expected.as_object_mut().unwrap().remove("password");
    assert_eq!(user_projection(None, None), expected);
}

#[test]
fn attributes_selects_the_named_attributes_plus_id_and_schemas() {
    let out = user_projection(Some("userName,name.familyName"), None);
    assert_eq!(
        out,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_USER_SCHEMA],
            "id": "2819c223-7f76-453a-919d-413861904646",
            "userName": "bjensen@example.com",
            "name": {"familyName": "Jensen"}
        })
    );
}

#[test]
fn a_sub_attribute_of_a_multi_valued_attribute_selects_it_in_every_value() {
    let out = user_projection(Some("emails.value"), None);
    assert_eq!(
        out["emails"],
        json!([{"value": "bjensen@example.com"}, {"value": "babs@jensen.org"}])
    );
}

#[test]
fn attribute_names_match_case_insensitively_and_with_urns() {
    let out = user_projection(
        Some("USERNAME, urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"),
        None,
    );
    assert_eq!(out["userName"], "bjensen@example.com");
    assert_eq!(out[ENTERPRISE_USER_SCHEMA], json!({"employeeNumber": "701984"}));
    assert!(out.get("emails").is_none());
}

#[test]
fn a_whole_extension_can_be_requested_or_excluded_by_its_urn() {
    let out = user_projection(Some(ENTERPRISE_USER_SCHEMA), None);
    assert_eq!(
        out[ENTERPRISE_USER_SCHEMA],
        json!({"employeeNumber": "701984", "department": "Tour Operations"})
    );
    assert!(out.get("userName").is_none());
    let out = user_projection(None, Some(ENTERPRISE_USER_SCHEMA));
    assert!(out.get(ENTERPRISE_USER_SCHEMA).is_none());
    assert_eq!(out["userName"], "bjensen@example.com");
}

#[test]
fn excluded_attributes_removes_attributes_and_sub_attributes() {
    let out = user_projection(None, Some("emails,name.givenName,meta"));
    assert!(out.get("emails").is_none());
    assert!(out.get("meta").is_none());
    assert_eq!(out["name"], json!({"familyName": "Jensen"}));
    assert_eq!(out["userName"], "bjensen@example.com");
}

#[test]
fn id_and_schemas_are_returned_even_when_excluded_or_not_requested() {
    let out = user_projection(Some("userName"), Some("id,schemas,userName"));
    assert_eq!(out["id"], "2819c223-7f76-453a-919d-413861904646");
    assert!(out.get("schemas").is_some());
    assert!(out.get("userName").is_none());
}

#[test]
fn never_returned_attributes_are_not_returned_even_when_requested() {
    let out = user_projection(Some("password"), None);
    assert!(out.get("password").is_none());
}

#[test]
fn groups_without_members_is_the_entra_query() {
    let group = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": "40734ae655284ad3abcc",
        "displayName": "displayName",
        "members": [{"value": "f648f8d5ea4e4cd38e9c"}]
    });
    let out = project(&group, ResourceKind::Group, None, Some("members")).unwrap();
    assert_eq!(
        out,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "id": "40734ae655284ad3abcc",
            "displayName": "displayName"
        })
    );
}

#[test]
fn unknown_names_select_nothing_and_malformed_ones_are_invalid_values() {
    let out = user_projection(Some("nosuch"), None);
    assert_eq!(out.as_object().unwrap().len(), 2, "{out}");
    let err = project(&user(), ResourceKind::User, Some("emails[type eq \"work\"]"), None).unwrap_err();
    assert_eq!(err.scim_type, Some("invalidValue"));
}

#[test]
fn keys_not_in_the_schema_are_kept_by_default_only() {
    let mut resource = user();
    resource["x-custom"] = json!(1);
    assert_eq!(
        project(&resource, ResourceKind::User, None, None).unwrap()["x-custom"],
        1
    );
    assert!(
        project(&resource, ResourceKind::User, Some("userName"), None)
            .unwrap()
            .get("x-custom")
            .is_none()
    );
}

#[test]
fn may_return_says_whether_an_answer_can_hold_groups() {
    let groups =
        |a: Option<&str>, e: Option<&str>| Projection::new(ResourceKind::User, a, e).unwrap().may_return("groups");
    assert!(groups(None, None), "default-returned");
    assert!(groups(Some("userName,groups"), None));
    assert!(
        groups(Some("groups.display"), None),
        "a sub-attribute needs the attribute"
    );
    assert!(!groups(Some("userName"), None));
    assert!(!groups(None, Some("groups")));
    assert!(groups(None, Some("groups.display")), "excluding a part keeps the rest");
    let never = Projection::new(ResourceKind::User, None, None).unwrap();
    assert!(!never.may_return("password"));
    assert!(never.may_return("id"));
}
