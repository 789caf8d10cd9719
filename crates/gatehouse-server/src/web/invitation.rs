//! The invitation mail of an account an admin added to an organization (API or console),
//! queued once the addition is committed, so the admin's answer waits for no mail server and a
//! mail that fails leaves the addition as it is (the failure is logged).

use crate::state::AppState;
use gatehouse_core::authz::OrgAdmin;
use gatehouse_core::ids::AccountId;

/// Queues the invitation mail of `account`, just added by `admin` to its organization.
pub fn queue_invitation(st: &AppState, admin: &OrgAdmin, account: AccountId) {
    let (signin, org, actor, meta) = (
        st.signin.clone(),
        admin.org(),
        admin.actor().clone(),
        admin.meta().clone(),
    );
    let job = async move { signin.send_invitation(org, account, &actor, &meta).await.map(|_| ()) };
    if let Err(e) = st.deferred.queue("invitation mail", Box::pin(job)) {
        tracing::error!(error = %e, account = %account, "the invitation mail could not be queued");
    }
}
