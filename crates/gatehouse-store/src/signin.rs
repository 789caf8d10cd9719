//! Credentials, sessions, attempt throttles, password resets and the server's keys.

use crate::db::sql_with;
use crate::sql::Sql;
use crate::{Db, SqlTx, rows};
use gatehouse_core::audit::RequestMeta;
use gatehouse_core::auth::PasswordFacts;
use gatehouse_core::ids::{AccountId, SessionId};
use gatehouse_core::model::Session;
use gatehouse_core::ports::{
    Credentials, PasswordTx, ResetTicket, SigninPruned, SigninReads, SigninTx, SigninUpkeepTx, ThrottleTx,
};
use gatehouse_core::{CoreError, Result, Timestamp};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use std::ops::DerefMut;

impl<C: DerefMut<Target = AnyConnection> + Send> SigninReads for Db<C> {
    async fn find_credentials(&mut self, email: &str) -> Result<Option<Credentials>> {
        let q = sql_with(
            concat!(
                "SELECT ",
                account_cols!(),
                ", a.password_hash, a.password_generation FROM accounts a WHERE a.email = "
            ),
            email,
        );
        self.one(&q, |r| {
            Ok(Credentials {
                account: rows::account(r)?,
                password_hash: rows::opt_s(r, "password_hash")?,
                password_generation: rows::i(r, "password_generation")?,
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

    async fn list_live_sessions(
        &mut self,
        account: AccountId,
        now: Timestamp,
        idle_since: Timestamp,
    ) -> Result<Vec<Session>> {
        let q = Sql::new(concat!(
            "SELECT ",
            session_cols!(),
            " FROM sessions WHERE account_id = $1 AND expires_at > $2 AND ((idle_secs IS NULL AND last_seen_at > $3) \
             OR (idle_secs IS NOT NULL AND last_seen_at + idle_secs * 1000 > $2)) ORDER BY created_at, id"
        ))
        .with(account.to_string())
        .with(now.millis())
        .with(idle_since.millis());
        self.all(&q, rows::session).await
    }

    async fn throttle_locked_until(&mut self, key: &str) -> Result<i64> {
        let q = sql_with("SELECT locked_until FROM sign_in_throttle WHERE key = ", key);
        self.int(&q, "locked_until").await
    }

    async fn find_password_reset(&mut self, digest: &str, now: Timestamp) -> Result<Option<ResetTicket>> {
        // A link works while unused, unexpired and issued for the password the account has now.
        let q = Sql::new(
            "SELECT r.account_id AS id, r.generation FROM password_resets r JOIN accounts a ON a.id = r.account_id \
             WHERE r.digest = $1 AND r.used_at IS NULL AND r.expires_at > $2 AND r.generation = a.password_generation",
        )
        .with(digest)
        .with(now.millis());
        self.one(&q, reset_ticket).await
    }
}

fn reset_ticket(r: &AnyRow) -> Result<ResetTicket> {
    Ok(ResetTicket {
        account: rows::account_id(r)?,
        generation: rows::i(r, "generation")?,
    })
}

impl SigninTx for SqlTx {
    async fn insert_session(&mut self, digest: &str, s: &Session, meta: &RequestMeta) -> Result<()> {
        let q = Sql::new(
            "INSERT INTO sessions (digest, id, account_id, csrf, created_at, last_seen_at, expires_at, ip, \
             user_agent, amr, idle_secs) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .with(digest)
        .with(s.id.to_string())
        .with(s.account_id.to_string())
        .with(s.csrf.clone())
        .with(s.created_at.millis())
        .with(s.last_seen_at.millis())
        .with(s.expires_at.millis())
        .with(meta.ip.clone())
        .with(meta.user_agent.clone())
        .with(serde_json::to_string(&s.amr).map_err(CoreError::internal)?)
        .with(s.idle_secs);
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

    async fn delete_sessions_of(&mut self, account: AccountId) -> Result<u64> {
        let q = Sql::new("DELETE FROM sessions WHERE account_id = $1").with(account.to_string());
        self.exec(&q).await
    }

    async fn delete_other_sessions(&mut self, account: AccountId, keep: &str) -> Result<u64> {
        let q = Sql::new("DELETE FROM sessions WHERE account_id = $1 AND digest <> $2")
            .with(account.to_string())
            .with(keep);
        self.exec(&q).await
    }

    async fn delete_session_of(&mut self, account: AccountId, id: SessionId) -> Result<bool> {
        let q = Sql::new("DELETE FROM sessions WHERE id = $1 AND account_id = $2")
            .with(id.to_string())
            .with(account.to_string());
        Ok(self.exec(&q).await? == 1)
    }
}

impl ThrottleTx for SqlTx {
    async fn count_attempt(&mut self, key: &str, now: Timestamp, forget_at: Timestamp) -> Result<Option<i64>> {
        // The WHERE of the update refuses a locked key: no row comes back and nothing changes.
        // Both engines run the upsert as one step on the key's row (PostgreSQL re-checks the
        // condition against the row as the winner of a race left it; SQLite has one writer),
        // so concurrent attempts are counted one after another.
        let q = Sql::new(
            "INSERT INTO sign_in_throttle (key, attempts, locked_until, forget_at) VALUES ($1, 1, 0, $3) \
             ON CONFLICT (key) DO UPDATE SET \
               attempts = CASE WHEN sign_in_throttle.forget_at <= $2 THEN 1 ELSE sign_in_throttle.attempts + 1 END, \
               forget_at = $3 \
             WHERE sign_in_throttle.locked_until <= $2 \
             RETURNING attempts",
        )
        .with(key)
        .with(now.millis())
        .with(forget_at.millis());
        self.one(&q, |r| rows::i(r, "attempts")).await
    }

    async fn lock_attempts(&mut self, key: &str, until: Timestamp, forget_at: Timestamp) -> Result<()> {
        let q = Sql::new("UPDATE sign_in_throttle SET locked_until = $1, forget_at = $2 WHERE key = $3")
            .with(until.millis())
            .with(forget_at.millis())
            .with(key);
        self.exec(&q).await?;
        Ok(())
    }

    async fn refund_attempt(&mut self, key: &str, limit: i64) -> Result<()> {
        // The right-hand sides read the row as it was: `attempts - 1` is the count left.
        let q = Sql::new(
            "UPDATE sign_in_throttle SET attempts = attempts - 1, \
               locked_until = CASE WHEN attempts - 1 < $1 THEN 0 ELSE locked_until END \
             WHERE key = $2 AND attempts > 0",
        )
        .with(limit)
        .with(key);
        self.exec(&q).await?;
        Ok(())
    }

    async fn clear_attempts(&mut self, key: &str) -> Result<()> {
        let q = Sql::new("DELETE FROM sign_in_throttle WHERE key = $1").with(key);
        self.exec(&q).await?;
        Ok(())
    }
}

impl PasswordTx for SqlTx {
    async fn insert_password_reset(
        &mut self,
        digest: &str,
        account: AccountId,
        at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<()> {
        let q = Sql::new(
            "INSERT INTO password_resets (digest, account_id, created_at, expires_at, generation) \
             SELECT $1, id, $3, $4, password_generation FROM accounts WHERE id = $2",
        )
        .with(digest)
        .with(account.to_string())
        .with(at.millis())
        .with(expires_at.millis());
        match self.exec(&q).await? {
            1 => Ok(()),
            _ => Err(CoreError::NotFound { entity: "account" }),
        }
    }

    async fn take_password_reset(&mut self, digest: &str, now: Timestamp) -> Result<Option<ResetTicket>> {
        let q = Sql::new(
            "UPDATE password_resets SET used_at = $1 WHERE digest = $2 AND used_at IS NULL AND expires_at > $1 \
               AND generation = (SELECT a.password_generation FROM accounts a WHERE a.id = password_resets.account_id) \
             RETURNING account_id AS id, generation",
        )
        .with(now.millis())
        .with(digest);
        self.one(&q, reset_ticket).await
    }

    async fn replace_password(
        &mut self,
        account: AccountId,
        hash: &str,
        facts: &PasswordFacts,
        generation: i64,
    ) -> Result<bool> {
        // The password being replaced joins the history a policy's "no reuse" rule reads (the
        // last 24 are kept: the most a policy may ask for), under the same generation check.
        let kept = Sql::new(
            "INSERT INTO password_history (account_id, hash, replaced_at) SELECT id, password_hash, $3 \
             FROM accounts WHERE id = $1 AND password_generation = $2 AND password_hash IS NOT NULL",
        )
        .with(account.to_string())
        .with(generation)
        .with(facts.set_at.millis());
        self.exec(&kept).await?;
        let prune = Sql::new(
            "DELETE FROM password_history WHERE account_id = $1 AND replaced_at < (SELECT MIN(h.replaced_at) FROM \
             (SELECT replaced_at FROM password_history WHERE account_id = $1 ORDER BY replaced_at DESC LIMIT 24) h)",
        )
        .with(account.to_string());
        self.exec(&prune).await?;
        // Conditional on the generation: of two links used at once, the second finds it moved on.
        // The facts go in the same statement as the hash: they always describe the password set.
        let q = Sql::new(
            "UPDATE accounts SET password_hash = $1, password_generation = password_generation + 1, \
               password_length = $4, password_strength = $5, password_common = $6, password_set_at = $7 \
             WHERE id = $2 AND password_generation = $3",
        )
        .with(hash)
        .with(account.to_string())
        .with(generation)
        .with(i64::from(facts.length))
        .with(i64::from(facts.score))
        .with(i64::from(facts.common))
        .with(facts.set_at.millis());
        Ok(self.exec(&q).await? == 1)
    }
}

impl SigninUpkeepTx for SqlTx {
    async fn prune_signin(&mut self, now: Timestamp, idle_since: Timestamp) -> Result<SigninPruned> {
        let sessions = Sql::new(
            "DELETE FROM sessions WHERE expires_at <= $1 OR (idle_secs IS NULL AND last_seen_at <= $2) \
             OR (idle_secs IS NOT NULL AND last_seen_at + idle_secs * 1000 <= $1)",
        )
        .with(now.millis())
        .with(idle_since.millis());
        let resets = Sql::new(
            "DELETE FROM password_resets WHERE expires_at <= $1 OR used_at IS NOT NULL \
               OR generation <> (SELECT a.password_generation FROM accounts a WHERE a.id = password_resets.account_id)",
        )
        .with(now.millis());
        let throttles =
            Sql::new("DELETE FROM sign_in_throttle WHERE forget_at <= $1 AND locked_until <= $1").with(now.millis());
        Ok(SigninPruned {
            sessions: self.exec(&sessions).await?,
            resets: self.exec(&resets).await?,
            throttles: self.exec(&throttles).await?,
        })
    }

    async fn ensure_server_key(&mut self, name: &str, candidate: &str, now: Timestamp) -> Result<String> {
        let insert = Sql::new(
            "INSERT INTO server_keys (name, secret, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        )
        .with(name)
        .with(candidate)
        .with(now.millis());
        self.exec(&insert).await?;
        let q = sql_with("SELECT secret FROM server_keys WHERE name = ", name);
        self.one(&q, |r| rows::s(r, "secret"))
            .await?
            .ok_or_else(|| CoreError::internal("the server key was not stored"))
    }
}
