//! Organizations: the tenant rows every other capability is scoped by.

use crate::error::Result;
use crate::ids::OrgId;
use crate::model::Org;
use std::future::Future;

/// Organization queries.
pub trait OrgReads {
    fn find_org(&mut self, id: OrgId) -> impl Future<Output = Result<Option<Org>>> + Send;
    /// What the overview counts, with the billing facts of every account grouped (the billing
    /// classifier in core turns those into the billable count).
    fn org_counts(&mut self, org: OrgId) -> impl Future<Output = Result<OrgTallies>> + Send;
}

/// Organization changes, only inside a transaction.
pub trait OrgTx {
    /// Serializes changes to one organization's admin set (PostgreSQL: row lock; SQLite has one writer).
    fn lock_org(&mut self, org: OrgId) -> impl Future<Output = Result<()>> + Send;
    fn insert_org(&mut self, org: &Org) -> impl Future<Output = Result<()>> + Send;
    fn update_org(&mut self, org: &Org) -> impl Future<Output = Result<()>> + Send;
}

/// The raw counts of an organization: accounts, instances, groups, and how many accounts share
/// each set of billing facts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OrgTallies {
    pub accounts: i64,
    pub instances: i64,
    pub groups: i64,
    pub billing: Vec<crate::billing::FactsCount>,
}
