use std::collections::HashSet;

use serde_json::json;

use super::*;
use crate::filter::AttrPath;

fn path(text: &str) -> AttrPath {
    AttrPath::parse(text).unwrap()
}

fn all_schemas() -> [&'static SchemaDef; 3] {
    [&USER, &ENTERPRISE_USER, &GROUP]
}

#[test]
fn attribute_names_resolve_case_insensitively() {
    let def = resolve(ResourceKind::User, &path("USERNAME")).unwrap();
    assert_eq!(def.name, "userName");
    let def = resolve(ResourceKind::User, &path("Name.FamilyName")).unwrap();
    assert_eq!(def.name, "familyName");
    let r = resolve_path(ResourceKind::User, &path("emails.VALUE")).unwrap();
    assert_eq!(r.canonical_path(), AttrPath::with_sub("emails", "value"));
}

#[test]
fn urn_qualified_names_resolve_to_core_and_extension_attributes() {
    let r = resolve_path(
        ResourceKind::User,
        &path("urn:ietf:params:scim:schemas:core:2.0:User:userName"),
    )
    .unwrap();
    assert_eq!((r.extension, r.attr.name), (None, "userName"));

    let r = resolve_path(
        ResourceKind::User,
        &path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"),
    )
    .unwrap();
    assert_eq!(
        (r.extension, r.attr.name),
        (Some(ENTERPRISE_USER_SCHEMA), "employeeNumber")
    );
    assert_eq!(
        r.top_level_name(),
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"
    );

    let def = resolve(
        ResourceKind::User,
        &path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"),
    )
    .unwrap();
    assert_eq!((def.name, def.attr_type), ("value", AttrType::String));
}

#[test]
fn unqualified_extension_attributes_fall_back_to_the_extension() {
    let r = resolve_path(ResourceKind::User, &path("manager")).unwrap();
    assert_eq!(r.extension, Some(ENTERPRISE_USER_SCHEMA));
    assert_eq!(
        r.canonical_path().to_string(),
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"
    );
}

#[test]
fn common_attributes_resolve_for_both_resource_types() {
    for kind in [ResourceKind::User, ResourceKind::Group] {
        for name in ["id", "externalId", "meta.lastModified", "schemas"] {
            resolve(kind, &path(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
    let created = resolve(ResourceKind::Group, &path("meta.created")).unwrap();
    assert_eq!(
        (created.attr_type, created.mutability),
        (AttrType::DateTime, Mutability::ReadOnly)
    );
}

#[test]
fn unknown_names_are_invalid_path_errors() {
    for (kind, text) in [
        (ResourceKind::User, "nosuch"),
        (ResourceKind::User, "name.nosuch"),
        (ResourceKind::User, "userName.x"),
        (ResourceKind::User, "urn:example:other:2.0:User:userName"),
        (
            ResourceKind::User,
            "urn:ietf:params:scim:schemas:core:2.0:Group:displayName",
        ),
        (ResourceKind::Group, "userName"),
        (
            ResourceKind::Group,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        ),
    ] {
        let err = resolve(kind, &path(text)).unwrap_err();
        assert_eq!(err.scim_type, Some("invalidPath"), "{text}: {err}");
    }
}

#[test]
fn the_characteristics_follow_rfc7643() {
    let user = |p: &str| resolve(ResourceKind::User, &path(p)).unwrap();
    let group = |p: &str| resolve(ResourceKind::Group, &path(p)).unwrap();
    let id = user("id");
    assert_eq!(
        (id.mutability, id.returned, id.case_exact, id.uniqueness),
        (Mutability::ReadOnly, Returned::Always, true, Uniqueness::Server)
    );
    let user_name = user("userName");
    assert!(user_name.required && !user_name.case_exact);
    assert_eq!(user_name.uniqueness, Uniqueness::Server);
    let password = user("password");
    assert_eq!(
        (password.mutability, password.returned),
        (Mutability::WriteOnly, Returned::Never)
    );
    assert_eq!(user("groups").mutability, Mutability::ReadOnly);
    assert_eq!(user("groups.value").mutability, Mutability::ReadOnly);
    assert_eq!(user("emails.type").canonical_values, ["work", "home", "other"]);
    assert_eq!(user("photos.value").reference_types, ["external"]);
    assert_eq!(user("x509Certificates.value").attr_type, AttrType::Binary);
    assert_eq!(user("manager.displayName").mutability, Mutability::ReadOnly);
    assert_eq!(user("manager.$ref").reference_types, ["User"]);
    assert!(user("emails").multi_valued && user("emails").has_primary());
    // Every account needs an email: the schema says so (not RFC 7643's `required: false`).
    assert!(user("emails").required && user("emails.value").required);
    assert!(!user("emails.type").required);
    assert_eq!(group("members.value").mutability, Mutability::Immutable);
    assert_eq!(group("members.$ref").reference_types, ["User", "Group"]);
    assert!(group("displayName").required);
    assert!(user("externalId").case_exact);
}

#[test]
fn every_definition_is_well_formed() {
    fn check(def: &AttributeDef, nested: bool) {
        assert!(!def.description.is_empty(), "{}", def.name);
        assert_eq!(
            def.attr_type == AttrType::Complex,
            !def.sub_attributes.is_empty(),
            "{}",
            def.name
        );
        assert_eq!(
            def.attr_type == AttrType::Reference,
            !def.reference_types.is_empty(),
            "{}",
            def.name
        );
        assert!(
            !(nested && def.attr_type == AttrType::Complex),
            "{}: complex sub-attribute",
            def.name
        );
        let names: HashSet<String> = def.sub_attributes.iter().map(|s| s.name.to_lowercase()).collect();
        assert_eq!(
            names.len(),
            def.sub_attributes.len(),
            "{}: duplicate sub-attribute",
            def.name
        );
        def.sub_attributes.iter().for_each(|s| check(s, true));
    }
    for schema in all_schemas() {
        let names: HashSet<String> = schema.attributes.iter().map(|a| a.name.to_lowercase()).collect();
        assert_eq!(names.len(), schema.attributes.len(), "{}", schema.id);
        schema.attributes.iter().for_each(|a| check(a, false));
    }
    for a in common_attributes() {
        check(a, false);
    }
}

#[test]
fn the_user_schema_has_every_rfc7643_attribute() {
    let names: Vec<&str> = USER.attributes.iter().map(|a| a.name).collect();
    assert_eq!(
        names,
        [
            "userName",
            "name",
            "displayName",
            "nickName",
            "profileUrl",
            "title",
            "userType",
            "preferredLanguage",
            "locale",
            "timezone",
            "active",
            "password",
            "emails",
            "phoneNumbers",
            "ims",
            "photos",
            "addresses",
            "groups",
            "entitlements",
            "roles",
            "x509Certificates"
        ]
    );
}

#[test]
fn schemas_json_lists_the_three_schemas_in_rfc7643_section_7_shape() {
    let schemas = schemas_json();
    let ids: Vec<&str> = schemas
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA]);
    let user = &schemas[0];
    assert_eq!(user["schemas"], json!(["urn:ietf:params:scim:schemas:core:2.0:Schema"]));
    assert_eq!(user["name"], "User");
    assert_eq!(user["meta"]["resourceType"], "Schema");
    assert_eq!(
        user["attributes"][0],
        json!({
            "name": "userName",
            "type": "string",
            "multiValued": false,
            "description": "Unique identifier for the User, used to authenticate; unique across all Users.",
            "required": true,
            "caseExact": false,
            "mutability": "readWrite",
            "returned": "default",
            "uniqueness": "server"
        })
    );
    let emails = user["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "emails")
        .unwrap();
    assert_eq!(emails["multiValued"], true);
    assert_eq!(
        emails["subAttributes"][2]["canonicalValues"],
        json!(["work", "home", "other"])
    );
    let manager = &schemas[1]["attributes"][5];
    assert_eq!(manager["subAttributes"][1]["referenceTypes"], json!(["User"]));
}

#[test]
fn schemas_json_with_base_adds_locations() {
    let schemas = schemas_json_with_base("https://id.example.com/scim/v2/");
    assert_eq!(
        schemas[2]["meta"]["location"],
        "https://id.example.com/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group"
    );
}

#[test]
fn resource_types_json_describes_users_with_the_enterprise_extension_and_groups() {
    let types = resource_types_json("https://id.example.com/scim/v2");
    assert_eq!(
        types[0],
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "User Account",
            "schema": USER_SCHEMA,
            "schemaExtensions": [{"schema": ENTERPRISE_USER_SCHEMA, "required": false}],
            "meta": {"location": "https://id.example.com/scim/v2/ResourceTypes/User", "resourceType": "ResourceType"}
        })
    );
    assert_eq!(types[1]["endpoint"], "/Groups");
    assert!(types[1].get("schemaExtensions").is_none());
}

#[test]
fn the_service_provider_config_advertises_the_supported_features() {
    let options = ServiceProviderOptions {
        documentation_uri: Some("https://docs.example.com/scim".into()),
        bulk_max_operations: 100,
        bulk_max_payload_size: 2_000_000,
        filter_max_results: 500,
        ..ServiceProviderOptions::default()
    };
    let config = service_provider_config_json("https://id.example.com/scim/v2", &options);
    assert_eq!(
        config["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"])
    );
    assert_eq!(config["patch"], json!({"supported": true}));
    assert_eq!(
        config["bulk"],
        json!({"supported": true, "maxOperations": 100, "maxPayloadSize": 2_000_000})
    );
    assert_eq!(config["filter"], json!({"supported": true, "maxResults": 500}));
    assert_eq!(config["changePassword"], json!({"supported": false}));
    assert_eq!(config["sort"], json!({"supported": true}));
    assert_eq!(config["etag"], json!({"supported": true}));
    assert_eq!(config["authenticationSchemes"][0]["type"], "oauthbearertoken");
    assert_eq!(config["documentationUri"], "https://docs.example.com/scim");
    assert_eq!(
        config["meta"]["location"],
        "https://id.example.com/scim/v2/ServiceProviderConfig"
    );
}

#[test]
fn schemas_are_found_by_id_case_insensitively() {
    assert_eq!(
        schema_by_id("URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:GROUP").map(|s| s.name),
        Some("Group")
    );
    assert!(schema_by_id("urn:nope").is_none());
}
