//! Property tests: any PATCH built from plausible pieces either applies or fails cleanly.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::tests_rfc::{bjensen, request, tour_guides};
use super::*;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        prop::sample::select(vec![
            "work",
            "home",
            "True",
            "false",
            "x@example.com",
            "2011-05-13T04:42:34Z",
            ""
        ])
        .prop_map(|s| json!(s)),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        let keys = prop::sample::select(vec![
            "value",
            "type",
            "primary",
            "display",
            "givenName",
            "active",
            "$ref",
            "nickName",
            "members",
            "emails",
            "id",
            "name.familyName",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(keys.prop_map(str::to_owned), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn path() -> impl Strategy<Value = Option<&'static str>> {
    prop::option::of(prop::sample::select(vec![
        "userName",
        "active",
        "name",
        "name.givenName",
        "emails",
        "emails.type",
        "emails[type eq \"work\"]",
        "emails[type eq \"work\"].value",
        "emails[value co \"example\" or primary eq true].primary",
        "members",
        "members[value eq \"2819c223-7f76-453a-919d-413861904646\"]",
        "members[type eq \"User\"].display",
        "displayName",
        "id",
        "meta.created",
        "groups",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        "x509Certificates[value eq \"AAAA\"]",
    ]))
}

fn operation() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec!["add", "Replace", "remove", "REMOVE"]),
        path(),
        prop::option::of(json_value()),
    )
        .prop_map(|(op, path, value)| {
            let mut o = json!({ "op": op });
            if let Some(p) = path {
                o["path"] = json!(p);
            }
            if let Some(v) = value {
                o["value"] = v;
            }
            o
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn a_patch_either_applies_or_fails_without_touching_the_resource(
        ops in prop::collection::vec(operation(), 1..5),
        group in any::<bool>(),
    ) {
        let (resource, kind) = if group { (tour_guides(), ResourceKind::Group) } else { (bjensen(), ResourceKind::User) };
        let mut patched = resource.clone();
        match apply_patch(&mut patched, kind, &request(Value::Array(ops))) {
            Ok(outcome) => {
                prop_assert!(patched.is_object());
                if outcome.changed.is_empty() {
                    prop_assert_eq!(&patched, &resource);
                }
                // Applying the same PATCH result again must still be a JSON object with its id.
                prop_assert_eq!(&patched["id"], &resource["id"]);
            }
            Err(e) => {
                prop_assert_eq!(&patched, &resource);
                prop_assert!(e.scim_type.is_some(), "{}", e);
            }
        }
    }
}
