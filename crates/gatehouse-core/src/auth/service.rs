//! The authentication service: its ports, its rules and the dummy hash.

use super::form_key::FormKey;
use crate::error::{CoreError, Result};
use crate::ports::{Clock, Mailer, PasswordHasher, Store};
use std::sync::Arc;

/// Session and lockout rules.
#[derive(Debug, Clone)]
pub struct SignInPolicy {
    /// A session unused for this long ends.
    pub idle_secs: i64,
    /// A session ends this long after sign-in, however active.
    pub absolute_secs: i64,
    /// Attempts for one email address from one client address before that pair locks (and
    /// reset requests for one address, from anywhere).
    pub attempts: i64,
    /// Attempts for one email address from every client address together before it locks
    /// everywhere: the ceiling of guessing spread over many addresses.
    pub email_ceiling: i64,
    /// Attempts from one client address, whatever the email address, before it locks: high
    /// enough for an office behind one NAT.
    pub ip_ceiling: i64,
    /// A key with no attempt and no lock for this long is forgotten.
    pub window_secs: i64,
    /// How long a password reset link works.
    pub reset_secs: i64,
    /// Every password sign-in takes a second step; an account with no method of its own gets
    /// a code by mail.
    pub require_second_step: bool,
    /// Whether organizations' policies are enforced always or only while they have an
    /// active trial or subscription (the operator's `--require-subscription`).
    pub enforcement: crate::policy::Enforcement,
}

impl Default for SignInPolicy {
    fn default() -> Self {
        Self {
            idle_secs: 30 * 60,
            absolute_secs: 12 * 3600,
            attempts: 5,
            email_ceiling: 50,
            ip_ceiling: 100,
            window_secs: 15 * 60,
            reset_secs: 3600,
            require_second_step: false,
            enforcement: crate::policy::Enforcement::Always,
        }
    }
}

/// Sign-in, sessions and password resets.
pub struct Auth<S: Store> {
    pub(super) store: S,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) hasher: Arc<dyn PasswordHasher>,
    pub(super) mailer: Arc<dyn Mailer>,
    pub(super) policy: SignInPolicy,
    pub(super) public_url: String,
    /// Verified against when the email is unknown, so both paths cost one hash.
    pub(super) dummy_hash: String,
    /// The key of pre-session form tokens, shared through the database by every node.
    pub(super) form_key: Arc<FormKey>,
    /// The operator's own list of common passwords (lower case), beside the bundled one.
    pub(super) common_extra: Arc<std::collections::HashSet<String>>,
}

impl<S: Store> Clone for Auth<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            clock: self.clock.clone(),
            hasher: self.hasher.clone(),
            mailer: self.mailer.clone(),
            policy: self.policy.clone(),
            public_url: self.public_url.clone(),
            dummy_hash: self.dummy_hash.clone(),
            form_key: self.form_key.clone(),
            common_extra: self.common_extra.clone(),
        }
    }
}

impl<S: Store> Auth<S> {
    /// The service over its ports. Hashes a random password once, for the dummy-hash path,
    /// and reads (or, on the first start, stores) the key of pre-session form tokens.
    pub async fn new(
        store: S,
        clock: Arc<dyn Clock>,
        hasher: Arc<dyn PasswordHasher>,
        mailer: Arc<dyn Mailer>,
        policy: SignInPolicy,
        public_url: String,
    ) -> Result<Self> {
        let mut salt_source = [0u8; 16];
        getrandom::fill(&mut salt_source).map_err(CoreError::internal)?;
        let dummy_hash = hasher.hash(hex::encode(salt_source)).await?;
        let form_key = Arc::new(FormKey::load(&store, clock.now()).await?);
        Ok(Self {
            store,
            clock,
            hasher,
            mailer,
            policy,
            public_url,
            dummy_hash,
            form_key,
            common_extra: Arc::default(),
        })
    }

    /// Adds the operator's list of common passwords (any case; compared in lower case) to the
    /// bundled one: a policy that refuses common passwords refuses these too.
    #[must_use]
    pub fn with_common_passwords(mut self, list: impl IntoIterator<Item = String>) -> Self {
        self.common_extra = Arc::new(list.into_iter().map(|p| p.trim().to_lowercase()).collect());
        self
    }

    /// The session and lockout rules in force.
    pub fn policy(&self) -> &SignInPolicy {
        &self.policy
    }
}

/// The one answer to every failed sign-in, whatever failed.
pub(super) fn invalid() -> CoreError {
    CoreError::Unauthenticated {
        code: "invalid_credentials",
        message: "Incorrect email or password.".into(),
    }
}
