//! Provisioning directories: their bearer tokens, the SCIM users and groups they keep, the
//! changes they hold back, and users provisioned in bulk.

use crate::Timestamp;
use crate::audit::AuditEvent;
use crate::directory::{
    Directory, DirectoryToken, GroupPredicate, GroupSort, HeldOperation, ScimGroup, ScimUser, UserPredicate, UserSort,
};
use crate::error::Result;
use crate::ids::{AccountId, DirectoryId, GroupId, OrgId};
use crate::model::Account;
use crate::ports::accounts::OrgLink;
use std::future::Future;

/// Directory and SCIM queries.
pub trait DirectoryReads {
    fn find_directory(&mut self, org: OrgId, id: DirectoryId)
    -> impl Future<Output = Result<Option<Directory>>> + Send;
    fn list_directories(&mut self, org: OrgId) -> impl Future<Output = Result<Vec<Directory>>> + Send;
    fn list_directory_tokens(
        &mut self,
        directory: DirectoryId,
    ) -> impl Future<Output = Result<Vec<DirectoryToken>>> + Send;
    /// The directory and token a bearer secret belongs to.
    fn find_directory_token(
        &mut self,
        digest: &str,
    ) -> impl Future<Output = Result<Option<DirectoryTokenMatch>>> + Send;
    fn find_scim_user(
        &mut self,
        directory: DirectoryId,
        id: &str,
    ) -> impl Future<Output = Result<Option<ScimUser>>> + Send;
    /// Users matching the query's predicate in its order (users without the sort value last
    /// either way): the total and the page.
    fn list_scim_users(
        &mut self,
        directory: DirectoryId,
        query: &ScimListQuery<'_, UserPredicate, UserSort>,
    ) -> impl Future<Output = Result<ScimPage<ScimUser>>> + Send;
    fn find_scim_group(
        &mut self,
        directory: DirectoryId,
        id: &str,
    ) -> impl Future<Output = Result<Option<ScimGroup>>> + Send;
    /// Groups matching the query's predicate in its order: the total and the page.
    fn list_scim_groups(
        &mut self,
        directory: DirectoryId,
        query: &ScimListQuery<'_, GroupPredicate, GroupSort>,
    ) -> impl Future<Output = Result<ScimPage<ScimGroup>>> + Send;
    /// Members of a directory's group, by SCIM user id.
    fn list_scim_group_members(
        &mut self,
        directory: DirectoryId,
        group: GroupId,
    ) -> impl Future<Output = Result<Vec<ScimGroupMember>>> + Send;
    /// The accounts behind these SCIM user ids of the directory (unknown ids are left out).
    fn find_scim_user_accounts(
        &mut self,
        directory: DirectoryId,
        ids: &[String],
    ) -> impl Future<Output = Result<Vec<ScimUserAccount>>> + Send;
    /// The directory's groups each of these accounts is a member of (User `groups`, RFC 7643
    /// §4.1.2), as (account, group) pairs ordered by account, then group displayName and id.
    /// Groups of the organization's other directories are left out.
    fn list_scim_user_groups(
        &mut self,
        directory: DirectoryId,
        accounts: &[AccountId],
    ) -> impl Future<Output = Result<Vec<(AccountId, ScimGroupRef)>>> + Send;
    /// A page of the directory's users as `list_scim_users` and, when `groups` is true, the
    /// directory's groups of each as `list_scim_user_groups` answers them, read by the same
    /// statement (a lookup by userName is one round trip, not two).
    #[allow(clippy::type_complexity)] // a page and its users' groups, as the doc says; on main since fdb3aeb
    fn list_scim_users_with_groups(
        &mut self,
        directory: DirectoryId,
        query: &ScimListQuery<'_, UserPredicate, UserSort>,
        groups: bool,
    ) -> impl Future<Output = Result<(ScimPage<ScimUser>, Vec<(AccountId, ScimGroupRef)>)>> + Send;
    /// How many users the directory deactivated or deleted since `since` (from the audit log).
    fn count_directory_deactivations(
        &mut self,
        org: OrgId,
        directory: DirectoryId,
        since: Timestamp,
    ) -> impl Future<Output = Result<i64>> + Send;
    fn list_held_operations(
        &mut self,
        directory: DirectoryId,
    ) -> impl Future<Output = Result<Vec<HeldOperation>>> + Send;
}

/// Directory and SCIM changes, only inside a transaction.
pub trait DirectoryTx {
    fn insert_directory(&mut self, d: &Directory) -> impl Future<Output = Result<()>> + Send;
    fn update_directory(&mut self, d: &Directory) -> impl Future<Output = Result<()>> + Send;
    fn delete_directory(&mut self, org: OrgId, id: DirectoryId) -> impl Future<Output = Result<()>> + Send;
    fn insert_directory_token(&mut self, t: &DirectoryToken, digest: &str) -> impl Future<Output = Result<()>> + Send;
    fn update_directory_token(&mut self, t: &DirectoryToken) -> impl Future<Output = Result<()>> + Send;
    /// Tells the other nodes on this database, when the transaction commits, that a directory
    /// or its tokens changed (so they forget the tokens they verified). Nothing where the
    /// engine serves one node.
    fn announce_directory_change(&mut self) -> impl Future<Output = Result<()>> + Send;
    /// Inserts a provisioned user; a taken userName or externalId is `unique_violation`.
    fn insert_scim_user(&mut self, u: &ScimUser) -> impl Future<Output = Result<()>> + Send;
    /// Saves a user if it is still at `expected_version`; `false` when someone changed it first.
    fn update_scim_user(&mut self, u: &ScimUser, expected_version: i64) -> impl Future<Output = Result<bool>> + Send;
    fn delete_scim_user(&mut self, directory: DirectoryId, id: &str) -> impl Future<Output = Result<()>> + Send;
    fn insert_scim_group(&mut self, g: &ScimGroup) -> impl Future<Output = Result<()>> + Send;
    fn update_scim_group(&mut self, g: &ScimGroup, expected_version: i64) -> impl Future<Output = Result<bool>> + Send;
    /// Holds a change; a later change held for the same user replaces it.
    fn upsert_held_operation(&mut self, op: &HeldOperation) -> impl Future<Output = Result<()>> + Send;
    fn delete_held_operations(&mut self, directory: DirectoryId) -> impl Future<Output = Result<u64>> + Send;
}

/// Users provisioned together (see `Store::insert_provisioned_users`).
pub struct ProvisionedUsers<'a> {
    pub users: &'a [NewProvisionedUser],
    pub linked_at: Timestamp,
}

/// One user of a `ProvisionedUsers`: the account to create, how it is linked to the
/// directory's organization (managed only when the organization verified its email domain),
/// the SCIM user on it and the event that records it.
pub struct NewProvisionedUser {
    pub link: OrgLink,
    pub account: Account,
    pub user: ScimUser,
    pub event: AuditEvent,
}

/// A bearer secret's token and the directory it belongs to.
#[derive(Debug, Clone)]
pub struct DirectoryTokenMatch {
    pub directory: Directory,
    pub token: DirectoryToken,
}

/// A SCIM list request as the store answers it (RFC 7644 §3.4.2): which resources, in which
/// order, which page.
#[derive(Debug, Clone, Copy)]
pub struct ScimListQuery<'a, P, S> {
    pub predicate: &'a P,
    /// 1-based index of the first resource.
    pub start: i64,
    pub count: i64,
    pub sort: S,
    pub descending: bool,
}

/// A page of a SCIM list and how many resources match in all.
#[derive(Debug, Clone, PartialEq)]
pub struct ScimPage<T> {
    pub total: i64,
    pub items: Vec<T>,
}

/// A member of a directory's group, as the group lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimGroupMember {
    /// The member's SCIM user id.
    pub user_id: String,
    pub display_name: String,
}

/// A directory's group as a member's `groups` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimGroupRef {
    /// The group's SCIM id.
    pub id: String,
    pub display_name: String,
}

/// The account behind a SCIM user of a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimUserAccount {
    pub user_id: String,
    pub account: AccountId,
}
