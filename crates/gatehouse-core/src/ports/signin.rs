//! Signing in: credentials, sessions, attempt throttles, password resets and the server's own
//! keys.

use crate::Timestamp;
use crate::audit::RequestMeta;
use crate::auth::PasswordFacts;
use crate::error::Result;
use crate::ids::{AccountId, SessionId};
use crate::model::{Account, Session};
use std::future::Future;

/// Sign-in queries.
pub trait SigninReads {
    /// An account and its password hash (if it has one), by normalized email.
    fn find_credentials(&mut self, email: &str) -> impl Future<Output = Result<Option<Credentials>>> + Send;
    fn find_session(&mut self, digest: &str) -> impl Future<Output = Result<Option<Session>>> + Send;
    /// The account's sessions still usable: not past their end at `now` and used after
    /// `idle_since`; the oldest first.
    fn list_live_sessions(
        &mut self,
        account: AccountId,
        now: Timestamp,
        idle_since: Timestamp,
    ) -> impl Future<Output = Result<Vec<Session>>> + Send;
    /// When the throttle `key` stops being locked (0 when it is not locked, or not there).
    fn throttle_locked_until(&mut self, key: &str) -> impl Future<Output = Result<i64>> + Send;
    /// The account and password generation a reset link names, if the link is unused,
    /// unexpired and was issued for the account's current password. Nothing is changed.
    fn find_password_reset(
        &mut self,
        digest: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<ResetTicket>>> + Send;
}

/// Session changes, only inside a transaction.
pub trait SigninTx {
    fn insert_session(
        &mut self,
        digest: &str,
        session: &Session,
        meta: &RequestMeta,
    ) -> impl Future<Output = Result<()>> + Send;
    fn touch_session(&mut self, digest: &str, at: Timestamp) -> impl Future<Output = Result<()>> + Send;
    fn delete_session(&mut self, digest: &str) -> impl Future<Output = Result<bool>> + Send;
    /// Ends every session of the account (after a password change or deactivation, or when
    /// the person or their managing organization ends them all) and says how many there were.
    fn delete_sessions_of(&mut self, account: AccountId) -> impl Future<Output = Result<u64>> + Send;
    /// Ends every session of the account but the one of digest `keep` (the address changed
    /// from that session: whoever else was signed in is signed out).
    fn delete_other_sessions(&mut self, account: AccountId, keep: &str) -> impl Future<Output = Result<u64>> + Send;
    /// Ends the account's session `id`, if it is the account's: whether there was one. One
    /// conditional statement, so of two revocations at once only one finds it.
    fn delete_session_of(&mut self, account: AccountId, id: SessionId) -> impl Future<Output = Result<bool>> + Send;
}

/// Attempt counters (sign-in, reset requests, reset posts), only inside a transaction. Each
/// key counts attempts until it has been quiet (no attempt, no lock) for a window.
pub trait ThrottleTx {
    /// Counts one attempt against `key`, unless the key is locked at `now`; a count whose
    /// `forget_at` has passed starts again from this attempt. Sets the key's `forget_at` to
    /// `forget_at`. Answers the attempts counted, or `None` (nothing changed) while locked.
    /// One conditional statement: concurrent attempts are counted one after another.
    fn count_attempt(
        &mut self,
        key: &str,
        now: Timestamp,
        forget_at: Timestamp,
    ) -> impl Future<Output = Result<Option<i64>>> + Send;
    /// Locks `key` until `until`; it is forgotten at `forget_at` (after the lock).
    fn lock_attempts(
        &mut self,
        key: &str,
        until: Timestamp,
        forget_at: Timestamp,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Takes back one counted attempt (it succeeded, or was never tried), lifting the key's
    /// lock once fewer than `limit` attempts remain.
    fn refund_attempt(&mut self, key: &str, limit: i64) -> impl Future<Output = Result<()>> + Send;
    /// Forgets `key` entirely.
    fn clear_attempts(&mut self, key: &str) -> impl Future<Output = Result<()>> + Send;
}

/// Passwords and the reset links that set them, only inside a transaction.
pub trait PasswordTx {
    /// Stores a reset link bound to the account's current password generation.
    fn insert_password_reset(
        &mut self,
        digest: &str,
        account: AccountId,
        at: Timestamp,
        expires_at: Timestamp,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Marks the link used if [`SigninReads::find_password_reset`] would find it, and returns
    /// what it names; `None` otherwise. One conditional statement, so a link works once even
    /// when clicked twice at the same moment.
    fn take_password_reset(
        &mut self,
        digest: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<ResetTicket>>> + Send;
    /// Sets the account's password hash and the facts measured of the new password, and moves
    /// its password generation on, if the generation is still `generation` (otherwise another
    /// change won: `false`, nothing done). Every older reset link stops working.
    fn replace_password(
        &mut self,
        account: AccountId,
        hash: &str,
        facts: &PasswordFacts,
        generation: i64,
    ) -> impl Future<Output = Result<bool>> + Send;
}

/// Sign-in housekeeping, only inside a transaction.
pub trait SigninUpkeepTx {
    /// Deletes what can no longer be used at `now`: sessions past their end or unused since
    /// `idle_since`, reset links expired, used or issued for an older password, and throttle
    /// keys neither locked nor remembered any more.
    fn prune_signin(
        &mut self,
        now: Timestamp,
        idle_since: Timestamp,
    ) -> impl Future<Output = Result<SigninPruned>> + Send;
    /// The server key named `name`, stored as `candidate` if there is none yet (several nodes
    /// starting at once agree on the first one stored).
    fn ensure_server_key(
        &mut self,
        name: &str,
        candidate: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<String>> + Send;
}

/// An account and its password hash (`None`: it has no password yet).
#[derive(Debug, Clone)]
pub struct Credentials {
    pub account: Account,
    pub password_hash: Option<String>,
    /// Moves on at every password change (see [`PasswordTx::replace_password`]).
    pub password_generation: i64,
}

/// What a usable reset link names: the account, and the password generation it was issued for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResetTicket {
    pub account: AccountId,
    pub generation: i64,
}

/// What one housekeeping pass deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SigninPruned {
    pub sessions: u64,
    pub resets: u64,
    pub throttles: u64,
}
