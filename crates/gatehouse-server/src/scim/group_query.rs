//! /Groups queries as the store answers them: a validated filter becomes a [`GroupPredicate`]
//! and `sortBy` a [`GroupSort`], so every listing runs as bound SQL. displayName, externalId,
//! id and meta compare on columns; `members` on the memberships, as `members` serves them.
//!
//! Members are the directory's users: `value` is the SCIM user id, `display` the account's
//! display name (what a group's `members[].display` shows; a user's own displayName, else its
//! formatted name, else its email's local part), `type` is always `User` and `$ref` is
//! `<base>/Users/<value>`.

use super::common::ScimFail;
use super::query::{MetaFilter, Operand, is_core, meta, operand, sub, text_op, under};
use gatehouse_core::directory::{GroupPredicate, GroupSort, MemberPredicate, TextOp};
use gatehouse_scim::filter::{TypedAttr, TypedFilter, TypedValue};
use gatehouse_scim::{AttrPath, CompareOp, ResourceKind, ScimError};
use serde_json::json;

/// The filter as a predicate the store runs in SQL. Only `schemas` is refused: a group's
/// `schemas` is served as its client wrote it, which no column holds.
pub fn predicate(f: &TypedFilter, base: &str) -> Result<GroupPredicate, ScimFail> {
    Ok(match f {
        TypedFilter::And(a, b) => GroupPredicate::And(Box::new(predicate(a, base)?), Box::new(predicate(b, base)?)),
        TypedFilter::Or(a, b) => GroupPredicate::Or(Box::new(predicate(a, base)?), Box::new(predicate(b, base)?)),
        TypedFilter::Not(a) => GroupPredicate::Not(Box::new(predicate(a, base)?)),
        TypedFilter::Compare { attr, op, value } => compare(f, attr, *op, value, base)?,
        TypedFilter::Present { attr } => present(attr)?,
        // `meta` is single-valued and always there: its value path is its filter, on the columns.
        TypedFilter::ValuePath { attr, filter } if is_core(attr, "meta") => predicate(&under("meta", filter), base)?,
        TypedFilter::ValuePath { attr, filter } if is_core(attr, "members") => {
            GroupPredicate::Member(member(filter, base))
        }
        TypedFilter::ValuePath { attr, .. } => return Err(unsupported(&attr.path)),
    })
}

fn unsupported(path: &AttrPath) -> ScimFail {
    ScimFail(ScimError::invalid_filter(format!(
        "Groups cannot be filtered on {path}: filter on displayName, externalId, id, meta or members."
    )))
}

fn group_always(b: bool) -> GroupPredicate {
    if b { GroupPredicate::All } else { GroupPredicate::none() }
}

/// `attr op value` on a top-level attribute (or a sub-attribute of `meta` or `members`).
fn compare(
    f: &TypedFilter,
    attr: &TypedAttr,
    op: CompareOp,
    value: &TypedValue,
    base: &str,
) -> Result<GroupPredicate, ScimFail> {
    let operand = operand(attr, op, value);
    // `eq null` on an attribute every group has matches none; `ne null` every one.
    let null = |present: GroupPredicate| match op {
        CompareOp::Eq => GroupPredicate::Not(Box::new(present)),
        _ => present,
    };
    let text = |build: fn(TextOp, String) -> GroupPredicate| match (&operand, value) {
        (Operand::Null, _) => null(GroupPredicate::All),
        (Operand::Literal(op, _), TypedValue::String(s)) => build(*op, s.clone()),
        _ => GroupPredicate::none(),
    };
    let name = attr.path.attr.to_ascii_lowercase();
    Ok(match (attr.path.urn.is_none(), name.as_str(), sub(attr).as_deref()) {
        (true, "displayname", None) => text(GroupPredicate::DisplayName),
        (true, "externalid", None) => match operand {
            Operand::Null => null(GroupPredicate::ExternalIdPresent),
            _ => text(GroupPredicate::ExternalId),
        },
        (true, "id", None) => text(GroupPredicate::Id),
        (true, "meta", Some(sub)) => match meta(f, sub, &operand, value, base, "Group") {
            MetaFilter::Null => null(GroupPredicate::All),
            MetaFilter::Always(b) => group_always(b),
            MetaFilter::Condition(c) => GroupPredicate::Meta(c),
        },
        (true, "members", Some(_)) => members_compare(f, attr, op, value, base),
        _ => return Err(unsupported(&attr.path)),
    })
}

/// `members.<sub> op value` (and `members op value`, which the validator reads as
/// `members.value`): some member meets it. `ne` is the negation of `eq` (RFC 7644 §3.4.2.2),
/// so it also holds for a group without members.
fn members_compare(f: &TypedFilter, attr: &TypedAttr, op: CompareOp, value: &TypedValue, base: &str) -> GroupPredicate {
    let sub = sub(attr).unwrap_or_default();
    if sub == "type" {
        // Every member is a User: the answer depends only on whether there is a member.
        let with = f.matches(&json!({ "members": [{ "type": "User" }] }));
        let without = f.matches(&json!({}));
        let some = || GroupPredicate::Member(MemberPredicate::Any);
        return match (with, without) {
            (true, true) => GroupPredicate::All,
            (true, false) => some(),
            (false, true) => GroupPredicate::Not(Box::new(some())),
            (false, false) => GroupPredicate::none(),
        };
    }
    let relative = TypedAttr {
        path: AttrPath::new(attr.def.name),
        ..attr.clone()
    };
    match (op, value) {
        (CompareOp::Eq, TypedValue::Null) => {
            GroupPredicate::Not(Box::new(GroupPredicate::Member(member_present(&relative))))
        }
        (_, TypedValue::Null) => GroupPredicate::Member(member_present(&relative)),
        (CompareOp::Ne, _) => GroupPredicate::Not(Box::new(GroupPredicate::Member(member_compare(
            &relative,
            CompareOp::Eq,
            value,
            base,
        )))),
        _ => GroupPredicate::Member(member_compare(&relative, op, value, base)),
    }
}

/// `attr pr` (RFC 7644 §3.4.2.2): a non-empty value; `members` through any member.
fn present(attr: &TypedAttr) -> Result<GroupPredicate, ScimFail> {
    let name = attr.path.attr.to_ascii_lowercase();
    Ok(match (attr.path.urn.is_none(), name.as_str()) {
        // Always there (a group's schemas include the Group schema: writes require it).
        (true, "displayname" | "id" | "meta" | "schemas") => GroupPredicate::All,
        (true, "externalid") => GroupPredicate::ExternalIdPresent,
        (true, "members") => GroupPredicate::Member(match attr.path.sub_attr {
            Some(_) => member_present(&TypedAttr {
                path: AttrPath::new(attr.def.name),
                ..attr.clone()
            }),
            None => MemberPredicate::Any,
        }),
        _ => return Err(unsupported(&attr.path)),
    })
}

/// The inside of `members[...]`, on one member.
fn member(f: &TypedFilter, base: &str) -> MemberPredicate {
    match f {
        TypedFilter::And(a, b) => MemberPredicate::And(Box::new(member(a, base)), Box::new(member(b, base))),
        TypedFilter::Or(a, b) => MemberPredicate::Or(Box::new(member(a, base)), Box::new(member(b, base))),
        TypedFilter::Not(a) => MemberPredicate::Not(Box::new(member(a, base))),
        TypedFilter::Present { attr } => member_present(attr),
        TypedFilter::Compare { attr, op, value } => match (op, value) {
            // `type` is the same for every member: decided on one.
            _ if attr.path.attr.eq_ignore_ascii_case("type") => {
                if f.matches(&json!({ "type": "User" })) {
                    MemberPredicate::Any
                } else {
                    MemberPredicate::Not(Box::new(MemberPredicate::Any))
                }
            }
            (CompareOp::Eq, TypedValue::Null) => MemberPredicate::Not(Box::new(member_present(attr))),
            (_, TypedValue::Null) => member_present(attr),
            // The member has no equal value (every member has a value and a display).
            (CompareOp::Ne, _) => MemberPredicate::Not(Box::new(member_compare(attr, CompareOp::Eq, value, base))),
            _ => member_compare(attr, *op, value, base),
        },
        // The validator refuses nested value paths.
        TypedFilter::ValuePath { .. } => MemberPredicate::Not(Box::new(MemberPredicate::Any)),
    }
}

/// A member's sub-attribute (named relative to the member) has a non-empty value.
fn member_present(attr: &TypedAttr) -> MemberPredicate {
    if attr.path.attr.eq_ignore_ascii_case("display") {
        MemberPredicate::DisplayPresent
    } else {
        // value, type and $ref are always there.
        MemberPredicate::Any
    }
}

/// A comparison on a member's `value`, `display` or `$ref` (named relative to the member).
fn member_compare(attr: &TypedAttr, op: CompareOp, value: &TypedValue, base: &str) -> MemberPredicate {
    // Every member sub-attribute compared here is a string (the validator checked the literal).
    let TypedValue::String(s) = value else {
        return MemberPredicate::Not(Box::new(MemberPredicate::Any));
    };
    let op = text_op(op);
    match attr.path.attr.to_ascii_lowercase().as_str() {
        "value" => MemberPredicate::Value(op, s.clone()),
        "display" => MemberPredicate::Display(op, s.clone()),
        "$ref" => MemberPredicate::Ref {
            base: base.to_owned(),
            op,
            value: s.clone(),
        },
        _ => MemberPredicate::Not(Box::new(MemberPredicate::Any)),
    }
}

/// `sortBy` (RFC 7644 §3.4.2.3) for groups: displayName, externalId, id and meta. No `sortBy`
/// sorts by id.
pub fn sort(by: Option<&str>) -> Result<GroupSort, ScimFail> {
    let Some(by) = by.map(str::trim).filter(|b| !b.is_empty()) else {
        return Ok(GroupSort::Id);
    };
    let invalid = |why: &str| ScimFail(ScimError::invalid_value(format!("sortBy {by:?} {why}.")));
    let path = AttrPath::parse(by).map_err(|_| invalid("is not an attribute path"))?;
    let r = gatehouse_scim::schema::resolve_path(ResourceKind::Group, &path)
        .map_err(|_| invalid("is not a Group attribute"))?;
    let sub = r.sub.map(|s| s.name.to_ascii_lowercase());
    Ok(
        match (
            r.extension.is_none(),
            r.attr.name.to_ascii_lowercase().as_str(),
            sub.as_deref(),
        ) {
            // meta.location is `<base>/Groups/<id>`, and meta.resourceType the same for every
            // group: id order either way.
            (true, "id", None) | (true, "meta", Some("location" | "resourcetype")) => GroupSort::Id,
            (true, "displayname", None) => GroupSort::DisplayName,
            (true, "externalid", None) => GroupSort::ExternalId,
            (true, "meta", Some("created")) => GroupSort::Created,
            (true, "meta", Some("lastmodified")) => GroupSort::LastModified,
            (true, "meta", Some("version")) => GroupSort::Version,
            _ => {
                return Err(invalid(
                    "cannot be sorted on: groups sort by displayName, externalId, id or a meta date or version",
                ));
            }
        },
    )
}
