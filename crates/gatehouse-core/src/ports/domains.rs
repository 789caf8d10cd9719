//! Verified domains, their checks, and the accounts they let an organization claim.

use crate::Timestamp;
use crate::domain::{Domain, DomainCheck};
use crate::error::Result;
use crate::ids::{AccountId, DomainId, OrgId};
use crate::ports::accounts::ManagedVia;
use std::future::Future;

/// Domain queries.
pub trait DomainReads {
    fn find_domain(&mut self, org: OrgId, id: DomainId) -> impl Future<Output = Result<Option<Domain>>> + Send;
    fn list_domains(&mut self, org: OrgId) -> impl Future<Output = Result<Vec<Domain>>> + Send;
    fn list_domain_checks(
        &mut self,
        domain: DomainId,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<DomainCheck>>> + Send;
    /// The verified domain of this name, whichever organization verified it.
    fn find_verified_domain(&mut self, name: &str) -> impl Future<Output = Result<Option<Domain>>> + Send;
    /// Domains the job should look at: pending ones not checked since `pending_before`, and
    /// verified ones not checked since `verified_before` (or whose proof is missing).
    fn list_due_domains(
        &mut self,
        pending_before: Timestamp,
        verified_before: Timestamp,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Domain>>> + Send;
    /// Accounts on this email domain that the organization does not manage yet (all, or only
    /// those listed).
    fn list_claimable_accounts(
        &mut self,
        org: OrgId,
        email_domain: &str,
        only: Option<&[AccountId]>,
    ) -> impl Future<Output = Result<Vec<AccountId>>> + Send;
}

/// Domain changes, only inside a transaction.
pub trait DomainTx {
    fn insert_domain(&mut self, domain: &Domain) -> impl Future<Output = Result<bool>> + Send;
    /// Saves status and check fields; verifying a domain another organization verified is a
    /// `unique_violation` conflict.
    fn update_domain(&mut self, domain: &Domain) -> impl Future<Output = Result<()>> + Send;
    fn delete_domain(&mut self, org: OrgId, id: DomainId) -> impl Future<Output = Result<()>> + Send;
    fn insert_domain_check(&mut self, domain: DomainId, check: &DomainCheck)
    -> impl Future<Output = Result<()>> + Send;
    /// Makes the organization the manager of these accounts (taking management from any other
    /// organization), recording that it came through a domain.
    fn claim_accounts(
        &mut self,
        org: OrgId,
        accounts: &[AccountId],
        at: Timestamp,
        via: ManagedVia,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Gives up management of every account on `email_domain` the organization manages
    /// (claimed or created there): without the verified domain it manages none of them.
    fn release_domain_accounts(
        &mut self,
        org: OrgId,
        email_domain: &str,
    ) -> impl Future<Output = Result<Vec<AccountId>>> + Send;
}
