//! Accounts, and their links to the organizations that see or manage them.

use crate::billing::Touched;
use crate::db::{email_domain, opt_ms, sql_with};
use crate::sql::Sql;
use crate::{Db, SqlTx, rows};
use gatehouse_core::ids::{AccountId, OrgId};
use gatehouse_core::model::{Account, AccountFilter, OrgAccount};
use gatehouse_core::page::{Page, PageRequest};
use gatehouse_core::ports::{AccountReads, AccountTx, DueDeletion, OrgLink};
use gatehouse_core::{Result, Timestamp};
use sqlx::AnyConnection;
use std::ops::DerefMut;

impl<C: DerefMut<Target = AnyConnection> + Send> AccountReads for Db<C> {
    async fn find_account_by_email(&mut self, email: &str) -> Result<Option<Account>> {
        let q = sql_with(
            concat!("SELECT ", account_cols!(), " FROM accounts a WHERE a.email = "),
            email,
        );
        self.one(&q, rows::account).await
    }

    async fn find_account(&mut self, id: AccountId) -> Result<Option<Account>> {
        let q = sql_with(
            concat!("SELECT ", account_cols!(), " FROM accounts a WHERE a.id = "),
            id.to_string(),
        );
        self.one(&q, rows::account).await
    }

    async fn find_org_account(&mut self, org: OrgId, id: AccountId) -> Result<Option<OrgAccount>> {
        let mut q = sql_with(org_account_select!(), org.to_string());
        q.push(" AND a.id = ").bind(id.to_string());
        self.one(&q, rows::org_account).await
    }

    async fn list_org_accounts(
        &mut self,
        org: OrgId,
        f: &AccountFilter,
        page: &PageRequest,
    ) -> Result<Page<OrgAccount>> {
        let o = org.to_string();
        let mut q = sql_with(org_account_select!(), o.clone());
        if let Some(e) = &f.email {
            q.push(" AND a.email LIKE ").bind_contains(&e.to_lowercase());
        }
        if let Some(n) = &f.name {
            q.push(" AND a.display_name_folded LIKE ")
                .bind_contains(&n.to_lowercase());
        }
        if let Some(s) = f.status {
            q.push(" AND a.status = ").bind(s.as_str());
        }
        if let Some(m) = f.managed {
            q.push(" AND oa.is_managed = ").bind(i64::from(m));
        }
        if let Some(d) = &f.email_domain {
            q.push(" AND a.email_domain = ").bind(d.to_lowercase());
        }
        if let Some(t) = f.inactive_since {
            q.push(" AND (a.last_active_at IS NULL OR a.last_active_at < ")
                .bind(t.millis())
                .push(")");
        }
        if f.product.is_some() || f.instance.is_some() {
            // Direct grants, and grants to groups the account is in; none while the account is
            // suspended in the organization.
            q.push(" AND oa.suspended_at IS NULL AND a.id IN (SELECT pa.account_id FROM product_access pa JOIN instances i ON i.id = pa.instance_id WHERE pa.org_id = ");
            q.bind(o.clone());
            push_instance_filter(&mut q, f);
            q.push(" UNION SELECT gm.account_id FROM group_members gm JOIN product_access pa ON pa.group_id = gm.group_id JOIN instances i ON i.id = pa.instance_id WHERE pa.org_id = ");
            q.bind(o);
            push_instance_filter(&mut q, f);
            q.push(")");
        }
        self.page(q, "a.id", false, page, rows::org_account, |a| a.account.id.to_string())
            .await
    }

    async fn list_account_orgs(&mut self, account: AccountId) -> Result<Vec<gatehouse_core::ports::AccountOrg>> {
        let q = sql_with(
            "SELECT o.id, o.name, o.plan, o.free_kind, o.created_at, oa.is_managed, oa.suspended_at, \
             (SELECT COUNT(*) FROM org_admins r WHERE r.org_id = oa.org_id AND r.account_id = oa.account_id) AS admins \
             FROM org_accounts oa JOIN orgs o ON o.id = oa.org_id WHERE oa.account_id = ",
            account.to_string(),
        );
        let mut q = q;
        q.push(" ORDER BY o.name, o.id");
        self.all(&q, |r| {
            Ok(gatehouse_core::ports::AccountOrg {
                org: rows::org(r)?,
                managed: rows::i(r, "is_managed")? == 1,
                admin: rows::i(r, "admins")? > 0,
                suspended: rows::ot(r, "suspended_at")?.is_some(),
            })
        })
        .await
    }

    async fn find_account_manager(&mut self, account: AccountId) -> Result<Option<OrgId>> {
        let mut q = sql_with(
            "SELECT org_id FROM org_accounts WHERE account_id = ",
            account.to_string(),
        );
        q.push(" AND is_managed = 1");
        self.one(&q, rows::org_id).await
    }

    async fn list_accounts_due_for_deletion(&mut self, now: Timestamp, limit: u32) -> Result<Vec<DueDeletion>> {
        let mut q = Sql::new(concat!(
            "SELECT ",
            account_cols!(),
            ", oa.org_id FROM accounts a JOIN org_accounts oa ON oa.account_id = a.id AND oa.is_managed = 1 \
             WHERE a.delete_after IS NOT NULL AND a.delete_after <= "
        ));
        q.bind(now.millis())
            .push(" ORDER BY a.delete_after LIMIT ")
            .bind(i64::from(limit));
        self.all(&q, |r| {
            Ok(DueDeletion {
                org: rows::org_id(r)?,
                account: rows::account(r)?,
            })
        })
        .await
    }
}

impl AccountTx for SqlTx {
    async fn insert_account(&mut self, a: &Account) -> Result<bool> {
        let q = Sql::new(
            "INSERT INTO accounts (id, email, display_name, display_name_folded, status, created_at, \
             last_active_at, email_domain, delete_after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON \
             CONFLICT (email) DO NOTHING",
        )
        .with(a.id.to_string())
        .with(a.email.clone())
        .with(a.display_name.clone())
        .with(a.display_name.to_lowercase())
        .with(a.status.as_str())
        .with(a.created_at.millis())
        .with(opt_ms(a.last_active_at))
        .with(email_domain(&a.email))
        .with(opt_ms(a.delete_after));
        let n = self.exec(&q).await?;
        Ok(n == 1)
    }

    async fn update_account(&mut self, a: &Account) -> Result<()> {
        // A new address is not proven by the old one's proof (the right-hand sides read the
        // row as it was).
        let q = Sql::new(
            "UPDATE accounts SET display_name = $1, display_name_folded = $2, status = $3, last_active_at = $4, \
             email = $5, email_domain = $6, delete_after = $7, \
             email_verified_at = CASE WHEN email = $5 THEN email_verified_at ELSE NULL END WHERE id = $8",
        )
        .with(a.display_name.clone())
        .with(a.display_name.to_lowercase())
        .with(a.status.as_str())
        .with(opt_ms(a.last_active_at))
        .with(a.email.clone())
        .with(email_domain(&a.email))
        .with(opt_ms(a.delete_after))
        .with(a.id.to_string());
        // The status is a billing fact in every organization the account belongs to.
        let was = Sql::new("SELECT status FROM accounts WHERE id = $1").with(a.id.to_string());
        if self.one(&was, |r| rows::s(r, "status")).await?.as_deref() == Some(a.status.as_str()) {
            return self.exec(&q).await.map(|_| ());
        }
        let marked = self.billing_mark_everywhere(a.id).await?;
        self.exec(&q).await?;
        for (org, m) in marked {
            self.billing_settle(org, m).await?;
        }
        Ok(())
    }

    async fn delete_account(&mut self, id: AccountId) -> Result<()> {
        // The SCIM value index has no foreign key (migration 0011): its rows go first.
        let q =
            Sql::new("DELETE FROM scim_user_values WHERE user_id IN (SELECT id FROM scim_users WHERE account_id = $1)")
                .with(id.to_string());
        self.exec(&q).await?;
        // Grants to the account go with its org links (foreign keys cascade); the links leave
        // their tallies first.
        self.billing_forget("account_id = $1", &[id.to_string()]).await?;
        let q = Sql::new("DELETE FROM accounts WHERE id = $1").with(id.to_string());
        self.exec(&q).await?;
        Ok(())
    }

    async fn link_org_accounts(&mut self, links: &[OrgLink], at: Timestamp) -> Result<u64> {
        let rows: Vec<_> = links.iter().map(|l| crate::json_rows::link_row(l, at)).collect();
        // New links start marked: each organization counts them before this returns.
        let orgs: std::collections::BTreeSet<OrgId> = links.iter().map(|l| l.org).collect();
        for org in &orgs {
            self.billing_lock(*org).await?;
        }
        let n = self.insert_rows(&crate::json_rows::ORG_LINKS, &rows).await?;
        for org in orgs {
            self.billing_refresh(org).await?;
        }
        Ok(n)
    }

    async fn unlink_org_account(&mut self, org: OrgId, account: AccountId) -> Result<()> {
        let q = Sql::new("DELETE FROM org_accounts WHERE org_id = $1 AND account_id = $2")
            .with(org.to_string())
            .with(account.to_string());
        self.billing_forget(
            "org_id = $1 AND account_id = $2",
            &[org.to_string(), account.to_string()],
        )
        .await?;
        self.exec(&q).await?;
        Ok(())
    }

    async fn set_org_suspension(&mut self, org: OrgId, account: AccountId, since: Option<Timestamp>) -> Result<()> {
        // A suspension already under way keeps its start.
        let q = match since {
            Some(t) => Sql::new(
                "UPDATE org_accounts SET suspended_at = $1 WHERE org_id = $2 AND account_id = $3 AND suspended_at IS NULL",
            )
            .with(t.millis()),
            None => Sql::new(
                "UPDATE org_accounts SET suspended_at = NULL WHERE org_id = $1 AND account_id = $2 AND suspended_at IS NOT NULL",
            ),
        };
        let marked = self.billing_mark(org, Touched::Account(account)).await?;
        self.exec(&q.with(org.to_string()).with(account.to_string())).await?;
        self.billing_settle(org, marked).await.map(|_| ())
    }

    async fn unmanage_account(&mut self, org: OrgId, account: AccountId) -> Result<()> {
        let q = Sql::new(
            "UPDATE org_accounts SET is_managed = 0, managed_via = NULL WHERE org_id = $1 AND account_id = $2",
        )
        .with(org.to_string())
        .with(account.to_string());
        let marked = self.billing_mark(org, Touched::Account(account)).await?;
        self.exec(&q).await?;
        self.billing_settle(org, marked).await.map(|_| ())
    }
}

fn push_instance_filter(q: &mut Sql, f: &AccountFilter) {
    if let Some(p) = f.product {
        q.push(" AND i.product = ").bind(p.as_str());
    }
    if let Some(i) = f.instance {
        q.push(" AND i.id = ").bind(i.to_string());
    }
}
