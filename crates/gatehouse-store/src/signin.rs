//! Credentials, sessions, throttles and password resets.

use crate::db::sql_with;
use crate::sql::Sql;
use crate::{Db, SqlTx, db_err, rows};
use gatehouse_core::audit::RequestMeta;
use gatehouse_core::ids::AccountId;
use gatehouse_core::model::{Account, Session};
use gatehouse_core::ports::{SigninReads, SigninTx};
use gatehouse_core::{CoreError, Result, Timestamp};
use sqlx::AnyConnection;
use std::ops::DerefMut;

impl<C: DerefMut<Target = AnyConnection> + Send> SigninReads for Db<C> {
    async fn find_credentials(&mut self, email: &str) -> Result<Option<(Account, Option<String>)>> {
        let q = sql_with(
            concat!(
                "SELECT ",
                account_cols!(),
                ", a.password_hash FROM accounts a WHERE a.email = "
            ),
            email,
        );
        let rows = q.fetch_all(self.c()).await?;
        match rows.first() {
            Some(r) => Ok(Some((rows::account(r)?, rows::opt_s(r, "password_hash")?))),
            None => Ok(None),
        }
    }

    async fn find_session(&mut self, digest: &str) -> Result<Option<Session>> {
        self.one(
            &sql_with("SELECT * FROM sessions WHERE digest = ", digest),
            rows::session,
        )
        .await
    }

    async fn throttle_locked_until(&mut self, keys: &[String]) -> Result<i64> {
        let mut q = Sql::new("SELECT COALESCE(MAX(locked_until), 0) AS until FROM sign_in_throttle WHERE key IN (");
        for (n, k) in keys.iter().enumerate() {
            if n > 0 {
                q.push(", ");
            }
            q.bind(k.clone());
        }
        q.push(")");
        let rows = q.fetch_all(self.c()).await?;
        rows.first().map_or(Ok(0), |r| rows::i(r, "until"))
    }
}

impl SigninTx for SqlTx {
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
}
