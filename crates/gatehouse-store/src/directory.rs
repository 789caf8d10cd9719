//! Directories, their tokens, SCIM users and groups, held operations.

use crate::db::{opt_ms, sql_with};
use crate::sql::Sql;
use crate::{Db, SqlTx, rows};
use gatehouse_core::directory::{GroupPredicate, GroupSort, ScimGroup, ScimUser, UserPredicate, UserSort};
use gatehouse_core::ids::{EventId, GroupId, OrgId};
use gatehouse_core::ports::{
    DirectoryReads, DirectoryTokenMatch, DirectoryTx, ScimGroupMember, ScimListQuery, ScimPage, ScimUserAccount,
};
use gatehouse_core::{Result, Timestamp};
use sqlx::AnyConnection;
use std::ops::DerefMut;

impl<C: DerefMut<Target = AnyConnection> + Send> DirectoryReads for Db<C> {
    async fn find_directory(
        &mut self,
        org: OrgId,
        id: gatehouse_core::ids::DirectoryId,
    ) -> Result<Option<gatehouse_core::directory::Directory>> {
        let mut q = sql_with(
            concat!("SELECT ", directory_cols!(""), " FROM directories WHERE org_id = "),
            org.to_string(),
        );
        q.push(" AND id = ").bind(id.to_string());
        self.one(&q, crate::scim::directory).await
    }

    async fn list_directories(&mut self, org: OrgId) -> Result<Vec<gatehouse_core::directory::Directory>> {
        let mut q = sql_with(
            concat!("SELECT ", directory_cols!(""), " FROM directories WHERE org_id = "),
            org.to_string(),
        );
        q.push(" ORDER BY id");
        self.all(&q, crate::scim::directory).await
    }

    async fn list_directory_tokens(
        &mut self,
        directory: gatehouse_core::ids::DirectoryId,
    ) -> Result<Vec<gatehouse_core::directory::DirectoryToken>> {
        let mut q = sql_with(
            concat!(
                "SELECT ",
                directory_token_cols!(),
                " FROM directory_tokens WHERE directory_id = "
            ),
            directory.to_string(),
        );
        q.push(" ORDER BY id");
        self.all(&q, |r| crate::scim::token(r, "")).await
    }

    async fn find_directory_token(&mut self, digest: &str) -> Result<Option<DirectoryTokenMatch>> {
        let q = sql_with(
            concat!(
                "SELECT ",
                directory_cols!("d."),
                ", t.id AS t_id, t.directory_id AS t_directory_id, t.prefix AS t_prefix, t.created_at AS t_created_at, \
             t.expires_at AS t_expires_at, t.revoked_at AS t_revoked_at \
             FROM directory_tokens t JOIN directories d ON d.id = t.directory_id WHERE t.digest = "
            ),
            digest,
        );
        self.one(&q, |r| {
            Ok(DirectoryTokenMatch {
                directory: crate::scim::directory(r)?,
                token: crate::scim::token(r, "t_")?,
            })
        })
        .await
    }

    async fn find_scim_user(
        &mut self,
        directory: gatehouse_core::ids::DirectoryId,
        id: &str,
    ) -> Result<Option<gatehouse_core::directory::ScimUser>> {
        let mut q = sql_with(
            concat!("SELECT ", scim_user_cols!(""), " FROM scim_users WHERE directory_id = "),
            directory.to_string(),
        );
        q.push(" AND id = ").bind(id);
        self.one(&q, crate::scim::user).await
    }

    async fn list_scim_users(
        &mut self,
        directory: gatehouse_core::ids::DirectoryId,
        query: &ScimListQuery<'_, UserPredicate, UserSort>,
    ) -> Result<ScimPage<ScimUser>> {
        Ok(self.scim_users_page_with_groups(directory, query, false).await?.0)
    }

    async fn find_scim_group(
        &mut self,
        directory: gatehouse_core::ids::DirectoryId,
        id: &str,
    ) -> Result<Option<gatehouse_core::directory::ScimGroup>> {
        let mut q = sql_with(
            concat!("SELECT ", scim_group_cols!(), " FROM scim_groups WHERE directory_id = "),
            directory.to_string(),
        );
        q.push(" AND id = ").bind(id);
        self.one(&q, crate::scim::group).await
    }

    async fn list_scim_groups(
        &mut self,
        directory: gatehouse_core::ids::DirectoryId,
        query: &ScimListQuery<'_, GroupPredicate, GroupSort>,
    ) -> Result<ScimPage<ScimGroup>> {
        self.scim_groups_page(directory, query).await
    }

    async fn list_scim_group_members(
        &mut self,
        directory: gatehouse_core::ids::DirectoryId,
        group: GroupId,
    ) -> Result<Vec<ScimGroupMember>> {
        let mut q = Sql::new(
            "SELECT su.id, a.display_name FROM group_members gm JOIN scim_users su ON su.account_id = gm.account_id AND su.directory_id = ",
        );
        q.bind(directory.to_string())
            .push(" JOIN accounts a ON a.id = gm.account_id WHERE gm.group_id = ")
            .bind(group.to_string());
        q.push(" ORDER BY su.id");
        self.all(&q, |r| {
            Ok(ScimGroupMember {
                user_id: rows::s(r, "id")?,
                display_name: rows::s(r, "display_name")?,
            })
        })
        .await
    }

    async fn find_scim_user_accounts(
        &mut self,
        directory: gatehouse_core::ids::DirectoryId,
        ids: &[String],
    ) -> Result<Vec<ScimUserAccount>> {
        self.scim_user_accounts(directory, ids).await
    }

    async fn list_scim_user_groups(
        &mut self,
        directory: gatehouse_core::ids::DirectoryId,
        accounts: &[gatehouse_core::ids::AccountId],
    ) -> Result<Vec<(gatehouse_core::ids::AccountId, gatehouse_core::ports::ScimGroupRef)>> {
        self.scim_user_groups(directory, accounts).await
    }

    async fn list_scim_users_with_groups(
        &mut self,
        directory: gatehouse_core::ids::DirectoryId,
        query: &ScimListQuery<'_, UserPredicate, UserSort>,
        groups: bool,
    ) -> Result<gatehouse_core::ports::UsersWithGroups> {
        self.scim_users_page_with_groups(directory, query, groups).await
    }

    async fn count_directory_deactivations(
        &mut self,
        org: OrgId,
        directory: gatehouse_core::ids::DirectoryId,
        since: Timestamp,
    ) -> Result<i64> {
        let mut q = sql_with(
            "SELECT COUNT(*) AS n FROM audit_events WHERE org_id = ",
            org.to_string(),
        );
        q.push(" AND actor_id = ").bind(directory.to_string());
        q.push(" AND id >= ").bind(EventId::lower_bound(since));
        // Suspensions of accounts the organization does not manage count as deactivations do.
        q.push(" AND action IN ('scim.user_deactivated', 'scim.user_deleted', 'scim.user_suspended')");
        self.int(&q, "n").await
    }

    async fn list_held_operations(
        &mut self,
        directory: gatehouse_core::ids::DirectoryId,
    ) -> Result<Vec<gatehouse_core::directory::HeldOperation>> {
        let mut q = sql_with(
            concat!(
                "SELECT ",
                held_operation_cols!(),
                " FROM scim_held_operations WHERE directory_id = "
            ),
            directory.to_string(),
        );
        q.push(" ORDER BY created_at, id");
        self.all(&q, crate::scim::held).await
    }
}

impl DirectoryTx for SqlTx {
    async fn insert_directory(&mut self, d: &gatehouse_core::directory::Directory) -> Result<()> {
        let q = Sql::new(
            "INSERT INTO directories (id, org_id, name, created_at, deactivation_limit_per_hour) VALUES ($1, \
             $2, $3, $4, $5)",
        )
        .with(d.id.to_string())
        .with(d.org_id.to_string())
        .with(d.name.clone())
        .with(d.created_at.millis())
        .with(d.deactivation_limit_per_hour);
        self.exec(&q).await?;
        Ok(())
    }

    async fn update_directory(&mut self, d: &gatehouse_core::directory::Directory) -> Result<()> {
        let q = Sql::new(
            "UPDATE directories SET name = $1, deactivation_limit_per_hour = $2 WHERE org_id = $3 AND id = $4",
        )
        .with(d.name.clone())
        .with(d.deactivation_limit_per_hour)
        .with(d.org_id.to_string())
        .with(d.id.to_string());
        self.exec(&q).await?;
        Ok(())
    }

    async fn delete_directory(&mut self, org: OrgId, id: gatehouse_core::ids::DirectoryId) -> Result<()> {
        let q = Sql::new(
            "DELETE FROM scim_user_values WHERE directory_id IN (SELECT id FROM directories WHERE org_id = \
             $1 AND id = $2)",
        )
        .with(org.to_string())
        .with(id.to_string());
        self.exec(&q).await?;
        let q = Sql::new("DELETE FROM directories WHERE org_id = $1 AND id = $2")
            .with(org.to_string())
            .with(id.to_string());
        self.exec(&q).await?;
        Ok(())
    }

    async fn insert_directory_token(
        &mut self,
        t: &gatehouse_core::directory::DirectoryToken,
        digest: &str,
    ) -> Result<()> {
        let q = Sql::new(
            "INSERT INTO directory_tokens (id, directory_id, digest, prefix, created_at, expires_at, \
             revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .with(t.id.clone())
        .with(t.directory_id.to_string())
        .with(digest)
        .with(t.prefix.clone())
        .with(t.created_at.millis())
        .with(opt_ms(t.expires_at))
        .with(opt_ms(t.revoked_at));
        self.exec(&q).await?;
        Ok(())
    }

    async fn update_directory_token(&mut self, t: &gatehouse_core::directory::DirectoryToken) -> Result<()> {
        let q = Sql::new(
            "UPDATE directory_tokens SET expires_at = $1, revoked_at = $2 WHERE id = $3 AND directory_id = $4",
        )
        .with(opt_ms(t.expires_at))
        .with(opt_ms(t.revoked_at))
        .with(t.id.clone())
        .with(t.directory_id.to_string());
        self.exec(&q).await?;
        Ok(())
    }

    async fn announce_directory_change(&mut self) -> Result<()> {
        if let Some(notify) = self.dialect.notify_sql() {
            // Delivered when the transaction commits, and not at all if it rolls back.
            let q = Sql::new(notify).with(crate::DIRECTORY_CHANGES_CHANNEL);
            self.exec(&q).await?;
        }
        Ok(())
    }

    async fn insert_scim_user(&mut self, u: &gatehouse_core::directory::ScimUser) -> Result<()> {
        let u = std::slice::from_ref(u);
        self.insert_rows(
            &crate::json_rows::SCIM_USERS,
            &u.iter().map(crate::json_rows::scim_user_row).collect::<Vec<_>>(),
        )
        .await?;
        self.index_new_users_values(u).await
    }

    async fn update_scim_user(
        &mut self,
        u: &gatehouse_core::directory::ScimUser,
        expected_version: i64,
    ) -> Result<bool> {
        let q = Sql::new(
            "UPDATE scim_users SET user_name = $1, user_name_folded = $2, external_id = $3, email = $4, \
             active = $5, resource = $6, version = $7, updated_at = $8 WHERE directory_id = $9 AND id = $10 \
             AND version = $11",
        )
        .with(u.user_name.clone())
        .with(u.user_name.to_lowercase())
        .with(u.external_id.clone())
        .with(u.email.as_ref().map(|e| e.to_lowercase()))
        .with(i64::from(u.active))
        .with(u.resource.clone())
        .with(u.version)
        .with(u.updated_at.millis())
        .with(u.directory_id.to_string())
        .with(u.id.clone())
        .with(expected_version);
        let n = self.exec(&q).await?;
        if n == 1 {
            self.reindex_user_values(u).await?;
        }
        Ok(n == 1)
    }

    async fn delete_scim_user(&mut self, directory: gatehouse_core::ids::DirectoryId, id: &str) -> Result<()> {
        let q = Sql::new("DELETE FROM scim_user_values WHERE directory_id = $1 AND user_id = $2")
            .with(directory.to_string())
            .with(id);
        self.exec(&q).await?;
        let q = Sql::new("DELETE FROM scim_users WHERE directory_id = $1 AND id = $2")
            .with(directory.to_string())
            .with(id);
        self.exec(&q).await?;
        Ok(())
    }

    async fn insert_scim_group(&mut self, g: &gatehouse_core::directory::ScimGroup) -> Result<()> {
        let q = Sql::new(
            "INSERT INTO scim_groups (id, directory_id, group_id, display_name, display_name_folded, \
             external_id, resource, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
             $9, $10)",
        )
        .with(g.id.clone())
        .with(g.directory_id.to_string())
        .with(g.group_id.to_string())
        .with(g.display_name.clone())
        .with(g.display_name.to_lowercase())
        .with(g.external_id.clone())
        .with(g.resource.clone())
        .with(g.version)
        .with(g.created_at.millis())
        .with(g.updated_at.millis());
        self.exec(&q).await?;
        Ok(())
    }

    async fn update_scim_group(
        &mut self,
        g: &gatehouse_core::directory::ScimGroup,
        expected_version: i64,
    ) -> Result<bool> {
        let q = Sql::new(
            "UPDATE scim_groups SET display_name = $1, display_name_folded = $2, external_id = $3, resource \
             = $4, version = $5, updated_at = $6 WHERE directory_id = $7 AND id = $8 AND version = $9",
        )
        .with(g.display_name.clone())
        .with(g.display_name.to_lowercase())
        .with(g.external_id.clone())
        .with(g.resource.clone())
        .with(g.version)
        .with(g.updated_at.millis())
        .with(g.directory_id.to_string())
        .with(g.id.clone())
        .with(expected_version);
        let n = self.exec(&q).await?;
        Ok(n == 1)
    }

    async fn upsert_held_operation(&mut self, op: &gatehouse_core::directory::HeldOperation) -> Result<()> {
        let q = Sql::new(
            "INSERT INTO scim_held_operations (id, directory_id, resource_id, kind, change, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (directory_id, resource_id) DO UPDATE SET kind = \
             excluded.kind, change = excluded.change, created_at = excluded.created_at",
        )
        .with(op.id.clone())
        .with(op.directory_id.to_string())
        .with(op.resource_id.clone())
        .with(op.change.kind())
        .with(op.change.to_stored())
        .with(op.created_at.millis());
        self.exec(&q).await?;
        Ok(())
    }

    async fn delete_held_operations(&mut self, directory: gatehouse_core::ids::DirectoryId) -> Result<u64> {
        let q = Sql::new("DELETE FROM scim_held_operations WHERE directory_id = $1").with(directory.to_string());
        let n = self.exec(&q).await?;
        Ok(n)
    }
}
