//! SCIM directories, provisioned users and groups: rows, the users' value index, memberships
//! in bulk.

use crate::error::db_err;
use crate::sql::Sql;
use crate::{Db, json_rows, rows};
use gatehouse_core::directory::{Directory, DirectoryToken, ScimUser};
use gatehouse_core::ids::{AccountId, DirectoryId, OrgId};
use gatehouse_core::{CoreError, Result, value_index};
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
        change: gatehouse_core::directory::HeldChange::from_stored(&rows::s(r, "kind")?, &rows::s(r, "change")?)?,
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

/// One indexed value of a user: where it is (lower-cased path, element: its position in a
/// multi-valued attribute), its text, and typed copies so numbers and dateTimes order as such.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ValueRow {
    pub path: String,
    pub element: i64,
    pub value: String,
    /// A JSON number's value.
    pub num: Option<f64>,
    /// A string that is an RFC 3339 instant (RFC 7643 §2.3.5), in epoch milliseconds (UTC).
    pub time: Option<i64>,
}

/// The instant a string names, if it is an RFC 3339 date-time. A cheap shape check first: most
/// values are names and addresses.
fn instant(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    gatehouse_core::Timestamp::parse_rfc3339(s, "value")
        .ok()
        .map(gatehouse_core::Timestamp::millis)
}

/// The rows indexing a user's resource: each string, number and boolean with its path (named
/// as `gatehouse_core::value_index` says) and element. Capped, so a huge resource cannot flood
/// the index.
pub(crate) fn flatten(resource: &str) -> Vec<ValueRow> {
    fn leaf(prefix: &str, element: i64, v: &serde_json::Value) -> Option<ValueRow> {
        let (value, num, time) = match v {
            serde_json::Value::String(s) => (s.chars().take(512).collect(), None, instant(s)),
            serde_json::Value::Bool(b) => (b.to_string(), None, None),
            serde_json::Value::Number(n) => (n.to_string(), n.as_f64(), None),
            _ => return None,
        };
        Some(ValueRow {
            path: prefix.to_owned(),
            element,
            value,
            num,
            time,
        })
    }
    fn walk(prefix: &str, v: &serde_json::Value, element: i64, out: &mut Vec<ValueRow>, depth: u8) {
        if out.len() >= 300 || depth > 3 {
            return;
        }
        match v {
            serde_json::Value::Object(o) => {
                for (k, x) in o {
                    walk(&value_index::sub_path(prefix, k), x, element, out, depth + 1);
                }
            }
            serde_json::Value::Array(a) if depth <= 1 => {
                for (i, x) in a.iter().enumerate() {
                    walk(prefix, x, i as i64, out, depth + 1);
                }
            }
            other => out.extend(leaf(prefix, element, other)),
        }
    }
    let mut out = Vec::new();
    let Ok(serde_json::Value::Object(top)) = serde_json::from_str::<serde_json::Value>(resource) else {
        return out;
    };
    for (k, v) in &top {
        let key = value_index::attr_path(None, k);
        match v {
            serde_json::Value::Object(inner) if key.starts_with("urn:") => {
                for (ik, x) in inner {
                    walk(&value_index::attr_path(Some(k), ik), x, 0, &mut out, 1);
                }
            }
            // Their own columns answer these; indexing them again would only cost writes.
            _ if matches!(key.as_str(), "username" | "externalid" | "active" | "id") => {}
            _ => walk(&key, v, 0, &mut out, 0),
        }
    }
    out
}

/// Rebuilds every user's value index from its resource, in the migration that added the typed
/// columns: SQL alone cannot tell a JSON number from a numeric string or read an RFC 3339
/// instant. It also indexes users written before the index existed and their `schemas`.
pub(crate) async fn reindex_all_users(conn: &mut AnyConnection, dialect: crate::dialect::Dialect) -> Result<()> {
    Sql::new("DELETE FROM scim_user_values").execute(&mut *conn).await?;
    let mut after = String::new();
    loop {
        let batch = Sql::new("SELECT id, directory_id, resource FROM scim_users WHERE id > $1 ORDER BY id LIMIT 500")
            .with(after.clone())
            .fetch_all(&mut *conn)
            .await?;
        let Some(last) = batch.last() else {
            return Ok(());
        };
        after = rows::s(last, "id")?;
        let mut values = Vec::new();
        for r in &batch {
            let (dir, user) = (rows::s(r, "directory_id")?, rows::s(r, "id")?);
            json_rows::push_value_rows(&dir, &user, &rows::s(r, "resource")?, &mut values);
        }
        for chunk in values.chunks(VALUE_CHUNK) {
            json_rows::statement(dialect, &json_rows::USER_VALUES, json_rows::to_json(chunk)?)
                .execute(conn)
                .await?;
        }
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

/// Rows per multi-row statement when changing memberships in bulk.
const CHUNK: usize = 400;

impl<C: DerefMut<Target = AnyConnection> + Send> Db<C> {
    pub(crate) async fn scim_user_accounts(
        &mut self,
        dir: DirectoryId,
        ids: &[String],
    ) -> Result<Vec<gatehouse_core::ports::ScimUserAccount>> {
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
            out.extend(self.all(&q, rows::scim_user_account).await?);
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
        let (group, org) = (group.to_string(), org.to_string());
        let rows: Vec<(&str, String, &str, i64)> = accounts
            .iter()
            .map(|a| (group.as_str(), a.to_string(), org.as_str(), at))
            .collect();
        for chunk in rows.chunks(json_rows::ROWS_PER_INSERT) {
            self.insert_rows(&json_rows::GROUP_MEMBERS, chunk).await?;
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
    /// Replaces the indexed values of a user with those of its (new) resource.
    pub(crate) async fn reindex_user_values(&mut self, u: &ScimUser) -> Result<()> {
        let q = Sql::new("DELETE FROM scim_user_values WHERE user_id = $1").with(u.id.clone());
        self.exec(&q).await?;
        self.index_new_users_values(std::slice::from_ref(u)).await
    }

    /// Indexes the values of users that have none yet.
    pub(crate) async fn index_new_users_values(&mut self, users: &[ScimUser]) -> Result<()> {
        let values = json_rows::value_rows(users);
        for chunk in values.chunks(VALUE_CHUNK) {
            self.insert_rows(&json_rows::USER_VALUES, chunk).await?;
        }
        Ok(())
    }
}

/// Value rows per insert: a bounded JSON parameter however large the users are.
const VALUE_CHUNK: usize = 2000;

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
        let has = |p: &str, e: i64, v: &str| rows.iter().any(|r| r.path == p && r.element == e && r.value == v);
        assert!(
            !rows.iter().any(|r| r.path == "username"),
            "userName has its own column"
        );
        assert!(
            has("emails.type", 1, "home") && has("emails.value", 1, "b@y.org") && has("emails.value", 0, "A@x.org")
        );
        assert!(has("name.familyname", 0, "Lovelace"));
        assert!(!rows.iter().any(|r| r.path == "active"), "active has its own column");
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
        assert!(has("schemas", 0, "x"), "schemas can be filtered on");
    }

    #[test]
    fn numbers_and_instants_get_typed_copies_and_nothing_else_does() {
        let rows = flatten(
            r#"{"n":{"int":42,"dec":-1.5,"numeric_text":"42"},
            "dates":[{"z":"2011-05-13T04:42:34Z","offset":"2011-05-13T06:42:34.250+02:00","day":"2011-05-13",
            "nonsense":"2011-13-45T99:00:00Z","flag":true}]}"#,
        );
        let row = |p: &str| {
            rows.iter()
                .find(|r| r.path == p)
                .unwrap_or_else(|| panic!("{p}: {rows:?}"))
        };
        assert_eq!((row("n.int").num, row("n.int").value.as_str()), (Some(42.0), "42"));
        assert_eq!(row("n.dec").num, Some(-1.5));
        assert_eq!(row("n.numeric_text").num, None, "a string is not a number");
        assert_eq!(row("n.int").time, None);
        let z = 1_305_261_754_000;
        assert_eq!(row("dates.z").time, Some(z));
        assert_eq!(row("dates.offset").time, Some(z + 250), "same instant, another offset");
        assert_eq!(row("dates.day").time, None, "a date is not an instant");
        assert_eq!(row("dates.nonsense").time, None);
        assert_eq!((row("dates.flag").num, row("dates.flag").time), (None, None));
        assert!(rows.iter().all(|r| r.num.is_none() || r.time.is_none()));
    }
}
