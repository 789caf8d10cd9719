//! Ports: what the domain needs from the outside world (storage, time).
//!
//! Storage is split in two: [`Reads`], available on a plain connection and inside a
//! transaction, and [`Writes`], only inside a transaction. A service that changes state opens
//! one transaction, reads the "before", writes the change and its audit event, and commits.
//! Dropping a transaction without committing rolls it back.

use crate::Timestamp;
use crate::audit::{AuditEvent, AuditFilter};
use crate::error::Result;
use crate::ids::{AccessId, AccountId, ApiKeyId, EventId, GroupId, InstanceId, OrgId};
use crate::model::{
    Access, AccessFilter, Account, AccountFilter, ApiKey, EffectiveAccess, Group, GroupMember, Instance, Org,
    OrgAccount, OrgAdminRole, OrgCounts, Session,
};
use crate::page::{Page, PageRequest};
use crate::product::Product;
use std::future::Future;

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

    /// A connection for reads outside any transaction.
    fn reader(&self) -> impl Future<Output = Result<Self::Reader>> + Send;
    /// Starts a transaction.
    fn begin(&self) -> impl Future<Output = Result<Self::Tx>> + Send;
    /// Writes newly provisioned users, each with a new account, in one atomic step: the
    /// accounts, their managed links, the SCIM users with their indexed values, and one audit
    /// event per user. A user whose email an account already has, or whose email domain
    /// another organization has verified, is left out (nothing of it is written); the answer
    /// names the accounts written. A taken userName or externalId fails it all and writes
    /// nothing.
    fn insert_provisioned_users(
        &self,
        p: &ProvisionedUsers<'_>,
    ) -> impl Future<Output = Result<std::collections::HashSet<AccountId>>> + Send;
}

/// Users provisioned together (see `Store::insert_provisioned_users`).
pub struct ProvisionedUsers<'a> {
    pub users: &'a [NewProvisionedUser],
    pub linked_at: Timestamp,
    /// How the accounts came to be managed (`scim`).
    pub via: &'a str,
}

/// One user of a `ProvisionedUsers`: the account to create, the organization that manages
/// it, the SCIM user on it and the event that records it.
pub struct NewProvisionedUser {
    pub org: OrgId,
    pub account: crate::model::Account,
    pub user: crate::directory::ScimUser,
    pub event: AuditEvent,
}

/// Queries. Every query about an organization's data is scoped by its id: rows of another
/// organization are simply not found.
pub trait Reads {
    fn find_org(&mut self, id: OrgId) -> impl Future<Output = Result<Option<Org>>> + Send;
    fn org_counts(&mut self, org: OrgId) -> impl Future<Output = Result<OrgCounts>> + Send;

    fn find_api_key_by_digest(&mut self, digest: &str) -> impl Future<Output = Result<Option<ApiKey>>> + Send;
    fn find_api_key(&mut self, org: OrgId, id: ApiKeyId) -> impl Future<Output = Result<Option<ApiKey>>> + Send;
    fn list_api_keys(&mut self, org: OrgId, page: &PageRequest) -> impl Future<Output = Result<Page<ApiKey>>> + Send;

    /// Looks an account up globally by normalized email (for linking, never shown across orgs).
    fn find_account_by_email(&mut self, email: &str) -> impl Future<Output = Result<Option<Account>>> + Send;
    /// A person's API tokens, newest first.
    fn list_user_api_tokens(
        &mut self,
        account: AccountId,
    ) -> impl Future<Output = Result<Vec<crate::model::UserApiToken>>> + Send;
    fn find_org_account(
        &mut self,
        org: OrgId,
        id: AccountId,
    ) -> impl Future<Output = Result<Option<OrgAccount>>> + Send;
    fn list_org_accounts(
        &mut self,
        org: OrgId,
        filter: &AccountFilter,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<OrgAccount>>> + Send;
    /// Groups of this organization the account belongs to.
    fn list_account_groups(&mut self, org: OrgId, id: AccountId) -> impl Future<Output = Result<Vec<Group>>> + Send;
    /// The account's access in this organization, direct and through groups.
    fn list_account_access(
        &mut self,
        org: OrgId,
        id: AccountId,
    ) -> impl Future<Output = Result<Vec<EffectiveAccess>>> + Send;

    fn find_instance(&mut self, org: OrgId, id: InstanceId) -> impl Future<Output = Result<Option<Instance>>> + Send;
    fn list_instances(
        &mut self,
        org: OrgId,
        product: Option<Product>,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<Instance>>> + Send;

    fn find_group(&mut self, org: OrgId, id: GroupId) -> impl Future<Output = Result<Option<Group>>> + Send;
    fn list_groups(
        &mut self,
        org: OrgId,
        name: Option<&str>,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<Group>>> + Send;
    fn list_group_members(
        &mut self,
        org: OrgId,
        group: GroupId,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<GroupMember>>> + Send;

    fn find_access(&mut self, org: OrgId, id: AccessId) -> impl Future<Output = Result<Option<Access>>> + Send;
    fn list_access(
        &mut self,
        org: OrgId,
        filter: &AccessFilter,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<Access>>> + Send;

    fn list_org_admins(&mut self, org: OrgId) -> impl Future<Output = Result<Vec<OrgAdminRole>>> + Send;
    fn is_org_admin(&mut self, org: OrgId, account: AccountId) -> impl Future<Output = Result<bool>> + Send;

    fn find_event(&mut self, org: OrgId, id: EventId) -> impl Future<Output = Result<Option<AuditEvent>>> + Send;
    /// Newest first.
    fn list_events(
        &mut self,
        org: OrgId,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<AuditEvent>>> + Send;
    /// Like `list_events`, with targets and changes left as stored JSON (for exports).
    fn list_event_records(
        &mut self,
        org: OrgId,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<crate::audit::EventRecord>>> + Send;
    fn count_events(&mut self, org: OrgId) -> impl Future<Output = Result<i64>> + Send;

    fn find_domain(
        &mut self,
        org: OrgId,
        id: crate::ids::DomainId,
    ) -> impl Future<Output = Result<Option<crate::domain::Domain>>> + Send;
    fn list_domains(&mut self, org: OrgId) -> impl Future<Output = Result<Vec<crate::domain::Domain>>> + Send;
    fn list_domain_checks(
        &mut self,
        domain: crate::ids::DomainId,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<crate::domain::DomainCheck>>> + Send;
    /// The verified domain of this name, whichever organization verified it.
    fn find_verified_domain(
        &mut self,
        name: &str,
    ) -> impl Future<Output = Result<Option<crate::domain::Domain>>> + Send;
    /// Domains the job should look at: pending ones not checked since `pending_before`, and
    /// verified ones not checked since `verified_before` (or whose proof is missing).
    fn list_due_domains(
        &mut self,
        pending_before: Timestamp,
        verified_before: Timestamp,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<crate::domain::Domain>>> + Send;
    /// Accounts on this email domain that the organization does not manage yet (all, or only
    /// those listed).
    fn list_claimable_accounts(
        &mut self,
        org: OrgId,
        email_domain: &str,
        only: Option<&[AccountId]>,
    ) -> impl Future<Output = Result<Vec<AccountId>>> + Send;
    /// Accounts whose deletion grace period ended before `now`, with their managing organization.
    fn list_accounts_due_for_deletion(
        &mut self,
        now: Timestamp,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<(OrgId, Account)>>> + Send;

    fn find_directory(
        &mut self,
        org: OrgId,
        id: crate::ids::DirectoryId,
    ) -> impl Future<Output = Result<Option<crate::directory::Directory>>> + Send;
    fn list_directories(&mut self, org: OrgId)
    -> impl Future<Output = Result<Vec<crate::directory::Directory>>> + Send;
    fn list_directory_tokens(
        &mut self,
        directory: crate::ids::DirectoryId,
    ) -> impl Future<Output = Result<Vec<crate::directory::DirectoryToken>>> + Send;
    /// The directory and token a bearer secret belongs to.
    fn find_directory_token(
        &mut self,
        digest: &str,
    ) -> impl Future<Output = Result<Option<(crate::directory::Directory, crate::directory::DirectoryToken)>>> + Send;
    fn find_scim_user(
        &mut self,
        directory: crate::ids::DirectoryId,
        id: &str,
    ) -> impl Future<Output = Result<Option<crate::directory::ScimUser>>> + Send;
    /// Users matching `predicate` in `order` (descending when the flag is set; users without
    /// the sort value last either way): the total and the page (1-based `start`).
    fn list_scim_users(
        &mut self,
        directory: crate::ids::DirectoryId,
        predicate: &crate::directory::UserPredicate,
        start: i64,
        count: i64,
        order: (crate::directory::UserSort, bool),
    ) -> impl Future<Output = Result<(i64, Vec<crate::directory::ScimUser>)>> + Send;

    fn find_scim_group(
        &mut self,
        directory: crate::ids::DirectoryId,
        id: &str,
    ) -> impl Future<Output = Result<Option<crate::directory::ScimGroup>>> + Send;
    fn list_scim_groups(
        &mut self,
        directory: crate::ids::DirectoryId,
        predicate: &crate::directory::GroupPredicate,
        start: i64,
        count: i64,
        order: (crate::directory::GroupSort, bool),
    ) -> impl Future<Output = Result<(i64, Vec<crate::directory::ScimGroup>)>> + Send;
    /// Members of a directory's group as (SCIM user id, display name).
    fn list_scim_group_members(
        &mut self,
        directory: crate::ids::DirectoryId,
        group: GroupId,
    ) -> impl Future<Output = Result<Vec<(String, String)>>> + Send;
    /// The accounts behind these SCIM user ids of the directory (unknown ids are left out).
    fn find_scim_user_accounts(
        &mut self,
        directory: crate::ids::DirectoryId,
        ids: &[String],
    ) -> impl Future<Output = Result<Vec<(String, AccountId)>>> + Send;

    /// How many users the directory deactivated or deleted since `since` (from the audit log).
    fn count_directory_deactivations(
        &mut self,
        org: OrgId,
        directory: crate::ids::DirectoryId,
        since: Timestamp,
    ) -> impl Future<Output = Result<i64>> + Send;
    fn list_held_operations(
        &mut self,
        directory: crate::ids::DirectoryId,
    ) -> impl Future<Output = Result<Vec<crate::directory::HeldOperation>>> + Send;

    /// The organization that manages the account, if any.
    fn find_account_manager(&mut self, account: AccountId) -> impl Future<Output = Result<Option<OrgId>>> + Send;

    /// An account and its password hash (if it has one), by normalized email.
    fn find_credentials(
        &mut self,
        email: &str,
    ) -> impl Future<Output = Result<Option<(Account, Option<String>)>>> + Send;
    fn find_account(&mut self, id: AccountId) -> impl Future<Output = Result<Option<Account>>> + Send;
    /// Organizations the account holds the org admin role in.
    fn list_admin_orgs(&mut self, account: AccountId) -> impl Future<Output = Result<Vec<Org>>> + Send;
    fn find_session(&mut self, digest: &str) -> impl Future<Output = Result<Option<Session>>> + Send;
    /// The latest lock end among these throttle keys (0 when none is locked).
    fn throttle_locked_until(&mut self, keys: &[String]) -> impl Future<Output = Result<i64>> + Send;
}

/// Changes, only inside a transaction. Inserts that may collide with a uniqueness rule say
/// whether they inserted (`false`: the row existed); an update that breaks one returns
/// [`crate::CoreError::Conflict`] with code `unique_violation` for the service to name.
pub trait Writes {
    fn commit(self) -> impl Future<Output = Result<()>> + Send;

    /// Serializes changes to one organization's admin set (PostgreSQL: row lock; SQLite has one writer).
    fn lock_org(&mut self, org: OrgId) -> impl Future<Output = Result<()>> + Send;

    fn insert_event(&mut self, event: &AuditEvent) -> impl Future<Output = Result<()>> + Send;
    /// Inserts several events (and their targets) in as few statements as the engine allows.
    fn insert_events(&mut self, events: &[AuditEvent]) -> impl Future<Output = Result<()>> + Send;
    /// Deletes events that occurred before `cutoff`; returns (org, count) for each org touched.
    fn delete_events_before(&mut self, cutoff: Timestamp) -> impl Future<Output = Result<Vec<(OrgId, i64)>>> + Send;

    fn insert_org(&mut self, org: &Org) -> impl Future<Output = Result<()>> + Send;
    fn update_org(&mut self, org: &Org) -> impl Future<Output = Result<()>> + Send;

    fn insert_account(&mut self, account: &Account) -> impl Future<Output = Result<bool>> + Send;
    fn update_account(&mut self, account: &Account) -> impl Future<Output = Result<()>> + Send;
    fn delete_account(&mut self, id: AccountId) -> impl Future<Output = Result<()>> + Send;
    /// Makes the account visible to the org; `false` if it already was.
    fn link_org_account(
        &mut self,
        org: OrgId,
        account: AccountId,
        is_managed: bool,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;
    fn insert_user_api_token(
        &mut self,
        token: &crate::model::UserApiToken,
        digest: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Revokes one token of the account; `false` if it has no such live token.
    fn revoke_user_api_token(
        &mut self,
        account: AccountId,
        id: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Revokes every live token of the account; returns how many.
    fn revoke_user_api_tokens(&mut self, account: AccountId, at: Timestamp)
    -> impl Future<Output = Result<u64>> + Send;
    /// Links new accounts to their orgs as managed, recording how they came (`via`: `created`,
    /// `scim`); returns how many links were made.
    fn link_managed_accounts(
        &mut self,
        links: &[(OrgId, AccountId)],
        at: Timestamp,
        via: &str,
    ) -> impl Future<Output = Result<u64>> + Send;
    /// Removes the account from the org together with its group memberships, product access
    /// and admin role there.
    fn unlink_org_account(&mut self, org: OrgId, account: AccountId) -> impl Future<Output = Result<()>> + Send;

    fn insert_instance(&mut self, instance: &Instance) -> impl Future<Output = Result<bool>> + Send;
    fn update_instance(&mut self, instance: &Instance) -> impl Future<Output = Result<()>> + Send;
    fn delete_instance(&mut self, org: OrgId, id: InstanceId) -> impl Future<Output = Result<()>> + Send;

    fn insert_group(&mut self, group: &Group) -> impl Future<Output = Result<bool>> + Send;
    fn update_group(&mut self, group: &Group) -> impl Future<Output = Result<()>> + Send;
    fn delete_group(&mut self, org: OrgId, id: GroupId) -> impl Future<Output = Result<()>> + Send;
    fn insert_group_member(
        &mut self,
        org: OrgId,
        group: GroupId,
        account: AccountId,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;
    fn delete_group_member(
        &mut self,
        org: OrgId,
        group: GroupId,
        account: AccountId,
    ) -> impl Future<Output = Result<bool>> + Send;

    fn insert_access(&mut self, access: &Access) -> impl Future<Output = Result<bool>> + Send;
    fn update_access(&mut self, access: &Access) -> impl Future<Output = Result<()>> + Send;
    fn delete_access(&mut self, org: OrgId, id: AccessId) -> impl Future<Output = Result<()>> + Send;

    fn insert_org_admin(
        &mut self,
        org: OrgId,
        account: AccountId,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;
    fn delete_org_admin(&mut self, org: OrgId, account: AccountId) -> impl Future<Output = Result<bool>> + Send;

    fn insert_api_key(&mut self, key: &ApiKey, digest: &str) -> impl Future<Output = Result<()>> + Send;
    fn update_api_key(&mut self, key: &ApiKey) -> impl Future<Output = Result<()>> + Send;

    fn insert_domain(&mut self, domain: &crate::domain::Domain) -> impl Future<Output = Result<bool>> + Send;
    /// Saves status and check fields; verifying a domain another organization verified is a
    /// `unique_violation` conflict.
    fn update_domain(&mut self, domain: &crate::domain::Domain) -> impl Future<Output = Result<()>> + Send;
    fn delete_domain(&mut self, org: OrgId, id: crate::ids::DomainId) -> impl Future<Output = Result<()>> + Send;
    fn insert_domain_check(
        &mut self,
        domain: crate::ids::DomainId,
        check: &crate::domain::DomainCheck,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Makes the organization the manager of these accounts (taking management from any other
    /// organization), recording that it came through a domain.
    fn claim_accounts(
        &mut self,
        org: OrgId,
        accounts: &[AccountId],
        at: Timestamp,
        via: &'static str,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Gives up management of the accounts on `email_domain` that were claimed through a domain.
    fn release_domain_accounts(
        &mut self,
        org: OrgId,
        email_domain: &str,
    ) -> impl Future<Output = Result<Vec<AccountId>>> + Send;

    fn insert_directory(&mut self, d: &crate::directory::Directory) -> impl Future<Output = Result<()>> + Send;
    fn delete_directory(&mut self, org: OrgId, id: crate::ids::DirectoryId) -> impl Future<Output = Result<()>> + Send;
    fn insert_directory_token(
        &mut self,
        t: &crate::directory::DirectoryToken,
        digest: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    fn update_directory_token(
        &mut self,
        t: &crate::directory::DirectoryToken,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Tells the other nodes on this database, when the transaction commits, that a directory
    /// or its tokens changed (so they forget the tokens they verified). Nothing where the
    /// engine serves one node.
    fn announce_directory_change(&mut self) -> impl Future<Output = Result<()>> + Send;
    /// Inserts a provisioned user; a taken userName or externalId is `unique_violation`.
    fn insert_scim_user(&mut self, u: &crate::directory::ScimUser) -> impl Future<Output = Result<()>> + Send;
    /// Saves a user if it is still at `expected_version`; `false` when someone changed it first.
    fn update_scim_user(
        &mut self,
        u: &crate::directory::ScimUser,
        expected_version: i64,
    ) -> impl Future<Output = Result<bool>> + Send;
    fn delete_scim_user(
        &mut self,
        directory: crate::ids::DirectoryId,
        id: &str,
    ) -> impl Future<Output = Result<()>> + Send;

    fn insert_scim_group(&mut self, g: &crate::directory::ScimGroup) -> impl Future<Output = Result<()>> + Send;
    fn update_scim_group(
        &mut self,
        g: &crate::directory::ScimGroup,
        expected_version: i64,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Adds members in bulk (existing memberships are left as they are).
    fn add_group_members(
        &mut self,
        org: OrgId,
        group: GroupId,
        accounts: &[AccountId],
        at: Timestamp,
    ) -> impl Future<Output = Result<()>> + Send;
    fn remove_group_members(
        &mut self,
        org: OrgId,
        group: GroupId,
        accounts: &[AccountId],
    ) -> impl Future<Output = Result<()>> + Send;
    fn clear_group_members(&mut self, org: OrgId, group: GroupId) -> impl Future<Output = Result<()>> + Send;

    fn update_directory(&mut self, d: &crate::directory::Directory) -> impl Future<Output = Result<()>> + Send;
    /// Holds a change; a later change held for the same user replaces it.
    fn upsert_held_operation(
        &mut self,
        op: &crate::directory::HeldOperation,
    ) -> impl Future<Output = Result<()>> + Send;
    fn delete_held_operations(
        &mut self,
        directory: crate::ids::DirectoryId,
    ) -> impl Future<Output = Result<u64>> + Send;

    /// The organization stops managing the account (it stays visible to it).
    fn unmanage_account(&mut self, org: OrgId, account: AccountId) -> impl Future<Output = Result<()>> + Send;

    fn set_password_hash(&mut self, account: AccountId, hash: &str) -> impl Future<Output = Result<()>> + Send;
    fn insert_session(
        &mut self,
        digest: &str,
        session: &Session,
        meta: &crate::audit::RequestMeta,
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

    /// Takes or renews the named job lease for `holder` until `until`, if it is free or expired
    /// at `now` or already held by `holder`. Atomic: two nodes never both get it.
    fn acquire_lease(
        &mut self,
        name: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;
}

/// A boxed future, for ports used as trait objects.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Password hashing. Implementations run the (deliberately slow) hash off the async runtime,
/// on a bounded pool, so a burst of sign-ins cannot starve other requests.
pub trait PasswordHasher: Send + Sync + 'static {
    fn hash(&self, password: String) -> BoxFuture<'_, Result<String>>;
    /// Whether `password` matches `hash`; a malformed hash is simply no match.
    fn verify(&self, password: String, hash: String) -> BoxFuture<'_, bool>;
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
