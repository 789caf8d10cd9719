//! SCIM user filters and sorts as bound SQL (RFC 7644 §3.4.2.2, §3.4.2.3): the attributes that
//! have a column compare on it, every other one through the value index (`scim_user_values`).
//! Paths, literals and sort attributes are always bound; only fixed text is pushed.

use crate::Db;
use crate::dialect::Dialect;
use crate::rows;
use crate::sql::{Sql, push_both, push_not};
use gatehouse_core::Result;
use gatehouse_core::directory::{
    ElementCondition, ElementPredicate, Literal, MetaCondition, ScimUser, SortKey, TextOp, UserPredicate, UserSort,
};
use gatehouse_core::ids::DirectoryId;
use gatehouse_core::ports::{ScimGroupRef, ScimListQuery, ScimPage};
use sqlx::AnyConnection;
use std::ops::DerefMut;

/// `meta.version` as served (fixed text).
pub(crate) const VERSION_TAG: &str = "('W/\"' || CAST(version AS TEXT) || '\"')";

/// Appends `p` as bound SQL over `scim_users` (its columns unqualified).
pub(crate) fn push_predicate(q: &mut Sql, dir: DirectoryId, p: &UserPredicate) {
    match p {
        UserPredicate::All => {
            q.push("1 = 1");
        }
        UserPredicate::UserName(op, v) => push_text(q, "user_name_folded", *op, &v.to_lowercase()),
        UserPredicate::ExternalId(op, v) => push_text(q, "external_id", *op, v),
        UserPredicate::ExternalIdPresent => {
            q.push("(external_id IS NOT NULL AND external_id <> '')");
        }
        UserPredicate::Id(op, v) => push_text(q, "id", *op, v),
        UserPredicate::Email(op, v) => push_text(q, "email", *op, &v.to_lowercase()),
        UserPredicate::Active(b) => {
            q.push("active = ").bind(i64::from(*b));
        }
        UserPredicate::Meta(c) => push_meta(q, c, " || '/Users/' || id)"),
        UserPredicate::Value(c) => push_value(q, dir, c),
        UserPredicate::Present { path, complex } => {
            q.push("id IN (SELECT user_id FROM scim_user_values WHERE directory_id = ")
                .bind(dir.to_string());
            if *complex {
                push_sub_paths(q, "path", path);
            } else {
                q.push(" AND path = ").bind(path.clone());
            }
            q.push(" AND value <> '')");
        }
        UserPredicate::Element { attr, filter } => push_element(q, dir, attr, filter),
        UserPredicate::And(a, b) => push_both(q, " AND ", a, b, |q, p| push_predicate(q, dir, p)),
        UserPredicate::Or(a, b) => push_both(q, " OR ", a, b, |q, p| push_predicate(q, dir, p)),
        UserPredicate::Not(a) => push_not(q, a, |q, p| push_predicate(q, dir, p)),
    }
}

/// A `meta` comparison on a users or groups table's columns; `location_tail` completes the
/// served location after the bound base (`" || '/Users/' || id)"`).
pub(crate) fn push_meta(q: &mut Sql, c: &MetaCondition, location_tail: &'static str) {
    match c {
        MetaCondition::Created(op, t) => push_ordered(q, "created_at", *op, t.millis()),
        MetaCondition::LastModified(op, t) => push_ordered(q, "updated_at", *op, t.millis()),
        MetaCondition::Version(op, v) => {
            q.push(VERSION_TAG);
            push_text_op(q, *op, v.clone());
        }
        MetaCondition::Location { base, op, value } => {
            q.push("(").bind(base.clone()).push(location_tail);
            push_text_op(q, *op, value.clone());
        }
    }
}

/// A text comparison on a column. `ne` also matches an absent value (RFC 7644 §3.4.2.2).
pub(crate) fn push_text(q: &mut Sql, col: &'static str, op: TextOp, v: &str) {
    if op == TextOp::Ne {
        q.push("(")
            .push(col)
            .push(" IS NULL OR ")
            .push(col)
            .push(" <> ")
            .bind(v)
            .push(")");
        return;
    }
    q.push(col);
    push_text_op(q, op, v.to_owned());
}

/// The operator and bound operand after a text expression. Both engines order text by code
/// point here (SQLite's BINARY collation; the PostgreSQL columns are `COLLATE "C"`), as the
/// folded strings of the filter compare.
pub(crate) fn push_text_op(q: &mut Sql, op: TextOp, v: String) {
    match op {
        TextOp::StartsWith => {
            q.push(" LIKE ").bind_prefix(&v);
        }
        TextOp::EndsWith => {
            q.push(" LIKE ").bind_suffix(&v);
        }
        TextOp::Contains => {
            q.push(" LIKE ").bind_contains(&v);
        }
        other => {
            q.push(ordering(other).unwrap_or(" = ")).bind(v);
        }
    }
}

/// The SQL of an equality or ordering operator; `None` for the substring ones.
fn ordering(op: TextOp) -> Option<&'static str> {
    Some(match op {
        TextOp::Eq => " = ",
        TextOp::Ne => " <> ",
        TextOp::Gt => " > ",
        TextOp::Ge => " >= ",
        TextOp::Lt => " < ",
        TextOp::Le => " <= ",
        TextOp::StartsWith | TextOp::EndsWith | TextOp::Contains => return None,
    })
}

/// A number or instant comparison on a column; the substring operators match nothing (the
/// filter validator refuses them on these types).
pub(crate) fn push_ordered(q: &mut Sql, col: &'static str, op: TextOp, v: impl Into<crate::sql::Arg>) {
    match ordering(op) {
        Some(sym) => {
            q.push(col).push(sym).bind(v);
        }
        None => {
            q.push("1 = 0");
        }
    }
}

/// Compares the value-index row `alias` (`""`, `"e."`, `"c."`) with a typed literal: text on its
/// folded or exact column, numbers on `value_num`, instants on `value_time`. Only rows of the
/// literal's type have the typed columns, so a string never equals a number.
fn push_literal(q: &mut Sql, alias: &'static str, op: TextOp, lit: &Literal) {
    match lit {
        Literal::Text { value, case_exact } => {
            let (col, v) = if *case_exact {
                ("value", value.clone())
            } else {
                ("value_folded", value.to_lowercase())
            };
            q.push(alias).push(col);
            push_text_op(q, op, v);
        }
        Literal::Bool(b) => {
            q.push(alias).push("value");
            push_text_op(q, op, b.to_string());
        }
        Literal::Number(n) => match ordering(op) {
            Some(sym) => {
                q.push(alias).push("value_num").push(sym).bind(*n);
            }
            None => {
                q.push("1 = 0");
            }
        },
        Literal::Instant(t) => match ordering(op) {
            Some(sym) => {
                q.push(alias).push("value_time").push(sym).bind(t.millis());
            }
            None => {
                q.push("1 = 0");
            }
        },
    }
}

/// Some value at the path meets the condition; `ne`: no value is equal (absent included).
fn push_value(q: &mut Sql, dir: DirectoryId, c: &ElementCondition) {
    let (negate, op) = if c.op == TextOp::Ne {
        (true, TextOp::Eq)
    } else {
        (false, c.op)
    };
    q.push(if negate { "id NOT IN" } else { "id IN" });
    q.push(" (SELECT user_id FROM scim_user_values WHERE directory_id = ")
        .bind(dir.to_string());
    q.push(" AND path = ").bind(c.path.clone()).push(" AND ");
    push_literal(q, "", op, &c.value);
    q.push(")");
}

/// ` AND <col>` within the sub-attributes of the complex attribute at `attr`: `attr.` up to
/// `attr/` (the next code point), a range the path index serves.
fn push_sub_paths(q: &mut Sql, col: &'static str, attr: &str) {
    q.push(" AND ")
        .push(col)
        .push(" >= ")
        .bind(format!("{attr}."))
        .push(" AND ")
        .push(col)
        .push(" < ")
        .bind(format!("{attr}/"));
}

/// Some element of the attribute meets `f` (a value path, RFC 7644 §3.4.2.2).
///
/// The candidate elements are the rows `e`; each part of the filter is a correlated test on
/// the rows of the same user and element. A top-level `or` splits (some element meets a or b
/// exactly when some element meets a or some element meets b); a positive comparison in the
/// top-level conjunction drives the lookup through the path index; without one (only `not`,
/// or `or` under `and`), every element of the attribute is a candidate, so an element lacking
/// the compared sub-attribute still counts.
fn push_element(q: &mut Sql, dir: DirectoryId, attr: &str, f: &ElementPredicate) {
    if let ElementPredicate::Or(a, b) = f {
        q.push("(");
        push_element(q, dir, attr, a);
        q.push(" OR ");
        push_element(q, dir, attr, b);
        q.push(")");
        return;
    }
    let mut parts = Vec::new();
    conjuncts(f, &mut parts);
    let is_eq = |p: &&ElementPredicate| matches!(p, ElementPredicate::Compare(c) if c.op == TextOp::Eq);
    let is_positive = |p: &&ElementPredicate| match p {
        ElementPredicate::Compare(c) => c.op != TextOp::Ne,
        ElementPredicate::Present(_) => true,
        _ => false,
    };
    let anchor = parts
        .iter()
        .position(is_eq)
        .or_else(|| parts.iter().position(is_positive));
    q.push("id IN (SELECT e.user_id FROM scim_user_values e WHERE e.directory_id = ")
        .bind(dir.to_string());
    match anchor.map(|i| parts[i]) {
        Some(ElementPredicate::Compare(c)) => {
            q.push(" AND e.path = ").bind(c.path.clone()).push(" AND ");
            push_literal(q, "e.", c.op, &c.value);
        }
        Some(ElementPredicate::Present(path)) => {
            q.push(" AND e.path = ").bind(path.clone()).push(" AND e.value <> ''");
        }
        _ => push_sub_paths(q, "e.path", attr),
    }
    for (i, p) in parts.iter().enumerate() {
        if Some(i) != anchor {
            q.push(" AND ");
            push_in_element(q, p);
        }
    }
    q.push(")");
}

fn conjuncts<'a>(f: &'a ElementPredicate, out: &mut Vec<&'a ElementPredicate>) {
    match f {
        ElementPredicate::And(a, b) => {
            conjuncts(a, out);
            conjuncts(b, out);
        }
        other => out.push(other),
    }
}

/// `f` on the element of row `e`: each comparison is whether the element has a matching value.
fn push_in_element(q: &mut Sql, f: &ElementPredicate) {
    // The directory, implied by the user, lets PostgreSQL drive from the path index when this
    // test is the more selective one.
    let same_element = "EXISTS (SELECT 1 FROM scim_user_values c WHERE c.directory_id = e.directory_id \
                        AND c.user_id = e.user_id AND c.element = e.element AND c.path = ";
    match f {
        ElementPredicate::Any => {
            q.push("1 = 1");
        }
        ElementPredicate::Compare(c) => {
            let op = if c.op == TextOp::Ne {
                // No equal value in the element, an absent one included.
                q.push("NOT ");
                TextOp::Eq
            } else {
                c.op
            };
            q.push(same_element).bind(c.path.clone()).push(" AND ");
            push_literal(q, "c.", op, &c.value);
            q.push(")");
        }
        ElementPredicate::Present(path) => {
            q.push(same_element).bind(path.clone()).push(" AND c.value <> '')");
        }
        ElementPredicate::And(a, b) => push_both(q, " AND ", a, b, |q, p| push_in_element(q, p)),
        ElementPredicate::Or(a, b) => push_both(q, " OR ", a, b, |q, p| push_in_element(q, p)),
        ElementPredicate::Not(a) => push_not(q, a, |q, p| push_in_element(q, p)),
    }
}

/// The column a sort uses (fixed text), or `None` for a value from the index.
fn sort_column(s: &UserSort) -> Option<&'static str> {
    Some(match s {
        UserSort::Id => "id",
        UserSort::UserName => "user_name_folded",
        UserSort::ExternalId => "external_id",
        UserSort::Email => "email",
        UserSort::Active => "active",
        UserSort::Created => "created_at",
        UserSort::LastModified => "updated_at",
        UserSort::Version => "version",
        UserSort::Value { .. } => return None,
    })
}

/// A table `(user_id, sort_key)` of the directory's sort values from the index (paths bound,
/// never text): for a multi-valued attribute, the value of the element whose `primary` is true,
/// else of the first element (RFC 7644 §3.4.2.3). Joined rather than looked up per user: one
/// pass over the path index serves a whole directory.
fn push_value_keys(q: &mut Sql, dir: DirectoryId, path: &str, primary: Option<&str>, key: SortKey) {
    q.push(match key {
        SortKey::Folded => "(SELECT k.user_id, MIN(k.value_folded) AS sort_key",
        SortKey::Exact => "(SELECT k.user_id, MIN(k.value) AS sort_key",
        SortKey::Number => "(SELECT k.user_id, MIN(k.value_num) AS sort_key",
        SortKey::Instant => "(SELECT k.user_id, MIN(k.value_time) AS sort_key",
    });
    q.push(" FROM scim_user_values k");
    if let Some(p) = primary {
        q.push(
            " LEFT JOIN (SELECT p.user_id, MIN(p.element) AS element FROM scim_user_values p WHERE p.directory_id = ",
        )
        .bind(dir.to_string())
        .push(" AND p.path = ")
        .bind(p.to_owned())
        .push(" AND p.value = 'true' GROUP BY p.user_id) pr ON pr.user_id = k.user_id");
    }
    q.push(" WHERE k.directory_id = ")
        .bind(dir.to_string())
        .push(" AND k.path = ")
        .bind(path.to_owned())
        .push(if primary.is_some() {
            " AND k.element = COALESCE(pr.element, 0)"
        } else {
            " AND k.element = 0"
        })
        .push(" GROUP BY k.user_id)");
}

impl<C: DerefMut<Target = AnyConnection> + Send> Db<C> {
    /// A page of users and, when `groups` is true, each one's groups of the directory from a
    /// correlated column of the same statement (see `Dialect::push_user_groups_column`).
    pub(crate) async fn scim_users_page_with_groups(
        &mut self,
        dir: DirectoryId,
        query: &ScimListQuery<'_, UserPredicate, UserSort>,
        groups: bool,
    ) -> Result<gatehouse_core::ports::UsersWithGroups> {
        let p = query.predicate;
        let count_of = |q: &mut Sql| {
            q.push("SELECT COUNT(*) AS n FROM scim_users WHERE directory_id = ")
                .bind(dir.to_string())
                .push(" AND (");
            push_predicate(q, dir, p);
            q.push(")");
        };
        // The total rides in the page's own statement (one round trip, one snapshot): an
        // uncorrelated subquery, computed once. Its own `scim_users` hides the outer one, so
        // the predicate reads the same there as in a query of its own.
        let mut q = Sql::new(concat!("SELECT ", scim_user_cols!("scim_users."), ", ("));
        count_of(&mut q);
        q.push(") AS total_n");
        if groups {
            q.push(", ");
            self.dialect
                .push_user_groups_column(&mut q, &dir.to_string(), "scim_users.account_id");
            q.push(" AS groups_json");
        }
        let key = match &query.sort {
            UserSort::Value { path, primary, key } => {
                q.push(", s.sort_key FROM scim_users LEFT JOIN ");
                push_value_keys(&mut q, dir, path, primary.as_deref(), *key);
                q.push(" s ON s.user_id = scim_users.id");
                "s.sort_key"
            }
            column => {
                q.push(" FROM scim_users");
                sort_column(column).unwrap_or("id")
            }
        };
        q.push(" WHERE directory_id = ").bind(dir.to_string()).push(" AND (");
        push_predicate(&mut q, dir, p);
        q.push(") ORDER BY ")
            .push(key)
            .push(if query.descending { " DESC" } else { " ASC" });
        let missing = matches!(
            query.sort,
            UserSort::ExternalId | UserSort::Email | UserSort::Value { .. }
        );
        push_page_tail(
            &mut q,
            self.dialect,
            missing,
            query.descending,
            query.start,
            query.count,
        );
        let rows = if groups {
            self.all(&q, user_and_groups).await?
        } else {
            self.all(&q, |r| Ok((crate::scim::user(r)?, rows::i(r, "total_n")?, Vec::new())))
                .await?
        };
        let total = match rows.first() {
            Some((_, n, _)) => *n,
            // No row to carry the total: none matched when the page starts at the first one;
            // past it (or for an empty page), ask.
            None if query.start <= 1 && query.count > 0 => 0,
            None => {
                let mut total_q = Sql::new("");
                count_of(&mut total_q);
                self.int(&total_q, "n").await?
            }
        };
        Ok(split_rows(rows, total))
    }
}

/// The page's users and, apart, each one's groups.
fn split_rows(rows: Vec<(ScimUser, i64, Vec<ScimGroupRef>)>, total: i64) -> gatehouse_core::ports::UsersWithGroups {
    let mut items = Vec::with_capacity(rows.len());
    let mut memberships = Vec::new();
    for (user, _, refs) in rows {
        memberships.extend(refs.into_iter().map(|g| (user.account_id, g)));
        items.push(user);
    }
    (ScimPage { total, items }, memberships)
}

fn user_and_groups(r: &sqlx::any::AnyRow) -> Result<(ScimUser, i64, Vec<ScimGroupRef>)> {
    Ok((
        crate::scim::user(r)?,
        crate::rows::i(r, "total_n")?,
        crate::rows::user_groups_json(r, "groups_json")?,
    ))
}

/// Ends a SCIM list query after its `ORDER BY <key> ASC|DESC`: resources without the value
/// last whichever the order (RFC 7644 §3.4.2.3) where `missing` values can occur (NULLS LAST
/// on a NOT NULL column would keep PostgreSQL from reading its index backwards), ties by id,
/// then the page (`start` is 1-based; see `Dialect::push_limit`).
pub(crate) fn push_page_tail(q: &mut Sql, dialect: Dialect, missing: bool, desc: bool, start: i64, count: i64) {
    if missing {
        q.push(" NULLS LAST");
    }
    q.push(if desc { ", id DESC" } else { ", id ASC" });
    dialect.push_limit(q, count.max(0), (start - 1).max(0));
}
