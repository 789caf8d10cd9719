//! `cargo +nightly fuzz run patch`: applying any JSON as a PATCH request must return Ok or a SCIM error, never
//! panic, and must leave the resource untouched on error.
#![no_main]

use gatehouse_scim::apply_patch;
use gatehouse_scim::schema::ResourceKind;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

fuzz_target!(|data: &[u8]| {
    let Ok(request) = serde_json::from_slice::<Value>(data) else { return };
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "2819c223",
        "userName": "bjensen",
        "name": {"givenName": "Barbara"},
        "emails": [{"value": "b@example.com", "type": "work", "primary": true}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "m1"}}
    });
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g", "displayName": "G", "members": [{"value": "u1"}]});
    for (resource, kind) in [(user, ResourceKind::User), (group, ResourceKind::Group)] {
        let mut patched = resource.clone();
        if apply_patch(&mut patched, kind, &request).is_err() {
            assert_eq!(patched, resource);
        }
    }
});
