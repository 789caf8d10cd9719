//! Instances, groups, product access and org admins.

use crate::billing::Touched;
use crate::db::sql_with;
use crate::sql::Sql;
use crate::{Db, SqlTx, rows};
use gatehouse_core::ids::{AccessId, AccountId, GroupId, InstanceId, OrgId};
use gatehouse_core::model::{
    Access, AccessFilter, EffectiveAccess, Group, GroupMember, Instance, Org, OrgAdminRole, Principal,
};
use gatehouse_core::page::{Page, PageRequest};
use gatehouse_core::ports::{
    AccessReads, AccessTx, AdminReads, AdminTx, GroupReads, GroupTx, InstanceReads, InstanceTx,
};
use gatehouse_core::product::Product;
use gatehouse_core::{Result, Timestamp};
use sqlx::AnyConnection;
use std::ops::DerefMut;

impl<C: DerefMut<Target = AnyConnection> + Send> InstanceReads for Db<C> {
    async fn find_instance(&mut self, org: OrgId, id: InstanceId) -> Result<Option<Instance>> {
        let mut q = sql_with(
            concat!("SELECT ", instance_cols!(), " FROM instances WHERE org_id = "),
            org.to_string(),
        );
        q.push(" AND id = ").bind(id.to_string());
        self.one(&q, rows::instance).await
    }

    async fn list_instances(
        &mut self,
        org: OrgId,
        product: Option<Product>,
        page: &PageRequest,
    ) -> Result<Page<Instance>> {
        let mut q = sql_with(
            concat!("SELECT ", instance_cols!(), " FROM instances WHERE org_id = "),
            org.to_string(),
        );
        if let Some(p) = product {
            q.push(" AND product = ").bind(p.as_str());
        }
        self.page(q, "id", false, page, rows::instance, |i| i.id.to_string())
            .await
    }
}

impl InstanceTx for SqlTx {
    async fn insert_instance(&mut self, i: &Instance) -> Result<bool> {
        let q = Sql::new(
            "INSERT INTO instances (id, org_id, product, name, url, edition, created_at) VALUES ($1, $2, $3, \
             $4, $5, $6, $7) ON CONFLICT (url) DO NOTHING",
        )
        .with(i.id.to_string())
        .with(i.org_id.to_string())
        .with(i.product.as_str())
        .with(i.name.clone())
        .with(i.url.clone())
        .with(i.edition.as_str())
        .with(i.created_at.millis());
        let n = self.exec(&q).await?;
        Ok(n == 1)
    }

    async fn update_instance(&mut self, i: &Instance) -> Result<()> {
        let q = Sql::new("UPDATE instances SET name = $1, edition = $2 WHERE org_id = $3 AND id = $4")
            .with(i.name.clone())
            .with(i.edition.as_str())
            .with(i.org_id.to_string())
            .with(i.id.to_string());
        // The edition decides two facts of everyone who uses the instance (enterprise or not;
        // for Statuspage, paid or not); a new name, or an edition on the same side of both, none.
        let was = Sql::new("SELECT product, edition FROM instances WHERE id = $1").with(i.id.to_string());
        let was = self
            .one(&was, |r| Ok((rows::s(r, "product")?, rows::s(r, "edition")?)))
            .await?;
        let class = |product: &str, edition: &str| {
            let paid_statuspage = product == "statuspage" && matches!(edition, "startup" | "business" | "enterprise");
            (paid_statuspage, edition == "enterprise")
        };
        if was.is_some_and(|(product, edition)| class(&product, &edition) == class(&product, i.edition.as_str())) {
            return self.exec(&q).await.map(|_| ());
        }
        let marked = self.billing_mark(i.org_id, Touched::Instance(i.id)).await?;
        self.exec(&q).await?;
        self.billing_settle(i.org_id, marked).await.map(|_| ())
    }

    async fn delete_instance(&mut self, org: OrgId, id: InstanceId) -> Result<()> {
        let mut q = Sql::new("DELETE FROM instances WHERE org_id = ");
        q.bind(org.to_string()).push(" AND id = ").bind(id.to_string());
        let marked = self.billing_mark(org, Touched::Instance(id)).await?;
        self.exec(&q).await?;
        self.billing_settle(org, marked).await.map(|_| ())
    }
}

impl<C: DerefMut<Target = AnyConnection> + Send> GroupReads for Db<C> {
    async fn find_group(&mut self, org: OrgId, id: GroupId) -> Result<Option<Group>> {
        let mut q = sql_with(group_select!(), org.to_string());
        q.push(" AND g.id = ").bind(id.to_string());
        self.one(&q, rows::group).await
    }

    async fn list_groups(&mut self, org: OrgId, name: Option<&str>, page: &PageRequest) -> Result<Page<Group>> {
        let mut q = sql_with(group_select!(), org.to_string());
        if let Some(n) = name {
            q.push(" AND g.name_folded LIKE ").bind_contains(&n.to_lowercase());
        }
        self.page(q, "g.id", false, page, rows::group, |g| g.id.to_string())
            .await
    }

    async fn list_group_members(
        &mut self,
        org: OrgId,
        group: GroupId,
        page: &PageRequest,
    ) -> Result<Page<GroupMember>> {
        let mut q = Sql::new(
            "SELECT a.id, a.email, a.display_name, gm.added_at FROM group_members gm JOIN accounts a ON a.id = gm.account_id WHERE gm.org_id = ",
        );
        q.bind(org.to_string())
            .push(" AND gm.group_id = ")
            .bind(group.to_string());
        self.page(q, "a.id", false, page, rows::member, |m| m.account_id.to_string())
            .await
    }

    async fn list_account_groups(&mut self, org: OrgId, id: AccountId) -> Result<Vec<Group>> {
        let mut q = sql_with(group_select!(), org.to_string());
        q.push(" AND g.id IN (SELECT group_id FROM group_members WHERE org_id = ")
            .bind(org.to_string());
        q.push(" AND account_id = ")
            .bind(id.to_string())
            .push(") ORDER BY g.name_folded");
        self.all(&q, rows::group).await
    }
}

impl GroupTx for SqlTx {
    async fn insert_group(&mut self, g: &Group) -> Result<bool> {
        let q = Sql::new(
            "INSERT INTO org_groups (id, org_id, name, name_folded, description, created_at, directory_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (org_id, name_folded) DO NOTHING",
        )
        .with(g.id.to_string())
        .with(g.org_id.to_string())
        .with(g.name.clone())
        .with(g.name.to_lowercase())
        .with(g.description.clone())
        .with(g.created_at.millis())
        .with(g.directory_id.map(|d| d.to_string()));
        let n = self.exec(&q).await?;
        Ok(n == 1)
    }

    async fn update_group(&mut self, g: &Group) -> Result<()> {
        let q = Sql::new(
            "UPDATE org_groups SET name = $1, name_folded = $2, description = $3 WHERE org_id = $4 AND id = $5",
        )
        .with(g.name.clone())
        .with(g.name.to_lowercase())
        .with(g.description.clone())
        .with(g.org_id.to_string())
        .with(g.id.to_string());
        self.exec(&q).await?;
        Ok(())
    }

    async fn delete_group(&mut self, org: OrgId, id: GroupId) -> Result<()> {
        let mut q = Sql::new("DELETE FROM org_groups WHERE org_id = ");
        q.bind(org.to_string()).push(" AND id = ").bind(id.to_string());
        let marked = self.billing_mark(org, Touched::Group(id)).await?;
        self.exec(&q).await?;
        self.billing_settle(org, marked).await.map(|_| ())
    }

    async fn insert_group_member(
        &mut self,
        org: OrgId,
        group: GroupId,
        account: AccountId,
        at: Timestamp,
    ) -> Result<bool> {
        let q = Sql::new(
            "INSERT INTO group_members (group_id, account_id, org_id, added_at) VALUES ($1, $2, $3, $4) ON \
             CONFLICT DO NOTHING",
        )
        .with(group.to_string())
        .with(account.to_string())
        .with(org.to_string())
        .with(at.millis());
        let marked = self.billing_mark(org, Touched::Account(account)).await?;
        let n = self.exec(&q).await?;
        self.billing_settle(org, marked).await?;
        Ok(n == 1)
    }

    async fn delete_group_member(&mut self, org: OrgId, group: GroupId, account: AccountId) -> Result<bool> {
        let mut q = Sql::new("DELETE FROM group_members WHERE org_id = ");
        q.bind(org.to_string()).push(" AND group_id = ").bind(group.to_string());
        q.push(" AND account_id = ").bind(account.to_string());
        let marked = self.billing_mark(org, Touched::Account(account)).await?;
        let n = self.exec(&q).await?;
        self.billing_settle(org, marked).await?;
        Ok(n == 1)
    }

    async fn add_group_members(
        &mut self,
        org: OrgId,
        group: GroupId,
        accounts: &[AccountId],
        at: Timestamp,
    ) -> Result<()> {
        let marked = self.billing_mark(org, Touched::Accounts(accounts)).await?;
        self.add_members(org, group, accounts, at.millis()).await?;
        self.billing_settle(org, marked).await.map(|_| ())
    }

    async fn remove_group_members(&mut self, org: OrgId, group: GroupId, accounts: &[AccountId]) -> Result<()> {
        let marked = self.billing_mark(org, Touched::Accounts(accounts)).await?;
        self.remove_members(org, group, accounts).await?;
        self.billing_settle(org, marked).await.map(|_| ())
    }

    async fn clear_group_members(&mut self, org: OrgId, group: GroupId) -> Result<()> {
        let q = Sql::new("DELETE FROM group_members WHERE org_id = $1 AND group_id = $2")
            .with(org.to_string())
            .with(group.to_string());
        let marked = self.billing_mark(org, Touched::Group(group)).await?;
        self.exec(&q).await?;
        self.billing_settle(org, marked).await.map(|_| ())
    }
}

impl<C: DerefMut<Target = AnyConnection> + Send> AccessReads for Db<C> {
    async fn find_access(&mut self, org: OrgId, id: AccessId) -> Result<Option<Access>> {
        let mut q = Sql::new(concat!(
            "SELECT ",
            access_cols!("pa."),
            " FROM product_access pa WHERE pa.org_id = "
        ));
        q.bind(org.to_string()).push(" AND pa.id = ").bind(id.to_string());
        self.one(&q, rows::access).await
    }

    async fn list_access(&mut self, org: OrgId, f: &AccessFilter, page: &PageRequest) -> Result<Page<Access>> {
        let mut q = Sql::new(concat!(
            "SELECT ",
            access_cols!("pa."),
            " FROM product_access pa WHERE pa.org_id = "
        ));
        q.bind(org.to_string());
        if let Some(i) = f.instance {
            q.push(" AND pa.instance_id = ").bind(i.to_string());
        }
        match f.principal {
            Some(Principal::Account(a)) => {
                q.push(" AND pa.account_id = ").bind(a.to_string());
            }
            Some(Principal::Group(g)) => {
                q.push(" AND pa.group_id = ").bind(g.to_string());
            }
            None => {}
        }
        self.page(q, "pa.id", false, page, rows::access, |a| a.id.to_string())
            .await
    }

    async fn list_account_access(&mut self, org: OrgId, id: AccountId) -> Result<Vec<EffectiveAccess>> {
        // An account suspended in the organization has no access there while it lasts.
        let suspended = Sql::new(
            "SELECT 1 AS x FROM org_accounts WHERE org_id = $1 AND account_id = $2 AND suspended_at IS NOT NULL",
        )
        .with(org.to_string())
        .with(id.to_string());
        if self.exists(&suspended).await? {
            return Ok(Vec::new());
        }
        let mut q = Sql::new(
            "SELECT pa.id, pa.org_id, pa.instance_id, pa.account_id, pa.group_id, pa.role, pa.created_at, i.product, i.name AS instance_name, pa.group_id AS via_group FROM product_access pa JOIN instances i ON i.id = pa.instance_id JOIN group_members gm ON gm.group_id = pa.group_id WHERE pa.org_id = ",
        );
        q.bind(org.to_string())
            .push(" AND gm.account_id = ")
            .bind(id.to_string());
        q.push(" UNION ALL SELECT pa.id, pa.org_id, pa.instance_id, pa.account_id, pa.group_id, pa.role, pa.created_at, i.product, i.name AS instance_name, NULL AS via_group FROM product_access pa JOIN instances i ON i.id = pa.instance_id WHERE pa.org_id = ");
        q.bind(org.to_string())
            .push(" AND pa.account_id = ")
            .bind(id.to_string());
        // Sorted here: SQLite does not resolve qualified columns in a compound ORDER BY.
        let mut all = self.all(&q, rows::effective_access).await?;
        all.sort_by(|a, b| (&a.instance_name, a.access.id).cmp(&(&b.instance_name, b.access.id)));
        Ok(all)
    }
}

impl AccessTx for SqlTx {
    async fn insert_access(&mut self, a: &Access) -> Result<bool> {
        let (account, group) = match a.principal {
            Principal::Account(id) => (Some(id.to_string()), None),
            Principal::Group(id) => (None, Some(id.to_string())),
        };
        let q = Sql::new(
            "INSERT INTO product_access (id, org_id, instance_id, account_id, group_id, role, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        )
        .with(a.id.to_string())
        .with(a.org_id.to_string())
        .with(a.instance_id.to_string())
        .with(account)
        .with(group)
        .with(a.role.as_str())
        .with(a.created_at.millis());
        self.billing_lock(a.org_id).await?;
        let n = self.exec(&q).await?;
        let marked = self.billing_mark(a.org_id, Touched::Grant(a.id)).await?;
        self.billing_settle(a.org_id, marked).await?;
        Ok(n == 1)
    }

    async fn update_access(&mut self, a: &Access) -> Result<()> {
        let q = Sql::new("UPDATE product_access SET role = $1 WHERE org_id = $2 AND id = $3")
            .with(a.role.as_str())
            .with(a.org_id.to_string())
            .with(a.id.to_string());
        let marked = self.billing_mark(a.org_id, Touched::Grant(a.id)).await?;
        self.exec(&q).await?;
        self.billing_settle(a.org_id, marked).await.map(|_| ())
    }

    async fn delete_access(&mut self, org: OrgId, id: AccessId) -> Result<()> {
        let mut q = Sql::new("DELETE FROM product_access WHERE org_id = ");
        q.bind(org.to_string()).push(" AND id = ").bind(id.to_string());
        let marked = self.billing_mark(org, Touched::Grant(id)).await?;
        self.exec(&q).await?;
        self.billing_settle(org, marked).await.map(|_| ())
    }
}

/// An admin role `r` counts only while its account is not suspended in the organization (its
/// directory made an account the organization does not manage inactive).
const NOT_SUSPENDED: &str = " AND NOT EXISTS (SELECT 1 FROM org_accounts oa WHERE oa.org_id = r.org_id \
    AND oa.account_id = r.account_id AND oa.suspended_at IS NOT NULL)";

impl<C: DerefMut<Target = AnyConnection> + Send> AdminReads for Db<C> {
    async fn list_org_admins(&mut self, org: OrgId) -> Result<Vec<OrgAdminRole>> {
        let q = sql_with(
            "SELECT a.id, a.email, a.display_name, r.granted_at FROM org_admins r JOIN accounts a ON a.id = r.account_id WHERE r.org_id = ",
            org.to_string(),
        );
        let mut q = q;
        q.push(" ORDER BY a.email");
        self.all(&q, rows::admin).await
    }

    async fn is_org_admin(&mut self, org: OrgId, account: AccountId) -> Result<bool> {
        let mut q = sql_with("SELECT 1 AS x FROM org_admins r WHERE r.org_id = ", org.to_string());
        q.push(" AND r.account_id = ")
            .bind(account.to_string())
            .push(NOT_SUSPENDED);
        self.exists(&q).await
    }

    async fn list_admin_orgs(&mut self, account: AccountId) -> Result<Vec<Org>> {
        let mut q = sql_with(
            "SELECT o.id, o.name, o.plan, o.free_kind, o.created_at FROM org_admins r JOIN orgs o ON o.id = r.org_id WHERE r.account_id = ",
            account.to_string(),
        );
        q.push(NOT_SUSPENDED);
        q.push(" ORDER BY o.name, o.id");
        self.all(&q, rows::org).await
    }
}

impl AdminTx for SqlTx {
    async fn insert_org_admin(&mut self, org: OrgId, account: AccountId, at: Timestamp) -> Result<bool> {
        let q = Sql::new(
            "INSERT INTO org_admins (org_id, account_id, granted_at) VALUES ($1, $2, $3) ON CONFLICT DO \
             NOTHING",
        )
        .with(org.to_string())
        .with(account.to_string())
        .with(at.millis());
        let n = self.exec(&q).await?;
        Ok(n == 1)
    }

    async fn delete_org_admin(&mut self, org: OrgId, account: AccountId) -> Result<bool> {
        let mut q = Sql::new("DELETE FROM org_admins WHERE org_id = ");
        q.bind(org.to_string())
            .push(" AND account_id = ")
            .bind(account.to_string());
        Ok(self.exec(&q).await? == 1)
    }
}
