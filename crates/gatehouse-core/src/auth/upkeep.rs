//! Housekeeping: what can no longer be used is deleted by a periodic job, so sessions, reset
//! links and throttle keys do not pile up (a guesser trying a million addresses leaves a
//! million keys behind, each gone a window after its last attempt).

use super::service::Auth;
use crate::error::Result;
use crate::ports::{SigninPruned, prelude::*};

impl<S: Store> Auth<S> {
    /// Deletes, in one transaction, sessions past their absolute end or idle timeout, reset
    /// links expired, used or issued for an older password, emailed links expired, throttle keys neither locked
    /// nor remembered any more, and two-step state that has ended. Nothing deleted could still be used, so no organization's log
    /// records it; the job logs the counts.
    pub async fn prune_expired(&self) -> Result<SigninPruned> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let pruned = tx.prune_signin(now, now.plus_secs(-self.policy.idle_secs)).await?;
        tx.prune_email_links(now).await?;
        // WebAuthn ceremonies and pending sign-ins past their end, and authenticator-app
        // enrolments nobody confirmed within a day.
        tx.prune_two_step(now, now.plus_secs(-24 * 3600)).await?;
        tx.commit().await?;
        Ok(pruned)
    }
}
