//! Changes, only inside a transaction. Inserts that can collide use `ON CONFLICT DO NOTHING`
//! and report whether they inserted, so uniqueness is decided by the constraint, never by a
//! read before the write.

use crate::sql::Sql;
use crate::{Db, SqlTx, db_err, rows};
use gatehouse_core::audit::AuditEvent;
use gatehouse_core::audit::RequestMeta;
use gatehouse_core::ids::{AccessId, AccountId, GroupId, InstanceId, OrgId};
use gatehouse_core::model::{Access, Account, ApiKey, Group, Instance, Org, Principal, Session};
use gatehouse_core::ports::Writes;
use gatehouse_core::{CoreError, Result, Timestamp};

pub(crate) fn email_domain(email: &str) -> String {
    email.rsplit_once('@').map_or_else(String::new, |(_, d)| d.to_owned())
}

/// Events per multi-row insert.
const EVENT_CHUNK: usize = 200;

fn opt_ms(t: Option<Timestamp>) -> Option<i64> {
    t.map(Timestamp::millis)
}

impl Db<sqlx::Transaction<'static, sqlx::Any>> {
    async fn exec(&mut self, q: &Sql) -> Result<u64> {
        q.execute(self.c()).await
    }
}

impl Writes for SqlTx {
    async fn commit(self) -> Result<()> {
        self.conn.commit().await.map_err(db_err)
    }

    async fn lock_org(&mut self, org: OrgId) -> Result<()> {
        if let Some(sql) = self.dialect.lock_org_sql() {
            sqlx::query(sql)
                .bind(org.to_string())
                .execute(self.c())
                .await
                .map_err(db_err)?;
        }
        Ok(())
    }

    async fn insert_event(&mut self, e: &AuditEvent) -> Result<()> {
        self.insert_events(std::slice::from_ref(e)).await
    }

    async fn insert_events(&mut self, events: &[AuditEvent]) -> Result<()> {
        for chunk in events.chunks(EVENT_CHUNK) {
            let (rows, targets) = crate::json_rows::event_rows(chunk)?;
            self.insert_rows(&crate::json_rows::EVENTS, &rows).await?;
            self.insert_rows(&crate::json_rows::EVENT_TARGETS, &targets).await?;
        }
        Ok(())
    }

    async fn delete_events_before(&mut self, cutoff: Timestamp) -> Result<Vec<(OrgId, i64)>> {
        let bound = gatehouse_core::ids::EventId::lower_bound(cutoff);
        let rows = sqlx::query("SELECT org_id, COUNT(*) AS n FROM audit_events WHERE id < $1 GROUP BY org_id")
            .bind(bound.clone())
            .fetch_all(self.c())
            .await
            .map_err(db_err)?;
        let mut out = Vec::new();
        for r in &rows {
            let org = OrgId::parse(&rows::s(r, "org_id")?).map_err(CoreError::internal)?;
            out.push((org, rows::i(r, "n")?));
        }
        sqlx::query("DELETE FROM audit_targets WHERE event_id < $1")
            .bind(bound.clone())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        sqlx::query("DELETE FROM audit_events WHERE id < $1")
            .bind(bound)
            .execute(self.c())
            .await
            .map_err(db_err)?;
        Ok(out)
    }

    async fn insert_org(&mut self, o: &Org) -> Result<()> {
        sqlx::query("INSERT INTO orgs (id, name, plan, created_at) VALUES ($1, $2, $3, $4)")
            .bind(o.id.to_string())
            .bind(o.name.clone())
            .bind(o.plan.as_str())
            .bind(o.created_at.millis())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn update_org(&mut self, o: &Org) -> Result<()> {
        sqlx::query("UPDATE orgs SET name = $1, plan = $2 WHERE id = $3")
            .bind(o.name.clone())
            .bind(o.plan.as_str())
            .bind(o.id.to_string())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn insert_account(&mut self, a: &Account) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO accounts (id, email, display_name, display_name_folded, status, created_at, last_active_at, email_domain, delete_after) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (email) DO NOTHING",
        )
        .bind(a.id.to_string())
        .bind(a.email.clone())
        .bind(a.display_name.clone())
        .bind(a.display_name.to_lowercase())
        .bind(a.status.as_str())
        .bind(a.created_at.millis())
        .bind(opt_ms(a.last_active_at))
        .bind(email_domain(&a.email))
        .bind(opt_ms(a.delete_after))
        .execute(self.c())
        .await
        .map_err(db_err)?;
        Ok(n.rows_affected() == 1)
    }

    async fn insert_user_api_token(&mut self, t: &gatehouse_core::model::UserApiToken, digest: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO user_api_tokens (id, account_id, name, prefix, digest, created_at, expires_at, last_used_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(t.id.clone())
        .bind(t.account_id.to_string())
        .bind(t.name.clone())
        .bind(t.prefix.clone())
        .bind(digest.to_owned())
        .bind(t.created_at.millis())
        .bind(opt_ms(t.expires_at))
        .bind(opt_ms(t.last_used_at))
        .bind(opt_ms(t.revoked_at))
        .execute(self.c())
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn revoke_user_api_token(&mut self, account: AccountId, id: &str, at: Timestamp) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE user_api_tokens SET revoked_at = $1 WHERE account_id = $2 AND id = $3 AND revoked_at IS NULL",
        )
        .bind(at.millis())
        .bind(account.to_string())
        .bind(id.to_owned())
        .execute(self.c())
        .await
        .map_err(db_err)?;
        Ok(n.rows_affected() == 1)
    }

    async fn revoke_user_api_tokens(&mut self, account: AccountId, at: Timestamp) -> Result<u64> {
        let n = sqlx::query("UPDATE user_api_tokens SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL")
            .bind(at.millis())
            .bind(account.to_string())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        Ok(n.rows_affected())
    }

    async fn link_managed_accounts(&mut self, links: &[(OrgId, AccountId)], at: Timestamp, via: &str) -> Result<u64> {
        let rows: Vec<_> = links
            .iter()
            .map(|(org, account)| crate::json_rows::link_row(*org, *account, at.millis(), via))
            .collect();
        self.insert_rows(&crate::json_rows::MANAGED_LINKS, &rows).await
    }

    async fn update_account(&mut self, a: &Account) -> Result<()> {
        sqlx::query(
            "UPDATE accounts SET display_name = $1, display_name_folded = $2, status = $3, last_active_at = $4, \
             email = $5, email_domain = $6, delete_after = $7 WHERE id = $8",
        )
        .bind(a.display_name.clone())
        .bind(a.display_name.to_lowercase())
        .bind(a.status.as_str())
        .bind(opt_ms(a.last_active_at))
        .bind(a.email.clone())
        .bind(email_domain(&a.email))
        .bind(opt_ms(a.delete_after))
        .bind(a.id.to_string())
        .execute(self.c())
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn delete_account(&mut self, id: AccountId) -> Result<()> {
        // The SCIM value index has no foreign key (migration 0011): its rows go first.
        sqlx::query("DELETE FROM scim_user_values WHERE user_id IN (SELECT id FROM scim_users WHERE account_id = $1)")
            .bind(id.to_string())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        // Grants to the account go with its org links (foreign keys cascade).
        sqlx::query("DELETE FROM accounts WHERE id = $1")
            .bind(id.to_string())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn link_org_account(
        &mut self,
        org: OrgId,
        account: AccountId,
        is_managed: bool,
        at: Timestamp,
    ) -> Result<bool> {
        if is_managed {
            return Ok(self.link_managed_accounts(&[(org, account)], at, "created").await? == 1);
        }
        let n = sqlx::query(
            "INSERT INTO org_accounts (org_id, account_id, is_managed, added_at) VALUES ($1, $2, 0, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(org.to_string())
        .bind(account.to_string())
        .bind(at.millis())
        .execute(self.c())
        .await
        .map_err(db_err)?;
        Ok(n.rows_affected() == 1)
    }

    async fn unlink_org_account(&mut self, org: OrgId, account: AccountId) -> Result<()> {
        sqlx::query("DELETE FROM org_accounts WHERE org_id = $1 AND account_id = $2")
            .bind(org.to_string())
            .bind(account.to_string())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn insert_instance(&mut self, i: &Instance) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO instances (id, org_id, product, name, url, edition, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (url) DO NOTHING",
        )
        .bind(i.id.to_string())
        .bind(i.org_id.to_string())
        .bind(i.product.as_str())
        .bind(i.name.clone())
        .bind(i.url.clone())
        .bind(i.edition.as_str())
        .bind(i.created_at.millis())
        .execute(self.c())
        .await
        .map_err(db_err)?;
        Ok(n.rows_affected() == 1)
    }

    async fn update_instance(&mut self, i: &Instance) -> Result<()> {
        sqlx::query("UPDATE instances SET name = $1, edition = $2 WHERE org_id = $3 AND id = $4")
            .bind(i.name.clone())
            .bind(i.edition.as_str())
            .bind(i.org_id.to_string())
            .bind(i.id.to_string())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn delete_instance(&mut self, org: OrgId, id: InstanceId) -> Result<()> {
        let mut q = Sql::new("DELETE FROM instances WHERE org_id = ");
        q.bind(org.to_string()).push(" AND id = ").bind(id.to_string());
        self.exec(&q).await.map(|_| ())
    }

    async fn insert_group(&mut self, g: &Group) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO org_groups (id, org_id, name, name_folded, description, created_at, directory_id) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (org_id, name_folded) DO NOTHING",
        )
        .bind(g.id.to_string())
        .bind(g.org_id.to_string())
        .bind(g.name.clone())
        .bind(g.name.to_lowercase())
        .bind(g.description.clone())
        .bind(g.created_at.millis())
        .bind(g.directory_id.map(|d| d.to_string()))
        .execute(self.c())
        .await
        .map_err(db_err)?;
        Ok(n.rows_affected() == 1)
    }

    async fn update_group(&mut self, g: &Group) -> Result<()> {
        sqlx::query(
            "UPDATE org_groups SET name = $1, name_folded = $2, description = $3 WHERE org_id = $4 AND id = $5",
        )
        .bind(g.name.clone())
        .bind(g.name.to_lowercase())
        .bind(g.description.clone())
        .bind(g.org_id.to_string())
        .bind(g.id.to_string())
        .execute(self.c())
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn delete_group(&mut self, org: OrgId, id: GroupId) -> Result<()> {
        let mut q = Sql::new("DELETE FROM org_groups WHERE org_id = ");
        q.bind(org.to_string()).push(" AND id = ").bind(id.to_string());
        self.exec(&q).await.map(|_| ())
    }

    async fn insert_group_member(
        &mut self,
        org: OrgId,
        group: GroupId,
        account: AccountId,
        at: Timestamp,
    ) -> Result<bool> {
        let n = sqlx::query("INSERT INTO group_members (group_id, account_id, org_id, added_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
            .bind(group.to_string())
            .bind(account.to_string())
            .bind(org.to_string())
            .bind(at.millis())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        Ok(n.rows_affected() == 1)
    }

    async fn delete_group_member(&mut self, org: OrgId, group: GroupId, account: AccountId) -> Result<bool> {
        let mut q = Sql::new("DELETE FROM group_members WHERE org_id = ");
        q.bind(org.to_string()).push(" AND group_id = ").bind(group.to_string());
        q.push(" AND account_id = ").bind(account.to_string());
        Ok(self.exec(&q).await? == 1)
    }

    async fn insert_access(&mut self, a: &Access) -> Result<bool> {
        let (account, group) = match a.principal {
            Principal::Account(id) => (Some(id.to_string()), None),
            Principal::Group(id) => (None, Some(id.to_string())),
        };
        let n = sqlx::query(
            "INSERT INTO product_access (id, org_id, instance_id, account_id, group_id, role, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        )
        .bind(a.id.to_string())
        .bind(a.org_id.to_string())
        .bind(a.instance_id.to_string())
        .bind(account)
        .bind(group)
        .bind(a.role.as_str())
        .bind(a.created_at.millis())
        .execute(self.c())
        .await
        .map_err(db_err)?;
        Ok(n.rows_affected() == 1)
    }

    async fn update_access(&mut self, a: &Access) -> Result<()> {
        sqlx::query("UPDATE product_access SET role = $1 WHERE org_id = $2 AND id = $3")
            .bind(a.role.as_str())
            .bind(a.org_id.to_string())
            .bind(a.id.to_string())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn delete_access(&mut self, org: OrgId, id: AccessId) -> Result<()> {
        let mut q = Sql::new("DELETE FROM product_access WHERE org_id = ");
        q.bind(org.to_string()).push(" AND id = ").bind(id.to_string());
        self.exec(&q).await.map(|_| ())
    }

    async fn insert_org_admin(&mut self, org: OrgId, account: AccountId, at: Timestamp) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO org_admins (org_id, account_id, granted_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(org.to_string())
        .bind(account.to_string())
        .bind(at.millis())
        .execute(self.c())
        .await
        .map_err(db_err)?;
        Ok(n.rows_affected() == 1)
    }

    async fn delete_org_admin(&mut self, org: OrgId, account: AccountId) -> Result<bool> {
        let mut q = Sql::new("DELETE FROM org_admins WHERE org_id = ");
        q.bind(org.to_string())
            .push(" AND account_id = ")
            .bind(account.to_string());
        Ok(self.exec(&q).await? == 1)
    }

    async fn insert_api_key(&mut self, k: &ApiKey, digest: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO api_keys (id, org_id, name, prefix, digest, created_at, expires_at, revoked_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(k.id.to_string())
        .bind(k.org_id.to_string())
        .bind(k.name.clone())
        .bind(k.prefix.clone())
        .bind(digest.to_owned())
        .bind(k.created_at.millis())
        .bind(k.expires_at.millis())
        .bind(opt_ms(k.revoked_at))
        .bind(opt_ms(k.last_used_at))
        .execute(self.c())
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn update_api_key(&mut self, k: &ApiKey) -> Result<()> {
        sqlx::query("UPDATE api_keys SET name = $1, revoked_at = $2, last_used_at = $3 WHERE org_id = $4 AND id = $5")
            .bind(k.name.clone())
            .bind(opt_ms(k.revoked_at))
            .bind(opt_ms(k.last_used_at))
            .bind(k.org_id.to_string())
            .bind(k.id.to_string())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn insert_domain(&mut self, d: &gatehouse_core::domain::Domain) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO domains (id, org_id, name, token, status, claim_mode, created_at, verify_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (org_id, name) DO NOTHING",
        )
        .bind(d.id.to_string())
        .bind(d.org_id.to_string())
        .bind(d.name.clone())
        .bind(d.token.clone())
        .bind(d.status.as_str())
        .bind(d.claim_mode.as_str())
        .bind(d.created_at.millis())
        .bind(d.verify_by.millis())
        .execute(self.c())
        .await
        .map_err(db_err)?;
        Ok(n.rows_affected() == 1)
    }

    async fn update_domain(&mut self, d: &gatehouse_core::domain::Domain) -> Result<()> {
        sqlx::query(
            "UPDATE domains SET status = $1, claim_mode = $2, verify_by = $3, verified_at = $4, verified_method = $5, \
             last_checked_at = $6, last_check_detail = $7, failing_since = $8 WHERE org_id = $9 AND id = $10",
        )
        .bind(d.status.as_str())
        .bind(d.claim_mode.as_str())
        .bind(d.verify_by.millis())
        .bind(opt_ms(d.verified_at))
        .bind(d.verified_method.map(|m| m.as_str().to_owned()))
        .bind(opt_ms(d.last_checked_at))
        .bind(d.last_check_detail.clone())
        .bind(opt_ms(d.failing_since))
        .bind(d.org_id.to_string())
        .bind(d.id.to_string())
        .execute(self.c())
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn delete_domain(&mut self, org: OrgId, id: gatehouse_core::ids::DomainId) -> Result<()> {
        sqlx::query("DELETE FROM domains WHERE org_id = $1 AND id = $2")
            .bind(org.to_string())
            .bind(id.to_string())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn insert_domain_check(
        &mut self,
        domain: gatehouse_core::ids::DomainId,
        c: &gatehouse_core::domain::DomainCheck,
    ) -> Result<()> {
        sqlx::query("INSERT INTO domain_checks (id, domain_id, checked_at, method, outcome, detail) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(gatehouse_core::ids::EventId::at(c.checked_at).to_string())
            .bind(domain.to_string())
            .bind(c.checked_at.millis())
            .bind(c.method.as_str())
            .bind(c.outcome.clone())
            .bind(c.detail.chars().take(500).collect::<String>())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn claim_accounts(
        &mut self,
        org: OrgId,
        accounts: &[AccountId],
        at: Timestamp,
        via: &'static str,
    ) -> Result<()> {
        for id in accounts {
            // Management moves: first away from any other organization, then to this one.
            sqlx::query("UPDATE org_accounts SET is_managed = 0, managed_via = NULL WHERE account_id = $1 AND org_id <> $2 AND is_managed = 1")
                .bind(id.to_string())
                .bind(org.to_string())
                .execute(self.c())
                .await
                .map_err(db_err)?;
            sqlx::query(
                "INSERT INTO org_accounts (org_id, account_id, is_managed, added_at, managed_via) VALUES ($1, $2, 1, $3, $4) \
                 ON CONFLICT (org_id, account_id) DO UPDATE SET is_managed = 1, managed_via = $4",
            )
            .bind(org.to_string())
            .bind(id.to_string())
            .bind(at.millis())
            .bind(via)
            .execute(self.c())
            .await
            .map_err(db_err)?;
        }
        Ok(())
    }

    async fn release_domain_accounts(&mut self, org: OrgId, email_domain: &str) -> Result<Vec<AccountId>> {
        let rows = sqlx::query(
            "SELECT oa.account_id FROM org_accounts oa JOIN accounts a ON a.id = oa.account_id \
             WHERE oa.org_id = $1 AND oa.managed_via = 'domain' AND a.email_domain = $2",
        )
        .bind(org.to_string())
        .bind(email_domain.to_owned())
        .fetch_all(self.c())
        .await
        .map_err(db_err)?;
        let ids = rows
            .iter()
            .map(|r| AccountId::parse(&rows::s(r, "account_id")?).map_err(CoreError::internal))
            .collect::<Result<Vec<_>>>()?;
        for id in &ids {
            sqlx::query(
                "UPDATE org_accounts SET is_managed = 0, managed_via = NULL WHERE org_id = $1 AND account_id = $2",
            )
            .bind(org.to_string())
            .bind(id.to_string())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        }
        Ok(ids)
    }

    async fn insert_directory(&mut self, d: &gatehouse_core::directory::Directory) -> Result<()> {
        sqlx::query("INSERT INTO directories (id, org_id, name, created_at, deactivation_limit_per_hour) VALUES ($1, $2, $3, $4, $5)")
            .bind(d.id.to_string())
            .bind(d.org_id.to_string())
            .bind(d.name.clone())
            .bind(d.created_at.millis())
            .bind(d.deactivation_limit_per_hour)
            .execute(self.c())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn delete_directory(&mut self, org: OrgId, id: gatehouse_core::ids::DirectoryId) -> Result<()> {
        sqlx::query(
            "DELETE FROM scim_user_values WHERE directory_id IN (SELECT id FROM directories WHERE org_id = $1 AND id = $2)",
        )
        .bind(org.to_string())
        .bind(id.to_string())
        .execute(self.c())
        .await
        .map_err(db_err)?;
        sqlx::query("DELETE FROM directories WHERE org_id = $1 AND id = $2")
            .bind(org.to_string())
            .bind(id.to_string())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn insert_directory_token(
        &mut self,
        t: &gatehouse_core::directory::DirectoryToken,
        digest: &str,
    ) -> Result<()> {
        sqlx::query("INSERT INTO directory_tokens (id, directory_id, digest, prefix, created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(t.id.clone())
            .bind(t.directory_id.to_string())
            .bind(digest.to_owned())
            .bind(t.prefix.clone())
            .bind(t.created_at.millis())
            .bind(opt_ms(t.expires_at))
            .bind(opt_ms(t.revoked_at))
            .execute(self.c())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn update_directory_token(&mut self, t: &gatehouse_core::directory::DirectoryToken) -> Result<()> {
        sqlx::query("UPDATE directory_tokens SET expires_at = $1, revoked_at = $2 WHERE id = $3 AND directory_id = $4")
            .bind(opt_ms(t.expires_at))
            .bind(opt_ms(t.revoked_at))
            .bind(t.id.clone())
            .bind(t.directory_id.to_string())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn announce_directory_change(&mut self) -> Result<()> {
        if self.dialect == crate::Dialect::Postgres {
            // Delivered when the transaction commits, and not at all if it rolls back.
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(crate::DIRECTORY_CHANGES_CHANNEL)
                .execute(self.c())
                .await
                .map_err(db_err)?;
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
        let n = sqlx::query(
            "UPDATE scim_users SET user_name = $1, user_name_folded = $2, external_id = $3, email = $4, active = $5, resource = $6, \
             version = $7, updated_at = $8 WHERE directory_id = $9 AND id = $10 AND version = $11",
        )
        .bind(u.user_name.clone())
        .bind(u.user_name.to_lowercase())
        .bind(u.external_id.clone())
        .bind(u.email.as_ref().map(|e| e.to_lowercase()))
        .bind(i64::from(u.active))
        .bind(u.resource.clone())
        .bind(u.version)
        .bind(u.updated_at.millis())
        .bind(u.directory_id.to_string())
        .bind(u.id.clone())
        .bind(expected_version)
        .execute(self.c())
        .await
        .map_err(db_err)?;
        if n.rows_affected() == 1 {
            self.reindex_user_values(u).await?;
        }
        Ok(n.rows_affected() == 1)
    }

    async fn delete_scim_user(&mut self, directory: gatehouse_core::ids::DirectoryId, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM scim_user_values WHERE directory_id = $1 AND user_id = $2")
            .bind(directory.to_string())
            .bind(id.to_owned())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        sqlx::query("DELETE FROM scim_users WHERE directory_id = $1 AND id = $2")
            .bind(directory.to_string())
            .bind(id.to_owned())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn insert_scim_group(&mut self, g: &gatehouse_core::directory::ScimGroup) -> Result<()> {
        sqlx::query(
            "INSERT INTO scim_groups (id, directory_id, group_id, display_name, display_name_folded, external_id, resource, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(g.id.clone())
        .bind(g.directory_id.to_string())
        .bind(g.group_id.to_string())
        .bind(g.display_name.clone())
        .bind(g.display_name.to_lowercase())
        .bind(g.external_id.clone())
        .bind(g.resource.clone())
        .bind(g.version)
        .bind(g.created_at.millis())
        .bind(g.updated_at.millis())
        .execute(self.c())
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn update_scim_group(
        &mut self,
        g: &gatehouse_core::directory::ScimGroup,
        expected_version: i64,
    ) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE scim_groups SET display_name = $1, display_name_folded = $2, external_id = $3, resource = $4, version = $5, updated_at = $6 \
             WHERE directory_id = $7 AND id = $8 AND version = $9",
        )
        .bind(g.display_name.clone())
        .bind(g.display_name.to_lowercase())
        .bind(g.external_id.clone())
        .bind(g.resource.clone())
        .bind(g.version)
        .bind(g.updated_at.millis())
        .bind(g.directory_id.to_string())
        .bind(g.id.clone())
        .bind(expected_version)
        .execute(self.c())
        .await
        .map_err(db_err)?;
        Ok(n.rows_affected() == 1)
    }

    async fn add_group_members(
        &mut self,
        org: OrgId,
        group: GroupId,
        accounts: &[AccountId],
        at: Timestamp,
    ) -> Result<()> {
        self.add_members(org, group, accounts, at.millis()).await
    }

    async fn remove_group_members(&mut self, org: OrgId, group: GroupId, accounts: &[AccountId]) -> Result<()> {
        self.remove_members(org, group, accounts).await
    }

    async fn clear_group_members(&mut self, org: OrgId, group: GroupId) -> Result<()> {
        sqlx::query("DELETE FROM group_members WHERE org_id = $1 AND group_id = $2")
            .bind(org.to_string())
            .bind(group.to_string())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn update_directory(&mut self, d: &gatehouse_core::directory::Directory) -> Result<()> {
        sqlx::query("UPDATE directories SET name = $1, deactivation_limit_per_hour = $2 WHERE org_id = $3 AND id = $4")
            .bind(d.name.clone())
            .bind(d.deactivation_limit_per_hour)
            .bind(d.org_id.to_string())
            .bind(d.id.to_string())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn upsert_held_operation(&mut self, op: &gatehouse_core::directory::HeldOperation) -> Result<()> {
        sqlx::query(
            "INSERT INTO scim_held_operations (id, directory_id, resource_id, kind, change, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (directory_id, resource_id) DO UPDATE SET kind = excluded.kind, change = excluded.change, created_at = excluded.created_at",
        )
        .bind(op.id.clone())
        .bind(op.directory_id.to_string())
        .bind(op.resource_id.clone())
        .bind(op.change.kind())
        .bind(op.change.to_stored())
        .bind(op.created_at.millis())
        .execute(self.c())
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn delete_held_operations(&mut self, directory: gatehouse_core::ids::DirectoryId) -> Result<u64> {
        let n = sqlx::query("DELETE FROM scim_held_operations WHERE directory_id = $1")
            .bind(directory.to_string())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        Ok(n.rows_affected())
    }

    async fn unmanage_account(&mut self, org: OrgId, account: AccountId) -> Result<()> {
        sqlx::query("UPDATE org_accounts SET is_managed = 0, managed_via = NULL WHERE org_id = $1 AND account_id = $2")
            .bind(org.to_string())
            .bind(account.to_string())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn set_password_hash(&mut self, account: AccountId, hash: &str) -> Result<()> {
        sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
            .bind(hash.to_owned())
            .bind(account.to_string())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn insert_session(&mut self, digest: &str, s: &Session, meta: &RequestMeta) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (digest, account_id, csrf, created_at, last_seen_at, expires_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(digest.to_owned())
        .bind(s.account_id.to_string())
        .bind(s.csrf.clone())
        .bind(s.created_at.millis())
        .bind(s.last_seen_at.millis())
        .bind(s.expires_at.millis())
        .bind(meta.ip.clone())
        .bind(meta.user_agent.clone())
        .execute(self.c())
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn touch_session(&mut self, digest: &str, at: Timestamp) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE digest = $2")
            .bind(at.millis())
            .bind(digest.to_owned())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn delete_session(&mut self, digest: &str) -> Result<bool> {
        let n = sqlx::query("DELETE FROM sessions WHERE digest = $1")
            .bind(digest.to_owned())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        Ok(n.rows_affected() == 1)
    }

    async fn delete_sessions_of(&mut self, account: AccountId) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE account_id = $1")
            .bind(account.to_string())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn record_throttle_failure(&mut self, key: &str, now: Timestamp, window_start: Timestamp) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO sign_in_throttle (key, failures, window_start, locked_until) VALUES ($1, 1, $2, 0) \
             ON CONFLICT (key) DO UPDATE SET \
               failures = CASE WHEN sign_in_throttle.window_start < $3 THEN 1 ELSE sign_in_throttle.failures + 1 END, \
               window_start = CASE WHEN sign_in_throttle.window_start < $3 THEN $2 ELSE sign_in_throttle.window_start END \
             RETURNING failures",
        )
        .bind(key.to_owned())
        .bind(now.millis())
        .bind(window_start.millis())
        .fetch_one(self.c())
        .await
        .map_err(db_err)?;
        rows::i(&row, "failures")
    }

    async fn lock_throttle(&mut self, key: &str, until: Timestamp) -> Result<()> {
        sqlx::query("UPDATE sign_in_throttle SET locked_until = $1 WHERE key = $2")
            .bind(until.millis())
            .bind(key.to_owned())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn clear_throttle(&mut self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM sign_in_throttle WHERE key = $1")
            .bind(key.to_owned())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn insert_password_reset(
        &mut self,
        digest: &str,
        account: AccountId,
        at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        sqlx::query("INSERT INTO password_resets (digest, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(digest.to_owned())
            .bind(account.to_string())
            .bind(at.millis())
            .bind(expires_at.millis())
            .execute(self.c())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn take_password_reset(&mut self, digest: &str, now: Timestamp) -> Result<Option<AccountId>> {
        let row = sqlx::query(
            "UPDATE password_resets SET used_at = $1 WHERE digest = $2 AND used_at IS NULL AND expires_at > $1 RETURNING account_id",
        )
        .bind(now.millis())
        .bind(digest.to_owned())
        .fetch_optional(self.c())
        .await
        .map_err(db_err)?;
        row.map(|r| AccountId::parse(&rows::s(&r, "account_id")?).map_err(CoreError::internal))
            .transpose()
    }

    async fn acquire_lease(&mut self, name: &str, holder: &str, now: Timestamp, until: Timestamp) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO job_leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE job_leases.expires_at < $4 OR job_leases.holder = $2",
        )
        .bind(name.to_owned())
        .bind(holder.to_owned())
        .bind(until.millis())
        .bind(now.millis())
        .execute(self.c())
        .await
        .map_err(db_err)?;
        Ok(n.rows_affected() == 1)
    }
}
