//! Who may enter the console. Apart from the console's router so the sign-in pages can ask
//! it without importing the console.

use crate::state::AppState;
use gatehouse_core::CoreError;
use gatehouse_core::model::Account;

/// The console's own check: it admits a person who administers at least one organization.
/// Sign-in asks it before opening a session, so a person it refuses never gets one.
pub async fn admits(st: &AppState, account: &Account) -> Result<bool, CoreError> {
    Ok(!st.services.admins.list_orgs_of(account.id).await?.is_empty())
}
