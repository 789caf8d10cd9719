//! Ports: what the domain needs from the outside world (storage, time, hashing, mail).
//!
//! Storage is split by capability (organizations, accounts, access, keys, audit, domains,
//! directories, sign-in, emailed links, jobs, admin invitations, subscriptions), each in two: `XxxReads`, available on a plain connection and
//! inside a transaction, and `XxxTx`, only inside a transaction. The two stand alone (a
//! `XxxTx` does not require its `XxxReads`), so a function bounds on exactly the traits it
//! uses and a test can hand it a small fake implementing only those. [`Reads`] and [`Writes`] join
//! them all (lldap's `BackendHandler` is the model). A service that changes state opens one
//! transaction, reads the "before", writes the change and its audit event, and commits.
//! Dropping a transaction without committing rolls it back.

mod access;
mod accounts;
mod audit;
mod billing;
mod directory;
mod domains;
mod email_links;
mod invitations;
mod jobs;
mod keys;
mod oauth;
mod orgs;
mod policies;
mod signin;
mod sso;
mod subscriptions;
mod two_step;

pub use crate::notices::NoticeReads;
pub use access::{AccessReads, AccessTx, AdminReads, AdminTx, GroupReads, GroupTx, InstanceReads, InstanceTx};
pub use accounts::{AccountOrg, AccountReads, AccountTx, DueDeletion, ManagedVia, OrgLink};
pub use audit::{AuditReads, AuditRetentionTx, AuditTx, PrunedBatch, PrunedEvents};
pub use billing::{BillingReads, BillingTx};
pub use directory::{
    DirectoryReads, DirectoryTokenMatch, DirectoryTx, NewProvisionedUser, ProvisionedUsers, ScimGroupMember,
    ScimGroupRef, ScimListQuery, ScimPage, ScimUserAccount, UsersWithGroups,
};
pub use domains::{DomainReads, DomainTx};
pub use email_links::{EmailLink, EmailLinkReads, EmailLinkTx, LinkPurpose};
pub use invitations::{InvitationReads, InvitationTx};
pub use jobs::JobTx;
pub use keys::{KeyReads, KeyTx};
pub use oauth::{GrantEndTx, OAuthReads, OAuthTx};
pub use orgs::{OrgReads, OrgTallies, OrgTx};
pub use policies::{PolicyMember, PolicyReads, PolicyTx};
pub use signin::{
    Credentials, PasswordTx, ResetTicket, SigninPruned, SigninReads, SigninTx, SigninUpkeepTx, ThrottleTx,
};
pub use sso::{SsoReads, SsoTx};
pub use subscriptions::{SubscriptionReads, SubscriptionTx};
pub use two_step::{TwoStepReads, TwoStepTx};

pub use crate::future::BoxFuture;

use crate::Timestamp;
use crate::error::Result;
use crate::ids::AccountId;
use std::future::Future;

/// Every storage trait, for callers that name a concrete store type (`use ports::prelude::*`).
pub mod prelude {
    pub use super::{
        AccessReads, AccessTx, AccountReads, AccountTx, AdminReads, AdminTx, AuditReads, AuditRetentionTx, AuditTx,
        BillingReads, BillingTx, ChangeFeed, Commit, DirectoryReads, DirectoryTx, DomainReads, DomainTx, GroupReads,
        GroupTx, InstanceReads, InstanceTx, InvitationReads, InvitationTx, JobTx, KeyReads, KeyTx, NoticeReads,
        OrgReads, OrgTx, Reads, SigninReads, SigninTx, Store, Writes,
    };
    pub use super::{
        EmailLinkReads, EmailLinkTx, GrantEndTx, OAuthReads, OAuthTx, PasswordTx, PolicyReads, PolicyTx,
        SigninUpkeepTx, SsoReads, SsoTx, SubscriptionReads, SubscriptionTx, ThrottleTx, TwoStepReads, TwoStepTx,
    };
}

/// The source of "now". Tests use a clock they control, so nothing sleeps to wait for expiry.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A storage backend.
pub trait Store: Clone + Send + Sync + 'static {
    type Reader: Reads + Send;
    type Tx: Reads + Writes + Send;
    /// A subscription to the directory changes other nodes announce.
    type DirectoryChanges: ChangeFeed + Send;

    /// Whether the database answers and its schema is current (the readiness probe).
    fn is_ready(&self) -> impl Future<Output = bool> + Send;
    /// Subscribes to the announcements other nodes sharing this database make when a directory
    /// or its tokens change (see `DirectoryTx::announce_directory_change`); `None` where the
    /// database serves one node, so there is nothing to hear.
    fn listen_directory_changes(&self) -> impl Future<Output = Result<Option<Self::DirectoryChanges>>> + Send;

    /// A connection for reads outside any transaction.
    fn reader(&self) -> impl Future<Output = Result<Self::Reader>> + Send;
    /// Starts a transaction.
    fn begin(&self) -> impl Future<Output = Result<Self::Tx>> + Send;
    /// Writes newly provisioned users, each with a new account, in one atomic step: the
    /// accounts, their links, the SCIM users with their indexed values, and one audit event
    /// per user. A user is left out (nothing of it is written) when its email has an account
    /// already, or when its email domain's verification is no longer what its link was
    /// decided on: verified by its organization for a managed link, by no organization for
    /// any other. The answer names the accounts written. A taken userName or externalId fails
    /// it all and writes nothing.
    fn insert_provisioned_users(
        &self,
        p: &ProvisionedUsers<'_>,
    ) -> impl Future<Output = Result<std::collections::HashSet<AccountId>>> + Send;
}

/// Announcements, one at a time.
pub trait ChangeFeed {
    /// Waits for the next announcement. An error means the subscription was lost, and with it
    /// perhaps announcements: start a new one.
    fn next(&mut self) -> impl Future<Output = Result<()>> + Send;
}

/// Every query. Every query about an organization's data is scoped by its id: rows of another
/// organization are simply not found.
pub trait Reads:
    OrgReads
    + AccountReads
    + InstanceReads
    + GroupReads
    + AccessReads
    + AdminReads
    + KeyReads
    + AuditReads
    + DomainReads
    + DirectoryReads
    + SigninReads
    + NoticeReads
    + InvitationReads
    + EmailLinkReads
    + OAuthReads
    + SsoReads
    + TwoStepReads
    + PolicyReads
    + BillingReads
    + SubscriptionReads
{
}

impl<T> Reads for T where
    T: OrgReads
        + AccountReads
        + InstanceReads
        + GroupReads
        + AccessReads
        + AdminReads
        + KeyReads
        + AuditReads
        + DomainReads
        + DirectoryReads
        + SigninReads
        + NoticeReads
        + InvitationReads
        + EmailLinkReads
        + OAuthReads
        + SsoReads
        + TwoStepReads
        + PolicyReads
        + BillingReads
        + SubscriptionReads
{
}

/// Ending a transaction by keeping its changes.
pub trait Commit {
    fn commit(self) -> impl Future<Output = Result<()>> + Send;
}

/// Every change, only inside a transaction. Inserts that may collide with a uniqueness rule say
/// whether they inserted (`false`: the row existed); an update that breaks one returns
/// [`crate::CoreError::Conflict`] with code `unique_violation` for the service to name.
pub trait Writes:
    Commit
    + OrgTx
    + AccountTx
    + InstanceTx
    + GroupTx
    + AccessTx
    + AdminTx
    + KeyTx
    + AuditTx
    + AuditRetentionTx
    + DomainTx
    + DirectoryTx
    + SigninTx
    + ThrottleTx
    + PasswordTx
    + SigninUpkeepTx
    + JobTx
    + InvitationTx
    + EmailLinkTx
    + OAuthTx
    + GrantEndTx
    + SsoTx
    + TwoStepTx
    + BillingTx
    + PolicyTx
    + SubscriptionTx
{
}

impl<T> Writes for T where
    T: Commit
        + OrgTx
        + AccountTx
        + InstanceTx
        + GroupTx
        + AccessTx
        + AdminTx
        + KeyTx
        + AuditTx
        + AuditRetentionTx
        + DomainTx
        + DirectoryTx
        + SigninTx
        + ThrottleTx
        + PasswordTx
        + SigninUpkeepTx
        + JobTx
        + InvitationTx
        + EmailLinkTx
        + OAuthTx
        + GrantEndTx
        + SsoTx
        + TwoStepTx
        + BillingTx
        + PolicyTx
        + SubscriptionTx
{
}

/// Password hashing. Implementations run the (deliberately slow) hash off the async runtime,
/// on a bounded pool with a bounded queue, so a burst of sign-ins can neither starve other
/// requests nor grow memory: when the queue is full they answer
/// [`crate::CoreError::Overloaded`] at once, and nothing was hashed.
pub trait PasswordHasher: Send + Sync + 'static {
    fn hash(&self, password: String) -> BoxFuture<'_, Result<String>>;
    /// Whether `password` matches `hash`; a malformed hash is simply no match.
    fn verify(&self, password: String, hash: String) -> BoxFuture<'_, Result<bool>>;
    /// `Some(retry_after_secs)` while a hash asked for now would be refused (the queue is
    /// full): a sign-in then refuses before it touches the database, so an overload answers
    /// fast and costs nothing. A hint: a hash may still be refused a moment later. Asking
    /// is refusing: an answer of `Some` counts as a refused hash.
    fn saturated(&self) -> Option<u64> {
        None
    }
}

/// A message to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Outgoing mail.
pub trait Mailer: Send + Sync + 'static {
    fn send(&self, mail: Mail) -> BoxFuture<'_, Result<()>>;
}
