use super::capability::capability;
use super::management::not_managed;
use crate::audit::AuditAction;
use crate::authz::OrgAdmin;
use crate::error::{CoreError, Result};
use crate::ids::AccountId;
use crate::ports::prelude::*;

const NOT_FOUND: CoreError = CoreError::NotFound { entity: "account" };

capability!(
    ApiTokens,
    "People's own API tokens, as the organization that manages them sees them."
);

impl<S: Store> ApiTokens<S> {
    /// A managed account's API tokens (an organization sees only the tokens of people it
    /// manages).
    pub async fn list(&self, admin: &OrgAdmin, id: AccountId) -> Result<Vec<crate::model::UserApiToken>> {
        let mut r = self.store.reader().await?;
        let account = r.find_org_account(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        if !account.is_managed {
            return Err(not_managed());
        }
        r.list_user_api_tokens(id).await
    }

    /// Revokes one API token of a managed account.
    pub async fn revoke(&self, admin: &OrgAdmin, id: AccountId, token: &crate::ids::UserApiTokenId) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let account = tx.find_org_account(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        if !account.is_managed {
            return Err(not_managed());
        }
        if !tx.revoke_user_api_token(id, token, now).await? {
            return Err(CoreError::NotFound { entity: "API token" });
        }
        let ev = admin
            .acting()
            .event(AuditAction::UserApiTokenRevoked, now)
            .target("account", id, Some(&account.account.email))
            .target("user_api_token", token, None);
        tx.insert_event(&ev).await?;
        tx.commit().await
    }
}
