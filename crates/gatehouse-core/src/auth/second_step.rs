//! The second step of a sign-in: after the password, a person with two-step verification
//! proves they hold their authenticator app, security key or recovery codes (or, for an
//! account a policy covers that has nothing else, a code mailed to them).
//!
//! The password step leaves a [`PendingSignIn`] behind, named by a token only the browser
//! holds. Every attempt at the second step is counted before it is checked, twice: against
//! the sign-in throttle's keys (the same limits as passwords, so guessing codes locks like
//! guessing passwords), and against the pending sign-in itself, which ends after
//! [`PENDING_ATTEMPTS`] attempts (the password must be typed again). A code, a recovery code
//! and a security key's counter are each spent by one conditional statement in the
//! transaction that takes the pending sign-in, so two posts at once cannot both pass.

use super::flow::{Authenticated, Next, SecondStepDue};
use super::service::Auth;
use super::throttle::{Admission, ThrottleKeys, refund_in};
use crate::Timestamp;
use crate::audit::{Actor, AuditAction, AuditEvent, RequestMeta};
use crate::authz::account_actor;
use crate::error::{CoreError, Result};
use crate::model::Account;
use crate::ports::prelude::*;
use crate::product::AccountStatus;
use crate::sealing::KeyRing;
use crate::two_step::{Enrolment, Method, PendingSignIn, PendingStage, amr, recovery, totp, totp_context};
use crate::{ids::OrgId, secret};

/// How long a pending sign-in waits for its second step.
pub const PENDING_SECS: i64 = 10 * 60;
/// Attempts at the second step before the pending sign-in ends.
pub const PENDING_ATTEMPTS: i64 = 5;

/// A pending sign-in as its page shows it.
#[derive(Debug)]
pub struct PendingView {
    pub account: Account,
    pub enrolment: Enrolment,
    /// The methods offered, the preferred first.
    pub methods: Vec<Method>,
    /// A code was mailed for this sign-in.
    pub code_mailed: bool,
    /// What the sign-in waits for.
    pub stage: PendingStage,
}

/// A counted attempt at the second step, not yet checked.
#[derive(Debug)]
pub struct SecondStepAttempt {
    pub(super) pending: PendingSignIn,
    pub(super) account: Account,
    pub(super) admission: Admission,
    pub(super) pair_key: String,
    pub(super) at: Timestamp,
}

impl SecondStepAttempt {
    /// The account signing in.
    pub fn account(&self) -> &Account {
        &self.account
    }
}

/// A security key's assertion as the WebAuthn library verified it: which credential, the
/// counter it reported and the credential with that counter, to store.
#[derive(Debug, Clone)]
pub struct VerifiedKey {
    /// The credential id, base64url.
    pub credential_id: String,
    pub counter: u32,
    /// The stored credential, updated with this use.
    pub passkey: String,
}

pub(super) fn expired() -> CoreError {
    CoreError::Unauthenticated {
        code: "sign_in_expired",
        message: "This sign-in has expired. Sign in again.".into(),
    }
}

fn wrong(method: Method) -> CoreError {
    let message = match method {
        Method::SecurityKey => "That security key was not accepted. Try again or use another method.",
        Method::RecoveryCode => "That recovery code is not valid. Try again or use another method.",
        Method::Totp | Method::EmailCode => "That code is not valid. Try again or use another method.",
    };
    CoreError::Unauthenticated {
        code: "invalid_second_step",
        message: message.into(),
    }
}

/// What the account has enrolled, read on `r`.
pub(crate) async fn enrolment<R: TwoStepReads + Send>(r: &mut R, account: crate::ids::AccountId) -> Result<Enrolment> {
    Ok(Enrolment {
        totp: r.find_totp(account).await?.map(|t| t.confirmed_at),
        security_keys: r.list_security_keys(account).await?,
        recovery_codes_left: r.count_recovery_codes(account).await?,
    })
}

impl<S: Store> Auth<S> {
    /// The methods the account's second step offers, from those it enrolled (in their order):
    /// those; with no app or key, a mailed code when every sign-in needs a second step, else
    /// none (no second step).
    fn offered(&self, enrolled: Vec<Method>) -> Vec<Method> {
        if crate::two_step::enrolled(&enrolled) {
            enrolled
        } else if self.policy.require_second_step {
            vec![Method::EmailCode]
        } else {
            Vec::new()
        }
    }

    /// Whether the account's sign-in has a second step, and which methods it offers: one query
    /// on every sign-in that passed its password.
    pub(super) async fn second_step_methods(&self, account: &Account) -> Result<Vec<Method>> {
        let mut methods: Vec<Method> = self
            .store
            .reader()
            .await?
            .list_two_step_methods(&[account.id])
            .await?
            .into_iter()
            .map(|(_, m)| m)
            .collect();
        methods.sort();
        Ok(self.offered(methods))
    }

    /// Leaves a pending sign-in for an account whose password passed: the password's attempt
    /// is taken back (it was right), nothing else is forgotten yet.
    pub(super) async fn begin_second_step(
        &self,
        account: &Account,
        break_glass: Option<OrgId>,
        admission: &Admission,
        methods: Vec<Method>,
        next: Next,
        now: Timestamp,
    ) -> Result<SecondStepDue> {
        let token = secret::mint("ghp")?;
        let pending = PendingSignIn {
            digest: token.digest,
            account_id: account.id,
            break_glass,
            created_at: now,
            expires_at: now.plus_secs(PENDING_SECS),
            attempts: 0,
            email_code: None,
            stage: next.stage,
            password_due: next.password_due,
            amr: next.amr,
        };
        let mut tx = self.store.begin().await?;
        refund_in(&mut tx, admission).await?;
        tx.insert_pending_signin(&pending).await?;
        tx.commit().await?;
        Ok(SecondStepDue {
            token: token.value,
            methods,
            stage: next.stage,
        })
    }

    /// The pending sign-in of a browser's token with its account, its enrolment and the
    /// methods offered, or `None` when there is none (expired, finished or never started).
    pub async fn pending_sign_in(&self, token: &str) -> Result<Option<PendingView>> {
        if !token.starts_with("ghp_") || token.len() > 100 {
            return Ok(None);
        }
        let mut r = self.store.reader().await?;
        let Some(p) = r.find_pending_signin(&secret::digest(token), self.clock.now()).await? else {
            return Ok(None);
        };
        let Some(account) = r.find_account(p.account_id).await? else {
            return Ok(None);
        };
        let enrolment = enrolment(&mut r, account.id).await?;
        Ok(Some(PendingView {
            methods: self.offered(enrolment.methods()),
            account,
            enrolment,
            code_mailed: p.email_code.is_some(),
            stage: p.stage,
        }))
    }

    /// Counts an attempt at the second step of the pending sign-in `token`, before anything
    /// is checked: refused while the throttle is locked, and once the pending sign-in has had
    /// its attempts (it ends then).
    pub async fn second_step_attempt(&self, token: &str, meta: &RequestMeta) -> Result<SecondStepAttempt> {
        let now = self.clock.now();
        let digest = secret::digest(token);
        let (p, account) = {
            let mut r = self.store.reader().await?;
            let p = r.find_pending_signin(&digest, now).await?.ok_or_else(expired)?;
            let account = r.find_account(p.account_id).await?.ok_or_else(expired)?;
            if account.status != AccountStatus::Active {
                return Err(expired());
            }
            (p, account)
        };
        let keys = ThrottleKeys::new(&account.email, meta);
        let admission = self.admit(self.sign_in_limits(&keys), now).await?;
        let mut tx = self.store.begin().await?;
        let attempts = tx.count_pending_attempt(&digest).await?.ok_or_else(expired)?;
        if attempts > PENDING_ATTEMPTS {
            tx.take_pending_signin(&digest, now).await?;
            tx.commit().await?;
            return Err(CoreError::Unauthenticated {
                code: "too_many_attempts",
                message: "Too many attempts. Sign in again.".into(),
            });
        }
        tx.commit().await?;
        Ok(SecondStepAttempt {
            pending: p,
            account,
            pair_key: keys.pair,
            admission,
            at: now,
        })
    }

    /// Checks a typed code (authenticator app, recovery code or mailed code) for a counted
    /// attempt, and completes the sign-in when it is right and unspent.
    pub async fn second_step_code(
        &self,
        attempt: SecondStepAttempt,
        method: Method,
        code: &str,
        ring: &KeyRing,
        meta: &RequestMeta,
    ) -> Result<Authenticated> {
        let (account, now) = (attempt.account.id, attempt.at);
        if attempt.pending.stage != PendingStage::SecondStep {
            return Err(expired());
        }
        let mut tx = self.store.begin().await?;
        let spent = match method {
            Method::Totp => match tx.find_totp(account).await? {
                Some(t) => {
                    let key = ring.open(&totp_context(&t.id), &t.sealed_key)?;
                    match totp::check(&key, code, now)? {
                        Some(step) => tx.spend_totp_step(account, step).await?,
                        None => false,
                    }
                }
                None => false,
            },
            Method::RecoveryCode => match recovery::digest(code) {
                Some(d) => tx.spend_recovery_code(account, &d, now).await?,
                None => false,
            },
            Method::EmailCode => match &attempt.pending.email_code {
                Some((digest, until)) if now < *until => {
                    mailed_code_digest(code).is_some_and(|d| secret::constant_time_eq(&d, digest))
                }
                _ => false,
            },
            Method::SecurityKey => false,
        };
        if !spent {
            drop(tx);
            return Err(self.second_step_failed(attempt, method, meta).await?);
        }
        if method == Method::RecoveryCode {
            let left = tx.count_recovery_codes(account).await?;
            for org in super::audience::audience(&mut tx, account).await? {
                let ev = AuditEvent::new(
                    org,
                    &account_actor(&attempt.account),
                    meta,
                    AuditAction::TwoStepRecoveryCodeUsed,
                    now,
                )
                .target("account", account, Some(&attempt.account.email))
                .after(&serde_json::json!({ "recovery_codes_left": left }));
                tx.insert_event(&ev).await?;
            }
        }
        self.complete(tx, attempt, amr::password_and(method, false)).await
    }

    /// Completes the sign-in with a security key the WebAuthn library verified against this
    /// attempt's challenge: the key must be the account's and its counter must move on.
    pub async fn second_step_key(
        &self,
        attempt: SecondStepAttempt,
        verified: &VerifiedKey,
        meta: &RequestMeta,
    ) -> Result<Authenticated> {
        if attempt.pending.stage != PendingStage::SecondStep {
            return Err(expired());
        }
        let mut tx = self.store.begin().await?;
        let key = tx.find_security_key(&verified.credential_id).await?;
        let spent = match &key {
            Some(k) if k.account_id == attempt.account.id => {
                tx.spend_security_key_counter(k.id, i64::from(verified.counter), &verified.passkey, attempt.at)
                    .await?
            }
            _ => false,
        };
        let Some(key) = key.filter(|_| spent) else {
            drop(tx);
            return Err(self.second_step_failed(attempt, Method::SecurityKey, meta).await?);
        };
        self.complete(tx, attempt, amr::password_and(Method::SecurityKey, key.backup_eligible))
            .await
    }

    /// Takes the pending sign-in in the transaction that spent the second step, and hands
    /// back the authenticated account.
    pub(super) async fn complete(
        &self,
        mut tx: S::Tx,
        attempt: SecondStepAttempt,
        amr: Vec<String>,
    ) -> Result<Authenticated> {
        // Of two second steps at once, one takes the pending sign-in; the other's spend rolls back.
        if tx
            .take_pending_signin(&attempt.pending.digest, attempt.at)
            .await?
            .is_none()
        {
            return Err(expired());
        }
        tx.commit().await?;
        Ok(Authenticated::new(
            attempt.account,
            attempt.pair_key,
            attempt.admission,
            attempt.at,
            attempt.pending.break_glass,
            amr,
            attempt.pending.password_due,
        ))
    }

    /// Records a failed second step (the attempt stays counted) in the logs of the
    /// organizations that hear about the account, and answers the error to show.
    pub async fn second_step_failed(
        &self,
        attempt: SecondStepAttempt,
        method: Method,
        meta: &RequestMeta,
    ) -> Result<CoreError> {
        let a = &attempt.account;
        let mut tx = self.store.begin().await?;
        for org in super::audience::audience(&mut tx, a.id).await? {
            let ev = AuditEvent::new(
                org,
                &account_actor(a),
                meta,
                AuditAction::AuthSecondStepFailed,
                attempt.at,
            )
            .target("account", a.id, Some(&a.email))
            .after(&serde_json::json!({ "method": method.as_str() }));
            tx.insert_event(&ev).await?;
            if attempt.admission.locked {
                let ev = AuditEvent::new(
                    org,
                    &Actor::system("sign-in"),
                    meta,
                    AuditAction::AuthLockedOut,
                    attempt.at,
                )
                .target("account", a.id, Some(&a.email));
                tx.insert_event(&ev).await?;
            }
        }
        tx.commit().await?;
        Ok(wrong(method))
    }
}

/// The digest of a typed six-digit mailed code (spaces ignored), or `None`.
pub(super) fn mailed_code_digest(code: &str) -> Option<String> {
    let plain: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    (plain.len() == 6 && plain.bytes().all(|b| b.is_ascii_digit())).then(|| secret::digest(&plain))
}
