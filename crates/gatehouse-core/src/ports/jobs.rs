//! Background jobs: the leases that keep one node at a time on a job.

use crate::Timestamp;
use crate::error::Result;
use std::future::Future;

/// Job lease changes, only inside a transaction.
pub trait JobTx {
    /// Takes or renews the named job lease for `holder` until `until`, if it is free or expired
    /// at `now` or already held by `holder`. Atomic: two nodes never both get it.
    fn acquire_lease(
        &mut self,
        name: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;
}
