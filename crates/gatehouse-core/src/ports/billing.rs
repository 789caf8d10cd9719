//! Billing: each account's billing facts as the store keeps them, counted per organization.

use crate::billing::FactsCount;
use crate::billing::run::BillingRun;
use crate::error::Result;
use crate::ids::OrgId;
use crate::model::OrgAccount;
use crate::page::{Page, PageRequest};
use std::future::Future;

/// Billing queries. The store keeps every account's facts current with each write that can
/// change them, so these answer without looking at anyone's access.
pub trait BillingReads {
    /// The organization's accounts counted per set of facts (each with the store's key).
    fn billing_tallies(&mut self, org: OrgId) -> impl Future<Output = Result<Vec<FactsCount>>> + Send;
    /// One page of the organization's accounts whose facts are one of `keys`, in id order.
    fn billing_accounts(
        &mut self,
        org: OrgId,
        keys: &[i64],
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<OrgAccount>>> + Send;
    /// How many of the organization's accounts have stored facts that differ from the facts
    /// computed from scratch now: 0 unless a write failed to keep them (the operator's check).
    fn billing_drift(&mut self, org: OrgId) -> impl Future<Output = Result<i64>> + Send;
    /// The organization's billing runs, newest first, up to `limit`.
    fn list_billing_runs(&mut self, org: OrgId, limit: u32) -> impl Future<Output = Result<Vec<BillingRun>>> + Send;
}

/// Billing changes, only inside a transaction.
pub trait BillingTx {
    /// Records a cycle's run; `false` when that cycle already has one (nothing written).
    fn insert_billing_run(&mut self, run: &BillingRun) -> impl Future<Output = Result<bool>> + Send;
}
