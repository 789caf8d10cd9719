//! Organizations.

use crate::db::sql_with;
use crate::sql::Sql;
use crate::{Db, SqlTx, rows};
use gatehouse_core::Result;
use gatehouse_core::ids::OrgId;
use gatehouse_core::model::Org;
use gatehouse_core::ports::{BillingReads, OrgReads, OrgTallies, OrgTx};
use sqlx::AnyConnection;
use std::ops::DerefMut;

impl<C: DerefMut<Target = AnyConnection> + Send> OrgReads for Db<C> {
    async fn find_org(&mut self, id: OrgId) -> Result<Option<Org>> {
        self.one(
            &sql_with(
                "SELECT id, name, plan, free_kind, created_at FROM orgs WHERE id = ",
                id.to_string(),
            ),
            rows::org,
        )
        .await
    }

    async fn org_counts(&mut self, org: OrgId) -> Result<OrgTallies> {
        let mut q = Sql::new("SELECT (SELECT COUNT(*) FROM org_accounts WHERE org_id = ");
        q.bind(org.to_string())
            .push(") AS accounts, (SELECT COUNT(*) FROM instances WHERE org_id = ");
        q.bind(org.to_string())
            .push(") AS instances, (SELECT COUNT(*) FROM org_groups WHERE org_id = ");
        q.bind(org.to_string()).push(") AS groups_count");
        let mut tallies = self
            .one(&q, |r| {
                Ok(OrgTallies {
                    accounts: rows::i(r, "accounts")?,
                    instances: rows::i(r, "instances")?,
                    groups: rows::i(r, "groups_count")?,
                    billing: Vec::new(),
                })
            })
            .await?
            .ok_or_else(|| gatehouse_core::CoreError::internal("count returned no row"))?;
        // Core's classifier reads the tallies of billing facts the store keeps.
        tallies.billing = self.billing_tallies(org).await?;
        Ok(tallies)
    }
}

impl OrgTx for SqlTx {
    async fn lock_org(&mut self, org: OrgId) -> Result<()> {
        if let Some(sql) = self.dialect.lock_org_sql() {
            let q = Sql::new(sql).with(org.to_string());
            self.exec(&q).await?;
        }
        Ok(())
    }

    async fn insert_org(&mut self, o: &Org) -> Result<()> {
        let q = Sql::new("INSERT INTO orgs (id, name, plan, free_kind, created_at) VALUES ($1, $2, $3, $4, $5)")
            .with(o.id.to_string())
            .with(o.name.clone())
            .with(o.plan.as_str())
            .with(o.free.map(|f| f.as_str().to_owned()))
            .with(o.created_at.millis());
        self.exec(&q).await?;
        Ok(())
    }

    async fn update_org(&mut self, o: &Org) -> Result<()> {
        let q = Sql::new("UPDATE orgs SET name = $1, plan = $2, free_kind = $3 WHERE id = $4")
            .with(o.name.clone())
            .with(o.plan.as_str())
            .with(o.free.map(|f| f.as_str().to_owned()))
            .with(o.id.to_string());
        self.exec(&q).await?;
        Ok(())
    }
}
