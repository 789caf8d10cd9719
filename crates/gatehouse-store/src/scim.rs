//! SCIM directories, provisioned users and groups: rows, the users' value index, memberships
//! in bulk.

use crate::db::Db;
use crate::error::db_err;
use crate::sql::Sql;
use crate::{json_rows, rows};
use gatehouse_core::directory::{Directory, DirectoryToken, ScimUser};
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
/// Accounts per `scim_user_groups` query: a whole page of users (`MAX_COUNT` at the edge).
const USER_GROUPS_CHUNK: usize = 1000;

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

    /// The directory's groups these accounts are members of, in one query (a page of users is
    /// at most 1000, within both engines' bind limits). The organization (the directory's) lets
    /// the memberships be read through `group_members (org_id, account_id)`.
    pub(crate) async fn scim_user_groups(
        &mut self,
        dir: DirectoryId,
        accounts: &[AccountId],
    ) -> Result<Vec<(AccountId, gatehouse_core::ports::ScimGroupRef)>> {
        let mut out = Vec::new();
        for chunk in accounts.chunks(USER_GROUPS_CHUNK) {
            let mut q = Sql::new(
                "SELECT gm.account_id, sg.id, sg.display_name FROM group_members gm JOIN scim_groups sg ON \
                 sg.group_id = gm.group_id AND sg.directory_id = ",
            );
            let d = q.bind_only(dir.to_string());
            q.push_ref(d)
                .push(" WHERE gm.org_id = (SELECT d.org_id FROM directories d WHERE d.id = ")
                .push_ref(d)
                .push(") AND gm.account_id IN (");
            for (n, a) in chunk.iter().enumerate() {
                if n > 0 {
                    q.push(", ");
                }
                q.bind(a.to_string());
            }
            q.push(") ORDER BY gm.account_id, sg.display_name_folded, sg.id");
            out.extend(self.all(&q, rows::scim_user_group).await?);
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
