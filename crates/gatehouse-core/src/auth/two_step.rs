//! The person's own two-step verification: an authenticator app (enrolled by a first code),
//! security keys and passkeys, and recovery codes (made with the first method, shown once,
//! made anew on request). Each change is one transaction with its event in the logs that hear
//! about the account, and the person is mailed about each one: an attacker holding a session
//! cannot quietly add or remove a second step.
//!
//! The admin of the managing organization can reset every method (a lost phone); that is
//! audited in its log and mailed to the person too.

use super::audience::audience;
use super::second_step::enrolment;
use super::service::Auth;
use crate::audit::{AuditAction, AuditEvent, RequestMeta};
use crate::authz::{OrgAdmin, SignedIn};
use crate::error::{CoreError, Result};
use crate::ids::AccountId;
use crate::model::Account;
use crate::ports::{Mail, prelude::*};
use crate::sealing::KeyRing;
use crate::two_step::{Enrolment, Method, PendingTotp, SecurityKey, recovery, totp, totp_context};
use zeroize::Zeroizing;

/// An authenticator-app enrolment waiting for its first code: what the page shows.
#[derive(Debug)]
pub struct TotpSetup {
    /// The key as people type it (base32 in groups of four).
    pub key_text: Zeroizing<String>,
    /// The `otpauth://` URI the QR code carries.
    pub uri: Zeroizing<String>,
}

/// How recent a sign-in must be to change its account's sign-in methods: a session someone
/// took over later is not enough to add their own app or remove the person's.
pub const FRESH_SIGN_IN_SECS: i64 = 15 * 60;

/// Recovery codes just made: shown once, never again.
pub type RecoveryCodes = Vec<Zeroizing<String>>;

pub(super) fn no_totp_pending() -> CoreError {
    CoreError::conflict(
        "no_enrolment",
        Some("code"),
        "Start setting up the authenticator app again.",
    )
}

pub(super) fn wrong_code() -> CoreError {
    CoreError::validation(
        "code",
        "is not the code your app shows now; check the time on your phone and try again",
    )
}

impl<S: Store> Auth<S> {
    /// Refuses a change of sign-in methods unless the session signed in within
    /// [`FRESH_SIGN_IN_SECS`] (`reauthentication_required`: sign in again, then change).
    pub fn check_fresh(&self, me: &SignedIn) -> Result<()> {
        if self.clock.now().millis() - me.session().created_at.millis() > FRESH_SIGN_IN_SECS * 1000 {
            return Err(CoreError::Forbidden {
                code: "reauthentication_required",
                message: "Sign in again to change how you sign in.".into(),
            });
        }
        Ok(())
    }

    /// What the signed-in person has enrolled.
    pub async fn my_two_step(&self, me: &SignedIn) -> Result<Enrolment> {
        enrolment(&mut self.store.reader().await?, me.account().id).await
    }

    /// Starts (or starts again) an authenticator-app enrolment: a new key, sealed, waiting for
    /// its first code. An app already enrolled keeps working until the new one is confirmed.
    pub async fn start_totp(&self, me: &SignedIn, ring: &KeyRing) -> Result<TotpSetup> {
        self.check_fresh(me)?;
        let key = totp::new_key()?;
        let id = uuid::Uuid::now_v7().to_string();
        let pending = PendingTotp {
            account_id: me.account().id,
            sealed_key: ring.seal(&totp_context(&id), &key)?,
            id,
            created_at: self.clock.now(),
        };
        let mut tx = self.store.begin().await?;
        tx.set_pending_totp(&pending).await?;
        tx.commit().await?;
        totp_setup(&key, &me.account().email)
    }

    /// The enrolment waiting for its first code, to show again (a wrong first code).
    pub async fn pending_totp(&self, me: &SignedIn, ring: &KeyRing) -> Result<Option<TotpSetup>> {
        let Some(p) = self.store.reader().await?.find_pending_totp(me.account().id).await? else {
            return Ok(None);
        };
        let key = ring.open(&totp_context(&p.id), &p.sealed_key)?;
        totp_setup(&key, &me.account().email).map(Some)
    }

    /// Confirms the pending enrolment with the code the app shows now. The app replaces any
    /// earlier one. The first method of an account comes with its recovery codes (returned
    /// to show once).
    pub async fn confirm_totp(
        &self,
        me: &SignedIn,
        code: &str,
        ring: &KeyRing,
        meta: &RequestMeta,
    ) -> Result<Option<RecoveryCodes>> {
        self.check_fresh(me)?;
        let account = me.account();
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let pending = tx.find_pending_totp(account.id).await?.ok_or_else(no_totp_pending)?;
        let key = ring.open(&totp_context(&pending.id), &pending.sealed_key)?;
        let step = totp::check(&key, code, now)?.ok_or_else(wrong_code)?;
        let before = enrolment(&mut tx, account.id).await?;
        if !tx.confirm_totp(account.id, &pending.id, now, step).await? {
            return Err(no_totp_pending());
        }
        let codes = self.first_method_codes(&mut tx, &before, account.id).await?;
        let detail = serde_json::json!({ "method": Method::Totp.as_str(), "replaced": before.totp.is_some() });
        self.record(&mut tx, me, AuditAction::TwoStepEnrolled, &detail, meta)
            .await?;
        tx.commit().await?;
        self.tell(account, "An authenticator app was added to your account")
            .await;
        Ok(codes)
    }

    /// Adds a security key or passkey the WebAuthn library registered. The first method of
    /// an account comes with its recovery codes.
    pub async fn add_security_key(
        &self,
        me: &SignedIn,
        key: SecurityKey,
        meta: &RequestMeta,
    ) -> Result<Option<RecoveryCodes>> {
        self.check_fresh(me)?;
        let account = me.account();
        if key.account_id != account.id {
            return Err(CoreError::Internal("a security key for another account".into()));
        }
        let key = SecurityKey {
            created_at: self.clock.now(),
            last_used_at: None,
            ..key
        };
        let mut tx = self.store.begin().await?;
        let before = enrolment(&mut tx, account.id).await?;
        if before.security_keys.len() >= MAX_KEYS {
            return Err(CoreError::conflict(
                "too_many_keys",
                None,
                format!("An account has at most {MAX_KEYS} security keys and passkeys. Remove one first."),
            ));
        }
        tx.insert_security_key(&key).await.map_err(|e| match e {
            CoreError::Conflict { .. } => {
                CoreError::conflict("key_registered", None, "This security key is registered already.")
            }
            other => other,
        })?;
        let codes = self.first_method_codes(&mut tx, &before, account.id).await?;
        let detail = serde_json::json!({
            "method": Method::SecurityKey.as_str(), "name": key.name, "key_id": key.id,
            "backup_eligible": key.backup_eligible,
        });
        self.record(&mut tx, me, AuditAction::TwoStepEnrolled, &detail, meta)
            .await?;
        tx.commit().await?;
        self.tell(
            account,
            &format!("A security key or passkey ({}) was added to your account", key.name),
        )
        .await;
        Ok(codes)
    }

    /// Removes the person's authenticator app. Removing the last method ends two-step
    /// verification, and the recovery codes with it.
    pub async fn remove_totp(&self, me: &SignedIn, meta: &RequestMeta) -> Result<()> {
        self.check_fresh(me)?;
        let account = me.account();
        let mut tx = self.store.begin().await?;
        if !tx.delete_totp(account.id).await? {
            return Err(CoreError::NotFound {
                entity: "authenticator_app",
            });
        }
        self.after_removal(&mut tx, account.id).await?;
        let detail = serde_json::json!({ "method": Method::Totp.as_str() });
        self.record(&mut tx, me, AuditAction::TwoStepRemoved, &detail, meta)
            .await?;
        tx.commit().await?;
        self.tell(account, "An authenticator app was removed from your account")
            .await;
        Ok(())
    }

    /// Removes one of the person's security keys (the same rule for the last method).
    pub async fn remove_security_key(&self, me: &SignedIn, id: uuid::Uuid, meta: &RequestMeta) -> Result<()> {
        self.check_fresh(me)?;
        let account = me.account();
        let mut tx = self.store.begin().await?;
        let keys = tx.list_security_keys(account.id).await?;
        let Some(key) = keys.into_iter().find(|k| k.id == id) else {
            return Err(CoreError::NotFound { entity: "security_key" });
        };
        if !tx.delete_security_key(account.id, id).await? {
            return Err(CoreError::NotFound { entity: "security_key" });
        }
        self.after_removal(&mut tx, account.id).await?;
        let detail = serde_json::json!({ "method": Method::SecurityKey.as_str(), "name": key.name, "key_id": id });
        self.record(&mut tx, me, AuditAction::TwoStepRemoved, &detail, meta)
            .await?;
        tx.commit().await?;
        self.tell(
            account,
            &format!("A security key or passkey ({}) was removed from your account", key.name),
        )
        .await;
        Ok(())
    }

    /// Makes the person's recovery codes anew; the earlier ones stop working. Only for an
    /// account with a method to recover.
    pub async fn new_recovery_codes(&self, me: &SignedIn, meta: &RequestMeta) -> Result<RecoveryCodes> {
        self.check_fresh(me)?;
        let account = me.account();
        let mut tx = self.store.begin().await?;
        if !enrolment(&mut tx, account.id).await?.is_enrolled() {
            return Err(CoreError::conflict(
                "not_enrolled",
                None,
                "Add an authenticator app or a security key first.",
            ));
        }
        let codes = replace_codes(&mut tx, account.id, self.clock.now()).await?;
        self.record(
            &mut tx,
            me,
            AuditAction::TwoStepRecoveryCodesGenerated,
            &serde_json::json!({}),
            meta,
        )
        .await?;
        tx.commit().await?;
        self.tell(
            account,
            "New recovery codes were made for your account; the earlier ones no longer work",
        )
        .await;
        Ok(codes)
    }

    /// What an account the organization manages has enrolled (no secret).
    pub async fn two_step_of(&self, admin: &OrgAdmin, account: AccountId) -> Result<Enrolment> {
        let mut r = self.store.reader().await?;
        crate::services::sessions::managed(&mut r, admin, account).await?;
        enrolment(&mut r, account).await
    }

    /// The methods of each of these accounts, for the lists of the organization that manages
    /// them (the caller passes only accounts it manages; no secret is read).
    pub async fn two_step_methods_of(
        &self,
        _admin: &OrgAdmin,
        managed: &[AccountId],
    ) -> Result<std::collections::HashMap<AccountId, Vec<Method>>> {
        let mut by_account: std::collections::HashMap<AccountId, Vec<Method>> =
            managed.iter().map(|a| (*a, Vec::new())).collect();
        for (account, method) in self.store.reader().await?.list_two_step_methods(managed).await? {
            by_account.entry(account).or_default().push(method);
        }
        for methods in by_account.values_mut() {
            methods.sort();
        }
        Ok(by_account)
    }

    /// Removes every second step of an account the organization manages (its person lost
    /// their phone or key): the app, keys, recovery codes and any sign-in waiting for a
    /// second step. The person signs in with their password alone until they enrol again,
    /// and is mailed that it happened.
    pub async fn reset_two_step(&self, admin: &OrgAdmin, account: AccountId) -> Result<Enrolment> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let acc = crate::services::sessions::managed(&mut tx, admin, account).await?;
        let before = enrolment(&mut tx, account).await?;
        tx.delete_totp(account).await?;
        tx.delete_security_keys(account).await?;
        tx.delete_recovery_codes(account).await?;
        tx.delete_pending_signins_of(account).await?;
        let ev = admin
            .acting()
            .event(AuditAction::TwoStepReset, now)
            .target("account", acc.id, Some(&acc.email))
            .before(&serde_json::json!({ "methods": before.methods(), "security_keys": before.security_keys.len() }));
        tx.insert_event(&ev).await?;
        tx.commit().await?;
        self.tell(
            &acc,
            "An admin of your organization removed the two-step verification of your account",
        )
        .await;
        Ok(before)
    }

    /// Recovery codes for an account getting its first method (returned to show once).
    async fn first_method_codes(
        &self,
        tx: &mut S::Tx,
        before: &Enrolment,
        account: AccountId,
    ) -> Result<Option<RecoveryCodes>> {
        if before.is_enrolled() {
            return Ok(None);
        }
        replace_codes(tx, account, self.clock.now()).await.map(Some)
    }

    /// After a method was removed: with none left, the recovery codes go too.
    async fn after_removal(&self, tx: &mut S::Tx, account: AccountId) -> Result<()> {
        if !enrolment(tx, account).await?.is_enrolled() {
            tx.delete_recovery_codes(account).await?;
        }
        Ok(())
    }

    async fn record(
        &self,
        tx: &mut S::Tx,
        me: &SignedIn,
        action: AuditAction,
        detail: &serde_json::Value,
        meta: &RequestMeta,
    ) -> Result<()> {
        let account = me.account();
        for org in audience(tx, account.id).await? {
            let ev = AuditEvent::new(org, &me.actor(), meta, action, self.clock.now())
                .target("account", account.id, Some(&account.email))
                .after(detail);
            tx.insert_event(&ev).await?;
        }
        Ok(())
    }

    /// Mails the person about a change to their sign-in. The change has committed: a mail that
    /// fails does not undo it (the server's mailer logs the failure).
    pub(super) async fn tell(&self, account: &Account, what: &str) {
        let body = format!(
            "{what}.\n\nIf this was not you, sign in at {}/account and check your two-step verification, \
             or ask your organization's admins for help.\n",
            self.public_url
        );
        let mail = Mail {
            to: account.email.clone(),
            subject: "Your Gatehouse sign-in methods changed".into(),
            body,
        };
        let _logged_by_the_mailer = self.mailer.send(mail).await;
    }
}

/// At most this many security keys and passkeys per account.
pub const MAX_KEYS: usize = 10;

pub(super) async fn replace_codes<T: TwoStepTx + Send>(
    tx: &mut T,
    account: AccountId,
    now: crate::Timestamp,
) -> Result<RecoveryCodes> {
    let codes = recovery::new_codes()?;
    let digests: Vec<String> = codes.iter().filter_map(|c| recovery::digest(c)).collect();
    tx.replace_recovery_codes(account, &digests, now).await?;
    Ok(codes)
}

pub(super) fn totp_setup(key: &[u8], email: &str) -> Result<TotpSetup> {
    Ok(TotpSetup {
        key_text: Zeroizing::new(totp::key_text(key)),
        uri: Zeroizing::new(totp::otpauth_uri(key, email)?),
    })
}
