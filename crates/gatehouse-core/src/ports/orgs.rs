//! Organizations: the tenant rows every other capability is scoped by.

use crate::error::Result;
use crate::ids::OrgId;
use crate::model::{Org, OrgCounts};
use std::future::Future;

/// Organization queries.
pub trait OrgReads {
    fn find_org(&mut self, id: OrgId) -> impl Future<Output = Result<Option<Org>>> + Send;
    fn org_counts(&mut self, org: OrgId) -> impl Future<Output = Result<OrgCounts>> + Send;
}

/// Organization changes, only inside a transaction.
pub trait OrgTx {
    /// Serializes changes to one organization's admin set (PostgreSQL: row lock; SQLite has one writer).
    fn lock_org(&mut self, org: OrgId) -> impl Future<Output = Result<()>> + Send;
    fn insert_org(&mut self, org: &Org) -> impl Future<Output = Result<()>> + Send;
    fn update_org(&mut self, org: &Org) -> impl Future<Output = Result<()>> + Send;
}
