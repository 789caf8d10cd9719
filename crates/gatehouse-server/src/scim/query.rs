//! /Users queries as the store answers them: a validated filter becomes a [`UserPredicate`] and
//! `sortBy` a [`UserSort`], so every listing runs as bound SQL, whatever the directory's size.
//! Columns answer the attributes that have one (userName, externalId, id, active, meta); the
//! value index answers every other, typed as the schema types the attribute.

use super::common::ScimFail;
use gatehouse_core::directory::{
    ElementCondition, ElementPredicate, Literal, MetaCondition, SortKey, TextOp, UserPredicate, UserSort,
};
use gatehouse_core::{Timestamp, value_index};
use gatehouse_scim::filter::{TypedAttr, TypedFilter, TypedValue};
use gatehouse_scim::schema::{AttrType, Returned};
use gatehouse_scim::{AttrPath, CompareOp, ResourceKind, ScimError};
use serde_json::json;

pub(super) fn text_op(op: CompareOp) -> TextOp {
    match op {
        CompareOp::Eq => TextOp::Eq,
        CompareOp::Ne => TextOp::Ne,
        CompareOp::Sw => TextOp::StartsWith,
        CompareOp::Ew => TextOp::EndsWith,
        CompareOp::Co => TextOp::Contains,
        CompareOp::Gt => TextOp::Gt,
        CompareOp::Ge => TextOp::Ge,
        CompareOp::Lt => TextOp::Lt,
        CompareOp::Le => TextOp::Le,
    }
}

/// A comparison's literal as the store compares it.
pub(super) enum Operand {
    /// `eq null` (absent) or `ne null` (present), RFC 7644 §3.4.2.2.
    Null,
    Literal(TextOp, Literal),
    /// Decided without looking: true or false for every value.
    Always(bool),
}

pub(super) fn operand(attr: &TypedAttr, op: CompareOp, value: &TypedValue) -> Operand {
    let op = text_op(op);
    let literal = match value {
        TypedValue::Null => return Operand::Null,
        TypedValue::String(s) => Literal::Text {
            value: s.clone(),
            case_exact: attr.case_exact(),
        },
        TypedValue::Boolean(b) => Literal::Bool(*b),
        TypedValue::Integer(i) => Literal::Number(*i as f64),
        TypedValue::Decimal(d) => Literal::Number(*d),
        TypedValue::DateTime(t) => {
            return match instant(op, t.unix_timestamp_nanos()) {
                Ok((op, at)) => Operand::Literal(op, Literal::Instant(at)),
                Err(always) => Operand::Always(always),
            };
        }
    };
    Operand::Literal(op, literal)
}

/// A dateTime literal at the millisecond precision the store keeps. A literal with finer digits
/// lies strictly between two milliseconds: `eq` never holds, `ne` always does, and each ordering
/// operator becomes the one that stays exact on whole milliseconds.
fn instant(op: TextOp, nanos: i128) -> Result<(TextOp, Timestamp), bool> {
    let ms = Timestamp::from_millis(nanos.div_euclid(1_000_000) as i64);
    if nanos.rem_euclid(1_000_000) == 0 {
        return Ok((op, ms));
    }
    match op {
        TextOp::Gt | TextOp::Ge => Ok((TextOp::Gt, ms)),
        TextOp::Lt | TextOp::Le => Ok((TextOp::Le, ms)),
        TextOp::Ne => Err(true),
        TextOp::Eq | TextOp::StartsWith | TextOp::EndsWith | TextOp::Contains => Err(false),
    }
}

fn always(b: bool) -> UserPredicate {
    if b { UserPredicate::All } else { UserPredicate::none() }
}

/// The filter as a predicate the store runs in SQL (every valid filter has one).
pub fn predicate(f: &TypedFilter, base: &str) -> UserPredicate {
    match f {
        TypedFilter::And(a, b) => UserPredicate::And(Box::new(predicate(a, base)), Box::new(predicate(b, base))),
        TypedFilter::Or(a, b) => UserPredicate::Or(Box::new(predicate(a, base)), Box::new(predicate(b, base))),
        TypedFilter::Not(a) => UserPredicate::Not(Box::new(predicate(a, base))),
        TypedFilter::Compare { attr, op, value } => compare(f, attr, *op, value, base),
        TypedFilter::Present { attr } => present(attr),
        // `meta` is single-valued and always there: its value path is its filter, on the columns.
        TypedFilter::ValuePath { attr, filter } if is_core(attr, "meta") => predicate(&under("meta", filter), base),
        TypedFilter::ValuePath { attr, filter } => {
            let parent = index_path(attr);
            UserPredicate::Element {
                filter: element(filter, &parent),
                attr: parent,
            }
        }
    }
}

pub(super) fn is_core(attr: &TypedAttr, name: &str) -> bool {
    attr.path.urn.is_none() && attr.path.attr.eq_ignore_ascii_case(name)
}

/// The attribute's sub-attribute, lower-cased, when it names one.
pub(super) fn sub(attr: &TypedAttr) -> Option<String> {
    attr.path.sub_attr.as_deref().map(str::to_ascii_lowercase)
}

/// The inner filter of `parent[...]` with its paths made absolute (`created` -> `meta.created`).
pub(super) fn under(parent: &str, f: &TypedFilter) -> TypedFilter {
    let lift = |attr: &TypedAttr| TypedAttr {
        path: AttrPath::with_sub(parent, attr.path.attr.clone()),
        ..attr.clone()
    };
    match f {
        TypedFilter::And(a, b) => TypedFilter::And(Box::new(under(parent, a)), Box::new(under(parent, b))),
        TypedFilter::Or(a, b) => TypedFilter::Or(Box::new(under(parent, a)), Box::new(under(parent, b))),
        TypedFilter::Not(a) => TypedFilter::Not(Box::new(under(parent, a))),
        TypedFilter::Compare { attr, op, value } => TypedFilter::Compare {
            attr: lift(attr),
            op: *op,
            value: value.clone(),
        },
        TypedFilter::Present { attr } => TypedFilter::Present { attr: lift(attr) },
        // The validator refuses nested value paths.
        TypedFilter::ValuePath { .. } => f.clone(),
    }
}

/// `attr op value` on a top-level attribute: a column where there is one, else the value index.
fn compare(f: &TypedFilter, attr: &TypedAttr, op: CompareOp, value: &TypedValue, base: &str) -> UserPredicate {
    let operand = operand(attr, op, value);
    // `eq null` on an attribute every user has matches nobody; `ne null` everybody.
    let null = |present: UserPredicate| match op {
        CompareOp::Eq => UserPredicate::Not(Box::new(present)),
        _ => present,
    };
    let text = |build: fn(TextOp, String) -> UserPredicate| match (&operand, value) {
        (Operand::Null, _) => null(UserPredicate::All),
        (Operand::Literal(op, _), TypedValue::String(s)) => build(*op, s.clone()),
        _ => UserPredicate::none(),
    };
    let name = attr.path.attr.to_ascii_lowercase();
    match (attr.path.urn.is_none(), name.as_str(), sub(attr).as_deref()) {
        (true, "username", None) => text(UserPredicate::UserName),
        (true, "externalid", None) => match operand {
            Operand::Null => null(UserPredicate::ExternalIdPresent),
            _ => text(UserPredicate::ExternalId),
        },
        (true, "id", None) => text(UserPredicate::Id),
        (true, "active", None) => match (&operand, value) {
            (Operand::Null, _) => null(UserPredicate::All),
            (_, TypedValue::Boolean(_)) => {
                // Whichever of true and false meets the comparison (only eq and ne are valid).
                let holds = |x: bool| f.matches(&json!({ "active": x }));
                match (holds(true), holds(false)) {
                    (true, true) => UserPredicate::All,
                    (true, false) => UserPredicate::Active(true),
                    (false, true) => UserPredicate::Active(false),
                    (false, false) => UserPredicate::none(),
                }
            }
            _ => UserPredicate::none(),
        },
        (true, "meta", Some(sub)) => match meta(f, sub, &operand, value, base, "User") {
            MetaFilter::Null => null(UserPredicate::All),
            MetaFilter::Always(b) => always(b),
            MetaFilter::Condition(c) => UserPredicate::Meta(c),
        },
        _ => {
            let path = index_path(attr);
            match operand {
                Operand::Null => null(UserPredicate::Present { path, complex: false }),
                Operand::Literal(op, value) => UserPredicate::Value(ElementCondition { path, op, value }),
                Operand::Always(b) => always(b),
            }
        }
    }
}

/// What a comparison on `meta.<sub>` comes to, for users and groups alike.
pub(super) enum MetaFilter {
    /// `eq null` / `ne null`: every resource has its `meta`.
    Null,
    /// The same for every resource, decided here.
    Always(bool),
    Condition(MetaCondition),
}

/// `meta.*`: computed when the resource is served, so compared on the columns behind it.
/// `resource_type` is what `meta.resourceType` holds (`User`, `Group`).
pub(super) fn meta(
    f: &TypedFilter,
    sub: &str,
    operand: &Operand,
    value: &TypedValue,
    base: &str,
    resource_type: &str,
) -> MetaFilter {
    match (sub, operand, value) {
        (_, Operand::Null, _) => MetaFilter::Null,
        (_, Operand::Always(b), _) => MetaFilter::Always(*b),
        ("created", Operand::Literal(op, Literal::Instant(t)), _) => {
            MetaFilter::Condition(MetaCondition::Created(*op, *t))
        }
        ("lastmodified", Operand::Literal(op, Literal::Instant(t)), _) => {
            MetaFilter::Condition(MetaCondition::LastModified(*op, *t))
        }
        ("version", Operand::Literal(op, _), TypedValue::String(s)) => {
            MetaFilter::Condition(MetaCondition::Version(*op, s.clone()))
        }
        ("location", Operand::Literal(op, _), TypedValue::String(s)) => {
            MetaFilter::Condition(MetaCondition::Location {
                base: base.to_owned(),
                op: *op,
                value: s.clone(),
            })
        }
        ("resourcetype", _, _) => MetaFilter::Always(f.matches(&json!({ "meta": { "resourceType": resource_type } }))),
        _ => MetaFilter::Always(false),
    }
}

/// `attr pr` (RFC 7644 §3.4.2.2): a non-empty value; for a complex attribute, any sub-attribute's.
fn present(attr: &TypedAttr) -> UserPredicate {
    let name = attr.path.attr.to_ascii_lowercase();
    match (attr.path.urn.is_none(), name.as_str(), attr.path.sub_attr.is_some()) {
        // Always there.
        (true, "username" | "id" | "active" | "meta", _) => UserPredicate::All,
        (true, "externalid", false) => UserPredicate::ExternalIdPresent,
        _ => UserPredicate::Present {
            path: index_path(attr),
            complex: attr.attr_type() == AttrType::Complex,
        },
    }
}

/// The inside of a value path, on one element of the attribute at `parent`.
fn element(f: &TypedFilter, parent: &str) -> ElementPredicate {
    let path = |attr: &TypedAttr| format!("{parent}.{}", attr.path.attr.to_lowercase());
    match f {
        TypedFilter::And(a, b) => ElementPredicate::And(Box::new(element(a, parent)), Box::new(element(b, parent))),
        TypedFilter::Or(a, b) => ElementPredicate::Or(Box::new(element(a, parent)), Box::new(element(b, parent))),
        TypedFilter::Not(a) => ElementPredicate::Not(Box::new(element(a, parent))),
        TypedFilter::Present { attr } => ElementPredicate::Present(path(attr)),
        TypedFilter::Compare { attr, op, value } => match operand(attr, *op, value) {
            Operand::Null if *op == CompareOp::Eq => {
                ElementPredicate::Not(Box::new(ElementPredicate::Present(path(attr))))
            }
            Operand::Null => ElementPredicate::Present(path(attr)),
            Operand::Literal(op, value) => ElementPredicate::Compare(ElementCondition {
                path: path(attr),
                op,
                value,
            }),
            Operand::Always(true) => ElementPredicate::Any,
            Operand::Always(false) => ElementPredicate::Not(Box::new(ElementPredicate::Any)),
        },
        // The validator refuses nested value paths.
        TypedFilter::ValuePath { .. } => ElementPredicate::Not(Box::new(ElementPredicate::Any)),
    }
}

/// The value index's path of an attribute (the convention is `gatehouse_core::value_index`'s).
fn index_path(attr: &TypedAttr) -> String {
    let p = value_index::attr_path(attr.path.urn.as_deref(), &attr.path.attr);
    match &attr.path.sub_attr {
        Some(s) => value_index::sub_path(&p, s),
        None => p,
    }
}

/// `sortBy` (RFC 7644 §3.4.2.3): a column where there is one, else the attribute's indexed
/// value, typed by the schema. No `sortBy` sorts by id.
pub fn sort(by: Option<&str>) -> Result<UserSort, ScimFail> {
    let Some(by) = by.map(str::trim).filter(|b| !b.is_empty()) else {
        return Ok(UserSort::Id);
    };
    let invalid = |why: &str| ScimFail(ScimError::invalid_value(format!("sortBy {by:?} {why}.")));
    let path = AttrPath::parse(by).map_err(|_| invalid("is not an attribute path"))?;
    let r = gatehouse_scim::schema::resolve_path(ResourceKind::User, &path)
        .map_err(|_| invalid("is not a User attribute"))?;
    if r.attr.returned == Returned::Never || r.leaf().returned == Returned::Never {
        return Err(invalid("cannot be sorted on"));
    }
    let sub = r.sub.map(|s| s.name.to_ascii_lowercase());
    let column = match (
        r.extension.is_none(),
        r.attr.name.to_ascii_lowercase().as_str(),
        sub.as_deref(),
    ) {
        // meta.location is `<base>/Users/<id>`, and meta.resourceType the same for every user:
        // id order either way.
        (true, "id", None) | (true, "meta", Some("location" | "resourcetype")) => Some(UserSort::Id),
        (true, "username", None) => Some(UserSort::UserName),
        (true, "externalid", None) => Some(UserSort::ExternalId),
        (true, "emails", None | Some("value")) => Some(UserSort::Email),
        (true, "active", None) => Some(UserSort::Active),
        (true, "meta", Some("created")) => Some(UserSort::Created),
        (true, "meta", Some("lastmodified")) => Some(UserSort::LastModified),
        (true, "meta", Some("version")) => Some(UserSort::Version),
        _ => None,
    };
    if let Some(c) = column {
        return Ok(c);
    }
    // A complex attribute sorts by its `value` (RFC 7644 §3.4.2.3 names the primary value).
    let leaf = match r.sub {
        Some(s) => s,
        None if r.attr.attr_type == AttrType::Complex => r
            .attr
            .sub_attribute("value")
            .ok_or_else(|| invalid("is complex: name one of its sub-attributes"))?,
        None => r.attr,
    };
    let top = match r.extension {
        Some(urn) => format!("{urn}:{}", r.attr.name),
        None => r.attr.name.to_owned(),
    };
    let nested = r.attr.attr_type == AttrType::Complex;
    let key = match leaf.attr_type {
        AttrType::Integer | AttrType::Decimal => SortKey::Number,
        AttrType::DateTime => SortKey::Instant,
        AttrType::Boolean => SortKey::Exact,
        _ if leaf.case_exact => SortKey::Exact,
        _ => SortKey::Folded,
    };
    Ok(UserSort::Value {
        path: if nested {
            format!("{top}.{}", leaf.name).to_lowercase()
        } else {
            top.to_lowercase()
        },
        primary: (r.attr.multi_valued && nested && r.attr.sub_attribute("primary").is_some())
            .then(|| format!("{top}.primary").to_lowercase()),
        key,
    })
}
