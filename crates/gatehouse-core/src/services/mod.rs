//! Services: the operations of the domain. Each state change is one transaction that writes
//! the change and its audit event together.

mod access;
mod accounts;
mod admins;
mod api_keys;
mod audit;
mod directories;
mod domains;
mod groups;
mod instances;
mod orgs;
mod provisioning;

pub use access::{GrantAccess, GrantTarget};
pub use accounts::{AccountDetail, AccountPatch, DELETION_GRACE_SECS, NewAccount, Removal, cut_off};
pub use api_keys::{CreatedApiKey, NewApiKey};
pub use directories::{DEFAULT_DEACTIVATION_LIMIT, DEFAULT_OVERLAP_SECS, DirectoryCaller, IssuedToken};
pub use domains::{DomainDetail, DomainService, Verification};
pub use groups::{GroupPatch, NewGroup};
pub use instances::{InstancePatch, NewInstance};
pub use orgs::{Bootstrapped, OrgPatch};
pub use provisioning::rules::{apply_to_account, check_manager, deprovision, refuse_foreign_domain};
pub use provisioning::{
    ExpectedVersion, GroupResource, GroupWrite, MemberChange, Provisioning, QueuedCreate, Release, Valve, Written,
};

use crate::ports::{Clock, Store};
use std::sync::Arc;

/// The domain's entry point: holds the store and the clock.
pub struct Services<S: Store> {
    pub store: S,
    pub clock: Arc<dyn Clock>,
    /// Directory tokens found recently (SCIM authentication), shared by every clone.
    verified_tokens: Arc<directories::VerifiedTokens>,
}

impl<S: Store> Clone for Services<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            clock: Arc::clone(&self.clock),
            verified_tokens: Arc::clone(&self.verified_tokens),
        }
    }
}

/// How long a verified directory token is trusted without reading it again: the longest a
/// revocation made on another node of a cluster takes to reach this one.
pub const DEFAULT_TOKEN_CACHE: std::time::Duration = std::time::Duration::from_secs(5);

impl<S: Store> Services<S> {
    pub fn new(store: S, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            verified_tokens: Arc::new(directories::VerifiedTokens::new(DEFAULT_TOKEN_CACHE)),
        }
    }

    /// Provisioning: what directories (and anything else that provisions accounts) may do.
    pub fn provisioning(&self) -> Provisioning<S> {
        Provisioning::new(self.store.clone(), Arc::clone(&self.clock))
    }

    /// Forgets every verified directory token: a directory or token changed, on this node or
    /// (as announced through the database) on another.
    pub fn forget_verified_tokens(&self) {
        self.verified_tokens.clear();
    }

    /// Whether this node hears of directory changes made on other nodes. Where it cannot (a
    /// cluster's notification channel is down), verified tokens are not kept at all, so a
    /// revocation elsewhere takes effect at once whatever happens to the channel.
    pub fn set_token_cache_live(&self, live: bool) {
        self.verified_tokens.set_live(live);
    }

    /// Whether verified directory tokens may be kept now (see `set_token_cache_live`).
    pub fn token_cache_is_live(&self) -> bool {
        self.verified_tokens.is_live()
    }

    /// Keeps verified directory tokens for `keep` (zero: reads every token from the database).
    #[must_use]
    pub fn with_token_cache(mut self, keep: std::time::Duration) -> Self {
        self.verified_tokens = Arc::new(directories::VerifiedTokens::new(keep));
        self
    }
}

/// Turns the store's generic uniqueness conflict into the service's specific one.
fn name_conflict(
    code: &'static str,
    field: &'static str,
    message: &str,
) -> impl Fn(crate::CoreError) -> crate::CoreError {
    let message = message.to_owned();
    move |e| match e {
        crate::CoreError::Conflict {
            code: "unique_violation",
            ..
        } => crate::CoreError::conflict(code, Some(field), message.clone()),
        other => other,
    }
}
