//! The [`Services`] façade: every capability of the domain behind one value.

use super::access::AccessGrants;
use super::accounts::Accounts;
use super::admins::{Admins, InvitationMail};
use super::api_keys::ApiKeys;
use super::api_tokens::ApiTokens;
use super::audit::Audit;
use super::clients::Clients;
use super::directories::Directories;
use super::domains::{Domains, NoDomainChecks};
use super::groups::Groups;
use super::instances::Instances;
use super::leases::Leases;
use super::orgs::Orgs;
use super::provider::{Provider, ProviderPolicy};
use super::provisioning::Provisioning;
use super::sessions::Sessions;
use super::subscriptions::Subscriptions;
use crate::auth::SignInPolicy;
use crate::ports::{Clock, Mail, Mailer, Store};
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
    /// Sessions, as their person and the organization that manages the account see them.
    pub sessions: Sessions<S>,
    /// Product clients (OpenID Connect) an organization registers.
    pub clients: Clients<S>,
    /// The OpenID Connect provider's domain: codes, grants, refresh tokens, product sessions.
    pub provider: Provider<S>,
    /// The organization's identity providers (SSO), as its admins configure them.
    pub idps: super::sso::IdentityProviders<S>,
    /// Sign-ins through identity providers.
    pub sso: super::sso::SsoSignIns<S>,
    /// Authentication policies and their members.
    pub policies: super::policies::Policies<S>,
    /// Who the organization pays for, and why.
    pub billing: super::billing::Billing<S>,
    /// Subscriptions (trial, cycles, cancellation), the operator's plan and free status, and
    /// enforcement paused for want of a subscription.
    pub subscriptions: Subscriptions<S>,
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
            sessions: self.sessions.clone(),
            clients: self.clients.clone(),
            provider: self.provider.clone(),
            idps: self.idps.clone(),
            sso: self.sso.clone(),
            policies: self.policies.clone(),
            billing: self.billing.clone(),
            subscriptions: self.subscriptions.clone(),
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
        let client_cache = Arc::new(super::provider::ClientCache::default());
        Self {
            orgs: Orgs::new(store.clone(), Arc::clone(&clock)),
            accounts: Accounts::new(store.clone(), Arc::clone(&clock)),
            api_tokens: ApiTokens::new(store.clone(), Arc::clone(&clock)),
            admins: Admins::new(
                store.clone(),
                Arc::clone(&clock),
                InvitationMail {
                    mailer: Arc::new(NoMail),
                    public_url: String::new(),
                },
            ),
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
            sessions: Sessions::new(store.clone(), Arc::clone(&clock), SignInPolicy::default().idle_secs),
            clients: Clients::new(store.clone(), Arc::clone(&clock), Arc::clone(&client_cache)),
            provider: Provider::new(
                store.clone(),
                Arc::clone(&clock),
                ProviderPolicy::default(),
                client_cache,
            ),
            idps: super::sso::IdentityProviders::new(store.clone(), Arc::clone(&clock)),
            sso: super::sso::SsoSignIns::new(store.clone(), Arc::clone(&clock)),
            policies: super::policies::Policies::new(store.clone(), Arc::clone(&clock)),
            billing: super::billing::Billing::new(store.clone(), Arc::clone(&clock)),
            subscriptions: Subscriptions::new(store.clone(), Arc::clone(&clock)),
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

    /// Sends admin invitations through `mailer`, pointing people at `{public_url}/account`.
    /// Without it, inviting fails after the invitation is stored: nothing is sent silently.
    #[must_use]
    pub fn with_mail(mut self, mailer: Arc<dyn Mailer>, public_url: String) -> Self {
        let mail = InvitationMail { mailer, public_url };
        self.admins = Admins::new(self.store.clone(), Arc::clone(&self.clock), mail);
        self
    }

    /// Lists sessions by the sign-in policy in force (an idle session has ended), and
    /// enforces organizations' policies as it says (always, or while subscribed).
    #[must_use]
    pub fn with_sign_in_policy(mut self, policy: &SignInPolicy) -> Self {
        self.sessions = Sessions::new(self.store.clone(), Arc::clone(&self.clock), policy.idle_secs);
        self.policies = self.policies.with_enforcement(policy.enforcement);
        self.subscriptions = self.subscriptions.with_enforcement(policy.enforcement);
        self
    }

    /// Issues codes and tokens with these lifetimes.
    #[must_use]
    pub fn with_provider_policy(mut self, policy: ProviderPolicy) -> Self {
        self.provider = self.provider.with_policy(policy);
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

/// The mail port of services built without one ([`Services::with_mail`] gives the real one):
/// refuses to send, so a missing configuration shows instead of losing mail.
struct NoMail;

impl Mailer for NoMail {
    fn send(&self, _: Mail) -> crate::ports::BoxFuture<'_, crate::Result<()>> {
        Box::pin(async { Err(crate::CoreError::internal("no mailer is configured for these services")) })
    }
}
