//! Value handling for PATCH: case-insensitive keys, type checks and coercion against the schema (RFC 7643 §2.3),
//! mutability checks (RFC 7643 §2.2, RFC 7644 §3.5.2) and the single-`primary` rule (RFC 7643 §2.4).

use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::ScimError;
use crate::filter::typed::type_name;
use crate::schema::{AttrType, AttributeDef, Mutability};

/// The actual key in `map` that equals `name` ignoring ASCII case (RFC 7643 §2.1).
pub(super) fn find_key(map: &Map<String, Value>, name: &str) -> Option<String> {
    if map.contains_key(name) {
        return Some(name.to_owned());
    }
    map.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
}

/// The value under `name`, matching case-insensitively.
pub(super) fn get<'m>(map: &'m Map<String, Value>, name: &str) -> Option<&'m Value> {
    find_key(map, name).and_then(|k| map.get(&k))
}

/// Removes and returns the value under `name`, matching case-insensitively.
pub(super) fn take(map: &mut Map<String, Value>, name: &str) -> Option<Value> {
    find_key(map, name).and_then(|k| map.remove(&k))
}

/// Stores `value` under the canonical `name`, replacing a key that differs only in case.
pub(super) fn put(map: &mut Map<String, Value>, name: &str, value: Value) {
    if let Some(k) = find_key(map, name).filter(|k| k != name) {
        map.remove(&k);
    }
    map.insert(name.to_owned(), value);
}

/// Whether a value counts as unassigned: null or an empty array (RFC 7643 §2.5).
pub(super) fn is_unassigned(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

/// Checks and normalises a whole attribute value: an array for multi-valued attributes (a single value is
/// accepted and wrapped), one value otherwise. `null` stays `null`, meaning "unassign".
pub(super) fn coerce(def: &'static AttributeDef, value: &Value) -> Result<Value, ScimError> {
    match value {
        Value::Null => Ok(Value::Null),
        Value::Array(items) if def.multi_valued => items
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| coerce_single(def, v))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        _ if def.multi_valued => Ok(Value::Array(vec![coerce_single(def, value)?])),
        _ => coerce_single(def, value),
    }
}

/// Checks and normalises one value of `def` (one element, for a multi-valued attribute).
///
/// Beyond strict JSON types this accepts what real clients send: `"True"`/`"False"` strings for booleans
/// (Microsoft Entra ID without `aadOptscim062020`), and a bare string for a complex attribute with a `value`
/// sub-attribute (Entra's `manager`), read as `{"value": string}`. Inside complex values, null sub-attributes
/// (Entra's `"$ref": null`) are kept as null and `readOnly` sub-attributes are ignored as the server owns them
/// (RFC 7644 §3.5.1); sub-attribute names are put in canonical case.
pub(super) fn coerce_single(def: &'static AttributeDef, value: &Value) -> Result<Value, ScimError> {
    let mismatch = || {
        ScimError::invalid_value(format!(
            "'{}' is {}{}; {} is not a valid value",
            def.name,
            if def.multi_valued {
                "multi-valued, each value "
            } else {
                ""
            },
            type_name(def.attr_type),
            short(value)
        ))
    };
    match (def.attr_type, value) {
        (AttrType::String | AttrType::Reference | AttrType::Binary, Value::String(_))
        | (AttrType::Boolean, Value::Bool(_))
        | (AttrType::Decimal, Value::Number(_)) => Ok(value.clone()),
        (AttrType::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(value.clone()),
        (AttrType::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
        (AttrType::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
        (AttrType::DateTime, Value::String(s)) => match OffsetDateTime::parse(s, &Rfc3339) {
            Ok(_) => Ok(value.clone()),
            Err(e) => Err(ScimError::invalid_value(format!(
                "'{}' is a dateTime; \"{s}\" is not an RFC 3339 timestamp ({e})",
                def.name
            ))),
        },
        (AttrType::Complex, Value::String(_)) if def.sub_attribute("value").is_some() => {
            let mut out = Map::new();
            out.insert("value".to_owned(), value.clone());
            Ok(Value::Object(out))
        }
        (AttrType::Complex, Value::Object(fields)) => {
            let mut out = Map::new();
            for (key, v) in fields {
                let sub = def
                    .sub_attribute(key)
                    .ok_or_else(|| ScimError::invalid_value(format!("'{}' has no sub-attribute '{key}'", def.name)))?;
                if sub.mutability == Mutability::ReadOnly {
                    continue;
                }
                // A null sub-attribute is kept: merged into an existing value it unassigns that sub-attribute
                // (RFC 7643 §2.5); `strip_nulls` drops it from values stored whole.
                put(&mut out, sub.name, coerce(sub, v)?);
            }
            Ok(Value::Object(out))
        }
        _ => Err(mismatch()),
    }
}

/// Removes null sub-attributes from a complex value that is stored whole (e.g. a new `members` value).
pub(super) fn strip_nulls(mut value: Value) -> Value {
    if let Value::Object(fields) = &mut value {
        fields.retain(|_, v| !v.is_null());
    }
    value
}

/// Whether `item` is already among `items`: equal, or for complex values, an existing value has every
/// sub-attribute of `item` with the same value (RFC 7644 §3.5.2.1: adding a value already there changes nothing).
pub(super) fn contains_value(items: &[Value], item: &Value) -> bool {
    items.iter().any(|existing| match (existing, item) {
        (Value::Object(have), Value::Object(want)) => want.iter().all(|(k, v)| get(have, k) == Some(v)),
        _ => existing == item,
    })
}

/// At most 60 characters of a value, for error messages.
pub(super) fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}

/// Checks that `def` may go from `current` to `new` (RFC 7643 §2.2 mutability, RFC 7644 §3.5.2): `readOnly`
/// values may not change, `immutable` ones only when unassigned. Writing the value it already has is allowed, so
/// clients that echo `id` (Okta) or `meta` in a PATCH do not fail.
pub(super) fn check_mutability(
    def: &AttributeDef,
    what: &str,
    current: Option<&Value>,
    new: &Value,
) -> Result<(), ScimError> {
    let unchanged = current.is_some_and(|c| c == new) || (current.is_none_or(Value::is_null) && new.is_null());
    match def.mutability {
        Mutability::ReadOnly if !unchanged => Err(ScimError::mutability(format!(
            "'{what}' is readOnly and cannot be modified"
        ))),
        Mutability::Immutable if !unchanged && current.is_some_and(|c| !c.is_null()) => Err(ScimError::mutability(
            format!("'{what}' is immutable and already has a value"),
        )),
        _ => Ok(()),
    }
}

/// Checks that `def` may become unassigned: not `readOnly` or `immutable`, and not required
/// (RFC 7644 §3.5.2.2, last paragraph).
pub(super) fn check_removable(def: &AttributeDef, what: &str) -> Result<(), ScimError> {
    match def.mutability {
        Mutability::ReadOnly => Err(ScimError::mutability(format!(
            "'{what}' is readOnly and cannot be removed"
        ))),
        Mutability::Immutable => Err(ScimError::mutability(format!(
            "'{what}' is immutable and cannot be removed"
        ))),
        _ if def.required => Err(ScimError::mutability(format!(
            "'{what}' is required and cannot be removed"
        ))),
        _ => Ok(()),
    }
}

fn is_primary(item: &Value) -> bool {
    item.as_object().and_then(|o| get(o, "primary")) == Some(&Value::Bool(true))
}

/// Leaves at most one value with `"primary": true` (RFC 7643 §2.4): the last of `preferred` (the values this
/// operation wrote) that is primary, else the first primary one; the others get `"primary": false`.
pub(super) fn enforce_single_primary(items: &mut [Value], preferred: &[usize]) {
    let primaries: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, v)| is_primary(v))
        .map(|(i, _)| i)
        .collect();
    if primaries.len() < 2 {
        return;
    }
    let keep = preferred
        .iter()
        .rev()
        .copied()
        .find(|i| primaries.contains(i))
        .unwrap_or(primaries[0]);
    for i in primaries.into_iter().filter(|&i| i != keep) {
        if let Some(object) = items[i].as_object_mut() {
            put(object, "primary", Value::Bool(false));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::filter::AttrPath;
    use crate::schema::{ResourceKind, resolve};

    fn def(path: &str) -> &'static AttributeDef {
        resolve(ResourceKind::User, &AttrPath::parse(path).unwrap()).unwrap()
    }

    #[test]
    fn boolean_strings_in_any_case_become_booleans() {
        assert_eq!(coerce(def("active"), &json!("False")).unwrap(), json!(false));
        assert_eq!(coerce(def("active"), &json!("TRUE")).unwrap(), json!(true));
        assert_eq!(
            coerce(def("active"), &json!("yes")).unwrap_err().scim_type,
            Some("invalidValue")
        );
    }

    #[test]
    fn a_single_value_for_a_multi_valued_attribute_is_wrapped_in_an_array() {
        let v = coerce(def("emails"), &json!({"value": "a@example.com"})).unwrap();
        assert_eq!(v, json!([{"value": "a@example.com"}]));
    }

    #[test]
    fn sub_attribute_names_are_canonicalised_and_nulls_dropped() {
        let v = coerce_single(
            def("emails"),
            &json!({"VALUE": "a@example.com", "Type": "work", "display": null}),
        );
        assert_eq!(
            strip_nulls(v.unwrap()),
            json!({"value": "a@example.com", "type": "work"})
        );
    }

    #[test]
    fn unknown_sub_attributes_are_invalid_values() {
        let err = coerce_single(def("name"), &json!({"nickname": "x"})).unwrap_err();
        assert_eq!(err.scim_type, Some("invalidValue"));
    }

    #[test]
    fn date_times_must_be_rfc3339() {
        let created = resolve(ResourceKind::User, &AttrPath::with_sub("meta", "created")).unwrap();
        assert!(coerce(created, &json!("2011-08-01T18:29:49.793Z")).is_ok());
        assert_eq!(
            coerce(created, &json!("yesterday")).unwrap_err().scim_type,
            Some("invalidValue")
        );
    }

    #[test]
    fn only_one_value_stays_primary() {
        let mut items = vec![
            json!({"value": "a", "primary": true}),
            json!({"value": "b", "primary": true}),
        ];
        enforce_single_primary(&mut items, &[1]);
        assert_eq!(
            items,
            vec![
                json!({"value": "a", "primary": false}),
                json!({"value": "b", "primary": true})
            ]
        );
    }

    #[test]
    fn writing_the_current_value_of_a_read_only_attribute_is_allowed() {
        let id = def("id");
        assert!(check_mutability(id, "id", Some(&json!("1")), &json!("1")).is_ok());
        assert_eq!(
            check_mutability(id, "id", Some(&json!("1")), &json!("2"))
                .unwrap_err()
                .scim_type,
            Some("mutability")
        );
    }
}
