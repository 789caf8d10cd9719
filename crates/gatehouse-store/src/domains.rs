//! Domains, their checks, and the accounts they claim.

use crate::db::{opt_ms, sql_with};
use crate::sql::Sql;
use crate::{Db, SqlTx, rows};
use gatehouse_core::ids::{AccountId, OrgId};
use gatehouse_core::ports::{DomainReads, DomainTx, ManagedVia};
use gatehouse_core::{Result, Timestamp};
use sqlx::AnyConnection;
use std::ops::DerefMut;

impl<C: DerefMut<Target = AnyConnection> + Send> DomainReads for Db<C> {
    async fn find_domain(
        &mut self,
        org: OrgId,
        id: gatehouse_core::ids::DomainId,
    ) -> Result<Option<gatehouse_core::domain::Domain>> {
        let mut q = sql_with(
            concat!("SELECT ", domain_cols!(), " FROM domains WHERE org_id = "),
            org.to_string(),
        );
        q.push(" AND id = ").bind(id.to_string());
        self.one(&q, rows::domain).await
    }

    async fn list_domains(&mut self, org: OrgId) -> Result<Vec<gatehouse_core::domain::Domain>> {
        let mut q = sql_with(
            concat!("SELECT ", domain_cols!(), " FROM domains WHERE org_id = "),
            org.to_string(),
        );
        q.push(" ORDER BY name");
        self.all(&q, rows::domain).await
    }

    async fn list_domain_checks(
        &mut self,
        domain: gatehouse_core::ids::DomainId,
        limit: u32,
    ) -> Result<Vec<gatehouse_core::domain::DomainCheck>> {
        let mut q = sql_with(
            concat!(
                "SELECT ",
                domain_check_cols!(),
                " FROM domain_checks WHERE domain_id = "
            ),
            domain.to_string(),
        );
        q.push(" ORDER BY id DESC LIMIT ").bind(i64::from(limit));
        self.all(&q, rows::domain_check).await
    }

    async fn find_verified_domain(&mut self, name: &str) -> Result<Option<gatehouse_core::domain::Domain>> {
        let mut q = sql_with(concat!("SELECT ", domain_cols!(), " FROM domains WHERE name = "), name);
        q.push(" AND status = 'verified'");
        self.one(&q, rows::domain).await
    }

    async fn list_due_domains(
        &mut self,
        pending_before: Timestamp,
        verified_before: Timestamp,
        limit: u32,
    ) -> Result<Vec<gatehouse_core::domain::Domain>> {
        let mut q = Sql::new(concat!(
            "SELECT ",
            domain_cols!(),
            " FROM domains WHERE (status = 'pending' AND (last_checked_at IS NULL OR last_checked_at < "
        ));
        q.bind(pending_before.millis())
            .push(")) OR (status = 'verified' AND (last_checked_at IS NULL OR last_checked_at < ");
        q.bind(verified_before.millis())
            .push(" OR failing_since IS NOT NULL)) ORDER BY last_checked_at LIMIT ")
            .bind(i64::from(limit));
        self.all(&q, rows::domain).await
    }

    async fn list_claimable_accounts(
        &mut self,
        org: OrgId,
        email_domain: &str,
        only: Option<&[AccountId]>,
    ) -> Result<Vec<AccountId>> {
        let mut q =
            Sql::new("SELECT a.id FROM accounts a LEFT JOIN org_accounts oa ON oa.account_id = a.id AND oa.org_id = ");
        q.bind(org.to_string())
            .push(" WHERE a.email_domain = ")
            .bind(email_domain);
        q.push(" AND COALESCE(oa.is_managed, 0) = 0");
        if let Some(ids) = only {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            q.push(" AND a.id IN (");
            for (n, id) in ids.iter().enumerate() {
                if n > 0 {
                    q.push(", ");
                }
                q.bind(id.to_string());
            }
            q.push(")");
        }
        q.push(" ORDER BY a.id");
        self.all(&q, rows::account_id).await
    }
}

impl DomainTx for SqlTx {
    async fn insert_domain(&mut self, d: &gatehouse_core::domain::Domain) -> Result<bool> {
        let q = Sql::new(
            "INSERT INTO domains (id, org_id, name, token, status, claim_mode, created_at, verify_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (org_id, name) DO NOTHING",
        )
        .with(d.id.to_string())
        .with(d.org_id.to_string())
        .with(d.name.clone())
        .with(d.token.clone())
        .with(d.status.as_str())
        .with(d.claim_mode.as_str())
        .with(d.created_at.millis())
        .with(d.verify_by.millis());
        let n = self.exec(&q).await?;
        Ok(n == 1)
    }

    async fn update_domain(&mut self, d: &gatehouse_core::domain::Domain) -> Result<()> {
        let q = Sql::new(
            "UPDATE domains SET status = $1, claim_mode = $2, verify_by = $3, verified_at = $4, \
             verified_method = $5, last_checked_at = $6, last_check_detail = $7, failing_since = $8 WHERE \
             org_id = $9 AND id = $10",
        )
        .with(d.status.as_str())
        .with(d.claim_mode.as_str())
        .with(d.verify_by.millis())
        .with(opt_ms(d.verified_at))
        .with(d.verified_method.map(|m| m.as_str().to_owned()))
        .with(opt_ms(d.last_checked_at))
        .with(d.last_check_detail.clone())
        .with(opt_ms(d.failing_since))
        .with(d.org_id.to_string())
        .with(d.id.to_string());
        self.exec(&q).await?;
        Ok(())
    }

    async fn delete_domain(&mut self, org: OrgId, id: gatehouse_core::ids::DomainId) -> Result<()> {
        let q = Sql::new("DELETE FROM domains WHERE org_id = $1 AND id = $2")
            .with(org.to_string())
            .with(id.to_string());
        self.exec(&q).await?;
        Ok(())
    }

    async fn insert_domain_check(
        &mut self,
        domain: gatehouse_core::ids::DomainId,
        c: &gatehouse_core::domain::DomainCheck,
    ) -> Result<()> {
        let q = Sql::new(
            "INSERT INTO domain_checks (id, domain_id, checked_at, method, outcome, detail) VALUES ($1, $2, \
             $3, $4, $5, $6)",
        )
        .with(gatehouse_core::ids::EventId::at(c.checked_at).to_string())
        .with(domain.to_string())
        .with(c.checked_at.millis())
        .with(c.method.as_str())
        .with(c.outcome.clone())
        .with(c.detail.chars().take(500).collect::<String>());
        self.exec(&q).await?;
        Ok(())
    }

    async fn claim_accounts(
        &mut self,
        org: OrgId,
        accounts: &[AccountId],
        at: Timestamp,
        via: ManagedVia,
    ) -> Result<()> {
        self.billing_lock(org).await?;
        for id in accounts {
            // Management moves: first away from any other organization, then to this one.
            let previous =
                Sql::new("SELECT org_id FROM org_accounts WHERE account_id = $1 AND org_id <> $2 AND is_managed = 1")
                    .with(id.to_string())
                    .with(org.to_string());
            let previous = self.all(&previous, rows::org_id).await?;
            for other in &previous {
                self.billing_lock(*other).await?;
            }
            let q = Sql::new(
                "UPDATE org_accounts SET is_managed = 0, managed_via = NULL, billing_dirty = 1 WHERE account_id = $1 \
                 AND org_id <> $2 AND is_managed = 1",
            )
            .with(id.to_string())
            .with(org.to_string());
            self.exec(&q).await?;
            for other in previous {
                self.billing_refresh(other).await?;
            }
            let q = Sql::new(
                "INSERT INTO org_accounts (org_id, account_id, is_managed, added_at, managed_via) VALUES ($1, \
                 $2, 1, $3, $4) ON CONFLICT (org_id, account_id) DO UPDATE SET is_managed = 1, managed_via = $4, \
                 billing_dirty = 1",
            )
            .with(org.to_string())
            .with(id.to_string())
            .with(at.millis())
            .with(via.as_str());
            self.exec(&q).await?;
        }
        self.billing_refresh(org).await.map(|_| ())
    }

    async fn release_domain_accounts(&mut self, org: OrgId, email_domain: &str) -> Result<Vec<AccountId>> {
        // Every account the organization manages on the domain, claimed or created there:
        // without the verified domain it manages none of them.
        let q = Sql::new(
            "SELECT oa.account_id AS id FROM org_accounts oa JOIN accounts a ON a.id = oa.account_id \
             WHERE oa.org_id = $1 AND oa.is_managed = 1 AND a.email_domain = $2",
        )
        .with(org.to_string())
        .with(email_domain);
        self.billing_lock(org).await?;
        let ids = self.all(&q, rows::account_id).await?;
        for id in &ids {
            let q = Sql::new(
                "UPDATE org_accounts SET is_managed = 0, managed_via = NULL, billing_dirty = 1 WHERE org_id = $1 \
                 AND account_id = $2",
            )
            .with(org.to_string())
            .with(id.to_string());
            self.exec(&q).await?;
        }
        self.billing_refresh(org).await?;
        Ok(ids)
    }
}
