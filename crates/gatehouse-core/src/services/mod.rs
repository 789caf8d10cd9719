//! Services: the operations of the domain. Each state change is one transaction that writes
//! the change and its audit event together.

mod access;
mod accounts;
mod admins;
mod api_keys;
mod api_tokens;
mod audit;
mod billing;
mod capability;
mod clients;
mod directories;
mod domains;
mod facade;
mod groups;
mod instances;
mod leases;
pub mod management;
mod orgs;
pub mod policies;
pub mod provider;
mod provisioning;
pub(crate) mod sessions;
pub mod sso;
mod subscriptions;

pub use access::{AccessGrants, GrantAccess, GrantTarget};
pub use accounts::{AccountDetail, AccountPatch, Accounts, DELETION_GRACE_SECS, NewAccount, Removal, cut_off};
pub use admins::invitations::INVITATION_SECS;
pub use admins::{AdminGrant, Admins};
pub use api_keys::{ApiKeys, CreatedApiKey, NewApiKey};
pub use api_tokens::ApiTokens;
pub use audit::Audit;
pub use audit::retention::PRUNE_BATCH;
pub use billing::{BilledFilter, Billing, BillingCounts};
pub use clients::{CLIENT_SECRET_KIND, Clients, IssuedClient};
pub use directories::{DEFAULT_DEACTIVATION_LIMIT, DEFAULT_OVERLAP_SECS, DirectoryCaller, IssuedToken};
pub use domains::{DomainDetail, Domains, NoDomainChecks, Verification};
pub use facade::{DEFAULT_TOKEN_CACHE, Services};
pub use groups::{GroupPatch, Groups, NewGroup};
pub use instances::{InstancePatch, Instances, NewInstance};
pub use leases::Leases;
pub use orgs::{Bootstrapped, OrgPatch, Orgs};
pub use provisioning::rules::{apply_to_account, deprovision, manages, refuse_foreign_domain};
pub use provisioning::{
    ExpectedVersion, GroupResource, GroupWrite, MemberChange, Provisioning, QueuedCreate, Release, Valve, Written,
};
pub use sessions::Sessions;
pub use subscriptions::{EnforcementPass, SubscriptionView, Subscriptions};
