//! Password reset: single-use links, mailed on request or handed out by an operator, that set
//! a new password and end every session of the account.

use super::passwords::check_password;
use super::service::Auth;
use super::sessions::sign_out_everywhere;
use crate::audit::AuditAction;
use crate::audit::{Actor, AuditEvent, RequestMeta};
use crate::authz::account_actor;
use crate::error::{CoreError, Result};
use crate::model::Account;
use crate::ports::{Mail, prelude::*};
use crate::product::AccountStatus;
use crate::secret;
use crate::types::Email;

impl<S: Store> Auth<S> {
    /// Mints a single-use link to set the account's password, valid for `secs`.
    pub async fn issue_reset_link(
        &self,
        account: &Account,
        secs: i64,
        actor: &Actor,
        meta: &RequestMeta,
    ) -> Result<String> {
        let now = self.clock.now();
        let token = secret::mint("ghr")?;
        let mut tx = self.store.begin().await?;
        tx.insert_password_reset(&token.digest, account.id, now, now.plus_secs(secs))
            .await?;
        for org in tx.list_admin_orgs(account.id).await? {
            let ev = AuditEvent::new(org.id, actor, meta, AuditAction::AuthPasswordResetRequested, now).target(
                "account",
                account.id,
                Some(&account.email),
            );
            tx.insert_event(&ev).await?;
        }
        tx.commit().await?;
        Ok(format!("{}/login/reset?token={}", self.public_url, token.value))
    }

    /// The active account a reset request names, if any. The form answers the same either
    /// way, so whoever asks learns nothing of which accounts exist.
    pub async fn find_resettable(&self, email: &str) -> Result<Option<Account>> {
        let Ok(email) = Email::parse(email) else {
            return Ok(None);
        };
        let account = self.store.reader().await?.find_account_by_email(email.as_str()).await?;
        Ok(account.filter(|a| a.status == AccountStatus::Active))
    }

    /// Mails the account a reset link valid for the policy's reset time, as the account itself
    /// asked for it.
    pub async fn send_reset_link(&self, account: &Account, meta: &RequestMeta) -> Result<()> {
        let link = self
            .issue_reset_link(account, self.policy.reset_secs, &account_actor(account), meta)
            .await?;
        let minutes = self.policy.reset_secs / 60;
        let body = format!(
            "Someone asked to reset the password of your Gatehouse account {}.\n\n\
             Set a new password here (the link works once, for {minutes} minutes):\n\n{link}\n\n\
             If it was not you, ignore this message; your password stays as it is.\n",
            account.email
        );
        self.mailer
            .send(Mail {
                to: account.email.clone(),
                subject: "Reset your Gatehouse password".into(),
                body,
            })
            .await
    }

    /// Sets a new password from a reset link, once; ends every session of the account.
    pub async fn reset_password(&self, token: &str, password: &str, meta: &RequestMeta) -> Result<Account> {
        check_password(password)?;
        let expired = || {
            CoreError::conflict(
                "reset_link_invalid",
                Some("token"),
                "This link has expired or was already used. Ask for a new one.",
            )
        };
        if !token.starts_with("ghr_") || token.len() > 100 {
            return Err(expired());
        }
        let hash = self.hash_password(password).await?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let account_id = tx
            .take_password_reset(&secret::digest(token), now)
            .await?
            .ok_or_else(expired)?;
        let account = tx.find_account(account_id).await?.ok_or_else(expired)?;
        tx.set_password_hash(account_id, &hash).await?;
        sign_out_everywhere(&mut tx, account_id).await?;
        for org in tx.list_admin_orgs(account_id).await? {
            let ev = AuditEvent::new(
                org.id,
                &account_actor(&account),
                meta,
                AuditAction::AuthPasswordSet,
                now,
            )
            .target("account", account_id, Some(&account.email));
            tx.insert_event(&ev).await?;
        }
        tx.commit().await?;
        Ok(account)
    }
}
