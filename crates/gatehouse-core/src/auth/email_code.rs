//! The mailed code: the second step of an account that must take one (every sign-in needs a
//! second step, or later a policy covers it) but has no method of its own. Six random digits,
//! mailed to the account's address, good for ten minutes and for this pending sign-in only;
//! only its digest is kept, and the sign-in that spends it ends, so it works once. A new code
//! replaces the last; at most one is mailed per minute.

use super::second_step::mailed_code_digest;
use super::service::Auth;
use crate::error::{CoreError, Result};
use crate::ports::{Mail, prelude::*};
use crate::secret;

/// How long a mailed code works.
pub const EMAIL_CODE_SECS: i64 = 10 * 60;
/// The least time between two mailed codes of one sign-in.
pub(super) const RESEND_SECS: i64 = 60;

fn not_offered() -> CoreError {
    CoreError::Forbidden {
        code: "email_code_not_offered",
        message: "This sign-in does not take a code by mail.".into(),
    }
}

impl<S: Store> Auth<S> {
    /// Mails a code for the pending sign-in `token`, if its account is offered one.
    pub async fn mail_second_step_code(&self, token: &str) -> Result<()> {
        let now = self.clock.now();
        let digest = secret::digest(token);
        let mut r = self.store.reader().await?;
        let pending = r
            .find_pending_signin(&digest, now)
            .await?
            .ok_or(CoreError::Unauthenticated {
                code: "sign_in_expired",
                message: "This sign-in has expired. Sign in again.".into(),
            })?;
        let account = r.find_account(pending.account_id).await?.ok_or_else(not_offered)?;
        let enrolment = super::second_step::enrolment(&mut r, account.id).await?;
        drop(r);
        if enrolment.is_enrolled() || !self.policy.require_second_step {
            return Err(not_offered());
        }
        // The last code was mailed when its life began.
        if let Some((_, until)) = &pending.email_code {
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
            .set_pending_email_code(&digest, &stored, now.plus_secs(EMAIL_CODE_SECS))
            .await?
        {
            return Err(not_offered());
        }
        tx.commit().await?;
        let body = format!(
            "Your Gatehouse sign-in code is {code}.\n\nIt works for ten minutes, once. If you did not just sign in, \
             someone knows your password: change it at {}/account.\n",
            self.public_url
        );
        self.mailer
            .send(Mail {
                to: account.email,
                subject: format!("{code} is your Gatehouse sign-in code"),
                body,
            })
            .await
    }
}

/// Six uniformly random digits.
pub(super) fn six_digits() -> Result<String> {
    loop {
        let mut b = [0u8; 4];
        getrandom::fill(&mut b).map_err(CoreError::internal)?;
        let n = u32::from_le_bytes(b);
        // Rejection sampling: no digit is likelier than another.
        if n < u32::MAX - (u32::MAX % 1_000_000) {
            return Ok(format!("{:06}", n % 1_000_000));
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn codes_are_six_digits() {
        for _ in 0..100 {
            let c = super::six_digits().unwrap();
            assert_eq!(c.len(), 6);
            assert!(c.bytes().all(|b| b.is_ascii_digit()));
        }
    }
}
