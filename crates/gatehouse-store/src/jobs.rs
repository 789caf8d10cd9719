//! Job leases.

use crate::SqlTx;
use crate::sql::Sql;
use gatehouse_core::ports::JobTx;
use gatehouse_core::{Result, Timestamp};

impl JobTx for SqlTx {
    async fn acquire_lease(&mut self, name: &str, holder: &str, now: Timestamp, until: Timestamp) -> Result<bool> {
        let q = Sql::new(
            "INSERT INTO job_leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE job_leases.expires_at < $4 OR job_leases.holder = $2",
        )
        .with(name)
        .with(holder)
        .with(until.millis())
        .with(now.millis());
        let n = self.exec(&q).await?;
        Ok(n == 1)
    }
}
