//! Accounts: people, global by email, visible to the organizations they are linked to and
//! managed by at most one of them: the one that verified the account's email domain and
//! claimed it.

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
    /// The organizations the account belongs to, by name, each with how it belongs (the
    /// person's own view, for their account page).
    fn list_account_orgs(&mut self, account: AccountId) -> impl Future<Output = Result<Vec<AccountOrg>>> + Send;
    /// The organization that manages the account, if any.
    fn find_account_manager(&mut self, account: AccountId) -> impl Future<Output = Result<Option<OrgId>>> + Send;
    /// Accounts whose deletion grace period ended before `now`, with their managing organization.
    fn list_accounts_due_for_deletion(
        &mut self,
        now: Timestamp,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<DueDeletion>>> + Send;
}

/// Account changes, only inside a transaction.
pub trait AccountTx {
    fn insert_account(&mut self, account: &Account) -> impl Future<Output = Result<bool>> + Send;
    fn update_account(&mut self, account: &Account) -> impl Future<Output = Result<()>> + Send;
    fn delete_account(&mut self, id: AccountId) -> impl Future<Output = Result<()>> + Send;
    /// Links accounts to organizations, each as its `OrgLink` says (managed or not, suspended
    /// or not); a link already there stays as it is. Returns how many links were made.
    fn link_org_accounts(&mut self, links: &[OrgLink], at: Timestamp) -> impl Future<Output = Result<u64>> + Send;
    /// Removes the account from the org together with its group memberships, product access
    /// and admin role there.
    fn unlink_org_account(&mut self, org: OrgId, account: AccountId) -> impl Future<Output = Result<()>> + Send;
    /// The organization stops managing the account (it stays visible to it).
    fn unmanage_account(&mut self, org: OrgId, account: AccountId) -> impl Future<Output = Result<()>> + Send;
    /// Suspends the account in this organization only, from `since` (`None` ends the
    /// suspension): its access to the organization's instances ends while it lasts; the
    /// account itself is untouched.
    fn set_org_suspension(
        &mut self,
        org: OrgId,
        account: AccountId,
        since: Option<Timestamp>,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// One organization an account belongs to, as its person sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountOrg {
    pub org: crate::model::Org,
    /// The organization manages the account (verified its domain and claimed it).
    pub managed: bool,
    /// The person administers the organization.
    pub admin: bool,
    /// The organization suspended the account in its own directory.
    pub suspended: bool,
}

/// An account whose deletion grace period is over, with the organization that manages it.
#[derive(Debug, Clone, PartialEq)]
pub struct DueDeletion {
    pub org: OrgId,
    pub account: Account,
}

/// How an account is linked to an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgLink {
    pub org: OrgId,
    pub account: AccountId,
    /// How the organization came to manage the account; `None` when it does not manage it
    /// (see `services::management`: only a verified domain makes an organization a manager).
    pub managed_via: Option<ManagedVia>,
    /// Suspended in this organization only since then (a directory made an account the
    /// organization does not manage inactive).
    pub suspended_at: Option<Timestamp>,
}

impl OrgLink {
    /// An account the organization sees but does not manage (someone else's, or the person's own).
    pub fn unmanaged(org: OrgId, account: AccountId) -> Self {
        Self {
            org,
            account,
            managed_via: None,
            suspended_at: None,
        }
    }
}

/// How an organization came to manage an account (stored with the link).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManagedVia {
    /// The organization created the account on a domain it verified.
    Created,
    /// The organization's directory created it on a domain the organization verified.
    Scim,
    /// The organization claimed it through a verified domain.
    Domain,
    /// The organization's identity provider created it at the person's first sign-in, on a
    /// domain the organization verified.
    Sso,
}

impl ManagedVia {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            ManagedVia::Created => "created",
            ManagedVia::Scim => "scim",
            ManagedVia::Domain => "domain",
            ManagedVia::Sso => "sso",
        }
    }

    /// The value the stored text names.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "created" => Some(ManagedVia::Created),
            "scim" => Some(ManagedVia::Scim),
            "domain" => Some(ManagedVia::Domain),
            "sso" => Some(ManagedVia::Sso),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ManagedVia;

    #[test]
    fn managed_via_reads_back_what_it_stores() {
        for v in [ManagedVia::Created, ManagedVia::Scim, ManagedVia::Domain] {
            assert_eq!(ManagedVia::parse(v.as_str()), Some(v));
        }
        assert_eq!(ManagedVia::parse("Domain"), None);
    }
}
