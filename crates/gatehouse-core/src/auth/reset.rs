//! Password reset: single-use links, mailed on request or handed out by an operator, that set
//! a new password and end every session of the account. Each link is bound to the password
//! generation it was issued for: once any link is used (the password changes), the others stop
//! working.

use super::passwords::check_password;
use super::service::Auth;
use super::sessions::sign_out_everywhere;
use super::throttle::{ThrottleKeys, refund_in};
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
        for org in super::audience::audience(&mut tx, account.id).await? {
            let ev = AuditEvent::new(org, actor, meta, AuditAction::AuthPasswordResetRequested, now).target(
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

    /// Counts a request for a reset link for `email` from this client (each request, whether
    /// or not the address has an account, so the answer tells nothing), or refuses it with
    /// `RateLimited`: a mailbox is not flooded, and a client cannot ask without end.
    pub async fn count_reset_request(&self, email: &str, meta: &RequestMeta) -> Result<()> {
        let keys = ThrottleKeys::new(email, meta);
        self.admit(self.reset_request_limits(&keys), self.clock.now()).await?;
        Ok(())
    }

    /// Sets a new password from a reset link, once; ends every session of the account. The
    /// post is counted against the client's ceiling first; the link is checked before the new
    /// password is hashed, so a post without a working link costs no hash. A link stops
    /// working once used, once expired, and once the password changes (a newer link used).
    pub async fn reset_password(&self, token: &str, password: &str, meta: &RequestMeta) -> Result<Account> {
        let now = self.clock.now();
        let client = ThrottleKeys::client(meta);
        let admission = self.admit(vec![(client, self.policy.ip_ceiling)], now).await?;
        let digest = secret::digest(token);
        let well_formed = token.starts_with("ghr_") && token.len() <= 100;
        let mut reader = self.store.reader().await?;
        let ticket = if well_formed {
            reader.find_password_reset(&digest, now).await?
        } else {
            None
        };
        let Some(ticket) = ticket else {
            return Err(link_expired());
        };
        check_password(password)?;
        let owner = reader.find_account(ticket.account).await?.ok_or_else(link_expired)?;
        let current = reader
            .find_credentials(&owner.email)
            .await?
            .and_then(|c| c.password_hash);
        drop(reader);
        let facts = self.measure(&owner, password, now);
        if let Err(e) = self.check_policy_password(&owner, password, &facts, current).await {
            self.refund(&admission).await?;
            return Err(e);
        }
        let hash = match self.hash_password(password).await {
            Err(e @ CoreError::Overloaded { .. }) => {
                self.refund(&admission).await?;
                return Err(e);
            }
            other => other?,
        };
        let mut tx = self.store.begin().await?;
        // Taken again inside the transaction: only one of two racing posts gets it.
        let claimed = tx.take_password_reset(&digest, now).await?;
        if claimed != Some(ticket)
            || !tx
                .replace_password(ticket.account, &hash, &facts, ticket.generation)
                .await?
        {
            return Err(link_expired());
        }
        let account = tx.find_account(ticket.account).await?.ok_or_else(link_expired)?;
        sign_out_everywhere(&mut tx, ticket.account, now).await?;
        tx.mark_email_verified(ticket.account, now).await?;
        refund_in(&mut tx, &admission).await?;
        for org in super::audience::audience(&mut tx, ticket.account).await? {
            let ev = AuditEvent::new(org, &account_actor(&account), meta, AuditAction::AuthPasswordSet, now).target(
                "account",
                ticket.account,
                Some(&account.email),
            );
            tx.insert_event(&ev).await?;
        }
        tx.commit().await?;
        Ok(account)
    }
}

/// The one answer to a link that does not work, whatever the reason.
fn link_expired() -> CoreError {
    CoreError::conflict(
        "reset_link_invalid",
        Some("token"),
        "This link has expired or was already used. Ask for a new one.",
    )
}
