//! PATCH requests as Okta and Microsoft Entra ID document sending them.

use serde_json::json;

use super::tests_rfc::{bjensen, patched, tour_guides};
use super::*;
use crate::schema::ENTERPRISE_USER_SCHEMA;

fn ids(set: &BTreeSet<String>) -> Vec<&str> {
    set.iter().map(String::as_str).collect()
}

#[test]
fn okta_deactivates_a_user_with_a_pathless_replace() {
    let (user, outcome) = patched(
        bjensen(),
        ResourceKind::User,
        json!([{"op": "replace", "value": {"active": false}}]),
    );
    assert_eq!(user["active"], false);
    assert_eq!(outcome.changed.iter().collect::<Vec<_>>(), ["active"]);
}

#[test]
fn okta_renames_a_group_echoing_its_id() {
    let (group, outcome) = patched(
        tour_guides(),
        ResourceKind::Group,
        json!([{"op": "replace", "value": {"id": "e9e30dba-f08f-4109-8486-d5c6a331660a", "displayName": "Test SCIMv2"}}]),
    );
    assert_eq!(group["displayName"], "Test SCIMv2");
    assert_eq!(outcome.changed.iter().collect::<Vec<_>>(), ["displayName"]);
}

#[test]
fn okta_adds_group_members_with_display_names() {
    let (group, outcome) = patched(
        tour_guides(),
        ResourceKind::Group,
        json!([{"op": "add", "path": "members", "value": [
            {"value": "00u1f96ECLNVOKVMUSEA", "display": "test.user@okta.local"},
            {"value": "00u1f96ECLNVOKVMUSEB", "display": "other.user@okta.local"}
        ]}]),
    );
    assert_eq!(group["members"].as_array().unwrap().len(), 3);
    assert_eq!(
        ids(&outcome.members.added),
        ["00u1f96ECLNVOKVMUSEA", "00u1f96ECLNVOKVMUSEB"]
    );
}

#[test]
fn okta_removes_a_group_member_by_value_filter() {
    let (group, outcome) = patched(
        tour_guides(),
        ResourceKind::Group,
        json!([{"op": "remove", "path": "members[value eq \"2819c223-7f76-453a-919d-413861904646\"]"}]),
    );
    assert!(group.get("members").is_none());
    assert_eq!(ids(&outcome.members.removed), ["2819c223-7f76-453a-919d-413861904646"]);
}

#[test]
fn okta_replaces_group_members_on_push() {
    let (group, outcome) = patched(
        tour_guides(),
        ResourceKind::Group,
        json!([{"op": "replace", "path": "members", "value": [{"value": "00u1f96ECLNVOKVMUSEA", "display": "test.user@okta.local"}]}]),
    );
    assert_eq!(
        group["members"],
        json!([{"value": "00u1f96ECLNVOKVMUSEA", "display": "test.user@okta.local"}])
    );
    assert_eq!(ids(&outcome.members.added), ["00u1f96ECLNVOKVMUSEA"]);
    assert_eq!(ids(&outcome.members.removed), ["2819c223-7f76-453a-919d-413861904646"]);
}

#[test]
fn entra_disables_a_user_with_a_capitalised_replace_and_a_false_string() {
    let (user, _) = patched(
        bjensen(),
        ResourceKind::User,
        json!([{"op": "Replace", "path": "active", "value": "False"}]),
    );
    assert_eq!(user["active"], json!(false));
    let (user, _) = patched(
        user,
        ResourceKind::User,
        json!([{"op": "Replace", "path": "active", "value": "True"}]),
    );
    assert_eq!(user["active"], json!(true));
}

#[test]
fn entra_disables_a_user_with_the_compliant_flag() {
    let (user, _) = patched(
        bjensen(),
        ResourceKind::User,
        json!([{"op": "replace", "path": "active", "value": false}]),
    );
    assert_eq!(user["active"], json!(false));
}

#[test]
fn entra_updates_the_work_email_and_family_name() {
    let (user, outcome) = patched(
        bjensen(),
        ResourceKind::User,
        json!([
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@microsoft.com"},
            {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"}
        ]),
    );
    assert_eq!(
        user["emails"][0],
        json!({"value": "updatedEmail@microsoft.com", "type": "work", "primary": true})
    );
    assert_eq!(user["name"]["familyName"], "updatedFamilyName");
    assert_eq!(outcome.changed.iter().collect::<Vec<_>>(), ["emails", "name"]);
}

#[test]
fn entra_replaces_single_valued_attributes_one_by_one_without_the_flag() {
    let (user, _) = patched(
        bjensen(),
        ResourceKind::User,
        json!([
            {"op": "Replace", "path": "displayName", "value": "Pvlo"},
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "TestBcwqnm@test.microsoft.com"},
            {"op": "Replace", "path": "name.givenName", "value": "Gtfd"},
            {"op": "Replace", "path": "name.familyName", "value": "Pkqf"},
            {"op": "Replace", "path": "externalId", "value": "Eqpj"},
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": "Eqpj"}
        ]),
    );
    assert_eq!(user["displayName"], "Pvlo");
    assert_eq!(user["name"]["givenName"], "Gtfd");
    assert_eq!(user["externalId"], "Eqpj");
    assert_eq!(user[ENTERPRISE_USER_SCHEMA]["employeeNumber"], "Eqpj");
}

#[test]
fn entra_replaces_several_attributes_in_one_pathless_value_with_dotted_and_urn_keys() {
    let (user, outcome) = patched(
        bjensen(),
        ResourceKind::User,
        json!([
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "TestMhvaes@test.microsoft.com"},
            {"op": "replace", "value": {
                "displayName": "Bjfe",
                "name.givenName": "Kkom",
                "name.familyName": "Unua",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Aklq"
            }}
        ]),
    );
    assert_eq!(user["displayName"], "Bjfe");
    assert_eq!(
        user["name"],
        json!({"givenName": "Kkom", "familyName": "Unua", "middleName": "Jane"})
    );
    assert_eq!(user[ENTERPRISE_USER_SCHEMA], json!({"employeeNumber": "Aklq"}));
    assert_eq!(user["emails"][0]["value"], "TestMhvaes@test.microsoft.com");
    assert!(
        outcome
            .changed
            .contains("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber")
    );
}

#[test]
fn entra_adds_a_single_valued_string_attribute() {
    let (user, _) = patched(
        bjensen(),
        ResourceKind::User,
        json!([{"op": "Add", "path": "nickName", "value": "Babs"}]),
    );
    assert_eq!(user["nickName"], "Babs");
}

#[test]
fn entra_adds_a_pathless_value_with_an_extension_object() {
    let (user, _) = patched(
        bjensen(),
        ResourceKind::User,
        json!([{"op": "Add", "value": {
            "title": "Tour Guide",
            ENTERPRISE_USER_SCHEMA: {"department": "Tours", "manager": "26118915-6090-4610-87a4-49d0767a62c0"}
        }}]),
    );
    assert_eq!(user["title"], "Tour Guide");
    assert_eq!(
        user[ENTERPRISE_USER_SCHEMA],
        json!({"department": "Tours", "manager": {"value": "26118915-6090-4610-87a4-49d0767a62c0"}})
    );
}

#[test]
fn entra_sets_the_manager_by_urn_path_with_a_plain_id() {
    let (user, outcome) = patched(
        bjensen(),
        ResourceKind::User,
        json!([{
            "op": "Add",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            "value": "26118915-6090-4610-87a4-49d0767a62c0"
        }]),
    );
    assert_eq!(
        user[ENTERPRISE_USER_SCHEMA]["manager"],
        json!({"value": "26118915-6090-4610-87a4-49d0767a62c0"})
    );
    assert!(
        outcome
            .changed
            .contains("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager")
    );

    let (user, _) = patched(
        user,
        ResourceKind::User,
        json!([{"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": {"value": "other-id", "displayName": "ignored: readOnly"}}]),
    );
    assert_eq!(user[ENTERPRISE_USER_SCHEMA]["manager"], json!({"value": "other-id"}));

    let (user, _) = patched(
        user,
        ResourceKind::User,
        json!([{"op": "Remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": [{"value": "other-id"}]}]),
    );
    assert!(user.get(ENTERPRISE_USER_SCHEMA).is_none());
}

#[test]
fn entra_adds_a_work_phone_that_does_not_exist_yet() {
    let (user, _) = patched(
        bjensen(),
        ResourceKind::User,
        json!([{"op": "Add", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1 555 0100"}]),
    );
    assert_eq!(user["phoneNumbers"], json!([{"type": "work", "value": "+1 555 0100"}]));
}

#[test]
fn entra_adds_group_members_with_null_refs() {
    let (group, outcome) = patched(
        tour_guides(),
        ResourceKind::Group,
        json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": "f648f8d5ea4e4cd38e9c"}]}]),
    );
    assert_eq!(group["members"][1], json!({"value": "f648f8d5ea4e4cd38e9c"}));
    assert_eq!(ids(&outcome.members.added), ["f648f8d5ea4e4cd38e9c"]);
}

#[test]
fn entra_removes_group_members_with_a_value_array_without_the_flag() {
    let (group, outcome) = patched(
        tour_guides(),
        ResourceKind::Group,
        json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": "2819c223-7f76-453a-919d-413861904646"}]}]),
    );
    assert!(group.get("members").is_none());
    assert!(!outcome.members.cleared);
    assert_eq!(ids(&outcome.members.removed), ["2819c223-7f76-453a-919d-413861904646"]);
}

#[test]
fn entra_removes_group_members_by_filter_with_the_flag() {
    let (_, outcome) = patched(
        tour_guides(),
        ResourceKind::Group,
        json!([{"op": "remove", "path": "members[value eq \"7f4bc1a3-285e-48ae-8202-5accb43efb0e\"]"}]),
    );
    assert!(outcome.is_noop(), "not a member: nothing to do, and no error");
}

#[test]
fn entra_replaces_a_group_display_name() {
    let (group, _) = patched(
        tour_guides(),
        ResourceKind::Group,
        json!([{"op": "Replace", "path": "displayName", "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}]),
    );
    assert_eq!(
        group["displayName"],
        "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
    );
}

#[test]
fn a_group_without_its_member_list_reports_the_member_ids_the_request_names() {
    let mut large = tour_guides();
    large.as_object_mut().unwrap().remove("members");
    let (_, outcome) = patched(
        large.clone(),
        ResourceKind::Group,
        json!([
            {"op": "add", "path": "members", "value": [{"value": "a"}, {"value": "b"}]},
            {"op": "remove", "path": "members[value eq \"c\" or value eq \"b\"]"},
            {"op": "remove", "path": "members", "value": [{"value": "d"}]}
        ]),
    );
    assert!(!outcome.members.cleared);
    assert_eq!(ids(&outcome.members.added), ["a"]);
    assert_eq!(ids(&outcome.members.removed), ["b", "c", "d"]);

    let (_, outcome) = patched(
        large,
        ResourceKind::Group,
        json!([{"op": "replace", "path": "members", "value": [{"value": "x"}]}]),
    );
    assert!(outcome.members.cleared);
    assert_eq!(ids(&outcome.members.added), ["x"]);
}

#[test]
fn structural_member_names_are_matched_case_insensitively() {
    let mut user = bjensen();
    let body = json!({
        "Schemas": [PATCH_OP_SCHEMA],
        "operations": [{"OP": "REPLACE", "Path": "title", "Value": "Boss"}]
    });
    apply_patch(&mut user, ResourceKind::User, &body).unwrap();
    assert_eq!(user["title"], "Boss");
}

#[test]
fn entra_sends_the_whole_enterprise_extension_with_its_own_schemas_key() {
    let (user, outcome) = patched(
        bjensen(),
        ResourceKind::User,
        json!([{"op": "replace", "path": ENTERPRISE_USER_SCHEMA, "value": {
            "schemas": [ENTERPRISE_USER_SCHEMA], "department": "Tours", "employeeNumber": "42"
        }}]),
    );
    assert_eq!(user[ENTERPRISE_USER_SCHEMA]["department"], "Tours");
    assert!(user[ENTERPRISE_USER_SCHEMA].get("schemas").is_none());
    assert!(
        outcome
            .changed
            .contains(&format!("{ENTERPRISE_USER_SCHEMA}:department"))
    );
    let (user, _) = patched(
        bjensen(),
        ResourceKind::User,
        json!([{"op": "add", "value": {ENTERPRISE_USER_SCHEMA: {"schemas": [ENTERPRISE_USER_SCHEMA], "costCenter": "4130"}}}]),
    );
    assert_eq!(user[ENTERPRISE_USER_SCHEMA]["costCenter"], "4130");
}

#[test]
fn operations_on_extensions_the_server_does_not_advertise_are_skipped_and_reported() {
    let custom = "urn:ietf:params:scim:schemas:extension:CustomExtension:2.0:User";
    let (user, outcome) = patched(
        bjensen(),
        ResourceKind::User,
        json!([
            {"op": "Replace", "path": format!("{custom}:costCenter"), "value": "4130"},
            {"op": "Add", "value": {custom: {"tag": "x"}, "title": "Guide"}},
            {"op": "Remove", "path": format!("{custom}:tag")}
        ]),
    );
    assert_eq!(user["title"], "Guide");
    assert!(user.get(custom).is_none());
    assert_eq!(
        outcome.ignored,
        [
            format!("{custom}:costCenter"),
            custom.to_owned(),
            format!("{custom}:tag")
        ]
    );
}
