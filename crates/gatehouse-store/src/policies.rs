//! Authentication policies, each managed account's policy (`org_accounts.policy_id`, NULL for
//! the default), the external-users policy, the password history, and migration 0021's data
//! step.

use crate::SqlTx;
use crate::billing::Touched;
use crate::db::{Db, sql_with};
use crate::dialect::Dialect;
use crate::json_rows::{EVENT_TARGETS, EVENTS, event_rows};
use crate::rows;
use crate::sql::Sql;
use gatehouse_core::audit::{Actor, AuditAction, AuditEvent, RequestMeta};
use gatehouse_core::auth::PasswordFacts;
use gatehouse_core::ids::{AccountId, IdpId, OrgId, PolicyId};
use gatehouse_core::policy::{ExternalPolicy, ExternalSettings, Policy, PolicySettings, SsoRule};
use gatehouse_core::ports::{PolicyMember, PolicyReads, PolicyTx};
use gatehouse_core::types::Email;
use gatehouse_core::{CoreError, Result, Timestamp};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use std::ops::DerefMut;

const POLICY_COLS: &str = "p.id, p.org_id, p.name, p.is_default, p.sso_enforced, p.sso_idp_id, p.non_billable, \
                           p.settings, p.created_at, p.updated_at";

/// The join from a managed link `oa` to its policy `p`: the one it names, else the default.
const MEMBER_JOIN: &str = " JOIN auth_policies p ON p.org_id = oa.org_id AND \
     (p.id = oa.policy_id OR (oa.policy_id IS NULL AND p.is_default = 1))";

fn corrupt(what: &str) -> CoreError {
    CoreError::Internal(format!("stored {what} is not valid"))
}

fn policy(r: &AnyRow) -> Result<Policy> {
    let mut settings: PolicySettings =
        serde_json::from_str(&rows::s(r, "settings")?).map_err(|_| corrupt("policy settings"))?;
    settings.sso = SsoRule {
        enforced: rows::i(r, "sso_enforced")? == 1,
        identity_provider_id: rows::os(r, "sso_idp_id")?
            .map(|s| IdpId::parse(&s).map_err(|_| corrupt("policy idp")))
            .transpose()?,
    };
    settings.non_billable = rows::i(r, "non_billable")? == 1;
    Ok(Policy {
        id: PolicyId::parse(&rows::s(r, "id")?).map_err(|_| corrupt("policy id"))?,
        org_id: rows::org_id(r)?,
        name: rows::s(r, "name")?,
        is_default: rows::i(r, "is_default")? == 1,
        settings,
        created_at: Timestamp::from_millis(rows::i(r, "created_at")?),
        updated_at: Timestamp::from_millis(rows::i(r, "updated_at")?),
    })
}

fn member(r: &AnyRow) -> Result<PolicyMember> {
    Ok(PolicyMember {
        account: rows::account(r)?,
        password: rows::password_state(r)?,
    })
}

fn member_with_policy(r: &AnyRow) -> Result<(PolicyMember, PolicyId)> {
    let policy = PolicyId::parse(&rows::s(r, "policy_id")?).map_err(|_| corrupt("policy id"))?;
    Ok((member(r)?, policy))
}

fn settings_json(p: &Policy) -> Result<String> {
    serde_json::to_string(&p.settings).map_err(CoreError::internal)
}

fn idp_text(p: &Policy) -> Option<String> {
    p.settings.sso.identity_provider_id.map(|i| i.to_string())
}

const MEMBER_HEAD: &str = concat!(
    "SELECT ",
    account_cols!(),
    ", ",
    password_facts_cols!(),
    ", p.id AS policy_id FROM org_accounts oa JOIN accounts a ON a.id = oa.account_id"
);

impl<C: DerefMut<Target = AnyConnection> + Send> Db<C> {
    /// The organization's managed members whose `column` (`a.id` or `a.email`) is one of
    /// `values`, with their policies.
    async fn managed_members_where(
        &mut self,
        org: OrgId,
        column: &'static str,
        values: &[String],
    ) -> Result<Vec<(PolicyMember, PolicyId)>> {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = Sql::new(MEMBER_HEAD);
        q.push(MEMBER_JOIN);
        q.push(" WHERE oa.is_managed = 1 AND oa.org_id = ")
            .bind(org.to_string());
        q.push(" AND ").push(column).push(" IN (");
        for (n, v) in values.iter().enumerate() {
            if n > 0 {
                q.push(", ");
            }
            q.bind(v.clone());
        }
        q.push(") ORDER BY a.id");
        self.all(&q, member_with_policy).await
    }
}

impl<C: DerefMut<Target = AnyConnection> + Send> PolicyReads for Db<C> {
    async fn find_policy(&mut self, org: OrgId, id: PolicyId) -> Result<Option<Policy>> {
        let mut q = Sql::new("SELECT ");
        q.push(POLICY_COLS);
        q.push(" FROM auth_policies p WHERE p.id = ").bind(id.to_string());
        q.push(" AND p.org_id = ").bind(org.to_string());
        self.one(&q, policy).await
    }

    async fn list_policies(&mut self, org: OrgId) -> Result<Vec<Policy>> {
        let mut q = Sql::new("SELECT ");
        q.push(POLICY_COLS);
        q.push(" FROM auth_policies p WHERE p.org_id = ").bind(org.to_string());
        q.push(" ORDER BY p.is_default DESC, p.name_folded, p.id");
        self.all(&q, policy).await
    }

    async fn count_policy_members(&mut self, org: OrgId) -> Result<Vec<(PolicyId, i64)>> {
        let mut q =
            Sql::new("SELECT p.id, COUNT(oa.account_id) AS n FROM auth_policies p LEFT JOIN org_accounts oa ON ");
        q.push(
            "oa.org_id = p.org_id AND oa.is_managed = 1 AND \
             (oa.policy_id = p.id OR (oa.policy_id IS NULL AND p.is_default = 1)) WHERE p.org_id = ",
        )
        .bind(org.to_string());
        q.push(" GROUP BY p.id");
        self.all(&q, |r| {
            Ok((
                PolicyId::parse(&rows::s(r, "id")?).map_err(|_| corrupt("policy id"))?,
                rows::i(r, "n")?,
            ))
        })
        .await
    }

    async fn find_default_policy(&mut self, org: OrgId) -> Result<Option<Policy>> {
        let mut q = Sql::new("SELECT ");
        q.push(POLICY_COLS);
        q.push(" FROM auth_policies p WHERE p.is_default = 1 AND p.org_id = ")
            .bind(org.to_string());
        self.one(&q, policy).await
    }

    async fn find_policy_of(&mut self, account: AccountId) -> Result<Option<Policy>> {
        let mut q = Sql::new("SELECT ");
        q.push(POLICY_COLS);
        q.push(" FROM org_accounts oa");
        q.push(MEMBER_JOIN);
        q.push(" WHERE oa.is_managed = 1 AND oa.account_id = ")
            .bind(account.to_string());
        self.one(&q, policy).await
    }

    async fn list_policy_members(
        &mut self,
        p: &Policy,
        after: Option<AccountId>,
        limit: u32,
    ) -> Result<Vec<PolicyMember>> {
        let mut q = Sql::new(MEMBER_HEAD);
        q.push(MEMBER_JOIN);
        q.push(" WHERE oa.is_managed = 1 AND p.id = ").bind(p.id.to_string());
        q.push(" AND oa.org_id = ").bind(p.org_id.to_string());
        if let Some(after) = after {
            q.push(" AND a.id > ").bind(after.to_string());
        }
        q.push(" ORDER BY a.id");
        self.dialect.push_limit(&mut q, i64::from(limit), 0);
        self.all(&q, member).await
    }

    async fn find_managed_members(
        &mut self,
        org: OrgId,
        accounts: &[AccountId],
    ) -> Result<Vec<(PolicyMember, PolicyId)>> {
        let ids: Vec<String> = accounts.iter().map(ToString::to_string).collect();
        self.managed_members_where(org, "a.id", &ids).await
    }

    async fn find_managed_members_by_email(
        &mut self,
        org: OrgId,
        emails: &[Email],
    ) -> Result<Vec<(PolicyMember, PolicyId)>> {
        let emails: Vec<String> = emails.iter().map(|e| e.as_str().to_owned()).collect();
        self.managed_members_where(org, "a.email", &emails).await
    }

    async fn find_external_policy(&mut self, org: OrgId) -> Result<Option<ExternalPolicy>> {
        let q = sql_with(
            "SELECT org_id, settings, updated_at FROM external_user_policies WHERE org_id = ",
            org.to_string(),
        );
        self.one(&q, |r| {
            let settings: ExternalSettings =
                serde_json::from_str(&rows::s(r, "settings")?).map_err(|_| corrupt("external policy"))?;
            Ok(ExternalPolicy {
                org_id: rows::org_id(r)?,
                settings,
                updated_at: Some(Timestamp::from_millis(rows::i(r, "updated_at")?)),
            })
        })
        .await
    }

    async fn find_session_email_code(&mut self, session: &str) -> Result<Option<Timestamp>> {
        let q = sql_with("SELECT email_code_expires_at FROM sessions WHERE digest = ", session);
        Ok(self.one(&q, |r| rows::ot(r, "email_code_expires_at")).await?.flatten())
    }

    async fn list_password_history(&mut self, account: AccountId, n: u32) -> Result<Vec<String>> {
        let mut q = sql_with(
            "SELECT hash FROM password_history WHERE account_id = ",
            account.to_string(),
        );
        q.push(" ORDER BY replaced_at DESC");
        self.dialect.push_limit(&mut q, i64::from(n), 0);
        self.all(&q, |r| rows::s(r, "hash")).await
    }
}

impl PolicyTx for SqlTx {
    async fn insert_policy(&mut self, p: &Policy) -> Result<()> {
        insert_statement(p)?.execute(self.c()).await.map(|_| ())
    }

    async fn update_policy(&mut self, p: &Policy) -> Result<()> {
        let q = Sql::new(
            "UPDATE auth_policies SET name = $1, name_folded = $2, sso_enforced = $3, sso_idp_id = $4, settings = $5, \
             updated_at = $6, non_billable = $9 WHERE id = $7 AND org_id = $8",
        )
        .with(p.name.clone())
        .with(p.name.to_lowercase())
        .with(i64::from(p.settings.sso.enforced))
        .with(idp_text(p))
        .with(settings_json(p)?)
        .with(p.updated_at.millis())
        .with(p.id.to_string())
        .with(p.org_id.to_string())
        .with(i64::from(p.settings.non_billable));
        // Whether the policy is non-billable is a billing fact of each of its members.
        let was = Sql::new("SELECT non_billable FROM auth_policies WHERE id = $1").with(p.id.to_string());
        if self.one(&was, |r| rows::i(r, "non_billable")).await? == Some(i64::from(p.settings.non_billable)) {
            return self.exec(&q).await.map(|_| ());
        }
        let marked = self.billing_mark(p.org_id, Touched::Policy(p.id)).await?;
        self.exec(&q).await?;
        self.billing_settle(p.org_id, marked).await.map(|_| ())
    }

    async fn delete_policy(&mut self, org: OrgId, id: PolicyId) -> Result<bool> {
        // Members return to the default (NULL) explicitly: the foreign key's SET NULL would do
        // it too, but not on a SQLite connection with foreign keys off.
        let marked = self.billing_mark(org, Touched::Policy(id)).await?;
        Sql::new("UPDATE org_accounts SET policy_id = NULL WHERE policy_id = $1")
            .with(id.to_string())
            .execute(self.c())
            .await?;
        Sql::new("UPDATE identity_providers SET default_policy_id = NULL WHERE default_policy_id = $1")
            .with(id.to_string())
            .execute(self.c())
            .await?;
        let q = Sql::new("DELETE FROM auth_policies WHERE id = $1 AND org_id = $2 AND is_default = 0")
            .with(id.to_string())
            .with(org.to_string());
        let deleted = self.exec(&q).await? == 1;
        self.billing_settle(org, marked).await?;
        Ok(deleted)
    }

    async fn set_default_policy(&mut self, org: OrgId, id: PolicyId, at: Timestamp) -> Result<()> {
        let org_s = org.to_string();
        // The old default's members stay where they are: pinned to it by name.
        Sql::new(
            "UPDATE org_accounts SET policy_id = (SELECT p.id FROM auth_policies p WHERE p.org_id = $1 \
             AND p.is_default = 1) WHERE org_id = $1 AND is_managed = 1 AND policy_id IS NULL",
        )
        .with(org_s.clone())
        .execute(self.c())
        .await?;
        Sql::new("UPDATE auth_policies SET is_default = 0, updated_at = $2 WHERE org_id = $1 AND is_default = 1")
            .with(org_s.clone())
            .with(at.millis())
            .execute(self.c())
            .await?;
        Sql::new("UPDATE auth_policies SET is_default = 1, updated_at = $3 WHERE org_id = $1 AND id = $2")
            .with(org_s.clone())
            .with(id.to_string())
            .with(at.millis())
            .execute(self.c())
            .await?;
        // Named members of the new default are simply its members.
        Sql::new("UPDATE org_accounts SET policy_id = NULL WHERE org_id = $1 AND policy_id = $2")
            .with(org_s)
            .with(id.to_string())
            .execute(self.c())
            .await?;
        Ok(())
    }

    async fn record_password_facts(&mut self, account: AccountId, facts: &PasswordFacts) -> Result<bool> {
        let q = Sql::new(
            "UPDATE accounts SET password_length = $2, password_strength = $3, password_common = $4, \
             password_set_at = $5 WHERE id = $1 AND password_hash IS NOT NULL AND password_length IS NULL",
        )
        .with(account.to_string())
        .with(i64::from(facts.length))
        .with(i64::from(facts.score))
        .with(i64::from(facts.common))
        .with(facts.set_at.millis());
        Ok(self.exec(&q).await? == 1)
    }

    async fn set_session_email_code(
        &mut self,
        session: &str,
        code_digest: &str,
        expires_at: Timestamp,
    ) -> Result<bool> {
        let q = Sql::new("UPDATE sessions SET email_code_digest = $1, email_code_expires_at = $2 WHERE digest = $3")
            .with(code_digest)
            .with(expires_at.millis())
            .with(session);
        Ok(self.exec(&q).await? == 1)
    }

    async fn spend_session_email_code(&mut self, session: &str, code_digest: &str, now: Timestamp) -> Result<bool> {
        // One statement: of two posts of the same code, one spends it.
        let q = Sql::new(
            "UPDATE sessions SET email_verified_at = $1, email_code_digest = NULL, email_code_expires_at = NULL \
             WHERE digest = $2 AND email_code_digest = $3 AND email_code_expires_at > $1",
        )
        .with(now.millis())
        .with(session)
        .with(code_digest);
        Ok(self.exec(&q).await? == 1)
    }

    async fn set_accounts_policy(&mut self, org: OrgId, accounts: &[AccountId], policy: PolicyId) -> Result<u64> {
        if accounts.is_empty() {
            return Ok(0);
        }
        // The default is stored as NULL, as for one account.
        let mut q = Sql::new(
            "UPDATE org_accounts SET policy_id = CASE WHEN EXISTS (SELECT 1 FROM auth_policies p WHERE p.id = ",
        );
        q.bind(policy.to_string())
            .push(" AND p.org_id = ")
            .bind(org.to_string());
        q.push(" AND p.is_default = 1) THEN NULL ELSE ")
            .bind(policy.to_string());
        q.push(" END WHERE is_managed = 1 AND org_id = ").bind(org.to_string());
        q.push(" AND account_id IN (");
        for (n, a) in accounts.iter().enumerate() {
            if n > 0 {
                q.push(", ");
            }
            q.bind(a.to_string());
        }
        q.push(")");
        let marked = self.billing_mark(org, Touched::Accounts(accounts)).await?;
        let n = self.exec(&q).await?;
        self.billing_settle(org, marked).await?;
        Ok(n)
    }

    async fn put_external_policy(&mut self, p: &ExternalPolicy) -> Result<()> {
        let q = Sql::new(
            "INSERT INTO external_user_policies (org_id, settings, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (org_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at",
        )
        .with(p.org_id.to_string())
        .with(serde_json::to_string(&p.settings).map_err(CoreError::internal)?)
        .with(p.updated_at.unwrap_or_else(Timestamp::now).millis());
        self.exec(&q).await.map(|_| ())
    }
}

/// Migration 0021's data step: every organization gets its default policy, which takes over
/// the per-provider SSO switch. One enforced provider becomes the policy's named provider;
/// several become "each member's domain's provider" (what the switches did together); none
/// leaves SSO unenforced. Each creation is a `policy.created` event of the migration.
pub(crate) async fn create_default_policies(conn: &mut AnyConnection, dialect: Dialect) -> Result<usize> {
    let now = Timestamp::now();
    let actor = Actor::system("migration 0021: authentication policies take over SSO enforcement");
    let mut db = Db { conn, dialect };
    let orgs = Sql::new("SELECT o.id AS org_id FROM orgs o WHERE NOT EXISTS (SELECT 1 FROM auth_policies p WHERE p.org_id = o.id) ORDER BY o.id")
        .fetch_all(db.c())
        .await?
        .iter()
        .map(rows::org_id)
        .collect::<Result<Vec<_>>>()?;
    let mut events = Vec::new();
    for org in &orgs {
        let enforced =
            Sql::new("SELECT id FROM identity_providers WHERE org_id = $1 AND enforced = 1 ORDER BY created_at, id")
                .with(org.to_string())
                .fetch_all(db.c())
                .await?
                .iter()
                .map(|r| IdpId::parse(&rows::s(r, "id")?).map_err(|_| corrupt("idp id")))
                .collect::<Result<Vec<_>>>()?;
        let sso = SsoRule {
            enforced: !enforced.is_empty(),
            identity_provider_id: (enforced.len() == 1).then(|| enforced[0]),
        };
        let p = Policy::default_for(*org, sso, now);
        insert_statement(&p)?.execute(db.c()).await?;
        events.push(
            AuditEvent::new(*org, &actor, &RequestMeta::default(), AuditAction::PolicyCreated, now)
                .target("policy", p.id, Some(&p.name))
                .after(&p),
        );
        if events.len() >= 500 {
            write_events(&mut db, &std::mem::take(&mut events)).await?;
        }
    }
    write_events(&mut db, &events).await?;
    Ok(orgs.len())
}

async fn write_events(db: &mut Db<&mut AnyConnection>, events: &[AuditEvent]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let (rows, targets) = event_rows(events)?;
    db.insert_rows(&EVENTS, &rows).await?;
    db.insert_rows(&EVENT_TARGETS, &targets).await.map(|_| ())
}

/// The statement that adds a policy (the service's and the migration's).
fn insert_statement(p: &Policy) -> Result<Sql> {
    Ok(Sql::new(
        "INSERT INTO auth_policies (id, org_id, name, name_folded, is_default, sso_enforced, sso_idp_id, \
         settings, created_at, updated_at, non_billable) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .with(p.id.to_string())
    .with(p.org_id.to_string())
    .with(p.name.clone())
    .with(p.name.to_lowercase())
    .with(i64::from(p.is_default))
    .with(i64::from(p.settings.sso.enforced))
    .with(idp_text(p))
    .with(settings_json(p)?)
    .with(p.created_at.millis())
    .with(p.updated_at.millis())
    .with(i64::from(p.settings.non_billable)))
}
