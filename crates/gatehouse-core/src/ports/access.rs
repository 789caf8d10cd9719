//! Who may use what: product instances, groups and their members, product access grants and
//! the org admin role.

use crate::Timestamp;
use crate::error::Result;
use crate::ids::{AccessId, AccountId, GroupId, InstanceId, OrgId};
use crate::model::{Access, AccessFilter, EffectiveAccess, Group, GroupMember, Instance, Org, OrgAdminRole};
use crate::page::{Page, PageRequest};
use crate::product::Product;
use std::future::Future;

/// Product instance queries.
pub trait InstanceReads {
    fn find_instance(&mut self, org: OrgId, id: InstanceId) -> impl Future<Output = Result<Option<Instance>>> + Send;
    fn list_instances(
        &mut self,
        org: OrgId,
        product: Option<Product>,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<Instance>>> + Send;
}

/// Product instance changes, only inside a transaction.
pub trait InstanceTx {
    fn insert_instance(&mut self, instance: &Instance) -> impl Future<Output = Result<bool>> + Send;
    fn update_instance(&mut self, instance: &Instance) -> impl Future<Output = Result<()>> + Send;
    fn delete_instance(&mut self, org: OrgId, id: InstanceId) -> impl Future<Output = Result<()>> + Send;
}

/// Group queries.
pub trait GroupReads {
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
    /// Groups of this organization the account belongs to.
    fn list_account_groups(&mut self, org: OrgId, id: AccountId) -> impl Future<Output = Result<Vec<Group>>> + Send;
}

/// Group changes, only inside a transaction.
pub trait GroupTx {
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
}

/// Product access queries.
pub trait AccessReads {
    fn find_access(&mut self, org: OrgId, id: AccessId) -> impl Future<Output = Result<Option<Access>>> + Send;
    fn list_access(
        &mut self,
        org: OrgId,
        filter: &AccessFilter,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<Access>>> + Send;
    /// The account's access in this organization, direct and through groups.
    fn list_account_access(
        &mut self,
        org: OrgId,
        id: AccountId,
    ) -> impl Future<Output = Result<Vec<EffectiveAccess>>> + Send;
}

/// Product access changes, only inside a transaction.
pub trait AccessTx {
    fn insert_access(&mut self, access: &Access) -> impl Future<Output = Result<bool>> + Send;
    fn update_access(&mut self, access: &Access) -> impl Future<Output = Result<()>> + Send;
    fn delete_access(&mut self, org: OrgId, id: AccessId) -> impl Future<Output = Result<()>> + Send;
}

/// Org admin role queries.
pub trait AdminReads {
    fn list_org_admins(&mut self, org: OrgId) -> impl Future<Output = Result<Vec<OrgAdminRole>>> + Send;
    /// Whether the account holds the org admin role and may use it: not while the organization's
    /// directory has it suspended there.
    fn is_org_admin(&mut self, org: OrgId, account: AccountId) -> impl Future<Output = Result<bool>> + Send;
    /// Organizations the account holds the org admin role in (and is not suspended in).
    fn list_admin_orgs(&mut self, account: AccountId) -> impl Future<Output = Result<Vec<Org>>> + Send;
}

/// Org admin role changes, only inside a transaction.
pub trait AdminTx {
    fn insert_org_admin(
        &mut self,
        org: OrgId,
        account: AccountId,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;
    fn delete_org_admin(&mut self, org: OrgId, account: AccountId) -> impl Future<Output = Result<bool>> + Send;
}
