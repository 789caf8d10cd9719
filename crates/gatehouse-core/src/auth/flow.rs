//! The sign-in flow: a sequence of steps whose outcome is an authenticated account.
//!
//! The person gives an email address first; the step after it is chosen from the address's
//! domain alone ([`Auth::first_step`]), so the answer is the same for an address with an
//! account and one without: the password, or the identity provider the domain signs in
//! with. After a password, an account with two-step verification has its second step due
//! (`second_step.rs`); the flow ends in [`Authenticated`] only once every step has passed.

use super::service::{Auth, invalid};
use super::throttle::{Admission, ThrottleKeys};
use crate::Timestamp;
use crate::audit::{Actor, AuditAction, AuditEvent, RequestMeta};
use crate::authz::account_actor;
use crate::error::{CoreError, Result};
use crate::model::Account;
use crate::ports::prelude::*;
use crate::sso::PasswordRule;
use crate::two_step::{Method, PendingStage};

/// What a pending sign-in is left waiting for.
#[derive(Debug, Clone)]
pub(super) struct Next {
    pub stage: PendingStage,
    pub password_due: bool,
    /// What the steps so far proved.
    pub amr: Vec<String>,
}

/// The refusal of a password on a domain whose identity provider is enforced.
pub fn sso_required() -> CoreError {
    CoreError::Forbidden {
        code: "sso_required",
        message: "Your organization signs you in through its identity provider. Continue with single sign-on.".into(),
    }
}

/// One step of a sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// The email address, which chooses what comes next.
    Email,
    /// The account's email address and password.
    Password,
    /// Off to the organization's identity provider, which the domain signs in with.
    Sso(crate::ids::IdpId),
    /// The second step of an account with two-step verification.
    SecondStep,
}

/// Why a known account's sign-in failed, as its organizations' audit logs record it (the
/// person is told only "Incorrect email or password.").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureReason {
    WrongPassword,
    NoPassword,
    Deactivated,
    /// The password was right or wrong; either way the account signs in through its
    /// organization's identity provider.
    SsoRequired,
}

impl FailureReason {
    /// The stable name recorded in the event.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WrongPassword => "wrong_password",
            Self::NoPassword => "no_password",
            Self::Deactivated => "account_deactivated",
            Self::SsoRequired => "sso_required",
        }
    }
}

/// A password that passed, with the second step still due: the token for the browser (its
/// digest is stored) and what the account can use.
#[derive(Debug)]
pub struct SecondStepDue {
    pub token: String,
    pub methods: Vec<Method>,
    /// What the sign-in waits for: a second step, enrolment, or a new password.
    pub stage: crate::two_step::PendingStage,
}

/// Where a sign-in stands after its password.
#[derive(Debug)]
pub enum Progress {
    /// The account has two-step verification: its second step is due.
    SecondStep(SecondStepDue),
    /// Every step passed.
    Done(Authenticated),
}

/// Proof that a person completed their sign-in flow: the account is theirs and active. It
/// opens no session by itself: [`Auth::open_session`] does.
#[derive(Debug)]
pub struct Authenticated {
    account: Account,
    /// The throttle key of this email address from this client, forgotten at sign-in.
    pub(super) pair_key: String,
    /// The attempt as counted: a session opening takes it back.
    pub(super) admission: Admission,
    /// When the flow was completed; the session and its audit events carry this time.
    pub(super) at: Timestamp,
    /// The organization whose enforced SSO this password sign-in passed as a break-glass
    /// admin: the session's opening is recorded there as high severity.
    pub(super) break_glass: Option<crate::ids::OrgId>,
    /// How the person proved who they are (RFC 8176), recorded with the session.
    pub(super) amr: Vec<String>,
    /// The password expired or its facts fail the account's policy: a new one is due before
    /// the session opens.
    pub(super) password_due: bool,
}

impl Authenticated {
    /// The authenticated account.
    pub fn account(&self) -> &Account {
        &self.account
    }

    pub(super) fn into_account(self) -> Account {
        self.account
    }

    /// How the person proved who they are (RFC 8176 values).
    pub fn amr(&self) -> &[String] {
        &self.amr
    }

    /// Whether a new password is due before the session opens.
    pub fn password_due(&self) -> bool {
        self.password_due
    }

    pub(super) fn new(
        account: Account,
        pair_key: String,
        admission: Admission,
        at: Timestamp,
        break_glass: Option<crate::ids::OrgId>,
        amr: Vec<String>,
        password_due: bool,
    ) -> Self {
        Self {
            account,
            pair_key,
            admission,
            at,
            break_glass,
            amr,
            password_due,
        }
    }

    /// An account an identity provider vouched for (SSO): no password, no attempt counted.
    pub(crate) fn external(account: Account, meta: &RequestMeta, at: Timestamp) -> Self {
        let pair_key = ThrottleKeys::new(&account.email, meta).pair;
        Self {
            account,
            pair_key,
            admission: Admission::none(),
            at,
            break_glass: None,
            // RFC 8176 has no value for "another provider vouched"; the provider's own
            // methods are not carried over, so none is claimed.
            amr: Vec::new(),
            password_due: false,
        }
    }
}

impl<S: Store> Auth<S> {
    /// The step after the email address, chosen from its domain alone (never from whether an
    /// account exists, so the answer tells nobody that): the identity provider linked to the
    /// domain, else the password.
    pub async fn first_step(&self, email: &crate::types::Email) -> Result<Step> {
        let idp = self.store.reader().await?.find_idp_for_domain(email.domain()).await?;
        Ok(idp.map_or(Step::Password, |i| Step::Sso(i.id)))
    }
}

impl<S: Store> Auth<S> {
    /// The password step, the first of every flow: counts the attempt (or refuses it while
    /// locked), then checks the email and password. Every failure looks the same to the
    /// caller ("Incorrect email or password.") and costs the same hash, whether or not the
    /// account exists. A full hashing queue answers `Overloaded` and the attempt is not
    /// counted.
    pub async fn sign_in(&self, email: &str, password: &str, meta: &RequestMeta) -> Result<Progress> {
        if let Some(retry_after_secs) = self.hasher.saturated() {
            return Err(CoreError::Overloaded { retry_after_secs });
        }
        let now = self.clock.now();
        let keys = ThrottleKeys::new(email, meta);
        let admission = self.admit(self.sign_in_limits(&keys), now).await?;
        let checked = match self.check_credentials(email, password).await {
            Err(e @ CoreError::Overloaded { .. }) => {
                self.refund(&admission).await?;
                return Err(e);
            }
            other => other?,
        };
        let enforced = self.domain_enforced(email, now).await?;
        match checked.known {
            Some(account) if checked.accepted => {
                let mut r = self.store.reader().await?;
                let rule = crate::sso::password_rule(&mut r, &account, self.policy.enforcement, now).await?;
                drop(r);
                let break_glass = match rule {
                    PasswordRule::Allowed => None,
                    PasswordRule::BreakGlass { org, .. } => Some(org),
                    PasswordRule::SsoRequired { .. } => {
                        let reason = FailureReason::SsoRequired;
                        self.record_failure(Some(&account), reason, &admission, meta, now)
                            .await?;
                        return Err(sso_required());
                    }
                };
                let demands = self.policy_demands(&account, password, now).await?;
                let methods = self.second_step_methods(&account).await?;
                let stage = if demands.two_step && !crate::two_step::enrolled(&methods) {
                    Some(PendingStage::Enrol)
                } else {
                    (!methods.is_empty()).then_some(PendingStage::SecondStep)
                };
                if let Some(stage) = stage {
                    let next = Next {
                        stage,
                        password_due: demands.password_due,
                        amr: crate::two_step::amr::password(),
                    };
                    let due = self.begin_second_step(&account, break_glass, &admission, methods, next, now);
                    return Ok(Progress::SecondStep(due.await?));
                }
                Ok(Progress::Done(Authenticated {
                    account,
                    pair_key: keys.pair,
                    admission,
                    at: now,
                    break_glass,
                    amr: crate::two_step::amr::password(),
                    password_due: demands.password_due,
                }))
            }
            known => {
                let reason = checked.reason;
                self.record_failure(known.as_ref(), reason, &admission, meta, now)
                    .await?;
                // On a domain whose provider is enforced every failure reads the same, so the
                // answer tells nobody whether the password was right or the account exists.
                Err(if enforced { sso_required() } else { invalid() })
            }
        }
    }

    /// Whether the address's domain has an identity provider its organization enforces now
    /// (not while that enforcement is paused for want of a subscription), read once for the
    /// whole step (the known account's email is this address, so it is the account's too).
    async fn domain_enforced(&self, email: &str, now: Timestamp) -> Result<bool> {
        let Some((_, domain)) = email.trim().rsplit_once('@') else {
            return Ok(false);
        };
        let mut r = self.store.reader().await?;
        match r.find_idp_for_domain(&domain.to_ascii_lowercase()).await? {
            Some(idp) if idp.enforced => Ok(!self.policy.enforcement.is_paused(&mut r, idp.org_id, now).await?),
            _ => Ok(false),
        }
    }

    /// Records a failed sign-in, with its reason, in the logs of the organizations that hear
    /// about the account (see `audience`), with the lock it caused, if any. An unknown
    /// address has no organization's log to write to; its attempt is in the throttle's counts
    /// alone.
    pub(super) async fn record_failure(
        &self,
        known: Option<&Account>,
        reason: FailureReason,
        admission: &Admission,
        meta: &RequestMeta,
        now: Timestamp,
    ) -> Result<()> {
        let Some(a) = known else {
            return Ok(());
        };
        let mut tx = self.store.begin().await?;
        for org in super::audience::audience(&mut tx, a.id).await? {
            let ev = AuditEvent::new(org, &account_actor(a), meta, AuditAction::AuthSignInFailed, now)
                .target("account", a.id, Some(&a.email))
                .after(&serde_json::json!({ "reason": reason.as_str() }));
            tx.insert_event(&ev).await?;
            if admission.locked {
                let ev = AuditEvent::new(org, &Actor::system("sign-in"), meta, AuditAction::AuthLockedOut, now).target(
                    "account",
                    a.id,
                    Some(&a.email),
                );
                tx.insert_event(&ev).await?;
            }
        }
        tx.commit().await
    }
}
