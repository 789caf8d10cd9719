//! The provisioning service: a directory's reads and writes, each write in one transaction.

use super::super::directories::DirectoryCaller;
use crate::directory::{GroupPredicate, GroupSort, ScimGroup, ScimUser, UserPredicate, UserSort};
use crate::error::Result;
use crate::ids::GroupId;
use crate::ports::{Clock, DirectoryReads, Store};
use std::sync::Arc;

/// Provisioning for directories (see the module documentation). Made by
/// `Services::provisioning`.
pub struct Provisioning<S: Store> {
    pub(super) store: S,
    pub(super) clock: Arc<dyn Clock>,
}

impl<S: Store> Clone for Provisioning<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            clock: Arc::clone(&self.clock),
        }
    }
}

impl<S: Store> Provisioning<S> {
    /// Provisioning over this store and clock.
    pub fn new(store: S, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// One of the directory's users.
    pub async fn find_user(&self, caller: &DirectoryCaller, id: &str) -> Result<Option<ScimUser>> {
        self.store
            .reader()
            .await?
            .find_scim_user(caller.directory().id, id)
            .await
    }

    /// The directory's users matching `predicate` in `order`: the total and the page
    /// (1-based `start`).
    pub async fn list_users(
        &self,
        caller: &DirectoryCaller,
        predicate: &UserPredicate,
        start: i64,
        count: i64,
        order: (UserSort, bool),
    ) -> Result<(i64, Vec<ScimUser>)> {
        let mut r = self.store.reader().await?;
        r.list_scim_users(caller.directory().id, predicate, start, count, order)
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

    /// The directory's groups matching `predicate` in `order`: the total and the page.
    pub async fn list_groups(
        &self,
        caller: &DirectoryCaller,
        predicate: &GroupPredicate,
        start: i64,
        count: i64,
        order: (GroupSort, bool),
    ) -> Result<(i64, Vec<ScimGroup>)> {
        let mut r = self.store.reader().await?;
        r.list_scim_groups(caller.directory().id, predicate, start, count, order)
            .await
    }

    /// Members of one of the directory's groups as (SCIM user id, display name).
    pub async fn list_group_members(&self, caller: &DirectoryCaller, group: GroupId) -> Result<Vec<(String, String)>> {
        let mut r = self.store.reader().await?;
        r.list_scim_group_members(caller.directory().id, group).await
    }
}
