//! Two-step verification: authenticator apps, recovery codes, security keys, WebAuthn
//! ceremonies and sign-ins waiting for their second step.

use crate::Timestamp;
use crate::error::Result;
use crate::ids::AccountId;
use crate::two_step::{Ceremony, PendingSignIn, PendingTotp, SecurityKey, TotpAuthenticator};
use std::future::Future;

/// Two-step queries.
pub trait TwoStepReads {
    /// The account's confirmed authenticator app.
    fn find_totp(&mut self, account: AccountId) -> impl Future<Output = Result<Option<TotpAuthenticator>>> + Send;
    /// The account's enrolment waiting for its first code.
    fn find_pending_totp(&mut self, account: AccountId) -> impl Future<Output = Result<Option<PendingTotp>>> + Send;
    /// The account's security keys, oldest first.
    fn list_security_keys(&mut self, account: AccountId) -> impl Future<Output = Result<Vec<SecurityKey>>> + Send;
    /// The security key of this credential id (base64url), whoever's it is.
    fn find_security_key(&mut self, credential_id: &str) -> impl Future<Output = Result<Option<SecurityKey>>> + Send;
    /// The methods each of `accounts` has (an app, keys, unused recovery codes), for lists.
    fn list_two_step_methods(
        &mut self,
        accounts: &[AccountId],
    ) -> impl Future<Output = Result<Vec<(AccountId, crate::two_step::Method)>>> + Send;
    /// How many of the account's recovery codes are unused.
    fn count_recovery_codes(&mut self, account: AccountId) -> impl Future<Output = Result<i64>> + Send;
    /// The pending sign-in of this token digest, unexpired at `now`.
    fn find_pending_signin(
        &mut self,
        digest: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<PendingSignIn>>> + Send;
}

/// Two-step changes, only inside a transaction. Every one-time value is spent by one
/// conditional statement, so of two requests at once only one spends it.
pub trait TwoStepTx {
    /// Stores (or replaces) the account's enrolment waiting for its first code.
    fn set_pending_totp(&mut self, pending: &PendingTotp) -> impl Future<Output = Result<()>> + Send;
    /// Makes the pending enrolment `id` the account's authenticator app (replacing any
    /// earlier one), with `step` as its last used step: `false` when that enrolment is no
    /// longer pending.
    fn confirm_totp(
        &mut self,
        account: AccountId,
        id: &str,
        at: Timestamp,
        step: i64,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Spends the step of an accepted code: `false` (nothing changed) unless it is later than
    /// the last step spent.
    fn spend_totp_step(&mut self, account: AccountId, step: i64) -> impl Future<Output = Result<bool>> + Send;
    /// Removes the account's authenticator app (and any pending enrolment): whether there was one.
    fn delete_totp(&mut self, account: AccountId) -> impl Future<Output = Result<bool>> + Send;
    /// Replaces every recovery code of the account with these digests.
    fn replace_recovery_codes(
        &mut self,
        account: AccountId,
        digests: &[String],
        at: Timestamp,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Spends the unused recovery code of this digest: whether there was one.
    fn spend_recovery_code(
        &mut self,
        account: AccountId,
        digest: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Deletes the account's recovery codes: how many were unused.
    fn delete_recovery_codes(&mut self, account: AccountId) -> impl Future<Output = Result<u64>> + Send;
    /// Adds a security key; a credential id already registered answers a conflict
    /// (`unique_violation`).
    fn insert_security_key(&mut self, key: &SecurityKey) -> impl Future<Output = Result<()>> + Send;
    /// Records a use of the key with the counter the authenticator reported and the
    /// credential as updated: `false` (nothing changed) when the counter is not above the one
    /// stored, unless both are 0 (an authenticator that keeps no counter).
    fn spend_security_key_counter(
        &mut self,
        id: uuid::Uuid,
        counter: i64,
        passkey: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Removes one of the account's keys: whether it was there.
    fn delete_security_key(&mut self, account: AccountId, id: uuid::Uuid) -> impl Future<Output = Result<bool>> + Send;
    /// Removes every key of the account: how many there were.
    fn delete_security_keys(&mut self, account: AccountId) -> impl Future<Output = Result<u64>> + Send;
    /// Keeps an account's ceremony in place of any earlier one of the account and purpose.
    fn replace_ceremony(&mut self, ceremony: &Ceremony) -> impl Future<Output = Result<()>> + Send;
    /// Marks a passkey sign-in's ceremony (carried by its token, not stored) as used by the
    /// account until `until`: `false` when it was used already.
    fn spend_ceremony(
        &mut self,
        digest: &str,
        account: AccountId,
        until: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Takes (deletes and returns) the unexpired ceremony of this digest.
    fn take_ceremony(&mut self, digest: &str, now: Timestamp) -> impl Future<Output = Result<Option<Ceremony>>> + Send;
    fn insert_pending_signin(&mut self, pending: &PendingSignIn) -> impl Future<Output = Result<()>> + Send;
    /// Takes (deletes and returns) the unexpired pending sign-in of this digest: of two
    /// second steps at once, one completes the sign-in.
    fn take_pending_signin(
        &mut self,
        digest: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<PendingSignIn>>> + Send;
    /// Counts one attempt at the second step of the pending sign-in (before it is checked) and
    /// answers the attempts so far (`None`: it is gone).
    fn count_pending_attempt(&mut self, digest: &str) -> impl Future<Output = Result<Option<i64>>> + Send;
    /// Ends every pending sign-in of the account (its methods were reset).
    fn delete_pending_signins_of(&mut self, account: AccountId) -> impl Future<Output = Result<u64>> + Send;
    /// Stores the digest of a code just mailed for the pending sign-in.
    fn set_pending_email_code(
        &mut self,
        digest: &str,
        code_digest: &str,
        expires_at: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Deletes expired ceremonies and pending sign-ins, and enrolments never confirmed since
    /// `stale_before`: how many rows.
    fn prune_two_step(&mut self, now: Timestamp, stale_before: Timestamp) -> impl Future<Output = Result<u64>> + Send;
}
