use super::capability::capability;
use crate::error::Result;
use crate::ports::prelude::*;

capability!(
    Leases,
    "Job leases: which node runs a periodic job now, so two nodes never run one job at once."
);

impl<S: Store> Leases<S> {
    /// Takes or renews the named lease for `holder` for `secs` seconds, if it is free, expired
    /// or already `holder`'s. Atomic in the database.
    pub async fn acquire(&self, name: &str, holder: &str, secs: i64) -> Result<bool> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let got = tx.acquire_lease(name, holder, now, now.plus_secs(secs)).await?;
        tx.commit().await?;
        Ok(got)
    }
}
