//! Signing in: credentials, sessions, failure throttles and password resets.

use crate::Timestamp;
use crate::audit::RequestMeta;
use crate::error::Result;
use crate::ids::AccountId;
use crate::model::{Account, Session};
use std::future::Future;

/// Sign-in queries.
pub trait SigninReads {
    /// An account and its password hash (if it has one), by normalized email.
    fn find_credentials(&mut self, email: &str) -> impl Future<Output = Result<Option<Credentials>>> + Send;
    fn find_session(&mut self, digest: &str) -> impl Future<Output = Result<Option<Session>>> + Send;
    /// The latest lock end among these throttle keys (0 when none is locked).
    fn throttle_locked_until(&mut self, keys: &[String]) -> impl Future<Output = Result<i64>> + Send;
}

/// Sign-in changes, only inside a transaction.
pub trait SigninTx {
    fn set_password_hash(&mut self, account: AccountId, hash: &str) -> impl Future<Output = Result<()>> + Send;
    fn insert_session(
        &mut self,
        digest: &str,
        session: &Session,
        meta: &RequestMeta,
    ) -> impl Future<Output = Result<()>> + Send;
    fn touch_session(&mut self, digest: &str, at: Timestamp) -> impl Future<Output = Result<()>> + Send;
    fn delete_session(&mut self, digest: &str) -> impl Future<Output = Result<bool>> + Send;
    /// Ends every session of the account (after a password change or deactivation).
    fn delete_sessions_of(&mut self, account: AccountId) -> impl Future<Output = Result<()>> + Send;
    /// Counts a failed sign-in for `key`, restarting the count when the window began before
    /// `window_start`; returns the failures in the current window. One atomic statement.
    fn record_throttle_failure(
        &mut self,
        key: &str,
        now: Timestamp,
        window_start: Timestamp,
    ) -> impl Future<Output = Result<i64>> + Send;
    fn lock_throttle(&mut self, key: &str, until: Timestamp) -> impl Future<Output = Result<()>> + Send;
    fn clear_throttle(&mut self, key: &str) -> impl Future<Output = Result<()>> + Send;
    fn insert_password_reset(
        &mut self,
        digest: &str,
        account: AccountId,
        at: Timestamp,
        expires_at: Timestamp,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Marks an unused, unexpired reset token used and returns its account; `None` otherwise.
    /// One atomic statement, so a link works once even when clicked twice at the same moment.
    fn take_password_reset(
        &mut self,
        digest: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<AccountId>>> + Send;
}

/// An account and its password hash (`None`: it has no password yet).
#[derive(Debug, Clone)]
pub struct Credentials {
    pub account: Account,
    pub password_hash: Option<String>,
}
