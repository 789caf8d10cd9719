//! Machine credentials: organization API keys and people's own API tokens.

use crate::Timestamp;
use crate::error::Result;
use crate::ids::{AccountId, ApiKeyId, OrgId, UserApiTokenId};
use crate::model::{ApiKey, UserApiToken};
use crate::page::{Page, PageRequest};
use std::future::Future;

/// API key and user API token queries.
pub trait KeyReads {
    fn find_api_key_by_digest(&mut self, digest: &str) -> impl Future<Output = Result<Option<ApiKey>>> + Send;
    fn find_api_key(&mut self, org: OrgId, id: ApiKeyId) -> impl Future<Output = Result<Option<ApiKey>>> + Send;
    fn list_api_keys(&mut self, org: OrgId, page: &PageRequest) -> impl Future<Output = Result<Page<ApiKey>>> + Send;
    /// A person's API tokens, newest first.
    fn list_user_api_tokens(&mut self, account: AccountId) -> impl Future<Output = Result<Vec<UserApiToken>>> + Send;
}

/// API key and user API token changes, only inside a transaction.
pub trait KeyTx {
    fn insert_api_key(&mut self, key: &ApiKey, digest: &str) -> impl Future<Output = Result<()>> + Send;
    fn update_api_key(&mut self, key: &ApiKey) -> impl Future<Output = Result<()>> + Send;
    fn insert_user_api_token(&mut self, token: &UserApiToken, digest: &str) -> impl Future<Output = Result<()>> + Send;
    /// Revokes one token of the account; `false` if it has no such live token.
    fn revoke_user_api_token(
        &mut self,
        account: AccountId,
        id: &UserApiTokenId,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Revokes every live token of the account; returns how many.
    fn revoke_user_api_tokens(&mut self, account: AccountId, at: Timestamp)
    -> impl Future<Output = Result<u64>> + Send;
}
