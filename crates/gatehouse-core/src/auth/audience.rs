//! Whose audit log hears about an account's sign-ins, sign-outs and password changes.

use crate::error::Result;
use crate::ids::{AccountId, OrgId};
use crate::ports::prelude::*;

/// The organizations that hear about what an account does at sign-in: the one that manages
/// it, and those it administers. An organization that only gave the account access, or
/// invited it as an admin (not yet accepted), hears nothing: a person's sign-ins are not the
/// business of every organization they work with.
pub(crate) async fn audience<T: AccountReads + AdminReads + Send>(
    tx: &mut T,
    account: AccountId,
) -> Result<Vec<OrgId>> {
    let mut orgs: Vec<OrgId> = tx.list_admin_orgs(account).await?.into_iter().map(|o| o.id).collect();
    if let Some(manager) = tx.find_account_manager(account).await?
        && !orgs.contains(&manager)
    {
        orgs.push(manager);
    }
    Ok(orgs)
}
