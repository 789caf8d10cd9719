//! The [`Services`] façade: every capability of the domain behind one value.

use super::access::AccessGrants;
use super::accounts::Accounts;
use super::admins::Admins;
use super::api_keys::ApiKeys;
use super::api_tokens::ApiTokens;
use super::audit::Audit;
use super::directories::Directories;
use super::domains::{Domains, NoDomainChecks};
use super::groups::Groups;
use super::instances::Instances;
use super::leases::Leases;
use super::orgs::Orgs;
use super::provisioning::Provisioning;
use crate::ports::{Clock, Store};
use std::sync::Arc;

/// The domain's entry point: one field per capability, each with the same verbs
/// (`create`, `get`, `list`, `update`, `delete`, and named actions where a capability has them).
pub struct Services<S: Store> {
    pub orgs: Orgs<S>,
    pub accounts: Accounts<S>,
    pub api_tokens: ApiTokens<S>,
    pub admins: Admins<S>,
    pub api_keys: ApiKeys<S>,
    pub audit: Audit<S>,
    pub groups: Groups<S>,
    pub instances: Instances<S>,
    pub access: AccessGrants<S>,
    pub domains: Domains<S>,
    /// Provisioning: what directories (and anything else that provisions accounts) may do.
    pub provisioning: Provisioning<S>,
    pub directories: Directories<S>,
    pub leases: Leases<S>,
    store: S,
    clock: Arc<dyn Clock>,
}

impl<S: Store> Clone for Services<S> {
    fn clone(&self) -> Self {
        Self {
            orgs: self.orgs.clone(),
            accounts: self.accounts.clone(),
            api_tokens: self.api_tokens.clone(),
            admins: self.admins.clone(),
            api_keys: self.api_keys.clone(),
            audit: self.audit.clone(),
            groups: self.groups.clone(),
            instances: self.instances.clone(),
            access: self.access.clone(),
            domains: self.domains.clone(),
            provisioning: self.provisioning.clone(),
            directories: self.directories.clone(),
            leases: self.leases.clone(),
            store: self.store.clone(),
            clock: Arc::clone(&self.clock),
        }
    }
}

/// How long a verified directory token is trusted without reading it again: the longest a
/// revocation made on another node of a cluster takes to reach this one.
pub const DEFAULT_TOKEN_CACHE: std::time::Duration = std::time::Duration::from_secs(5);

impl<S: Store> Services<S> {
    pub fn new(store: S, clock: Arc<dyn Clock>) -> Self {
        Self {
            orgs: Orgs::new(store.clone(), Arc::clone(&clock)),
            accounts: Accounts::new(store.clone(), Arc::clone(&clock)),
            api_tokens: ApiTokens::new(store.clone(), Arc::clone(&clock)),
            admins: Admins::new(store.clone(), Arc::clone(&clock)),
            api_keys: ApiKeys::new(store.clone(), Arc::clone(&clock)),
            audit: Audit::new(store.clone(), Arc::clone(&clock)),
            groups: Groups::new(store.clone(), Arc::clone(&clock)),
            instances: Instances::new(store.clone(), Arc::clone(&clock)),
            access: AccessGrants::new(store.clone(), Arc::clone(&clock)),
            domains: Domains::new(
                store.clone(),
                Arc::clone(&clock),
                Arc::new(NoDomainChecks),
                crate::domain::DomainPolicy::default(),
            ),
            provisioning: Provisioning::new(store.clone(), Arc::clone(&clock)),
            directories: Directories::new(store.clone(), Arc::clone(&clock), DEFAULT_TOKEN_CACHE),
            leases: Leases::new(store.clone(), Arc::clone(&clock)),
            store,
            clock,
        }
    }

    /// Verifies domains with this prover and these timings (DNS and HTTPS on a server).
    #[must_use]
    pub fn with_domain_checks(
        mut self,
        prover: Arc<dyn crate::domain::DomainProver>,
        policy: crate::domain::DomainPolicy,
    ) -> Self {
        self.domains = Domains::new(self.store.clone(), Arc::clone(&self.clock), prover, policy);
        self
    }

    /// Whether the database answers and its schema is current (the readiness probe).
    pub async fn is_ready(&self) -> bool {
        self.store.is_ready().await
    }

    /// Subscribes to the directory changes other nodes announce (`None`: one node, nothing to
    /// hear).
    pub async fn listen_directory_changes(&self) -> crate::Result<Option<S::DirectoryChanges>> {
        self.store.listen_directory_changes().await
    }

    /// Now, by the domain's clock.
    pub fn now(&self) -> crate::Timestamp {
        self.clock.now()
    }

    /// Keeps verified directory tokens for `keep` (zero: reads every token from the database).
    #[must_use]
    pub fn with_token_cache(mut self, keep: std::time::Duration) -> Self {
        self.directories = Directories::new(self.store.clone(), Arc::clone(&self.clock), keep);
        self
    }
}
