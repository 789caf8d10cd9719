//! SCIM PATCH (RFC 7644 §3.5.2) applied to a resource held as JSON.
//!
//! [`apply_patch`] validates the request, applies its operations in order to a copy of the resource, and only
//! replaces the resource when every operation succeeded (RFC 7644 §3.5.2: the PATCH is atomic). Besides RFC
//! requests it accepts the shapes Microsoft Entra ID and Okta are documented to send (see [`apply_patch`]).

mod apply;
mod ops;
mod value;

pub use ops::{MemberChanges, PatchOpKind, PatchOperation, PatchOutcome};

use std::collections::BTreeSet;

use serde_json::Value;

use crate::error::ScimError;
use crate::filter::eval::get_ci;
use crate::path::parse_path;
use crate::schema::ResourceKind;

/// `urn:ietf:params:scim:api:messages:2.0:PatchOp` (RFC 7644 §3.5.2).
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// Validates a PATCH request body (RFC 7644 §3.5.2) and parses its paths.
///
/// Member names of the body and of each operation (`schemas`, `Operations`, `op`, `path`, `value`) are matched
/// case-insensitively; an empty `path` counts as absent.
///
/// # Errors
///
/// `invalidSyntax` when the body is not an object, `schemas` lacks [`PATCH_OP_SCHEMA`], `Operations` is not a
/// non-empty array, or an operation is not an object with an `op` of add/remove/replace; `invalidPath` when a
/// `path` does not parse.
pub fn parse_patch_request(request: &Value) -> Result<Vec<PatchOperation>, ScimError> {
    if !request.is_object() {
        return Err(ScimError::invalid_syntax("the PATCH body must be a JSON object"));
    }
    let has_schema = get_ci(request, "schemas").and_then(Value::as_array).is_some_and(|s| {
        s.iter()
            .any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(PATCH_OP_SCHEMA)))
    });
    if !has_schema {
        return Err(ScimError::invalid_syntax(format!(
            "'schemas' must contain \"{PATCH_OP_SCHEMA}\""
        )));
    }
    let operations = match get_ci(request, "Operations") {
        Some(Value::Array(ops)) if !ops.is_empty() => ops,
        Some(Value::Array(_)) => return Err(ScimError::invalid_syntax("'Operations' must not be empty")),
        _ => return Err(ScimError::invalid_syntax("'Operations' must be an array of operations")),
    };
    operations
        .iter()
        .enumerate()
        .map(|(i, op)| parse_operation(op).map_err(|e| in_op(e, i)))
        .collect()
}

fn in_op(mut err: ScimError, index: usize) -> ScimError {
    err.detail = format!("Operations[{index}]: {}", err.detail);
    err
}

fn parse_operation(operation: &Value) -> Result<PatchOperation, ScimError> {
    if !operation.is_object() {
        return Err(ScimError::invalid_syntax("an operation must be a JSON object"));
    }
    let op = match get_ci(operation, "op").and_then(Value::as_str) {
        Some(name) if name.eq_ignore_ascii_case("add") => PatchOpKind::Add,
        Some(name) if name.eq_ignore_ascii_case("remove") => PatchOpKind::Remove,
        Some(name) if name.eq_ignore_ascii_case("replace") => PatchOpKind::Replace,
        Some(name) => {
            return Err(ScimError::invalid_syntax(format!(
                "unknown op '{name}', expected add, remove or replace"
            )));
        }
        None => return Err(ScimError::invalid_syntax("'op' is missing or not a string")),
    };
    let path = match get_ci(operation, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) if p.trim().is_empty() => None,
        Some(Value::String(p)) => Some(parse_path(p)?),
        Some(_) => return Err(ScimError::invalid_path("'path' must be a string")),
    };
    let value = get_ci(operation, "value").cloned();
    Ok(PatchOperation { op, path, value })
}

/// Applies a PATCH request (RFC 7644 §3.5.2) to `resource`, a `kind` resource as JSON (core attributes at the top
/// level, extension attributes under their schema URN, RFC 7643 §3).
///
/// All operations apply to a copy, which replaces `resource` only if all succeed. Semantics, per RFC 7644:
/// - `add` (§3.5.2.1) appends to multi-valued attributes (skipping values already present; Group members by
///   `value`), merges sub-attributes into complex attributes and sets simple ones. Without `path`, `value` is an
///   object of attributes; keys may be URN-qualified (`urn:…:User:employeeNumber`), dotted (`name.givenName`, as
///   Entra sends) or an extension URN holding an object.
/// - `replace` (§3.5.2.3) replaces simple and multi-valued attributes and merges complex ones; with a value filter
///   it updates the matching values (their sub-attributes are merged), and fails with `noTarget` if none match.
///   `add` with an `eq` filter that matches nothing (`emails[type eq "work"].value`) creates the value instead.
/// - `remove` (§3.5.2.2) needs a `path` (else `noTarget`); with a value filter it removes the matching values
///   (nothing matching is not an error, so retries are harmless); with a `value` array on a multi-valued attribute
///   (`{"op":"remove","path":"members","value":[{"value":"id"}]}`, as Entra and Okta send) it removes those values.
/// - `null` or `[]` as a value unassigns the attribute (RFC 7643 §2.5); boolean strings such as `"False"` are
///   accepted for booleans; a string for a complex attribute with a `value` sub-attribute (Entra's `manager`) is
///   read as `{"value": …}`; setting `primary: true` on one value clears it on the others (RFC 7643 §2.4).
/// - An operation on an extension schema the server does not advertise is skipped and reported in
///   [`PatchOutcome::ignored`]; a whole advertised extension given as a value may carry its own `schemas` key.
/// - The `schemas` array gains or loses extension URNs as extension attributes appear or disappear.
///
/// # Errors
///
/// The errors of [`parse_patch_request`]; `invalidPath` for unknown attributes or sub-attributes; `invalidFilter`
/// for value filters that do not fit the attribute; `invalidValue` for missing values or values of the wrong
/// type; `mutability` for changes to `readOnly` attributes (`id`, `meta`, `groups`), changes to `immutable` ones
/// that already have a value, and removal of required ones (`userName`, Group `displayName`); `noTarget` as
/// above. The resource is unchanged on error.
pub fn apply_patch(resource: &mut Value, kind: ResourceKind, request: &Value) -> Result<PatchOutcome, ScimError> {
    let operations = parse_patch_request(request)?;
    let Value::Object(original) = &*resource else {
        return Err(ScimError::invalid_value("the resource to patch is not a JSON object"));
    };
    let mut doc = original.clone();
    let mut engine = apply::Engine::new(&mut doc, kind);
    for (i, operation) in operations.iter().enumerate() {
        engine.apply(operation).map_err(|e| in_op(e, i))?;
    }
    let (touched, members, ignored) = engine.finish();
    apply::normalize_extensions(&mut doc, kind);
    let mut changed: BTreeSet<String> = touched
        .into_iter()
        .filter(|(ext, name)| apply::lookup(original, *ext, name) != apply::lookup(&doc, *ext, name))
        .map(|(ext, name)| ext.map_or_else(|| name.to_owned(), |urn| format!("{urn}:{name}")))
        .collect();
    if value::get(original, "schemas") != value::get(&doc, "schemas") {
        changed.insert("schemas".to_owned());
    }
    *resource = Value::Object(doc);
    Ok(PatchOutcome {
        changed,
        members,
        ignored,
    })
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests_errors;
#[cfg(test)]
mod tests_rfc;
#[cfg(test)]
mod tests_vendors;
