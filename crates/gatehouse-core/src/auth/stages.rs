//! The stages a policy adds to a sign-in, each behind the pending sign-in's token and counted
//! like a second step: enrolment in two-step verification (an authenticator app, confirmed by
//! its first code, with recovery codes shown once) and a new password.

use super::flow::{Authenticated, SecondStepDue};
use super::second_step::{SecondStepAttempt, enrolment, expired};
use super::service::Auth;
use super::sessions::sign_out_everywhere;
use super::throttle::refund_in;
use super::two_step::{RecoveryCodes, TotpSetup, replace_codes, totp_setup};
use crate::audit::{AuditAction, AuditEvent, RequestMeta};
use crate::authz::account_actor;
use crate::error::Result;
use crate::model::Account;
use crate::ports::prelude::*;
use crate::sealing::KeyRing;
use crate::two_step::{Method, PendingSignIn, PendingStage, PendingTotp, amr, totp, totp_context};
use crate::{Timestamp, secret};

impl<S: Store> Auth<S> {
    /// The authenticator key of a sign-in waiting for enrolment: the one waiting for its first
    /// code, else a new one.
    pub async fn enrolment_setup(&self, token: &str, ring: &KeyRing) -> Result<TotpSetup> {
        let now = self.clock.now();
        let mut r = self.store.reader().await?;
        let p = r
            .find_pending_signin(&secret::digest(token), now)
            .await?
            .ok_or_else(expired)?;
        if p.stage != PendingStage::Enrol {
            return Err(expired());
        }
        let account = r.find_account(p.account_id).await?.ok_or_else(expired)?;
        // An account that has enrolled meanwhile (elsewhere) takes its second step instead:
        // this sign-in may not replace its app.
        if enrolment(&mut r, account.id).await?.is_enrolled() {
            return Err(expired());
        }
        if let Some(waiting) = r.find_pending_totp(account.id).await? {
            let key = ring.open(&totp_context(&waiting.id), &waiting.sealed_key)?;
            return totp_setup(&key, &account.email);
        }
        drop(r);
        let key = totp::new_key()?;
        let id = uuid::Uuid::now_v7().to_string();
        let pending = PendingTotp {
            account_id: account.id,
            sealed_key: ring.seal(&totp_context(&id), &key)?,
            id,
            created_at: now,
        };
        let mut tx = self.store.begin().await?;
        tx.set_pending_totp(&pending).await?;
        tx.commit().await?;
        totp_setup(&key, &account.email)
    }

    /// Confirms the enrolment with the app's first code (a counted attempt) and completes the
    /// sign-in; the account's recovery codes come back to show once.
    pub async fn enrol_at_sign_in(
        &self,
        attempt: SecondStepAttempt,
        code: &str,
        ring: &KeyRing,
        meta: &RequestMeta,
    ) -> Result<(Authenticated, RecoveryCodes)> {
        if attempt.pending.stage != PendingStage::Enrol {
            return Err(expired());
        }
        let (account, now) = (attempt.account.clone(), attempt.at);
        let mut tx = self.store.begin().await?;
        if enrolment(&mut tx, account.id).await?.is_enrolled() {
            return Err(expired());
        }
        let confirmed = match tx.find_pending_totp(account.id).await? {
            Some(p) => {
                let key = ring.open(&totp_context(&p.id), &p.sealed_key)?;
                match totp::check(&key, code, now)? {
                    Some(step) => tx.confirm_totp(account.id, &p.id, now, step).await?,
                    None => false,
                }
            }
            None => false,
        };
        if !confirmed {
            drop(tx);
            return Err(self.second_step_failed(attempt, Method::Totp, meta).await?);
        }
        let codes = replace_codes(&mut tx, account.id, now).await?;
        let detail = serde_json::json!({ "method": Method::Totp.as_str(), "at_sign_in": true });
        record(&mut tx, &account, AuditAction::TwoStepEnrolled, &detail, meta, now).await?;
        let done = self
            .complete(tx, attempt, amr::password_and(Method::Totp, false))
            .await?;
        self.tell(&account, "An authenticator app was added to your account")
            .await;
        Ok((done, codes))
    }

    /// Holds a completed sign-in whose password is due for a new one: a pending sign-in at the
    /// new-password stage takes its place, with what its steps proved.
    pub async fn hold_for_new_password(&self, done: Authenticated, meta: &RequestMeta) -> Result<SecondStepDue> {
        let now = self.clock.now();
        let token = secret::mint("ghp")?;
        let pending = PendingSignIn {
            digest: token.digest,
            account_id: done.account().id,
            break_glass: done.break_glass,
            created_at: now,
            expires_at: now.plus_secs(super::second_step::PENDING_SECS),
            attempts: 0,
            email_code: None,
            stage: PendingStage::Password,
            password_due: false,
            amr: done.amr.clone(),
        };
        let mut tx = self.store.begin().await?;
        refund_in(&mut tx, &done.admission).await?;
        tx.insert_pending_signin(&pending).await?;
        let detail = serde_json::json!({ "reason": "policy" });
        record(
            &mut tx,
            done.account(),
            AuditAction::AuthPasswordChangeRequired,
            &detail,
            meta,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(SecondStepDue {
            token: token.value,
            methods: Vec::new(),
            stage: PendingStage::Password,
        })
    }

    /// Sets the new password of a sign-in held for one (a counted attempt) and completes the
    /// sign-in. The password meets the account's policy; every other session ends.
    pub async fn new_password_at_sign_in(
        &self,
        attempt: SecondStepAttempt,
        password: &str,
        meta: &RequestMeta,
    ) -> Result<Authenticated> {
        if attempt.pending.stage != PendingStage::Password {
            return Err(expired());
        }
        super::passwords::check_password(password)?;
        let account = attempt.account.clone();
        let now = attempt.at;
        let creds = self.store.reader().await?.find_credentials(&account.email).await?;
        let Some(creds) = creds.filter(|c| c.account.id == account.id) else {
            return Err(expired());
        };
        let facts = self.measure(&account, password, now);
        self.check_policy_password(&account, password, &facts, creds.password_hash.clone())
            .await?;
        let hash = self.hash_password(password).await?;
        let mut tx = self.store.begin().await?;
        if tx.take_pending_signin(&attempt.pending.digest, now).await?.is_none()
            || !tx
                .replace_password(account.id, &hash, &facts, creds.password_generation)
                .await?
        {
            return Err(expired());
        }
        sign_out_everywhere(&mut tx, account.id, now).await?;
        let detail = serde_json::json!({ "at_sign_in": true });
        record(&mut tx, &account, AuditAction::AuthPasswordChanged, &detail, meta, now).await?;
        tx.commit().await?;
        Ok(Authenticated::new(
            account,
            attempt.pair_key,
            attempt.admission,
            now,
            attempt.pending.break_glass,
            attempt.pending.amr,
            false,
        ))
    }
}

/// Writes the event in the logs of the organizations that hear about the account.
async fn record<T: Reads + Writes + Send>(
    tx: &mut T,
    account: &Account,
    action: AuditAction,
    detail: &serde_json::Value,
    meta: &RequestMeta,
    now: Timestamp,
) -> Result<()> {
    for org in super::audience::audience(tx, account.id).await? {
        let ev = AuditEvent::new(org, &account_actor(account), meta, action, now)
            .target("account", account.id, Some(&account.email))
            .after(detail);
        tx.insert_event(&ev).await?;
    }
    Ok(())
}
