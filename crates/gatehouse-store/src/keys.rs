//! API keys and user API tokens.

use crate::db::{opt_ms, sql_with};
use crate::sql::Sql;
use crate::{Db, SqlTx, rows};
use gatehouse_core::ids::{AccountId, ApiKeyId, OrgId, UserApiTokenId};
use gatehouse_core::model::ApiKey;
use gatehouse_core::page::{Page, PageRequest};
use gatehouse_core::ports::{KeyReads, KeyTx};
use gatehouse_core::{Result, Timestamp};
use sqlx::AnyConnection;
use std::ops::DerefMut;

impl<C: DerefMut<Target = AnyConnection> + Send> KeyReads for Db<C> {
    async fn find_api_key_by_digest(&mut self, digest: &str) -> Result<Option<ApiKey>> {
        self.one(
            &sql_with(
                concat!("SELECT ", api_key_cols!(), " FROM api_keys WHERE digest = "),
                digest,
            ),
            rows::api_key,
        )
        .await
    }

    async fn find_api_key(&mut self, org: OrgId, id: ApiKeyId) -> Result<Option<ApiKey>> {
        let mut q = sql_with(
            concat!("SELECT ", api_key_cols!(), " FROM api_keys WHERE org_id = "),
            org.to_string(),
        );
        q.push(" AND id = ").bind(id.to_string());
        self.one(&q, rows::api_key).await
    }

    async fn list_api_keys(&mut self, org: OrgId, page: &PageRequest) -> Result<Page<ApiKey>> {
        let q = sql_with(
            concat!("SELECT ", api_key_cols!(), " FROM api_keys WHERE org_id = "),
            org.to_string(),
        );
        self.page(q, "id", false, page, rows::api_key, |k| k.id.to_string())
            .await
    }

    async fn list_user_api_tokens(&mut self, account: AccountId) -> Result<Vec<gatehouse_core::model::UserApiToken>> {
        let mut q = sql_with(
            concat!(
                "SELECT ",
                user_api_token_cols!(),
                " FROM user_api_tokens WHERE account_id = "
            ),
            account.to_string(),
        );
        q.push(" ORDER BY id DESC LIMIT 1000");
        self.all(&q, rows::user_api_token).await
    }
}

impl KeyTx for SqlTx {
    async fn insert_api_key(&mut self, k: &ApiKey, digest: &str) -> Result<()> {
        let q = Sql::new(
            "INSERT INTO api_keys (id, org_id, name, prefix, digest, created_at, expires_at, revoked_at, \
             last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .with(k.id.to_string())
        .with(k.org_id.to_string())
        .with(k.name.clone())
        .with(k.prefix.clone())
        .with(digest)
        .with(k.created_at.millis())
        .with(k.expires_at.millis())
        .with(opt_ms(k.revoked_at))
        .with(opt_ms(k.last_used_at));
        self.exec(&q).await?;
        Ok(())
    }

    async fn update_api_key(&mut self, k: &ApiKey) -> Result<()> {
        let q =
            Sql::new("UPDATE api_keys SET name = $1, revoked_at = $2, last_used_at = $3 WHERE org_id = $4 AND id = $5")
                .with(k.name.clone())
                .with(opt_ms(k.revoked_at))
                .with(opt_ms(k.last_used_at))
                .with(k.org_id.to_string())
                .with(k.id.to_string());
        self.exec(&q).await?;
        Ok(())
    }

    async fn insert_user_api_token(&mut self, t: &gatehouse_core::model::UserApiToken, digest: &str) -> Result<()> {
        let q = Sql::new(
            "INSERT INTO user_api_tokens (id, account_id, name, prefix, digest, created_at, expires_at, \
             last_used_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .with(t.id.as_str())
        .with(t.account_id.to_string())
        .with(t.name.clone())
        .with(t.prefix.clone())
        .with(digest)
        .with(t.created_at.millis())
        .with(opt_ms(t.expires_at))
        .with(opt_ms(t.last_used_at))
        .with(opt_ms(t.revoked_at));
        self.exec(&q).await?;
        Ok(())
    }

    async fn revoke_user_api_token(&mut self, account: AccountId, id: &UserApiTokenId, at: Timestamp) -> Result<bool> {
        let q = Sql::new(
            "UPDATE user_api_tokens SET revoked_at = $1 WHERE account_id = $2 AND id = $3 AND revoked_at IS \
             NULL",
        )
        .with(at.millis())
        .with(account.to_string())
        .with(id.as_str());
        let n = self.exec(&q).await?;
        Ok(n == 1)
    }

    async fn revoke_user_api_tokens(&mut self, account: AccountId, at: Timestamp) -> Result<u64> {
        let q = Sql::new("UPDATE user_api_tokens SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL")
            .with(at.millis())
            .with(account.to_string());
        let n = self.exec(&q).await?;
        Ok(n)
    }
}
