//! The provisioning service: a directory's reads and writes, each write in one transaction.

use super::super::directories::DirectoryCaller;
use super::domain_cache::DomainCache;
use crate::directory::{GroupPredicate, GroupSort, ScimGroup, ScimUser, UserPredicate, UserSort};
use crate::error::Result;
use crate::ids::{AccountId, GroupId};
use crate::ports::{Clock, DirectoryReads, ScimGroupMember, ScimGroupRef, ScimListQuery, ScimPage, Store};
use std::sync::Arc;

/// Provisioning for directories (see the module documentation). Made by
/// `Services::provisioning`.
pub struct Provisioning<S: Store> {
    pub(super) store: S,
    pub(super) clock: Arc<dyn Clock>,
    /// What batches last read of their email domains' verification (shared by clones).
    pub(super) domains: Arc<DomainCache>,
}

impl<S: Store> Clone for Provisioning<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            clock: Arc::clone(&self.clock),
            domains: Arc::clone(&self.domains),
        }
    }
}

impl<S: Store> Provisioning<S> {
    /// Provisioning over this store and clock.
    pub fn new(store: S, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            domains: Arc::default(),
        }
    }

    /// One of the directory's users.
    pub async fn find_user(&self, caller: &DirectoryCaller, id: &str) -> Result<Option<ScimUser>> {
        self.store
            .reader()
            .await?
            .find_scim_user(caller.directory().id, id)
            .await
    }

    /// One of the directory's groups.
    pub async fn find_group(&self, caller: &DirectoryCaller, id: &str) -> Result<Option<ScimGroup>> {
        self.store
            .reader()
            .await?
            .find_scim_group(caller.directory().id, id)
            .await
    }

    /// The directory's groups `query` asks for, and how many match in all.
    pub async fn list_groups(
        &self,
        caller: &DirectoryCaller,
        query: &ScimListQuery<'_, GroupPredicate, GroupSort>,
    ) -> Result<ScimPage<ScimGroup>> {
        let mut r = self.store.reader().await?;
        r.list_scim_groups(caller.directory().id, query).await
    }

    /// Members of one of the directory's groups.
    pub async fn list_group_members(&self, caller: &DirectoryCaller, group: GroupId) -> Result<Vec<ScimGroupMember>> {
        let mut r = self.store.reader().await?;
        r.list_scim_group_members(caller.directory().id, group).await
    }

    /// The directory's users `query` asks for and, when `groups` is true, the directory's
    /// groups each of their accounts is a member of, in one statement (a lookup is one user,
    /// and a second round trip cost it more than the read).
    pub async fn list_users_with_groups(
        &self,
        caller: &DirectoryCaller,
        query: &ScimListQuery<'_, UserPredicate, UserSort>,
        groups: bool,
    ) -> Result<crate::ports::UsersWithGroups> {
        let mut r = self.store.reader().await?;
        r.list_scim_users_with_groups(caller.directory().id, query, groups)
            .await
    }

    /// The directory's groups each of these accounts is a member of, in one read (see
    /// `DirectoryReads::list_scim_user_groups`); no read at all for no accounts.
    pub async fn user_groups(
        &self,
        caller: &DirectoryCaller,
        accounts: &[AccountId],
    ) -> Result<Vec<(AccountId, ScimGroupRef)>> {
        if accounts.is_empty() {
            return Ok(Vec::new());
        }
        let mut r = self.store.reader().await?;
        r.list_scim_user_groups(caller.directory().id, accounts).await
    }
}
