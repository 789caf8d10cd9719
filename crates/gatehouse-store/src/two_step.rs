//! Two-step verification state: authenticator apps, recovery codes, security keys, WebAuthn
//! ceremonies and pending sign-ins. Every one-time value is spent by one conditional
//! statement.

use crate::rows;
use crate::sql::Sql;
use crate::{Db, SqlTx};
use gatehouse_core::ids::{AccountId, OrgId};
use gatehouse_core::ports::{TwoStepReads, TwoStepTx};
use gatehouse_core::two_step::{
    Ceremony, CeremonyPurpose, Method, PendingSignIn, PendingStage, PendingTotp, SecurityKey, TotpAuthenticator,
};
use gatehouse_core::{CoreError, Result, Timestamp};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use std::ops::DerefMut;

const KEY_COLS: &str =
    "id, account_id, credential_id, name, passkey, counter, backup_eligible, created_at, last_used_at";
const TOTP_COLS: &str =
    "account_id, id, sealed_key, confirmed_at, last_step, pending_id, pending_sealed_key, pending_at";
const PENDING_COLS: &str = "digest, account_id, break_glass_org, created_at, expires_at, attempts, email_code_digest, email_code_expires_at, \
     stage, password_due, amr";

fn corrupt(what: &str) -> CoreError {
    CoreError::Internal(format!("stored {what} is not valid"))
}

fn account(r: &AnyRow, c: &str) -> Result<AccountId> {
    AccountId::parse(&rows::s(r, c)?).map_err(|_| corrupt(c))
}

fn ts(r: &AnyRow, c: &str) -> Result<Timestamp> {
    rows::i(r, c).map(Timestamp::from_millis)
}

fn totp(r: &AnyRow) -> Result<Option<TotpAuthenticator>> {
    let (Some(id), Some(sealed_key), Some(confirmed_at)) = (
        rows::os(r, "id")?,
        rows::os(r, "sealed_key")?,
        rows::ot(r, "confirmed_at")?,
    ) else {
        return Ok(None);
    };
    Ok(Some(TotpAuthenticator {
        account_id: account(r, "account_id")?,
        id,
        sealed_key,
        confirmed_at,
        last_step: rows::i(r, "last_step")?,
    }))
}

fn pending_totp(r: &AnyRow) -> Result<Option<PendingTotp>> {
    let (Some(id), Some(sealed_key), Some(created_at)) = (
        rows::os(r, "pending_id")?,
        rows::os(r, "pending_sealed_key")?,
        rows::ot(r, "pending_at")?,
    ) else {
        return Ok(None);
    };
    Ok(Some(PendingTotp {
        account_id: account(r, "account_id")?,
        id,
        sealed_key,
        created_at,
    }))
}

fn security_key(r: &AnyRow) -> Result<SecurityKey> {
    Ok(SecurityKey {
        id: uuid::Uuid::parse_str(&rows::s(r, "id")?).map_err(|_| corrupt("security key id"))?,
        account_id: account(r, "account_id")?,
        credential_id: rows::s(r, "credential_id")?,
        name: rows::s(r, "name")?,
        passkey: rows::s(r, "passkey")?,
        counter: rows::i(r, "counter")?,
        backup_eligible: rows::i(r, "backup_eligible")? == 1,
        created_at: ts(r, "created_at")?,
        last_used_at: rows::ot(r, "last_used_at")?,
    })
}

fn ceremony(r: &AnyRow) -> Result<Ceremony> {
    Ok(Ceremony {
        digest: rows::s(r, "digest")?,
        account_id: rows::os(r, "account_id")?
            .map(|a| AccountId::parse(&a).map_err(|_| corrupt("ceremony account")))
            .transpose()?,
        purpose: CeremonyPurpose::parse(&rows::s(r, "purpose")?).ok_or_else(|| corrupt("ceremony purpose"))?,
        state: rows::s(r, "state")?,
        expires_at: ts(r, "expires_at")?,
    })
}

fn pending(r: &AnyRow) -> Result<PendingSignIn> {
    let email_code = match (rows::os(r, "email_code_digest")?, rows::ot(r, "email_code_expires_at")?) {
        (Some(d), Some(t)) => Some((d, t)),
        _ => None,
    };
    Ok(PendingSignIn {
        digest: rows::s(r, "digest")?,
        account_id: account(r, "account_id")?,
        break_glass: rows::os(r, "break_glass_org")?
            .map(|o| OrgId::parse(&o).map_err(|_| corrupt("break-glass org")))
            .transpose()?,
        created_at: ts(r, "created_at")?,
        expires_at: ts(r, "expires_at")?,
        attempts: rows::i(r, "attempts")?,
        email_code,
        stage: PendingStage::parse(&rows::s(r, "stage")?).ok_or_else(|| corrupt("pending stage"))?,
        password_due: rows::i(r, "password_due")? == 1,
        amr: serde_json::from_str(&rows::s(r, "amr")?).map_err(|_| corrupt("pending amr"))?,
    })
}

fn totp_of(a: AccountId) -> Sql {
    let mut q = Sql::new("SELECT ");
    q.push(TOTP_COLS);
    q.push(" FROM totp_authenticators WHERE account_id = ")
        .bind(a.to_string());
    q
}

impl<C: DerefMut<Target = AnyConnection> + Send> TwoStepReads for Db<C> {
    async fn find_totp(&mut self, a: AccountId) -> Result<Option<TotpAuthenticator>> {
        Ok(self.one(&totp_of(a), totp).await?.flatten())
    }

    async fn find_pending_totp(&mut self, a: AccountId) -> Result<Option<PendingTotp>> {
        Ok(self.one(&totp_of(a), pending_totp).await?.flatten())
    }

    async fn list_security_keys(&mut self, a: AccountId) -> Result<Vec<SecurityKey>> {
        let mut q = Sql::new("SELECT ");
        q.push(KEY_COLS);
        q.push(" FROM security_keys WHERE account_id = ").bind(a.to_string());
        q.push(" ORDER BY created_at, id");
        self.all(&q, security_key).await
    }

    async fn find_security_key(&mut self, credential_id: &str) -> Result<Option<SecurityKey>> {
        let mut q = Sql::new("SELECT ");
        q.push(KEY_COLS);
        q.push(" FROM security_keys WHERE credential_id = ").bind(credential_id);
        self.one(&q, security_key).await
    }

    async fn list_two_step_methods(&mut self, accounts: &[AccountId]) -> Result<Vec<(AccountId, Method)>> {
        if accounts.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = accounts.iter().map(ToString::to_string).collect();
        let mut q = Sql::new("");
        for (n, (table, method, condition)) in [
            ("totp_authenticators", Method::Totp, " AND confirmed_at IS NOT NULL"),
            ("security_keys", Method::SecurityKey, ""),
            ("recovery_codes", Method::RecoveryCode, " AND used_at IS NULL"),
        ]
        .into_iter()
        .enumerate()
        {
            if n > 0 {
                q.push(" UNION ");
            }
            q.push("SELECT DISTINCT account_id, ").bind(method.as_str());
            q.push(" AS method FROM ").push(table).push(" WHERE account_id IN (");
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    q.push(", ");
                }
                q.bind(id.clone());
            }
            q.push(")").push(condition);
        }
        self.all(&q, |r| {
            let method = Method::parse(&rows::s(r, "method")?).ok_or_else(|| corrupt("method"))?;
            Ok((account(r, "account_id")?, method))
        })
        .await
    }

    async fn count_recovery_codes(&mut self, a: AccountId) -> Result<i64> {
        let q = Sql::new("SELECT COUNT(*) AS n FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL")
            .with(a.to_string());
        self.int(&q, "n").await
    }

    async fn find_pending_signin(&mut self, digest: &str, now: Timestamp) -> Result<Option<PendingSignIn>> {
        let mut q = Sql::new("SELECT ");
        q.push(PENDING_COLS);
        q.push(" FROM pending_signins WHERE digest = ").bind(digest);
        q.push(" AND expires_at > ").bind(now.millis());
        self.one(&q, pending).await
    }
}

impl TwoStepTx for SqlTx {
    async fn set_pending_totp(&mut self, p: &PendingTotp) -> Result<()> {
        let q = Sql::new(
            "INSERT INTO totp_authenticators (account_id, pending_id, pending_sealed_key, pending_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (account_id) DO UPDATE SET pending_id = $2, \
             pending_sealed_key = $3, pending_at = $4",
        )
        .with(p.account_id.to_string())
        .with(p.id.clone())
        .with(p.sealed_key.clone())
        .with(p.created_at.millis());
        self.exec(&q).await?;
        Ok(())
    }

    async fn confirm_totp(&mut self, a: AccountId, id: &str, at: Timestamp, step: i64) -> Result<bool> {
        let q = Sql::new(
            "UPDATE totp_authenticators SET id = pending_id, sealed_key = pending_sealed_key, confirmed_at = $1, \
             last_step = $2, pending_id = NULL, pending_sealed_key = NULL, pending_at = NULL \
             WHERE account_id = $3 AND pending_id = $4",
        )
        .with(at.millis())
        .with(step)
        .with(a.to_string())
        .with(id);
        Ok(self.exec(&q).await? == 1)
    }

    async fn spend_totp_step(&mut self, a: AccountId, step: i64) -> Result<bool> {
        let q = Sql::new(
            "UPDATE totp_authenticators SET last_step = $1 \
             WHERE account_id = $2 AND confirmed_at IS NOT NULL AND last_step < $1",
        )
        .with(step)
        .with(a.to_string());
        Ok(self.exec(&q).await? == 1)
    }

    async fn delete_totp(&mut self, a: AccountId) -> Result<bool> {
        let q = Sql::new("DELETE FROM totp_authenticators WHERE account_id = $1 RETURNING confirmed_at")
            .with(a.to_string());
        Ok(self.one(&q, |r| rows::ot(r, "confirmed_at")).await?.flatten().is_some())
    }

    async fn replace_recovery_codes(&mut self, a: AccountId, digests: &[String], at: Timestamp) -> Result<()> {
        self.exec(&Sql::new("DELETE FROM recovery_codes WHERE account_id = $1").with(a.to_string()))
            .await?;
        for d in digests {
            let q = Sql::new("INSERT INTO recovery_codes (account_id, digest, created_at) VALUES ($1, $2, $3)")
                .with(a.to_string())
                .with(d.clone())
                .with(at.millis());
            self.exec(&q).await?;
        }
        Ok(())
    }

    async fn spend_recovery_code(&mut self, a: AccountId, digest: &str, at: Timestamp) -> Result<bool> {
        let q = Sql::new(
            "UPDATE recovery_codes SET used_at = $1 WHERE account_id = $2 AND digest = $3 AND used_at IS NULL",
        )
        .with(at.millis())
        .with(a.to_string())
        .with(digest);
        Ok(self.exec(&q).await? == 1)
    }

    async fn delete_recovery_codes(&mut self, a: AccountId) -> Result<u64> {
        let unused = self
            .int(
                &Sql::new("SELECT COUNT(*) AS n FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL")
                    .with(a.to_string()),
                "n",
            )
            .await?;
        self.exec(&Sql::new("DELETE FROM recovery_codes WHERE account_id = $1").with(a.to_string()))
            .await?;
        Ok(u64::try_from(unused).unwrap_or(0))
    }

    async fn insert_security_key(&mut self, k: &SecurityKey) -> Result<()> {
        let q = Sql::new(
            "INSERT INTO security_keys (id, account_id, credential_id, name, passkey, counter, backup_eligible, \
             created_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .with(k.id.to_string())
        .with(k.account_id.to_string())
        .with(k.credential_id.clone())
        .with(k.name.clone())
        .with(k.passkey.clone())
        .with(k.counter)
        .with(i64::from(k.backup_eligible))
        .with(k.created_at.millis())
        .with(k.last_used_at.map(Timestamp::millis));
        self.exec(&q).await?;
        Ok(())
    }

    async fn spend_security_key_counter(
        &mut self,
        id: uuid::Uuid,
        counter: i64,
        passkey: &str,
        at: Timestamp,
    ) -> Result<bool> {
        let q = Sql::new(
            "UPDATE security_keys SET counter = $1, passkey = $2, last_used_at = $3 \
             WHERE id = $4 AND (counter < $1 OR (counter = 0 AND $1 = 0))",
        )
        .with(counter)
        .with(passkey)
        .with(at.millis())
        .with(id.to_string());
        Ok(self.exec(&q).await? == 1)
    }

    async fn delete_security_key(&mut self, a: AccountId, id: uuid::Uuid) -> Result<bool> {
        let q = Sql::new("DELETE FROM security_keys WHERE account_id = $1 AND id = $2")
            .with(a.to_string())
            .with(id.to_string());
        Ok(self.exec(&q).await? == 1)
    }

    async fn delete_security_keys(&mut self, a: AccountId) -> Result<u64> {
        self.exec(&Sql::new("DELETE FROM security_keys WHERE account_id = $1").with(a.to_string()))
            .await
    }

    async fn replace_ceremony(&mut self, c: &Ceremony) -> Result<()> {
        let earlier = Sql::new("DELETE FROM webauthn_ceremonies WHERE account_id = $1 AND purpose = $2")
            .with(c.account_id.map(|a| a.to_string()))
            .with(c.purpose.as_str());
        self.exec(&earlier).await?;
        let q = Sql::new(
            "INSERT INTO webauthn_ceremonies (digest, account_id, purpose, state, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .with(c.digest.clone())
        .with(c.account_id.map(|a| a.to_string()))
        .with(c.purpose.as_str())
        .with(c.state.clone())
        .with(c.expires_at.millis());
        self.exec(&q).await?;
        Ok(())
    }

    async fn spend_ceremony(&mut self, digest: &str, account: AccountId, until: Timestamp) -> Result<bool> {
        let q = Sql::new(
            "INSERT INTO webauthn_ceremonies (digest, account_id, purpose, state, expires_at) \
             VALUES ($1, $2, $3, 'spent', $4) ON CONFLICT (digest) DO NOTHING",
        )
        .with(digest)
        .with(account.to_string())
        .with(CeremonyPurpose::Passwordless.as_str())
        .with(until.millis());
        Ok(self.exec(&q).await? == 1)
    }

    async fn take_ceremony(&mut self, digest: &str, now: Timestamp) -> Result<Option<Ceremony>> {
        let q = Sql::new(
            "DELETE FROM webauthn_ceremonies WHERE digest = $1 AND expires_at > $2 \
             RETURNING digest, account_id, purpose, state, expires_at",
        )
        .with(digest)
        .with(now.millis());
        self.one(&q, ceremony).await
    }

    async fn insert_pending_signin(&mut self, p: &PendingSignIn) -> Result<()> {
        let q = Sql::new(
            "INSERT INTO pending_signins (digest, account_id, break_glass_org, created_at, expires_at, attempts, \
             stage, password_due, amr) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .with(p.digest.clone())
        .with(p.account_id.to_string())
        .with(p.break_glass.map(|o| o.to_string()))
        .with(p.created_at.millis())
        .with(p.expires_at.millis())
        .with(p.attempts)
        .with(p.stage.as_str())
        .with(i64::from(p.password_due))
        .with(serde_json::to_string(&p.amr).map_err(CoreError::internal)?);
        self.exec(&q).await?;
        Ok(())
    }

    async fn take_pending_signin(&mut self, digest: &str, now: Timestamp) -> Result<Option<PendingSignIn>> {
        let mut q = Sql::new("DELETE FROM pending_signins WHERE digest = $1 AND expires_at > $2 RETURNING ")
            .with(digest)
            .with(now.millis());
        q.push(PENDING_COLS);
        self.one(&q, pending).await
    }

    async fn count_pending_attempt(&mut self, digest: &str) -> Result<Option<i64>> {
        let q = Sql::new("UPDATE pending_signins SET attempts = attempts + 1 WHERE digest = $1 RETURNING attempts")
            .with(digest);
        self.one(&q, |r| rows::i(r, "attempts")).await
    }

    async fn delete_pending_signins_of(&mut self, a: AccountId) -> Result<u64> {
        self.exec(&Sql::new("DELETE FROM pending_signins WHERE account_id = $1").with(a.to_string()))
            .await
    }

    async fn set_pending_email_code(&mut self, digest: &str, code_digest: &str, expires_at: Timestamp) -> Result<bool> {
        let q =
            Sql::new("UPDATE pending_signins SET email_code_digest = $1, email_code_expires_at = $2 WHERE digest = $3")
                .with(code_digest)
                .with(expires_at.millis())
                .with(digest);
        Ok(self.exec(&q).await? == 1)
    }

    async fn prune_two_step(&mut self, now: Timestamp, stale_before: Timestamp) -> Result<u64> {
        let ceremonies = Sql::new("DELETE FROM webauthn_ceremonies WHERE expires_at <= $1").with(now.millis());
        let pending = Sql::new("DELETE FROM pending_signins WHERE expires_at <= $1").with(now.millis());
        let unconfirmed = Sql::new("DELETE FROM totp_authenticators WHERE confirmed_at IS NULL AND pending_at <= $1")
            .with(stale_before.millis());
        let stale = Sql::new(
            "UPDATE totp_authenticators SET pending_id = NULL, pending_sealed_key = NULL, pending_at = NULL \
             WHERE pending_at <= $1",
        )
        .with(stale_before.millis());
        Ok(self.exec(&ceremonies).await?
            + self.exec(&pending).await?
            + self.exec(&unconfirmed).await?
            + self.exec(&stale).await?)
    }
}
