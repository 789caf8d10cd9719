//! A resource as a client writes it, checked against the schemas the server advertises (RFC 7643 §2, §3):
//! what a client may send in a `POST` or `PUT`, before anything is stored.
//!
//! - Inside the core schema and the extensions the server advertises, every attribute and sub-attribute must be
//!   one the schema defines: a misspelt name is an error, not data kept by accident.
//! - An extension the server does not advertise is set aside and reported, not refused: Microsoft Entra ID and
//!   Okta send the custom extensions an administrator configured (`urn:ietf:params:scim:schemas:extension:
//!   CustomExtension:2.0:User`), and refusing them would stop provisioning altogether.
//! - Text may not hold control characters (tab, line feed and carriage return aside, which addresses use) and is
//!   bounded in size, as the REST API bounds its fields.
//!
//! ```
//! use gatehouse_scim::{ResourceKind, check_resource};
//! use serde_json::json;
//!
//! let mut user = json!({
//!     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:example:custom:2.0:User"],
//!     "userName": "bjensen@example.com",
//!     "urn:example:custom:2.0:User": {"costCenter": "4130"}
//! });
//! let ignored = check_resource(&mut user, ResourceKind::User)?;
//! assert_eq!(ignored, ["urn:example:custom:2.0:User"]);
//! assert_eq!(user, json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bjensen@example.com"}));
//!
//! let mut typo = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userNmae": "bjensen"});
//! assert_eq!(check_resource(&mut typo, ResourceKind::User).unwrap_err().scim_type, Some("invalidValue"));
//! # Ok::<(), gatehouse_scim::ScimError>(())
//! ```

use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::schema::{AttrType, AttributeDef, ResourceKind, SchemaDef, common_attributes};

/// The most characters a text value may have.
pub const MAX_TEXT: usize = 2048;
/// The most characters a binary (base64) value may have: an X.509 certificate with a long chain fits.
pub const MAX_BINARY: usize = 16 * 1024;

/// Checks a `kind` resource as a client sent it and sets aside the extensions the server does not advertise.
///
/// Removes every top-level key that is a URN other than the core schema's and the advertised extensions' (and
/// that URN from `schemas`), and returns the URNs it removed, so the caller can log them. Keys are matched
/// case-insensitively (RFC 7643 §2.1).
///
/// # Errors
///
/// `invalidValue` naming the attribute when an attribute or sub-attribute of the core schema or of an advertised
/// extension is unknown, an extension's value is not an object, or a text value holds a control character or is
/// longer than [`MAX_TEXT`] ([`MAX_BINARY`] for binary values).
pub fn check_resource(resource: &mut Value, kind: ResourceKind) -> Result<Vec<String>, ScimError> {
    let Value::Object(fields) = resource else {
        return Err(ScimError::invalid_syntax("the resource must be a JSON object"));
    };
    let mut ignored = Vec::new();
    let keys: Vec<String> = fields.keys().cloned().collect();
    for key in keys {
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        if let Some(ext) = kind.extension(&key) {
            if let Some(v) = fields.get_mut(&key) {
                check_extension(ext, v)?;
            }
        } else if let Some(def) = top_level(kind, &key) {
            check_value(def, def.name, &fields[&key])?;
        } else if is_urn(&key) {
            fields.remove(&key);
            ignored.push(key);
        } else {
            return Err(ScimError::invalid_value(format!(
                "'{key}' is not an attribute of the {} schema",
                kind.core_schema().name
            )));
        }
    }
    if let Some(Value::Array(schemas)) = fields
        .iter_mut()
        .find(|(k, _)| k.eq_ignore_ascii_case("schemas"))
        .map(|(_, v)| v)
    {
        let advertised = |urn: &str| kind.core_schema().id.eq_ignore_ascii_case(urn) || kind.extension(urn).is_some();
        schemas.retain(|s| match s.as_str() {
            Some(urn) if !advertised(urn) => {
                if !ignored.iter().any(|i| i.eq_ignore_ascii_case(urn)) {
                    ignored.push(urn.to_owned());
                }
                false
            }
            _ => true,
        });
    }
    Ok(ignored)
}

fn is_urn(key: &str) -> bool {
    key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
}

/// A common attribute (`id`, `externalId`, `meta`) or one of the core schema's.
fn top_level(kind: ResourceKind, name: &str) -> Option<&'static AttributeDef> {
    common_attributes()
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(name))
        .or_else(|| kind.core_schema().attribute(name))
}

/// An advertised extension's object: its attributes only. A `schemas` key inside it (as some clients send the
/// extension as a resource fragment) is dropped; the resource's own `schemas` names the extension.
fn check_extension(ext: &'static SchemaDef, value: &mut Value) -> Result<(), ScimError> {
    let fields = match value {
        Value::Object(fields) => fields,
        Value::Null => return Ok(()),
        _ => {
            return Err(ScimError::invalid_value(format!(
                "'{}' must be an object of its attributes",
                ext.id
            )));
        }
    };
    fields.retain(|k, _| !k.eq_ignore_ascii_case("schemas"));
    for (key, v) in fields.iter() {
        let def = ext.attribute(key).ok_or_else(|| {
            ScimError::invalid_value(format!("'{key}' is not an attribute of the {} extension", ext.id))
        })?;
        check_value(def, &format!("{}:{}", ext.id, def.name), v)?;
    }
    Ok(())
}

/// One attribute's value: each element of a multi-valued one, each sub-attribute of a complex one.
fn check_value(def: &'static AttributeDef, what: &str, value: &Value) -> Result<(), ScimError> {
    match value {
        Value::Array(items) if def.multi_valued => items.iter().try_for_each(|v| check_single(def, what, v)),
        v => check_single(def, what, v),
    }
}

fn check_single(def: &'static AttributeDef, what: &str, value: &Value) -> Result<(), ScimError> {
    match value {
        Value::Object(fields) if def.attr_type == AttrType::Complex => check_complex(def, what, fields),
        Value::String(s) => check_text(def, what, s),
        // Types are the attribute's business (PATCH coerces "True" for booleans, a plain id for `manager`);
        // what matters here is that nothing unknown or unbounded is kept.
        _ => Ok(()),
    }
}

fn check_complex(def: &'static AttributeDef, what: &str, fields: &Map<String, Value>) -> Result<(), ScimError> {
    for (key, v) in fields {
        let sub = def
            .sub_attribute(key)
            .ok_or_else(|| ScimError::invalid_value(format!("'{key}' is not a sub-attribute of '{what}'")))?;
        match v {
            Value::String(s) => check_text(sub, &format!("{what}.{}", sub.name), s)?,
            Value::Array(_) | Value::Object(_) => {
                return Err(ScimError::invalid_value(format!(
                    "'{what}.{}' must be a single value",
                    sub.name
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Text: no control characters but tab, line feed and carriage return, and bounded in size.
fn check_text(def: &AttributeDef, what: &str, text: &str) -> Result<(), ScimError> {
    if text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        return Err(ScimError::invalid_value(format!(
            "'{what}' must not contain control characters"
        )));
    }
    let max = if def.attr_type == AttrType::Binary {
        MAX_BINARY
    } else {
        MAX_TEXT
    };
    if text.chars().count() > max {
        return Err(ScimError::invalid_value(format!(
            "'{what}' must be at most {max} characters"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA};
    use serde_json::json;

    fn user(extra: Value) -> Value {
        let mut u = json!({"schemas": [USER_SCHEMA], "userName": "bjensen@example.com"});
        if let Value::Object(fields) = extra {
            u.as_object_mut().unwrap().extend(fields);
        }
        u
    }

    fn refused(mut r: Value, kind: ResourceKind) -> String {
        let e = check_resource(&mut r, kind).unwrap_err();
        assert_eq!((e.status, e.scim_type), (400, Some("invalidValue")), "{}", e.detail);
        e.detail
    }

    #[test]
    fn the_rfc_7643_full_user_passes_untouched() {
        let full = json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
            "id": "2819c223", "externalId": "701984", "userName": "bjensen@example.com",
            "name": {"formatted": "Ms. Barbara J Jensen, III", "familyName": "Jensen", "givenName": "Barbara"},
            "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
            "addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza\nHollywood", "primary": true}],
            "groups": [{"value": "e9e30dba", "$ref": "https://example.com/v2/Groups/e9e30dba", "display": "Tour Guides"}],
            "active": true, "password": "t1meMa$heen",
            ENTERPRISE_USER_SCHEMA: {"employeeNumber": "701984", "manager": {"value": "26118915", "displayName": "John Smith"}},
            "meta": {"resourceType": "User", "version": "W/\"3694e05e9dff591\""}
        });
        let mut checked = full.clone();
        assert!(check_resource(&mut checked, ResourceKind::User).unwrap().is_empty());
        assert_eq!(checked, full);
    }

    #[test]
    fn unknown_attributes_of_the_core_and_enterprise_schemas_are_refused_by_name() {
        assert!(refused(user(json!({"nickname2": "x"})), ResourceKind::User).contains("'nickname2'"));
        assert!(
            refused(
                user(json!({"name": {"givenName": "B", "nick": "x"}})),
                ResourceKind::User
            )
            .contains("'nick'")
        );
        assert!(
            refused(
                user(json!({"emails": [{"value": "a@example.com", "label": "x"}]})),
                ResourceKind::User
            )
            .contains("'label' is not a sub-attribute of 'emails'")
        );
        assert!(
            refused(
                user(json!({ENTERPRISE_USER_SCHEMA: {"costCentre": "x"}})),
                ResourceKind::User
            )
            .contains("'costCentre'")
        );
        refused(user(json!({ENTERPRISE_USER_SCHEMA: "Tours"})), ResourceKind::User);
        refused(
            json!({"schemas": [GROUP_SCHEMA], "displayName": "Ops", "owner": "x"}),
            ResourceKind::Group,
        );
    }

    #[test]
    fn extensions_the_server_does_not_advertise_are_set_aside_and_named() {
        let custom = "urn:ietf:params:scim:schemas:extension:CustomExtension:2.0:User";
        let mut r = user(json!({custom: {"tag": "x"}, "schemas": [USER_SCHEMA, custom, "urn:okta:listed:only"]}));
        let ignored = check_resource(&mut r, ResourceKind::User).unwrap();
        assert_eq!(ignored, [custom, "urn:okta:listed:only"]);
        assert_eq!(r, user(json!({})));
    }

    #[test]
    fn the_enterprise_extension_may_carry_its_own_schemas_key() {
        let mut r = user(json!({ENTERPRISE_USER_SCHEMA: {"schemas": [ENTERPRISE_USER_SCHEMA], "department": "Tours"}}));
        check_resource(&mut r, ResourceKind::User).unwrap();
        assert_eq!(r[ENTERPRISE_USER_SCHEMA], json!({"department": "Tours"}));
    }

    #[test]
    fn control_characters_and_oversize_text_are_refused_anywhere() {
        assert!(refused(user(json!({"title": "a\u{7}b"})), ResourceKind::User).contains("'title'"));
        assert!(
            refused(user(json!({"name": {"givenName": "a\u{1b}[31m"}})), ResourceKind::User)
                .contains("'name.givenName'")
        );
        assert!(
            refused(
                user(json!({ENTERPRISE_USER_SCHEMA: {"department": "\u{0}"}})),
                ResourceKind::User
            )
            .contains("enterprise:2.0:User:department")
        );
        assert!(refused(user(json!({"title": "x".repeat(MAX_TEXT + 1)})), ResourceKind::User).contains("at most 2048"));
        let mut long_cert = user(json!({"x509Certificates": [{"value": "A".repeat(MAX_TEXT * 2)}]}));
        check_resource(&mut long_cert, ResourceKind::User).unwrap();
        let mut lines = user(json!({"addresses": [{"formatted": "100 Universal City Plaza\r\n\tHollywood"}]}));
        check_resource(&mut lines, ResourceKind::User).unwrap();
    }
}
