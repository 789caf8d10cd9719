//! SCIM group filters and sorts as bound SQL (RFC 7644 §3.4.2.2, §3.4.2.3): displayName,
//! externalId, id and meta compare on the `scim_groups` columns; `members` on the memberships,
//! as the directory's users (`scim_users`) they are served as. Values are always bound; only
//! fixed text is pushed.

use crate::Db;
use crate::dialect::Dialect;
use crate::scim_query::{push_page_tail, push_text, push_text_op};
use crate::sql::{Sql, push_both, push_not};
use gatehouse_core::Result;
use gatehouse_core::directory::{GroupPredicate, GroupSort, MemberPredicate, ScimGroup, TextOp};
use gatehouse_core::ids::DirectoryId;
use gatehouse_core::ports::{ScimListQuery, ScimPage};
use sqlx::AnyConnection;
use std::ops::DerefMut;

/// Appends `p` as bound SQL over `scim_groups` (its columns unqualified).
pub(crate) fn push_group_predicate(q: &mut Sql, dialect: Dialect, dir: DirectoryId, p: &GroupPredicate) {
    match p {
        GroupPredicate::All => {
            q.push("1 = 1");
        }
        GroupPredicate::DisplayName(op, v) => push_text(q, "display_name_folded", *op, &v.to_lowercase()),
        GroupPredicate::ExternalId(op, v) => push_text(q, "external_id", *op, v),
        GroupPredicate::ExternalIdPresent => {
            q.push("(external_id IS NOT NULL AND external_id <> '')");
        }
        GroupPredicate::Id(op, v) => push_text(q, "id", *op, v),
        GroupPredicate::Meta(c) => crate::scim_query::push_meta(q, c, " || '/Groups/' || id)"),
        GroupPredicate::Member(f) => push_member(q, dialect, dir, f),
        GroupPredicate::And(a, b) => push_both(q, " AND ", a, b, |q, p| push_group_predicate(q, dialect, dir, p)),
        GroupPredicate::Or(a, b) => push_both(q, " OR ", a, b, |q, p| push_group_predicate(q, dialect, dir, p)),
        GroupPredicate::Not(a) => push_not(q, a, |q, p| push_group_predicate(q, dialect, dir, p)),
    }
}

/// Some member of the group meets `f`: a membership of this group whose account is a user of
/// the directory (the members `members` serves), tested as a row `su` (and `a`, its account,
/// when `display` is compared).
///
/// The organization (the directory's) lets either side drive through an index: from a named
/// user through `group_members (org_id, account_id)` to its groups, or from each group through
/// the primary key `(group_id, account_id)`, whatever the size of the group.
fn push_member(q: &mut Sql, dialect: Dialect, dir: DirectoryId, f: &MemberPredicate) {
    let d = q.bind_only(dir.to_string());
    q.push("EXISTS (SELECT 1 FROM group_members gm JOIN scim_users su ON su.account_id = gm.account_id AND su.directory_id = ")
        .push_ref(d);
    if uses_display(f) {
        q.push(" JOIN accounts a ON a.id = gm.account_id");
    }
    q.push(" WHERE gm.org_id = (SELECT d.org_id FROM directories d WHERE d.id = ")
        .push_ref(d)
        .push(") AND gm.group_id = scim_groups.group_id AND ");
    push_in_member(q, dialect, f);
    q.push(")");
}

fn uses_display(f: &MemberPredicate) -> bool {
    match f {
        MemberPredicate::Display(..) | MemberPredicate::DisplayPresent => true,
        MemberPredicate::And(a, b) | MemberPredicate::Or(a, b) => uses_display(a) || uses_display(b),
        MemberPredicate::Not(a) => uses_display(a),
        MemberPredicate::Any | MemberPredicate::Value(..) | MemberPredicate::Ref { .. } => false,
    }
}

/// `f` on the member row. Its columns are never NULL, so `<>` is "not equal" outright.
fn push_in_member(q: &mut Sql, dialect: Dialect, f: &MemberPredicate) {
    // These columns keep the database's collation on PostgreSQL: order them by code point, as
    // SQLite and the filter's strings do.
    let collate = |q: &mut Sql, op: TextOp| {
        if matches!(op, TextOp::Gt | TextOp::Ge | TextOp::Lt | TextOp::Le) {
            q.push(dialect.code_point_collation());
        }
    };
    match f {
        MemberPredicate::Any => {
            q.push("1 = 1");
        }
        MemberPredicate::Value(op, v) => {
            q.push("su.id");
            collate(q, *op);
            push_text_op(q, *op, v.clone());
        }
        MemberPredicate::Display(op, v) => {
            q.push("a.display_name_folded");
            collate(q, *op);
            push_text_op(q, *op, v.to_lowercase());
        }
        MemberPredicate::DisplayPresent => {
            q.push("a.display_name <> ''");
        }
        MemberPredicate::Ref { base, op, value } => {
            q.push("(").bind(base.clone()).push(" || '/Users/' || su.id)");
            collate(q, *op);
            push_text_op(q, *op, value.clone());
        }
        MemberPredicate::And(a, b) => push_both(q, " AND ", a, b, |q, p| push_in_member(q, dialect, p)),
        MemberPredicate::Or(a, b) => push_both(q, " OR ", a, b, |q, p| push_in_member(q, dialect, p)),
        MemberPredicate::Not(a) => push_not(q, a, |q, p| push_in_member(q, dialect, p)),
    }
}

/// The column a sort uses (fixed text).
fn sort_column(s: GroupSort) -> &'static str {
    match s {
        GroupSort::Id => "id",
        GroupSort::DisplayName => "display_name_folded",
        GroupSort::ExternalId => "external_id",
        GroupSort::Created => "created_at",
        GroupSort::LastModified => "updated_at",
        GroupSort::Version => "version",
    }
}

impl<C: DerefMut<Target = AnyConnection> + Send> Db<C> {
    pub(crate) async fn scim_groups_page(
        &mut self,
        dir: DirectoryId,
        query: &ScimListQuery<'_, GroupPredicate, GroupSort>,
    ) -> Result<ScimPage<ScimGroup>> {
        let p = query.predicate;
        let dialect = self.dialect;
        let mut total_q = Sql::new("SELECT COUNT(*) AS n FROM scim_groups WHERE directory_id = ");
        total_q.bind(dir.to_string()).push(" AND (");
        push_group_predicate(&mut total_q, dialect, dir, p);
        total_q.push(")");
        let total = self.int(&total_q, "n").await?;
        let mut q = Sql::new(concat!(
            "SELECT ",
            scim_group_cols!(),
            " FROM scim_groups WHERE directory_id = "
        ));
        q.bind(dir.to_string()).push(" AND (");
        push_group_predicate(&mut q, dialect, dir, p);
        q.push(") ORDER BY ")
            .push(sort_column(query.sort))
            .push(if query.descending { " DESC" } else { " ASC" });
        // Of the group columns, only externalId can be missing.
        let missing = query.sort == GroupSort::ExternalId;
        push_page_tail(&mut q, dialect, missing, query.descending, query.start, query.count);
        let items = self.all(&q, crate::scim::group).await?;
        Ok(ScimPage { total, items })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(dialect: Dialect, p: &GroupPredicate) -> String {
        let mut q = Sql::new("");
        push_group_predicate(&mut q, dialect, DirectoryId::new(), p);
        q.text().to_owned()
    }

    #[test]
    fn member_filters_bind_every_value_and_correlate_with_the_group() {
        let p = GroupPredicate::Member(MemberPredicate::Or(
            Box::new(MemberPredicate::Value(
                TextOp::Eq,
                "x'; DROP TABLE scim_groups; --".into(),
            )),
            Box::new(MemberPredicate::Value(TextOp::Eq, "y".into())),
        ));
        assert_eq!(
            sql(Dialect::Postgres, &p),
            "EXISTS (SELECT 1 FROM group_members gm JOIN scim_users su ON su.account_id = gm.account_id \
             AND su.directory_id = $1 WHERE gm.org_id = (SELECT d.org_id FROM directories d WHERE d.id = $1) \
             AND gm.group_id = scim_groups.group_id AND (su.id = $2 OR su.id = $3))"
        );
    }

    #[test]
    fn member_display_joins_the_account_and_orders_by_code_point_on_postgres() {
        let p = GroupPredicate::Member(MemberPredicate::Display(TextOp::Gt, "B".into()));
        let pg = sql(Dialect::Postgres, &p);
        assert!(pg.contains(" JOIN accounts a ON a.id = gm.account_id"), "{pg}");
        assert!(pg.contains("a.display_name_folded COLLATE \"C\" > $2"), "{pg}");
        assert!(sql(Dialect::Sqlite, &p).contains("a.display_name_folded > $2"));
        let by_value = GroupPredicate::Member(MemberPredicate::Value(TextOp::Eq, "u".into()));
        assert!(!sql(Dialect::Postgres, &by_value).contains("accounts"));
    }
}
