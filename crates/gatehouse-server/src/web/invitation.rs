//! The invitation mail of an account an admin added to an organization (API or console). It is
//! prepared (its link and its audit event written) before the admin's answer, and sent after
//! it, so the answer waits for no mail server and a mail that fails leaves the addition as it
//! is (the failure is logged).

use crate::state::AppState;
use gatehouse_core::authz::OrgAdmin;
use gatehouse_core::ids::AccountId;

/// Prepares the invitation of `account`, just added by `admin` to its organization, and queues
/// its mail.
pub async fn invite(st: &AppState, admin: &OrgAdmin, account: AccountId) {
    let mail = match st
        .signin
        .invitation(admin.org(), account, admin.actor(), admin.meta())
        .await
    {
        Ok(Some((_, mail))) => mail,
        Ok(None) => return,
        Err(e) => {
            tracing::error!(error = %e, account = %account, "the invitation could not be prepared");
            return;
        }
    };
    let signin = st.signin.clone();
    if let Err(e) = st
        .deferred
        .queue("invitation mail", Box::pin(async move { signin.deliver(mail).await }))
    {
        tracing::error!(error = %e, account = %account, "the invitation mail could not be queued");
    }
}
