//! An external-users policy's emailed code: a signed-in person whose account an organization
//! does not manage proves, once per session, that they still hold their mailbox before they
//! sign in to that organization's products. The code is mailed at most once a minute, works
//! for ten minutes and once, and every attempt is counted before it is checked, against the
//! sign-in throttle (guessing codes locks like guessing passwords).

use super::email_code::{EMAIL_CODE_SECS, RESEND_SECS, six_digits};
use super::second_step::mailed_code_digest;
use super::service::Auth;
use super::throttle::{ThrottleKeys, refund_in};
use crate::audit::{AuditAction, AuditEvent, RequestMeta};
use crate::authz::SignedIn;
use crate::error::{CoreError, Result};
use crate::ports::Mail;
use crate::ports::prelude::*;

fn wrong_code() -> CoreError {
    CoreError::Unauthenticated {
        code: "invalid_email_code",
        message: "That code is not valid. Try again, or ask for a new one.".into(),
    }
}

impl<S: Store> Auth<S> {
    /// Mails the session's person a code; a minute must pass between two.
    pub async fn mail_session_code(&self, me: &SignedIn) -> Result<()> {
        let now = self.clock.now();
        if let Some(until) = self.store.reader().await?.find_session_email_code(me.digest()).await? {
            let resend_at = until.millis() - (EMAIL_CODE_SECS - RESEND_SECS) * 1000;
            if now.millis() < resend_at {
                let wait = u64::try_from(resend_at - now.millis()).unwrap_or(1000);
                return Err(CoreError::RateLimited {
                    retry_after_secs: wait.div_ceil(1000).max(1),
                });
            }
        }
        let code = six_digits()?;
        let stored = mailed_code_digest(&code).ok_or_else(|| CoreError::internal("a mailed code"))?;
        let mut tx = self.store.begin().await?;
        if !tx
            .set_session_email_code(me.digest(), &stored, now.plus_secs(EMAIL_CODE_SECS))
            .await?
        {
            return Err(CoreError::Unauthenticated {
                code: "session_ended",
                message: "Your session has ended. Sign in again.".into(),
            });
        }
        tx.commit().await?;
        let body = format!(
            "Your Gatehouse verification code is {code}.\n\nIt works for ten minutes, once. An organization you \
             work with asks you to confirm your email address before you use its products.\n"
        );
        self.mailer
            .send(Mail {
                to: me.account().email.clone(),
                subject: format!("{code} is your Gatehouse verification code"),
                body,
            })
            .await
    }

    /// Checks a code mailed for the session (the attempt counted first): right and unspent,
    /// the session has proved its mailbox.
    pub async fn verify_session_code(&self, me: &SignedIn, code: &str, meta: &RequestMeta) -> Result<()> {
        let now = self.clock.now();
        let keys = ThrottleKeys::new(&me.account().email, meta);
        let admission = self.admit(self.sign_in_limits(&keys), now).await?;
        let account = me.account();
        let mut tx = self.store.begin().await?;
        let spent = match mailed_code_digest(code) {
            Some(d) => tx.spend_session_email_code(me.digest(), &d, now).await?,
            None => false,
        };
        let (action, detail) = if spent {
            refund_in(&mut tx, &admission).await?;
            (
                AuditAction::AuthEmailCodeVerified,
                serde_json::json!({ "session_id": me.session().id }),
            )
        } else {
            let detail = serde_json::json!({ "method": "email_code", "step_up": true });
            (AuditAction::AuthSecondStepFailed, detail)
        };
        for org in hearers(&mut tx, account.id).await? {
            let ev = AuditEvent::new(org, &me.actor(), meta, action, now)
                .target("account", account.id, Some(&account.email))
                .after(&detail);
            tx.insert_event(&ev).await?;
        }
        tx.commit().await?;
        if spent { Ok(()) } else { Err(wrong_code()) }
    }
}

/// The organizations that hear about a mailbox check: those that hear about the account's
/// sign-ins, and those whose external-users policy asks for the check (it is their rule).
async fn hearers<T: Reads + Send>(tx: &mut T, account: crate::ids::AccountId) -> Result<Vec<crate::ids::OrgId>> {
    let mut orgs = super::audience::audience(tx, account).await?;
    for link in tx.list_account_orgs(account).await? {
        let asks = tx
            .find_external_policy(link.org.id)
            .await?
            .is_some_and(|p| p.settings.require_email_code);
        if asks && !orgs.contains(&link.org.id) {
            orgs.push(link.org.id);
        }
    }
    Ok(orgs)
}
