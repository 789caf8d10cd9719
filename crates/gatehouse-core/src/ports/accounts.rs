//! Accounts: people, global by email, visible to the organizations they are linked to and
//! managed by at most one of them.

use crate::Timestamp;
use crate::error::Result;
use crate::ids::{AccountId, OrgId};
use crate::model::{Account, AccountFilter, OrgAccount};
use crate::page::{Page, PageRequest};
use std::future::Future;

/// Account queries.
pub trait AccountReads {
    /// Looks an account up globally by normalized email (for linking, never shown across orgs).
    fn find_account_by_email(&mut self, email: &str) -> impl Future<Output = Result<Option<Account>>> + Send;
    fn find_account(&mut self, id: AccountId) -> impl Future<Output = Result<Option<Account>>> + Send;
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
    /// The organization that manages the account, if any.
    fn find_account_manager(&mut self, account: AccountId) -> impl Future<Output = Result<Option<OrgId>>> + Send;
    /// Accounts whose deletion grace period ended before `now`, with their managing organization.
    fn list_accounts_due_for_deletion(
        &mut self,
        now: Timestamp,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<(OrgId, Account)>>> + Send;
}

/// Account changes, only inside a transaction.
pub trait AccountTx: AccountReads {
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
    /// The organization stops managing the account (it stays visible to it).
    fn unmanage_account(&mut self, org: OrgId, account: AccountId) -> impl Future<Output = Result<()>> + Send;
}
