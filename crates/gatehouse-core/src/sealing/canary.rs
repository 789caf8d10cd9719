//! The canary: one value sealed at the first start and kept in the database, opened at every
//! start. A key file that does not open it does not belong to this database; starting anyway
//! would seal new secrets with a key the old ones cannot be read with, and fail later and
//! piecemeal. Refusing at start says it once, plainly.

use super::{KeyRing, SealError};
use crate::Timestamp;
use crate::error::{CoreError, Result};
use crate::ports::prelude::*;

/// The canary's name among the server's keys.
const NAME: &str = "secret-key-canary";
/// Its context: where it is stored.
const CONTEXT: &str = "server_keys.secret:secret-key-canary";
const PLAINTEXT: &[u8] = b"gatehouse secret key canary";

/// Stores the canary sealed with `ring` if the database has none yet (several nodes starting
/// at once agree on the first stored), then opens the stored one with `ring`. A ring that
/// cannot open it answers `Conflict` `secret_key_mismatch`, naming the key id the database
/// expects and the ids the ring holds.
pub async fn check_canary<S: Store>(store: &S, ring: &KeyRing, now: Timestamp) -> Result<()> {
    let candidate = ring.seal(CONTEXT, PLAINTEXT)?;
    let mut tx = store.begin().await?;
    let stored = tx.ensure_server_key(NAME, &candidate, now).await?;
    tx.commit().await?;
    match ring.open(CONTEXT, &stored) {
        Ok(p) if p.as_slice() == PLAINTEXT => Ok(()),
        Ok(_) | Err(SealError::UnknownKey(_) | SealError::Rejected(_)) => Err(CoreError::conflict(
            "secret_key_mismatch",
            None,
            format!(
                "the secret key file does not belong to this database: the database's secrets are sealed with \
                 key {}, and the file holds {}",
                KeyRing::key_id_of(&stored).unwrap_or("?"),
                ring.ids().join(", ")
            ),
        )),
        Err(e) => Err(CoreError::internal(format!(
            "the stored secret key canary is unreadable: {e}"
        ))),
    }
}
