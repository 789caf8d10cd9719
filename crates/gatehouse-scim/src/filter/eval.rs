//! Evaluating a [`TypedFilter`] against a resource held as JSON (RFC 7644 §3.4.2.2).
//!
//! A server filtering in SQL does not need this to list resources; PATCH uses it to pick the values a value path
//! selects, and it serves tests and comparisons whose answer is the same for every resource.

use std::cmp::Ordering;

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{AttrPath, CompareOp, TypedAttr, TypedFilter, TypedValue};

impl TypedFilter {
    /// Whether `resource` (or, for the inner filter of a value path, one value of the complex attribute) matches.
    ///
    /// Semantics: keys match case-insensitively; a multi-valued attribute matches when any value matches
    /// (RFC 7644 §3.4.2.2); `ne` is the negation of `eq`, so it also matches an absent attribute; `eq null` means
    /// absent and `ne null` present; strings of attributes with `caseExact` false compare case-insensitively;
    /// dateTimes compare chronologically and numbers numerically; a stored value of the wrong type never matches.
    pub fn matches(&self, resource: &Value) -> bool {
        match self {
            Self::And(l, r) => l.matches(resource) && r.matches(resource),
            Self::Or(l, r) => l.matches(resource) || r.matches(resource),
            Self::Not(inner) => !inner.matches(resource),
            Self::Present { attr } => values_at(resource, &attr.path).into_iter().any(is_present),
            Self::Compare {
                attr,
                op: CompareOp::Eq,
                value,
            } => any_equal(resource, attr, value),
            Self::Compare {
                attr,
                op: CompareOp::Ne,
                value,
            } => !any_equal(resource, attr, value),
            Self::Compare { attr, op, value } => values_at(resource, &attr.path)
                .into_iter()
                .any(|v| compare(attr, *op, v, value)),
            Self::ValuePath { attr, filter } => values_at(resource, &attr.path)
                .into_iter()
                .any(|element| filter.matches(element)),
        }
    }
}

fn any_equal(resource: &Value, attr: &TypedAttr, value: &TypedValue) -> bool {
    let values = values_at(resource, &attr.path);
    match value {
        // `eq null` holds when the attribute is absent (RFC 7643 §2.5: null and unassigned are the same state).
        TypedValue::Null => !values.into_iter().any(is_present),
        _ => values.into_iter().any(|v| compare(attr, CompareOp::Eq, v, value)),
    }
}

/// The value of `key` in `object`, matching the key case-insensitively (RFC 7643 §2.1).
pub(crate) fn get_ci<'v>(object: &'v Value, key: &str) -> Option<&'v Value> {
    let map = object.as_object()?;
    map.get(key)
        .or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
}

/// All non-null values at `path`, flattening multi-valued attributes.
fn values_at<'v>(root: &'v Value, path: &AttrPath) -> Vec<&'v Value> {
    let container = match &path.urn {
        Some(urn) => get_ci(root, urn),
        None => Some(root),
    };
    let mut out = Vec::new();
    let Some(top) = container.and_then(|c| get_ci(c, &path.attr)) else {
        return out;
    };
    let mut tops = Vec::new();
    flatten(top, &mut tops);
    match &path.sub_attr {
        None => out = tops,
        Some(sub) => {
            for element in tops {
                if let Some(v) = get_ci(element, sub) {
                    flatten(v, &mut out);
                }
            }
        }
    }
    out
}

fn flatten<'v>(value: &'v Value, out: &mut Vec<&'v Value>) {
    match value {
        Value::Null => {}
        Value::Array(items) => out.extend(items.iter().filter(|v| !v.is_null())),
        other => out.push(other),
    }
}

/// RFC 7644 §3.4.2.2 `pr`: "has a non-empty value, or ... a non-empty node for complex attributes".
fn is_present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => a.iter().any(is_present),
        Value::Object(o) => o.values().any(is_present),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

fn compare(attr: &TypedAttr, op: CompareOp, stored: &Value, literal: &TypedValue) -> bool {
    match (literal, stored) {
        (TypedValue::String(lit), Value::String(s)) => {
            if attr.case_exact() {
                string_op(op, s, lit)
            } else {
                string_op(op, &s.to_lowercase(), &lit.to_lowercase())
            }
        }
        (TypedValue::Boolean(lit), Value::Bool(b)) => ordering_op(op, b.cmp(lit)),
        (TypedValue::Integer(lit), Value::Number(n)) => match n.as_i64() {
            Some(i) => ordering_op(op, i.cmp(lit)),
            // A stored fraction or huge number against an integer literal: compare as f64; rounding literals
            // beyond 2^53 is acceptable for a filter.
            #[allow(clippy::cast_precision_loss)]
            None => n
                .as_f64()
                .and_then(|f| f.partial_cmp(&(*lit as f64)))
                .is_some_and(|o| ordering_op(op, o)),
        },
        (TypedValue::Decimal(lit), Value::Number(n)) => n
            .as_f64()
            .and_then(|f| f.partial_cmp(lit))
            .is_some_and(|o| ordering_op(op, o)),
        (TypedValue::DateTime(lit), Value::String(s)) => {
            OffsetDateTime::parse(s, &Rfc3339).is_ok_and(|t| ordering_op(op, t.cmp(lit)))
        }
        _ => false,
    }
}

fn string_op(op: CompareOp, stored: &str, literal: &str) -> bool {
    match op {
        CompareOp::Co => stored.contains(literal),
        CompareOp::Sw => stored.starts_with(literal),
        CompareOp::Ew => stored.ends_with(literal),
        _ => ordering_op(op, stored.cmp(literal)),
    }
}

fn ordering_op(op: CompareOp, ord: Ordering) -> bool {
    match op {
        CompareOp::Eq => ord.is_eq(),
        CompareOp::Ne => ord.is_ne(),
        CompareOp::Gt => ord.is_gt(),
        CompareOp::Ge => ord.is_ge(),
        CompareOp::Lt => ord.is_lt(),
        CompareOp::Le => ord.is_le(),
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}
