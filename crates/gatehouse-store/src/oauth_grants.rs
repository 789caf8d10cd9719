//! Product sessions: grants, their authorization codes and refresh tokens, ending them, and
//! the notices that tell their clients. Spending a code or a token is one conditional
//! statement, so of two uses at the same moment exactly one wins.

use crate::db::opt_ms;
use crate::sql::Sql;
use crate::{Db, SqlTx, rows};
use gatehouse_core::ids::{AccountId, ClientId, ClientSecretId, GrantId, OrgId, SessionId};
use gatehouse_core::oauth::{
    Client, ClientSecret, CodeGrant, EndedGrant, Grant, ProductSession, StoredSigningKey, Taken,
};
use gatehouse_core::{CoreError, Result, Timestamp};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use std::ops::DerefMut;

const GRANT_COLS: &str = "g.id, g.client_id, g.org_id, g.account_id, g.session_id, g.scope, g.auth_time, g.amr, g.created_at, \
     g.last_used_at, g.revoked_at";

fn corrupt(what: &str) -> CoreError {
    CoreError::Internal(format!("stored {what} is not valid"))
}

fn amr(r: &AnyRow) -> Result<Vec<String>> {
    serde_json::from_str(&rows::s(r, "amr")?).map_err(|_| corrupt("amr"))
}

fn session_id(r: &AnyRow) -> Result<Option<SessionId>> {
    rows::os(r, "session_id")?
        .map(|s| SessionId::parse(&s).map_err(|_| corrupt("session id")))
        .transpose()
}

fn grant(r: &AnyRow) -> Result<Grant> {
    Ok(Grant {
        id: GrantId::parse(&rows::s(r, "id")?).map_err(|_| corrupt("grant id"))?,
        client_id: ClientId::parse(&rows::s(r, "client_id")?).map_err(|_| corrupt("client id"))?,
        org_id: rows::org_id(r)?,
        account_id: AccountId::parse(&rows::s(r, "account_id")?).map_err(|_| corrupt("account id"))?,
        session_id: session_id(r)?,
        scope: rows::s(r, "scope")?,
        auth_time: Timestamp::from_millis(rows::i(r, "auth_time")?),
        amr: amr(r)?,
        created_at: Timestamp::from_millis(rows::i(r, "created_at")?),
        last_used_at: Timestamp::from_millis(rows::i(r, "last_used_at")?),
        revoked_at: rows::ot(r, "revoked_at")?,
    })
}

fn product_session(r: &AnyRow) -> Result<ProductSession> {
    Ok(ProductSession {
        grant: grant(r)?,
        client_name: rows::s(r, "client_name")?,
    })
}

fn code(r: &AnyRow) -> Result<CodeGrant> {
    Ok(CodeGrant {
        grant_id: GrantId::parse(&rows::s(r, "grant_id")?).map_err(|_| corrupt("grant id"))?,
        client_id: ClientId::parse(&rows::s(r, "client_id")?).map_err(|_| corrupt("client id"))?,
        account_id: AccountId::parse(&rows::s(r, "account_id")?).map_err(|_| corrupt("account id"))?,
        session_id: session_id(r)?,
        redirect_uri: rows::s(r, "redirect_uri")?,
        scope: rows::s(r, "scope")?,
        nonce: rows::os(r, "nonce")?,
        code_challenge: rows::os(r, "code_challenge")?,
        auth_time: Timestamp::from_millis(rows::i(r, "auth_time")?),
        amr: amr(r)?,
        expires_at: Timestamp::from_millis(rows::i(r, "expires_at")?),
    })
}

fn ended(r: &AnyRow) -> Result<EndedGrant> {
    Ok(EndedGrant {
        grant_id: GrantId::parse(&rows::s(r, "id")?).map_err(|_| corrupt("grant id"))?,
        client_id: ClientId::parse(&rows::s(r, "client_id")?).map_err(|_| corrupt("client id"))?,
        org_id: rows::org_id(r)?,
        account_id: AccountId::parse(&rows::s(r, "account_id")?).map_err(|_| corrupt("account id"))?,
    })
}

fn grant_id_col(r: &AnyRow) -> Result<GrantId> {
    GrantId::parse(&rows::s(r, "grant_id")?).map_err(|_| corrupt("grant id"))
}

impl<C: DerefMut<Target = AnyConnection> + Send> Db<C> {
    pub(crate) async fn find_grant_row(&mut self, id: GrantId) -> Result<Option<Grant>> {
        let mut q = Sql::new("SELECT ");
        q.push(GRANT_COLS)
            .push(" FROM oauth_grants g WHERE g.id = ")
            .bind(id.to_string());
        self.one(&q, grant).await
    }

    pub(crate) async fn list_product_session_rows(
        &mut self,
        org: OrgId,
        account: AccountId,
    ) -> Result<Vec<ProductSession>> {
        let mut q = Sql::new("SELECT ");
        q.push(GRANT_COLS)
            .push(", c.name AS client_name FROM oauth_grants g JOIN oauth_clients c ON c.id = g.client_id WHERE g.org_id = ")
            .bind(org.to_string())
            .push(" AND g.account_id = ")
            .bind(account.to_string())
            .push(" AND g.revoked_at IS NULL ORDER BY g.id DESC LIMIT 1000");
        self.all(&q, product_session).await
    }
}

/// Revokes the live grants the condition picks (`WHERE revoked_at IS NULL AND ...`), answering
/// them.
async fn revoke_where(tx: &mut SqlTx, mut q: Sql) -> Result<Vec<EndedGrant>> {
    q.push(" AND revoked_at IS NULL RETURNING id, client_id, org_id, account_id");
    tx.all(&q, ended).await
}

impl gatehouse_core::ports::OAuthTx for SqlTx {
    async fn insert_client(&mut self, client: &Client) -> Result<()> {
        self.insert_client_row(client).await
    }

    async fn update_client(&mut self, client: &Client) -> Result<()> {
        self.update_client_row(client).await
    }

    async fn delete_client(&mut self, org: OrgId, id: ClientId) -> Result<bool> {
        self.delete_client_row(org, id).await
    }

    async fn insert_client_secret(&mut self, secret: &ClientSecret, digest: &str) -> Result<()> {
        self.insert_client_secret_row(secret, digest).await
    }

    async fn expire_client_secrets(&mut self, client: ClientId, keep: ClientSecretId, until: Timestamp) -> Result<u64> {
        self.expire_client_secret_rows(client, keep, until).await
    }

    async fn insert_code(&mut self, digest: &str, c: &CodeGrant, at: Timestamp) -> Result<()> {
        let q = Sql::new(
            "INSERT INTO oauth_codes (digest, grant_id, client_id, account_id, session_id, redirect_uri, scope, \
             nonce, code_challenge, auth_time, amr, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .with(digest)
        .with(c.grant_id.to_string())
        .with(c.client_id.to_string())
        .with(c.account_id.to_string())
        .with(c.session_id.map(|s| s.to_string()))
        .with(c.redirect_uri.clone())
        .with(c.scope.clone())
        .with(c.nonce.clone())
        .with(c.code_challenge.clone())
        .with(c.auth_time.millis())
        .with(serde_json::to_string(&c.amr).map_err(CoreError::internal)?)
        .with(at.millis())
        .with(c.expires_at.millis());
        self.exec(&q).await.map(|_| ())
    }

    async fn take_code(&mut self, digest: &str, at: Timestamp) -> Result<Taken<CodeGrant>> {
        let q = Sql::new(
            "UPDATE oauth_codes SET used_at = $1 WHERE digest = $2 AND used_at IS NULL \
             RETURNING grant_id, client_id, account_id, session_id, redirect_uri, scope, nonce, code_challenge, \
             auth_time, amr, expires_at",
        )
        .with(at.millis())
        .with(digest);
        if let Some(c) = self.one(&q, code).await? {
            return Ok(Taken::Fresh(c));
        }
        let q = Sql::new("SELECT grant_id FROM oauth_codes WHERE digest = $1").with(digest);
        Ok(self.one(&q, grant_id_col).await?.map_or(Taken::Missing, Taken::Spent))
    }

    async fn insert_grant(&mut self, g: &Grant) -> Result<()> {
        let q = Sql::new(
            "INSERT INTO oauth_grants (id, client_id, org_id, account_id, session_id, scope, auth_time, amr, \
             created_at, last_used_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .with(g.id.to_string())
        .with(g.client_id.to_string())
        .with(g.org_id.to_string())
        .with(g.account_id.to_string())
        .with(g.session_id.map(|s| s.to_string()))
        .with(g.scope.clone())
        .with(g.auth_time.millis())
        .with(serde_json::to_string(&g.amr).map_err(CoreError::internal)?)
        .with(g.created_at.millis())
        .with(g.last_used_at.millis())
        .with(opt_ms(g.revoked_at));
        self.exec(&q).await.map(|_| ())
    }

    async fn touch_grant(&mut self, id: GrantId, at: Timestamp) -> Result<()> {
        let q = Sql::new("UPDATE oauth_grants SET last_used_at = $1 WHERE id = $2")
            .with(at.millis())
            .with(id.to_string());
        self.exec(&q).await.map(|_| ())
    }

    async fn insert_refresh_token(
        &mut self,
        digest: &str,
        g: GrantId,
        at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        let q = Sql::new(
            "INSERT INTO oauth_refresh_tokens (digest, grant_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .with(digest)
        .with(g.to_string())
        .with(at.millis())
        .with(expires_at.millis());
        self.exec(&q).await.map(|_| ())
    }

    async fn take_refresh_token(&mut self, digest: &str, at: Timestamp) -> Result<Taken<Grant>> {
        let q = Sql::new(
            "UPDATE oauth_refresh_tokens SET used_at = $1 WHERE digest = $2 AND used_at IS NULL AND expires_at > $1 \
             AND grant_id IN (SELECT id FROM oauth_grants WHERE revoked_at IS NULL) RETURNING grant_id",
        )
        .with(at.millis())
        .with(digest);
        if let Some(id) = self.one(&q, grant_id_col).await? {
            return Ok(self.find_grant_row(id).await?.map_or(Taken::Missing, Taken::Fresh));
        }
        let q = Sql::new("SELECT grant_id FROM oauth_refresh_tokens WHERE digest = $1 AND used_at IS NOT NULL")
            .with(digest);
        Ok(self.one(&q, grant_id_col).await?.map_or(Taken::Missing, Taken::Spent))
    }

    async fn revoke_by_refresh_token(
        &mut self,
        client: ClientId,
        digest: &str,
        at: Timestamp,
    ) -> Result<Option<EndedGrant>> {
        let q = Sql::new(
            "UPDATE oauth_grants SET revoked_at = $1 WHERE client_id = $2 \
             AND id IN (SELECT grant_id FROM oauth_refresh_tokens WHERE digest = $3)",
        )
        .with(at.millis())
        .with(client.to_string())
        .with(digest);
        Ok(revoke_where(self, q).await?.into_iter().next())
    }

    async fn revoke_grant(&mut self, id: GrantId, at: Timestamp) -> Result<Option<EndedGrant>> {
        let q = Sql::new("UPDATE oauth_grants SET revoked_at = $1 WHERE id = $2")
            .with(at.millis())
            .with(id.to_string());
        Ok(revoke_where(self, q).await?.into_iter().next())
    }

    async fn revoke_org_account_grants(
        &mut self,
        org: OrgId,
        account: AccountId,
        at: Timestamp,
    ) -> Result<Vec<EndedGrant>> {
        let q = Sql::new("UPDATE oauth_grants SET revoked_at = $1 WHERE org_id = $2 AND account_id = $3")
            .with(at.millis())
            .with(org.to_string())
            .with(account.to_string());
        revoke_where(self, q).await
    }

    async fn delete_logout_notice(&mut self, id: i64) -> Result<()> {
        let q = Sql::new("DELETE FROM oauth_logout_outbox WHERE id = $1").with(id);
        self.exec(&q).await.map(|_| ())
    }

    async fn retry_logout_notice(&mut self, id: i64, next_at: Timestamp) -> Result<()> {
        let q = Sql::new("UPDATE oauth_logout_outbox SET attempts = attempts + 1, next_attempt_at = $1 WHERE id = $2")
            .with(next_at.millis())
            .with(id);
        self.exec(&q).await.map(|_| ())
    }

    async fn insert_signing_key(&mut self, key: &StoredSigningKey) -> Result<()> {
        self.insert_signing_key_row(key).await
    }

    async fn retire_signing_keys(&mut self, keep: &str, at: Timestamp, publish_until: Timestamp) -> Result<u64> {
        self.retire_signing_key_rows(keep, at, publish_until).await
    }

    async fn prune_oauth(&mut self, now: Timestamp, grant_idle_secs: i64) -> Result<u64> {
        let idle_since = now.plus_secs(-grant_idle_secs).millis();
        let mut n = 0;
        // A spent code is kept until it expires, so a replay within its life is recognised.
        n += self
            .exec(&Sql::new("DELETE FROM oauth_codes WHERE expires_at <= $1").with(now.millis()))
            .await?;
        n += self
            .exec(&Sql::new("DELETE FROM oauth_refresh_tokens WHERE expires_at <= $1").with(now.millis()))
            .await?;
        // A grant goes once revoked, or once idle with no refresh token left: its access
        // tokens have expired by then (the caller's idle time is longer than their life).
        let q = Sql::new(
            "DELETE FROM oauth_grants WHERE last_used_at <= $1 AND (revoked_at IS NOT NULL OR NOT EXISTS \
             (SELECT 1 FROM oauth_refresh_tokens t WHERE t.grant_id = oauth_grants.id))",
        )
        .with(idle_since);
        n += self.exec(&q).await?;
        let q = Sql::new(
            "DELETE FROM oauth_signing_keys WHERE retired_at IS NOT NULL AND publish_until IS NOT NULL \
             AND publish_until <= $1",
        )
        .with(now.millis());
        n += self.exec(&q).await?;
        Ok(n)
    }
}

impl gatehouse_core::ports::GrantEndTx for SqlTx {
    async fn revoke_account_grants(&mut self, account: AccountId, at: Timestamp) -> Result<Vec<EndedGrant>> {
        let q = Sql::new("UPDATE oauth_grants SET revoked_at = $1 WHERE account_id = $2")
            .with(at.millis())
            .with(account.to_string());
        revoke_where(self, q).await
    }

    async fn revoke_session_grants(&mut self, session: SessionId, at: Timestamp) -> Result<Vec<EndedGrant>> {
        let q = Sql::new("UPDATE oauth_grants SET revoked_at = $1 WHERE session_id = $2")
            .with(at.millis())
            .with(session.to_string());
        revoke_where(self, q).await
    }

    async fn queue_logout_notices(&mut self, ended: &[EndedGrant], at: Timestamp) -> Result<()> {
        for e in ended {
            let q = Sql::new(
                "INSERT INTO oauth_logout_outbox (client_id, account_id, grant_id, created_at, next_attempt_at) \
                 SELECT id, $1, $2, $3, $3 FROM oauth_clients WHERE id = $4 AND backchannel_logout_uri IS NOT NULL",
            )
            .with(e.account_id.to_string())
            .with(e.grant_id.to_string())
            .with(at.millis())
            .with(e.client_id.to_string());
            self.exec(&q).await?;
        }
        Ok(())
    }
}
