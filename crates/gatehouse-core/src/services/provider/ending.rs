//! The rules that end product sessions with the Gatehouse session or the account they hang
//! on (sign-out, cut-off), and the count of token grants a minute records.

use crate::Timestamp;
use crate::error::Result;
use crate::ids::{AccountId, ClientId, OrgId, SessionId};
use crate::ports::GrantEndTx;

/// Token grants one client received in one minute, for the one event that records them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrantCount {
    pub client_id: ClientId,
    pub org_id: OrgId,
    pub client_credentials: u64,
    pub refresh: u64,
}

/// Ends the product sessions a Gatehouse session started (its person signed out), in the
/// caller's transaction, queueing their back-channel logouts.
pub(crate) async fn end_session_grants<T: GrantEndTx + Send>(
    tx: &mut T,
    session: SessionId,
    now: Timestamp,
) -> Result<()> {
    let ended = tx.revoke_session_grants(session, now).await?;
    tx.queue_logout_notices(&ended, now).await
}

/// Ends every product session of the account (deactivation, a new password, signing out
/// everywhere), in the caller's transaction, queueing their back-channel logouts.
pub(crate) async fn end_account_grants<T: GrantEndTx + Send>(
    tx: &mut T,
    account: AccountId,
    now: Timestamp,
) -> Result<()> {
    let ended = tx.revoke_account_grants(account, now).await?;
    tx.queue_logout_notices(&ended, now).await
}
