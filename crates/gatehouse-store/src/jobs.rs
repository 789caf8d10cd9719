//! Job leases.

use crate::{SqlTx, db_err};
use gatehouse_core::ports::JobTx;
use gatehouse_core::{Result, Timestamp};

impl JobTx for SqlTx {
    async fn acquire_lease(&mut self, name: &str, holder: &str, now: Timestamp, until: Timestamp) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO job_leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE job_leases.expires_at < $4 OR job_leases.holder = $2",
        )
        .bind(name.to_owned())
        .bind(holder.to_owned())
        .bind(until.millis())
        .bind(now.millis())
        .execute(self.c())
        .await
        .map_err(db_err)?;
        Ok(n.rows_affected() == 1)
    }
}
