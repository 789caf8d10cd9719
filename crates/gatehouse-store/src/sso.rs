//! Identity providers and single sign-on state.

use crate::rows;
use crate::sql::Sql;
use crate::{Db, SqlTx};
use gatehouse_core::ids::{AccountId, GroupId, IdpId, OrgId, SessionId};
use gatehouse_core::model::Group;
use gatehouse_core::ports::{SsoReads, SsoTx};
use gatehouse_core::sso::{IdentityProvider, Settings, SsoRequest, SsoSession};
use gatehouse_core::{CoreError, Result, Timestamp};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use std::ops::DerefMut;

/// `enforced` is what the organization's default policy says of the provider (policies took
/// over the per-provider switch, whose column is no longer read): single sign-on enforced
/// through it by name, or through each member's domain's provider.
const IDP_COLS: &str = "i.id, i.org_id, i.name, CAST(CASE WHEN EXISTS (SELECT 1 FROM auth_policies ep WHERE \
                        ep.org_id = i.org_id AND ep.is_default = 1 AND ep.sso_enforced = 1 AND \
                        (ep.sso_idp_id IS NULL OR ep.sso_idp_id = i.id)) THEN 1 ELSE 0 END AS BIGINT) AS enforced, \
                        i.allow_idp_initiated, i.map_groups, i.default_policy_id, i.settings, i.sealed_secret, \
                        i.created_at, i.updated_at";

/// A whole statement with its one `$1` bound to `v`.
fn one_arg(text: &'static str, v: impl Into<crate::sql::Arg>) -> Sql {
    Sql::new(text).with(v)
}

fn corrupt(what: &str) -> CoreError {
    CoreError::Internal(format!("stored {what} is not valid"))
}

/// A provider row, its domains still to be read.
fn idp(r: &AnyRow) -> Result<IdentityProvider> {
    let settings: Settings =
        serde_json::from_str(&rows::s(r, "settings")?).map_err(|_| corrupt("identity provider settings"))?;
    Ok(IdentityProvider {
        id: IdpId::parse(&rows::s(r, "id")?).map_err(|_| corrupt("idp id"))?,
        org_id: OrgId::parse(&rows::s(r, "org_id")?).map_err(|_| corrupt("org_id"))?,
        name: rows::s(r, "name")?,
        enforced: rows::i(r, "enforced")? == 1,
        allow_idp_initiated: rows::i(r, "allow_idp_initiated")? == 1,
        map_groups: rows::i(r, "map_groups")? == 1,
        default_policy_id: rows::os(r, "default_policy_id")?
            .map(|p| gatehouse_core::ids::PolicyId::parse(&p).map_err(|_| corrupt("default policy")))
            .transpose()?,
        domains: Vec::new(),
        settings,
        sealed_secret: rows::os(r, "sealed_secret")?,
        created_at: Timestamp::from_millis(rows::i(r, "created_at")?),
        updated_at: Timestamp::from_millis(rows::i(r, "updated_at")?),
    })
}

fn request(r: &AnyRow) -> Result<SsoRequest> {
    Ok(SsoRequest {
        id: rows::s(r, "id")?,
        idp_id: IdpId::parse(&rows::s(r, "idp_id")?).map_err(|_| corrupt("idp id"))?,
        return_to: rows::s(r, "return_to")?,
        nonce: rows::os(r, "nonce")?,
        pkce_verifier: rows::os(r, "pkce_verifier")?,
        tester: rows::os(r, "tester_id")?
            .map(|t| AccountId::parse(&t).map_err(|_| corrupt("tester_id")))
            .transpose()?,
        created_at: Timestamp::from_millis(rows::i(r, "created_at")?),
        expires_at: Timestamp::from_millis(rows::i(r, "expires_at")?),
    })
}

fn sso_session(r: &AnyRow) -> Result<SsoSession> {
    Ok(SsoSession {
        session_id: SessionId::parse(&rows::s(r, "session_id")?).map_err(|_| corrupt("session_id"))?,
        idp_id: IdpId::parse(&rows::s(r, "idp_id")?).map_err(|_| corrupt("idp id"))?,
        subject: rows::s(r, "subject")?,
        session_index: rows::os(r, "session_index")?,
        id_token: rows::os(r, "id_token")?,
        created_at: Timestamp::from_millis(rows::i(r, "created_at")?),
    })
}

fn domain(r: &AnyRow) -> Result<String> {
    rows::s(r, "domain")
}

fn group_id(r: &AnyRow) -> Result<GroupId> {
    GroupId::parse(&rows::s(r, "group_id")?).map_err(|_| corrupt("group_id"))
}

fn account(r: &AnyRow) -> Result<AccountId> {
    AccountId::parse(&rows::s(r, "account_id")?).map_err(|_| corrupt("account_id"))
}

fn settings_json(idp: &IdentityProvider) -> Result<String> {
    serde_json::to_string(&idp.settings).map_err(CoreError::internal)
}

impl<C: DerefMut<Target = AnyConnection> + Send> Db<C> {
    /// Fills each provider's domains.
    async fn with_domains(&mut self, mut idps: Vec<IdentityProvider>) -> Result<Vec<IdentityProvider>> {
        for i in &mut idps {
            let q = one_arg(
                "SELECT domain FROM identity_provider_domains WHERE idp_id = $1 ORDER BY domain",
                i.id.to_string(),
            );
            i.domains = self.all(&q, domain).await?;
        }
        Ok(idps)
    }

    async fn one_idp(&mut self, q: &Sql) -> Result<Option<IdentityProvider>> {
        let found: Vec<IdentityProvider> = self.one(q, idp).await?.into_iter().collect();
        Ok(self.with_domains(found).await?.pop())
    }
}

impl<C: DerefMut<Target = AnyConnection> + Send> SsoReads for Db<C> {
    async fn find_idp(&mut self, org: OrgId, id: IdpId) -> Result<Option<IdentityProvider>> {
        let mut q = Sql::new("SELECT ");
        q.push(IDP_COLS);
        q.push(" FROM identity_providers i WHERE i.id = ").bind(id.to_string());
        q.push(" AND i.org_id = ").bind(org.to_string());
        self.one_idp(&q).await
    }

    async fn find_idp_by_id(&mut self, id: IdpId) -> Result<Option<IdentityProvider>> {
        let mut q = Sql::new("SELECT ");
        q.push(IDP_COLS);
        q.push(" FROM identity_providers i WHERE i.id = ").bind(id.to_string());
        self.one_idp(&q).await
    }

    async fn list_idps(&mut self, org: OrgId) -> Result<Vec<IdentityProvider>> {
        let mut q = Sql::new("SELECT ");
        q.push(IDP_COLS);
        q.push(" FROM identity_providers i WHERE i.org_id = ")
            .bind(org.to_string());
        q.push(" ORDER BY i.created_at, i.id");
        let found = self.all(&q, idp).await?;
        self.with_domains(found).await
    }

    async fn find_idp_for_domain(&mut self, name: &str) -> Result<Option<IdentityProvider>> {
        // The provider's organization must still have the domain verified: a domain that
        // lapsed or was removed routes nobody anywhere.
        let mut q = Sql::new("SELECT ");
        q.push(IDP_COLS);
        q.push(
            " FROM identity_provider_domains d JOIN identity_providers i ON i.id = d.idp_id \
             JOIN domains v ON v.name = d.domain AND v.org_id = d.org_id AND v.status = 'verified' \
             WHERE d.domain = ",
        )
        .bind(name.to_ascii_lowercase());
        self.one_idp(&q).await
    }

    async fn find_sso_link(&mut self, idp: IdpId, subject: &str) -> Result<Option<AccountId>> {
        let q = Sql::new("SELECT account_id FROM sso_links WHERE idp_id = $1 AND subject = $2")
            .with(idp.to_string())
            .with(subject);
        self.one(&q, account).await
    }

    async fn list_break_glass(&mut self, org: OrgId) -> Result<Vec<AccountId>> {
        // Only while the person is still an admin of the organization.
        let q = one_arg(
            "SELECT b.account_id FROM sso_break_glass b JOIN org_admins a ON a.org_id = b.org_id AND \
             a.account_id = b.account_id WHERE b.org_id = $1 ORDER BY b.account_id",
            org.to_string(),
        );
        self.all(&q, account).await
    }

    async fn list_default_groups(&mut self, org: OrgId) -> Result<Vec<GroupId>> {
        let q = one_arg(
            "SELECT group_id FROM org_default_groups WHERE org_id = $1 ORDER BY group_id",
            org.to_string(),
        );
        self.all(&q, group_id).await
    }

    async fn find_local_groups(&mut self, org: OrgId, names: &[String]) -> Result<Vec<Group>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = Sql::new(
            "SELECT g.id, g.org_id, g.name, g.description, g.created_at, g.directory_id, 0 AS member_count \
             FROM org_groups g WHERE g.directory_id IS NULL AND g.org_id = ",
        );
        q.bind(org.to_string());
        q.push(" AND g.name_folded IN (");
        for (n, name) in names.iter().enumerate() {
            if n > 0 {
                q.push(", ");
            }
            q.bind(name.trim().to_lowercase());
        }
        q.push(") ORDER BY g.id");
        self.all(&q, rows::group).await
    }
}

impl SsoTx for SqlTx {
    async fn insert_idp(&mut self, i: &IdentityProvider) -> Result<()> {
        let q = Sql::new(
            "INSERT INTO identity_providers (id, org_id, name, protocol, enforced, allow_idp_initiated, map_groups, \
             settings, sealed_secret, created_at, updated_at, default_policy_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .with(i.id.to_string())
        .with(i.org_id.to_string())
        .with(i.name.clone())
        .with(i.protocol().as_str())
        .with(i64::from(i.enforced))
        .with(i64::from(i.allow_idp_initiated))
        .with(i64::from(i.map_groups))
        .with(settings_json(i)?)
        .with(i.sealed_secret.clone())
        .with(i.created_at.millis())
        .with(i.updated_at.millis())
        .with(i.default_policy_id.map(|p| p.to_string()));
        self.exec(&q).await?;
        Ok(())
    }

    async fn update_idp(&mut self, i: &IdentityProvider) -> Result<()> {
        let q = Sql::new(
            "UPDATE identity_providers SET name = $1, enforced = $2, allow_idp_initiated = $3, map_groups = $4, \
             settings = $5, sealed_secret = $6, updated_at = $7, default_policy_id = $10 WHERE id = $8 AND org_id = $9",
        )
        .with(i.name.clone())
        .with(i64::from(i.enforced))
        .with(i64::from(i.allow_idp_initiated))
        .with(i64::from(i.map_groups))
        .with(settings_json(i)?)
        .with(i.sealed_secret.clone())
        .with(i.updated_at.millis())
        .with(i.id.to_string())
        .with(i.org_id.to_string())
        .with(i.default_policy_id.map(|p| p.to_string()));
        self.exec(&q).await?;
        Ok(())
    }

    async fn delete_idp(&mut self, org: OrgId, id: IdpId) -> Result<bool> {
        let q = Sql::new("DELETE FROM identity_providers WHERE id = $1 AND org_id = $2")
            .with(id.to_string())
            .with(org.to_string());
        Ok(self.exec(&q).await? == 1)
    }

    async fn set_idp_domains(&mut self, i: &IdentityProvider) -> Result<()> {
        let q = one_arg(
            "DELETE FROM identity_provider_domains WHERE idp_id = $1",
            i.id.to_string(),
        );
        self.exec(&q).await?;
        for d in &i.domains {
            let q = Sql::new("INSERT INTO identity_provider_domains (domain, idp_id, org_id) VALUES ($1, $2, $3)")
                .with(d.clone())
                .with(i.id.to_string())
                .with(i.org_id.to_string());
            self.exec(&q).await?;
        }
        Ok(())
    }

    async fn insert_sso_request(&mut self, r: &SsoRequest) -> Result<()> {
        let q = Sql::new(
            "INSERT INTO sso_requests (id, idp_id, return_to, nonce, pkce_verifier, tester_id, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .with(r.id.clone())
        .with(r.idp_id.to_string())
        .with(r.return_to.clone())
        .with(r.nonce.clone())
        .with(r.pkce_verifier.clone())
        .with(r.tester.map(|t| t.to_string()))
        .with(r.created_at.millis())
        .with(r.expires_at.millis());
        self.exec(&q).await?;
        Ok(())
    }

    async fn take_sso_request(&mut self, idp: IdpId, id: &str, now: Timestamp) -> Result<Option<SsoRequest>> {
        // One statement: of two answers racing with one id, the second finds the row gone.
        let q = Sql::new(
            "DELETE FROM sso_requests WHERE idp_id = $1 AND id = $2 AND expires_at > $3 \
             RETURNING id, idp_id, return_to, nonce, pkce_verifier, tester_id, created_at, expires_at",
        )
        .with(idp.to_string())
        .with(id)
        .with(now.millis());
        self.one(&q, request).await
    }

    async fn remember_assertion(&mut self, idp: IdpId, id: &str, until: Timestamp) -> Result<bool> {
        let q = Sql::new(
            "INSERT INTO sso_seen_assertions (idp_id, assertion_id, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (idp_id, assertion_id) DO NOTHING",
        )
        .with(idp.to_string())
        .with(id)
        .with(until.millis());
        Ok(self.exec(&q).await? == 1)
    }

    async fn insert_sso_link(&mut self, idp: IdpId, subject: &str, account: AccountId, at: Timestamp) -> Result<()> {
        let q = Sql::new(
            "INSERT INTO sso_links (idp_id, subject, account_id, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (idp_id, subject) DO NOTHING",
        )
        .with(idp.to_string())
        .with(subject)
        .with(account.to_string())
        .with(at.millis());
        self.exec(&q).await?;
        Ok(())
    }

    async fn set_break_glass(&mut self, org: OrgId, accounts: &[AccountId]) -> Result<()> {
        self.exec(&one_arg(
            "DELETE FROM sso_break_glass WHERE org_id = $1",
            org.to_string(),
        ))
        .await?;
        for a in accounts {
            let q = Sql::new("INSERT INTO sso_break_glass (org_id, account_id) VALUES ($1, $2)")
                .with(org.to_string())
                .with(a.to_string());
            self.exec(&q).await?;
        }
        Ok(())
    }

    async fn set_default_groups(&mut self, org: OrgId, groups: &[GroupId]) -> Result<()> {
        self.exec(&one_arg(
            "DELETE FROM org_default_groups WHERE org_id = $1",
            org.to_string(),
        ))
        .await?;
        for g in groups {
            let q = Sql::new("INSERT INTO org_default_groups (org_id, group_id) VALUES ($1, $2)")
                .with(org.to_string())
                .with(g.to_string());
            self.exec(&q).await?;
        }
        Ok(())
    }

    async fn insert_sso_session(&mut self, x: &SsoSession) -> Result<()> {
        let q = Sql::new(
            "INSERT INTO sso_sessions (session_id, idp_id, subject, session_index, id_token, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .with(x.session_id.to_string())
        .with(x.idp_id.to_string())
        .with(x.subject.clone())
        .with(x.session_index.clone())
        .with(x.id_token.clone())
        .with(x.created_at.millis());
        self.exec(&q).await?;
        Ok(())
    }

    async fn take_sso_session(&mut self, session: SessionId) -> Result<Option<SsoSession>> {
        let q = one_arg(
            "DELETE FROM sso_sessions WHERE session_id = $1 \
             RETURNING session_id, idp_id, subject, session_index, id_token, created_at",
            session.to_string(),
        );
        self.one(&q, sso_session).await
    }

    async fn prune_sso(&mut self, now: Timestamp) -> Result<u64> {
        let a = self
            .exec(&one_arg(
                "DELETE FROM sso_requests WHERE expires_at <= $1",
                now.millis(),
            ))
            .await?;
        let b = self
            .exec(&one_arg(
                "DELETE FROM sso_seen_assertions WHERE expires_at <= $1",
                now.millis(),
            ))
            .await?;
        // What single logout needed of sessions that ended without a sign-out (expired,
        // revoked): the session is gone, so nobody can sign out of it any more.
        let c = self
            .exec(&Sql::new(
                "DELETE FROM sso_sessions WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = sso_sessions.session_id)",
            ))
            .await?;
        Ok(a + b + c)
    }
}
