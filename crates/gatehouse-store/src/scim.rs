//! SCIM directories and provisioned users: rows, predicates to bound SQL.

use crate::sql::Sql;
use crate::{Db, db_err, rows};
use gatehouse_core::directory::{Directory, DirectoryToken, ScimUser, TextOp, UserPredicate};
use gatehouse_core::ids::{AccountId, DirectoryId, OrgId};
use gatehouse_core::{CoreError, Result};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use std::ops::DerefMut;

pub(crate) fn directory(r: &AnyRow) -> Result<Directory> {
    Ok(Directory {
        id: DirectoryId::parse(&rows::s(r, "id")?).map_err(CoreError::internal)?,
        org_id: OrgId::parse(&rows::s(r, "org_id")?).map_err(CoreError::internal)?,
        name: rows::s(r, "name")?,
        created_at: gatehouse_core::Timestamp::from_millis(rows::i(r, "created_at")?),
        deactivation_limit_per_hour: rows::i(r, "deactivation_limit_per_hour")?,
    })
}

pub(crate) fn held(r: &AnyRow) -> Result<gatehouse_core::directory::HeldOperation> {
    Ok(gatehouse_core::directory::HeldOperation {
        id: rows::s(r, "id")?,
        directory_id: DirectoryId::parse(&rows::s(r, "directory_id")?).map_err(CoreError::internal)?,
        resource_id: rows::s(r, "resource_id")?,
        method: rows::s(r, "method")?,
        body: rows::s(r, "body")?,
        created_at: gatehouse_core::Timestamp::from_millis(rows::i(r, "created_at")?),
    })
}

pub(crate) fn token(r: &AnyRow, prefix: &str) -> Result<DirectoryToken> {
    let col = |c: &str| format!("{prefix}{c}");
    let opt = |c: &str| -> Result<Option<gatehouse_core::Timestamp>> {
        Ok(sqlx::Row::try_get::<Option<i64>, _>(r, col(c).as_str())
            .map_err(db_err)?
            .map(gatehouse_core::Timestamp::from_millis))
    };
    Ok(DirectoryToken {
        id: rows::s(r, &col("id"))?,
        directory_id: DirectoryId::parse(&rows::s(r, &col("directory_id"))?).map_err(CoreError::internal)?,
        prefix: rows::s(r, &col("prefix"))?,
        created_at: gatehouse_core::Timestamp::from_millis(rows::i(r, &col("created_at"))?),
        expires_at: opt("expires_at")?,
        revoked_at: opt("revoked_at")?,
    })
}

pub(crate) fn user(r: &AnyRow) -> Result<ScimUser> {
    Ok(ScimUser {
        id: rows::s(r, "id")?,
        directory_id: DirectoryId::parse(&rows::s(r, "directory_id")?).map_err(CoreError::internal)?,
        account_id: AccountId::parse(&rows::s(r, "account_id")?).map_err(CoreError::internal)?,
        user_name: rows::s(r, "user_name")?,
        external_id: rows::opt_s(r, "external_id")?,
        email: rows::opt_s(r, "email")?,
        active: rows::i(r, "active")? == 1,
        resource: rows::s(r, "resource")?,
        version: rows::i(r, "version")?,
        created_at: gatehouse_core::Timestamp::from_millis(rows::i(r, "created_at")?),
        updated_at: gatehouse_core::Timestamp::from_millis(rows::i(r, "updated_at")?),
    })
}

/// The column behind a sort (fixed text: never input).
fn sort_column(s: gatehouse_core::directory::UserSort) -> &'static str {
    use gatehouse_core::directory::UserSort as S;
    match s {
        S::Id => " ORDER BY id",
        S::UserName => " ORDER BY user_name_folded",
        S::ExternalId => " ORDER BY external_id",
        S::Email => " ORDER BY email",
        S::Active => " ORDER BY active",
        S::Created => " ORDER BY created_at",
        S::LastModified => " ORDER BY updated_at",
    }
}

fn group_sort_column(s: gatehouse_core::directory::GroupSort) -> &'static str {
    use gatehouse_core::directory::GroupSort as S;
    match s {
        S::Id => " ORDER BY id",
        S::DisplayName => " ORDER BY display_name_folded",
        S::ExternalId => " ORDER BY external_id",
        S::Created => " ORDER BY created_at",
        S::LastModified => " ORDER BY updated_at",
    }
}

/// Appends `predicate` as bound SQL. Case-insensitive columns compare their folded form.
pub(crate) fn push_predicate(q: &mut Sql, dir: DirectoryId, p: &UserPredicate) {
    match p {
        UserPredicate::All => {
            q.push("1 = 1");
        }
        UserPredicate::UserName(op, v) => push_text(q, "user_name_folded", *op, &v.to_lowercase()),
        UserPredicate::ExternalId(op, v) => push_text(q, "external_id", *op, v),
        UserPredicate::Email(op, v) => push_text(q, "email", *op, &v.to_lowercase()),
        UserPredicate::Id(v) => {
            q.push("id = ").bind(v.clone());
        }
        UserPredicate::Active(b) => {
            q.push("active = ").bind(i64::from(*b));
        }
        UserPredicate::Value {
            path,
            op,
            value,
            case_exact,
        } => push_value(q, dir, path, *op, value, *case_exact),
        UserPredicate::Present(path) => {
            q.push("id IN (SELECT user_id FROM scim_user_values WHERE directory_id = ")
                .bind(dir.to_string());
            q.push(" AND path = ").bind(path.clone()).push(")");
        }
        UserPredicate::Element(conds) => push_element(q, dir, conds),
        UserPredicate::And(a, b) | UserPredicate::Or(a, b) => {
            let joiner = if matches!(p, UserPredicate::And(..)) {
                " AND "
            } else {
                " OR "
            };
            q.push("(");
            push_predicate(q, dir, a);
            q.push(joiner);
            push_predicate(q, dir, b);
            q.push(")");
        }
        UserPredicate::Not(a) => {
            q.push("NOT (");
            push_predicate(q, dir, a);
            q.push(")");
        }
    }
}

/// `ne` matches users without an equal value (an absent value included, RFC 7644 §3.4.2.2).
fn push_value(q: &mut Sql, dir: DirectoryId, path: &str, op: TextOp, value: &str, case_exact: bool) {
    let (col, v) = if case_exact {
        ("value", value.to_owned())
    } else {
        ("value_folded", value.to_lowercase())
    };
    let (negate, op) = if op == TextOp::Ne {
        (true, TextOp::Eq)
    } else {
        (false, op)
    };
    q.push(if negate { "id NOT IN" } else { "id IN" });
    q.push(" (SELECT user_id FROM scim_user_values WHERE directory_id = ")
        .bind(dir.to_string());
    q.push(" AND path = ").bind(path.to_owned()).push(" AND ");
    push_text(q, col, op, &v);
    q.push(")");
}

/// Aliases for the conditions of one value path (fixed text, never input).
const ALIASES: [&str; 6] = ["v0", "v1", "v2", "v3", "v4", "v5"];

fn push_element(q: &mut Sql, dir: DirectoryId, conds: &[gatehouse_core::directory::ElementCondition]) {
    q.push("id IN (SELECT v0.user_id FROM scim_user_values v0");
    for alias in ALIASES.iter().take(conds.len().min(ALIASES.len())).skip(1) {
        q.push(" JOIN scim_user_values ")
            .push(alias)
            .push(" ON ")
            .push(alias)
            .push(".user_id = v0.user_id AND ");
        q.push(alias).push(".element = v0.element");
    }
    q.push(" WHERE v0.directory_id = ").bind(dir.to_string());
    for (alias, c) in ALIASES.iter().zip(conds) {
        let (col, v) = if c.case_exact {
            ("value", c.value.clone())
        } else {
            ("value_folded", c.value.to_lowercase())
        };
        q.push(" AND ")
            .push(alias)
            .push(".path = ")
            .bind(c.path.clone())
            .push(" AND ")
            .push(alias)
            .push(".");
        push_text(q, col, c.op, &v);
    }
    q.push(")");
}

/// The rows indexing a user's resource: each string, number and boolean with its path and
/// element (its position in a multi-valued attribute). Capped, so a huge resource cannot
/// flood the index.
pub(crate) fn flatten(resource: &str) -> Vec<(String, i64, String)> {
    fn leaf(v: &serde_json::Value) -> Option<String> {
        match v {
            serde_json::Value::String(s) => Some(s.chars().take(512).collect()),
            serde_json::Value::Bool(b) => Some(b.to_string()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
    fn walk(prefix: &str, v: &serde_json::Value, element: i64, out: &mut Vec<(String, i64, String)>, depth: u8) {
        if out.len() >= 300 || depth > 3 {
            return;
        }
        match v {
            serde_json::Value::Object(o) => {
                for (k, x) in o {
                    walk(&format!("{prefix}.{}", k.to_lowercase()), x, element, out, depth + 1);
                }
            }
            serde_json::Value::Array(a) if depth <= 1 => {
                for (i, x) in a.iter().enumerate() {
                    walk(prefix, x, i as i64, out, depth + 1);
                }
            }
            other => {
                if let Some(s) = leaf(other) {
                    out.push((prefix.to_owned(), element, s));
                }
            }
        }
    }
    let mut out = Vec::new();
    let Ok(serde_json::Value::Object(top)) = serde_json::from_str::<serde_json::Value>(resource) else {
        return out;
    };
    for (k, v) in &top {
        let key = k.to_lowercase();
        match v {
            serde_json::Value::Object(inner) if key.starts_with("urn:") => {
                for (ik, x) in inner {
                    walk(&format!("{key}:{}", ik.to_lowercase()), x, 0, &mut out, 1);
                }
            }
            // Their own columns answer these; indexing them again would only cost writes.
            _ if matches!(key.as_str(), "schemas" | "username" | "externalid" | "active" | "id") => {}
            _ => walk(&key, v, 0, &mut out, 0),
        }
    }
    out
}

fn push_text(q: &mut Sql, col: &'static str, op: TextOp, v: &str) {
    q.push(col);
    match op {
        TextOp::Eq => {
            q.push(" = ").bind(v);
        }
        TextOp::Ne => {
            // SCIM `ne` also matches an absent value (RFC 7644 §3.4.2.2).
            q.push(" IS NULL OR ").push(col).push(" <> ").bind(v);
        }
        TextOp::StartsWith => {
            q.push(" LIKE ").bind_prefix(v);
        }
        TextOp::EndsWith => {
            q.push(" LIKE ").bind_suffix(v);
        }
        TextOp::Contains => {
            q.push(" LIKE ").bind_contains(v);
        }
    }
}

impl<C: DerefMut<Target = AnyConnection> + Send> Db<C> {
    pub(crate) async fn scim_users_page(
        &mut self,
        dir: DirectoryId,
        p: &UserPredicate,
        start: i64,
        count: i64,
        order: (gatehouse_core::directory::UserSort, bool),
    ) -> Result<(i64, Vec<ScimUser>)> {
        let mut total_q = Sql::new("SELECT COUNT(*) AS n FROM scim_users WHERE directory_id = ");
        total_q.bind(dir.to_string()).push(" AND (");
        push_predicate(&mut total_q, dir, p);
        total_q.push(")");
        let total = total_q
            .fetch_all(self.c())
            .await?
            .first()
            .map_or(Ok(0), |r| rows::i(r, "n"))?;
        let mut q = Sql::new("SELECT * FROM scim_users WHERE directory_id = ");
        q.bind(dir.to_string()).push(" AND (");
        push_predicate(&mut q, dir, p);
        q.push(")")
            .push(sort_column(order.0))
            .push(if order.1 {
                " DESC, id DESC LIMIT "
            } else {
                " ASC, id ASC LIMIT "
            })
            .bind(count.max(0))
            .push(" OFFSET ")
            .bind((start - 1).max(0));
        let items = q
            .fetch_all(self.c())
            .await?
            .iter()
            .map(user)
            .collect::<Result<Vec<_>>>()?;
        Ok((total, items))
    }
}

pub(crate) fn group(r: &AnyRow) -> Result<gatehouse_core::directory::ScimGroup> {
    Ok(gatehouse_core::directory::ScimGroup {
        id: rows::s(r, "id")?,
        directory_id: DirectoryId::parse(&rows::s(r, "directory_id")?).map_err(CoreError::internal)?,
        group_id: gatehouse_core::ids::GroupId::parse(&rows::s(r, "group_id")?).map_err(CoreError::internal)?,
        display_name: rows::s(r, "display_name")?,
        external_id: rows::opt_s(r, "external_id")?,
        resource: rows::s(r, "resource")?,
        version: rows::i(r, "version")?,
        created_at: gatehouse_core::Timestamp::from_millis(rows::i(r, "created_at")?),
        updated_at: gatehouse_core::Timestamp::from_millis(rows::i(r, "updated_at")?),
    })
}

pub(crate) fn push_group_predicate(q: &mut Sql, p: &gatehouse_core::directory::GroupPredicate) {
    use gatehouse_core::directory::GroupPredicate as G;
    match p {
        G::All => {
            q.push("1 = 1");
        }
        G::DisplayName(op, v) => push_text(q, "display_name_folded", *op, &v.to_lowercase()),
        G::ExternalId(op, v) => push_text(q, "external_id", *op, v),
        G::Id(v) => {
            q.push("id = ").bind(v.clone());
        }
        G::And(a, b) | G::Or(a, b) => {
            let joiner = if matches!(p, G::And(..)) { " AND " } else { " OR " };
            q.push("(");
            push_group_predicate(q, a);
            q.push(joiner);
            push_group_predicate(q, b);
            q.push(")");
        }
        G::Not(a) => {
            q.push("NOT (");
            push_group_predicate(q, a);
            q.push(")");
        }
    }
}

/// Rows per multi-row statement when changing memberships in bulk.
const CHUNK: usize = 400;

impl<C: DerefMut<Target = AnyConnection> + Send> Db<C> {
    pub(crate) async fn scim_groups_page(
        &mut self,
        dir: DirectoryId,
        p: &gatehouse_core::directory::GroupPredicate,
        start: i64,
        count: i64,
        order: (gatehouse_core::directory::GroupSort, bool),
    ) -> Result<(i64, Vec<gatehouse_core::directory::ScimGroup>)> {
        let mut total_q = Sql::new("SELECT COUNT(*) AS n FROM scim_groups WHERE directory_id = ");
        total_q.bind(dir.to_string()).push(" AND (");
        push_group_predicate(&mut total_q, p);
        total_q.push(")");
        let total = total_q
            .fetch_all(self.c())
            .await?
            .first()
            .map_or(Ok(0), |r| rows::i(r, "n"))?;
        let mut q = Sql::new("SELECT * FROM scim_groups WHERE directory_id = ");
        q.bind(dir.to_string()).push(" AND (");
        push_group_predicate(&mut q, p);
        q.push(")")
            .push(group_sort_column(order.0))
            .push(if order.1 {
                " DESC, id DESC LIMIT "
            } else {
                " ASC, id ASC LIMIT "
            })
            .bind(count.max(0))
            .push(" OFFSET ")
            .bind((start - 1).max(0));
        let items = q
            .fetch_all(self.c())
            .await?
            .iter()
            .map(group)
            .collect::<Result<Vec<_>>>()?;
        Ok((total, items))
    }

    pub(crate) async fn scim_user_accounts(
        &mut self,
        dir: DirectoryId,
        ids: &[String],
    ) -> Result<Vec<(String, AccountId)>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            let mut q = Sql::new("SELECT id, account_id FROM scim_users WHERE directory_id = ");
            q.bind(dir.to_string()).push(" AND id IN (");
            for (n, id) in chunk.iter().enumerate() {
                if n > 0 {
                    q.push(", ");
                }
                q.bind(id.clone());
            }
            q.push(")");
            for r in q.fetch_all(self.c()).await? {
                out.push((
                    rows::s(&r, "id")?,
                    AccountId::parse(&rows::s(&r, "account_id")?).map_err(CoreError::internal)?,
                ));
            }
        }
        Ok(out)
    }

    pub(crate) async fn add_members(
        &mut self,
        org: OrgId,
        group: gatehouse_core::ids::GroupId,
        accounts: &[AccountId],
        at: i64,
    ) -> Result<()> {
        for chunk in accounts.chunks(CHUNK) {
            let mut q = Sql::new("INSERT INTO group_members (group_id, account_id, org_id, added_at) VALUES ");
            for (n, a) in chunk.iter().enumerate() {
                if n > 0 {
                    q.push(", ");
                }
                q.push("(")
                    .bind(group.to_string())
                    .push(", ")
                    .bind(a.to_string())
                    .push(", ")
                    .bind(org.to_string())
                    .push(", ")
                    .bind(at)
                    .push(")");
            }
            q.push(" ON CONFLICT DO NOTHING");
            q.execute(self.c()).await?;
        }
        Ok(())
    }

    pub(crate) async fn remove_members(
        &mut self,
        org: OrgId,
        group: gatehouse_core::ids::GroupId,
        accounts: &[AccountId],
    ) -> Result<()> {
        for chunk in accounts.chunks(CHUNK) {
            let mut q = Sql::new("DELETE FROM group_members WHERE org_id = ");
            q.bind(org.to_string())
                .push(" AND group_id = ")
                .bind(group.to_string())
                .push(" AND account_id IN (");
            for (n, a) in chunk.iter().enumerate() {
                if n > 0 {
                    q.push(", ");
                }
                q.bind(a.to_string());
            }
            q.push(")");
            q.execute(self.c()).await?;
        }
        Ok(())
    }
}

impl Db<sqlx::Transaction<'static, sqlx::Any>> {
    /// Replaces the indexed values of a user with those of its resource (`fresh`: it has none).
    pub(crate) async fn index_user_values(&mut self, u: &ScimUser, fresh: bool) -> Result<()> {
        if !fresh {
            sqlx::query("DELETE FROM scim_user_values WHERE user_id = $1")
                .bind(u.id.clone())
                .execute(self.c())
                .await
                .map_err(db_err)?;
        }
        let rows = flatten(&u.resource);
        for chunk in rows.chunks(100) {
            // The directory and user are bound once and referred to from every row.
            let mut q = Sql::new(
                "INSERT INTO scim_user_values (directory_id, user_id, path, element, value, value_folded) VALUES ",
            );
            let dir = q.bind_only(u.directory_id.to_string());
            let user = q.bind_only(u.id.clone());
            for (n, (path, element, value)) in chunk.iter().enumerate() {
                if n > 0 {
                    q.push(", ");
                }
                q.push("(")
                    .push_ref(dir)
                    .push(", ")
                    .push_ref(user)
                    .push(", ")
                    .bind(path.clone());
                q.push(", ")
                    .bind(*element)
                    .push(", ")
                    .bind(value.clone())
                    .push(", ")
                    .bind(value.to_lowercase())
                    .push(")");
            }
            q.execute(self.c()).await?;
        }
        Ok(())
    }
}

impl Db<sqlx::Transaction<'static, sqlx::Any>> {
    /// Indexes the values of users that have none yet, many users to a statement.
    pub(crate) async fn index_new_users_values(&mut self, users: &[ScimUser]) -> Result<()> {
        let rows: Vec<(&ScimUser, (String, i64, String))> = users
            .iter()
            .flat_map(|u| flatten(&u.resource).into_iter().map(move |r| (u, r)))
            .collect();
        for chunk in rows.chunks(VALUE_CHUNK) {
            let mut q = Sql::new(
                "INSERT INTO scim_user_values (directory_id, user_id, path, element, value, value_folded) VALUES ",
            );
            for (n, (u, (path, element, value))) in chunk.iter().enumerate() {
                if n > 0 {
                    q.push(", ");
                }
                q.push("(")
                    .bind(u.directory_id.to_string())
                    .push(", ")
                    .bind(u.id.clone());
                q.push(", ").bind(path.clone()).push(", ").bind(*element);
                q.push(", ")
                    .bind(value.clone())
                    .push(", ")
                    .bind(value.to_lowercase())
                    .push(")");
            }
            q.execute(self.c()).await?;
        }
        Ok(())
    }
}

/// Value rows per multi-row insert (6 values a row).
const VALUE_CHUNK: usize = 500;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_flatten_to_paths_elements_and_values() {
        let rows = flatten(
            r#"{"schemas":["x"],"userName":"Ada","emails":[{"type":"work","value":"A@x.org"},{"type":"home","value":"b@y.org"}],
            "name":{"familyName":"Lovelace"},"active":true,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"7","manager":{"value":"m1"}}}"#,
        );
        let has = |p: &str, e: i64, v: &str| rows.iter().any(|(rp, re, rv)| rp == p && *re == e && rv == v);
        assert!(
            !rows.iter().any(|(p, _, _)| p == "username"),
            "userName has its own column"
        );
        assert!(
            has("emails.type", 1, "home") && has("emails.value", 1, "b@y.org") && has("emails.value", 0, "A@x.org")
        );
        assert!(has("name.familyname", 0, "Lovelace"));
        assert!(!rows.iter().any(|(p, _, _)| p == "active"), "active has its own column");
        assert!(has(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:employeenumber",
            0,
            "7"
        ));
        assert!(has(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:manager.value",
            0,
            "m1"
        ));
        assert!(!rows.iter().any(|(p, _, _)| p == "schemas"));
    }
}
