//! Credentials, sessions, throttles and password resets.

use crate::db::sql_with;
use crate::sql::Sql;
use crate::{Db, SqlTx, rows};
use gatehouse_core::audit::RequestMeta;
use gatehouse_core::ids::AccountId;
use gatehouse_core::model::Session;
use gatehouse_core::ports::{Credentials, SigninReads, SigninTx};
use gatehouse_core::{CoreError, Result, Timestamp};
use sqlx::AnyConnection;
use std::ops::DerefMut;

impl<C: DerefMut<Target = AnyConnection> + Send> SigninReads for Db<C> {
    async fn find_credentials(&mut self, email: &str) -> Result<Option<Credentials>> {
        let q = sql_with(
            concat!(
                "SELECT ",
                account_cols!(),
                ", a.password_hash FROM accounts a WHERE a.email = "
            ),
            email,
        );
        self.one(&q, |r| {
            Ok(Credentials {
                account: rows::account(r)?,
                password_hash: rows::opt_s(r, "password_hash")?,
            })
        })
        .await
    }

    async fn find_session(&mut self, digest: &str) -> Result<Option<Session>> {
        self.one(
            &sql_with(
                concat!("SELECT ", session_cols!(), " FROM sessions WHERE digest = "),
                digest,
            ),
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
        self.int(&q, "until").await
    }
}

impl SigninTx for SqlTx {
    async fn set_password_hash(&mut self, account: AccountId, hash: &str) -> Result<()> {
        let q = Sql::new("UPDATE accounts SET password_hash = $1 WHERE id = $2")
            .with(hash)
            .with(account.to_string());
        self.exec(&q).await?;
        Ok(())
    }

    async fn insert_session(&mut self, digest: &str, s: &Session, meta: &RequestMeta) -> Result<()> {
        let q = Sql::new(
            "INSERT INTO sessions (digest, account_id, csrf, created_at, last_seen_at, expires_at, ip, \
             user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .with(digest)
        .with(s.account_id.to_string())
        .with(s.csrf.clone())
        .with(s.created_at.millis())
        .with(s.last_seen_at.millis())
        .with(s.expires_at.millis())
        .with(meta.ip.clone())
        .with(meta.user_agent.clone());
        self.exec(&q).await?;
        Ok(())
    }

    async fn touch_session(&mut self, digest: &str, at: Timestamp) -> Result<()> {
        let q = Sql::new("UPDATE sessions SET last_seen_at = $1 WHERE digest = $2")
            .with(at.millis())
            .with(digest);
        self.exec(&q).await?;
        Ok(())
    }

    async fn delete_session(&mut self, digest: &str) -> Result<bool> {
        let q = Sql::new("DELETE FROM sessions WHERE digest = $1").with(digest);
        let n = self.exec(&q).await?;
        Ok(n == 1)
    }

    async fn delete_sessions_of(&mut self, account: AccountId) -> Result<()> {
        let q = Sql::new("DELETE FROM sessions WHERE account_id = $1").with(account.to_string());
        self.exec(&q).await?;
        Ok(())
    }

    async fn record_throttle_failure(&mut self, key: &str, now: Timestamp, window_start: Timestamp) -> Result<i64> {
        let q = Sql::new(
            "INSERT INTO sign_in_throttle (key, failures, window_start, locked_until) VALUES ($1, 1, $2, 0) \
             ON CONFLICT (key) DO UPDATE SET \
               failures = CASE WHEN sign_in_throttle.window_start < $3 THEN 1 ELSE sign_in_throttle.failures + 1 END, \
               window_start = CASE WHEN sign_in_throttle.window_start < $3 THEN $2 ELSE sign_in_throttle.window_start END \
             RETURNING failures",
        )
        .with(key)
        .with(now.millis())
        .with(window_start.millis());
        self.one(&q, |r| rows::i(r, "failures"))
            .await?
            .ok_or_else(|| CoreError::internal("the throttle upsert returned no row"))
    }

    async fn lock_throttle(&mut self, key: &str, until: Timestamp) -> Result<()> {
        let q = Sql::new("UPDATE sign_in_throttle SET locked_until = $1 WHERE key = $2")
            .with(until.millis())
            .with(key);
        self.exec(&q).await?;
        Ok(())
    }

    async fn clear_throttle(&mut self, key: &str) -> Result<()> {
        let q = Sql::new("DELETE FROM sign_in_throttle WHERE key = $1").with(key);
        self.exec(&q).await?;
        Ok(())
    }

    async fn insert_password_reset(
        &mut self,
        digest: &str,
        account: AccountId,
        at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        let q = Sql::new(
            "INSERT INTO password_resets (digest, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .with(digest)
        .with(account.to_string())
        .with(at.millis())
        .with(expires_at.millis());
        self.exec(&q).await?;
        Ok(())
    }

    async fn take_password_reset(&mut self, digest: &str, now: Timestamp) -> Result<Option<AccountId>> {
        let q = Sql::new(
            "UPDATE password_resets SET used_at = $1 WHERE digest = $2 AND used_at IS NULL AND expires_at > $1 \
             RETURNING account_id AS id",
        )
        .with(now.millis())
        .with(digest);
        self.one(&q, rows::account_id).await
    }
}
