//! Subscriptions: each organization's trial and subscription (one record per organization),
//! with the record of enforcement paused for want of one.

use crate::Timestamp;
use crate::billing::subscription::Subscription;
use crate::error::Result;
use crate::ids::OrgId;
use std::future::Future;

/// Subscription queries.
pub trait SubscriptionReads {
    /// The organization's record; `None` when it never had a trial or a subscription.
    fn find_subscription(&mut self, org: OrgId) -> impl Future<Output = Result<Option<Subscription>>> + Send;
    /// Up to `limit` organizations with neither a trial nor a subscription running at `now`
    /// and no pause recorded yet, each with its record (an empty one for an organization
    /// that never had any). The store narrows by the record's dates; the caller decides with
    /// [`Subscription::is_entitled`].
    fn list_lapsed_unpaused(
        &mut self,
        now: Timestamp,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Subscription>>> + Send;
    /// Up to `limit` records with a pause recorded.
    fn list_paused(&mut self, limit: u32) -> impl Future<Output = Result<Vec<Subscription>>> + Send;
    /// Up to `limit` records of organizations that ever subscribed, after `after` in id order.
    fn list_paid_subscriptions(
        &mut self,
        after: Option<OrgId>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Subscription>>> + Send;
}

/// Subscription changes, only inside a transaction.
pub trait SubscriptionTx {
    /// Writes the organization's record, replacing the one it had.
    fn put_subscription(&mut self, subscription: &Subscription) -> impl Future<Output = Result<()>> + Send;
}
