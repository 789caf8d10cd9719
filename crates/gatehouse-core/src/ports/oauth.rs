//! Product clients, their secrets, product sessions (grants, codes, refresh tokens), the
//! back-channel logout outbox and the provider's signing keys.

use crate::Timestamp;
use crate::error::Result;
use crate::ids::{AccountId, ClientId, ClientSecretId, GrantId, InstanceId, OrgId, SessionId};
use crate::oauth::{
    Client, ClientSecret, CodeGrant, EndedGrant, Grant, LogoutNotice, ProductSession, StoredSigningKey, Subject, Taken,
};
use crate::page::{Page, PageRequest};
use std::future::Future;

/// Client, grant and key queries.
pub trait OAuthReads {
    fn find_client(&mut self, org: OrgId, id: ClientId) -> impl Future<Output = Result<Option<Client>>> + Send;
    /// The client of this id, whatever its organization (the token endpoint knows no org).
    fn find_client_by_id(&mut self, id: ClientId) -> impl Future<Output = Result<Option<Client>>> + Send;
    fn list_clients(&mut self, org: OrgId, page: &PageRequest) -> impl Future<Output = Result<Page<Client>>> + Send;
    /// The client's secrets still working at `now`, newest first.
    fn list_client_secrets(
        &mut self,
        client: ClientId,
        now: Timestamp,
    ) -> impl Future<Output = Result<Vec<ClientSecret>>> + Send;
    /// Whether the client has a secret of this digest working at `now`.
    fn client_secret_matches(
        &mut self,
        client: ClientId,
        digest: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Whether the account may sign in to a client tied to `instance`: it has access to the
    /// instance (directly or through a group), is active, and is not suspended in `org`.
    fn may_use_instance(
        &mut self,
        org: OrgId,
        instance: InstanceId,
        account: AccountId,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Whether the account may sign in to a client of `org` tied to no instance: it is active,
    /// not suspended in `org`, and `org` manages it or gave it access to any instance.
    fn may_use_org(&mut self, org: OrgId, account: AccountId) -> impl Future<Output = Result<bool>> + Send;
    /// The account a token speaks of, with whether its email is proven.
    fn find_subject(&mut self, account: AccountId) -> impl Future<Output = Result<Option<Subject>>> + Send;
    fn find_grant(&mut self, id: GrantId) -> impl Future<Output = Result<Option<Grant>>> + Send;
    /// The account's live product sessions with the clients of `org`, newest first.
    fn list_product_sessions(
        &mut self,
        org: OrgId,
        account: AccountId,
    ) -> impl Future<Output = Result<Vec<ProductSession>>> + Send;
    /// Every stored signing key, newest first.
    fn list_signing_keys(&mut self) -> impl Future<Output = Result<Vec<StoredSigningKey>>> + Send;
    /// Back-channel logouts due at `now`, oldest first, at most `limit`.
    fn due_logout_notices(
        &mut self,
        now: Timestamp,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<LogoutNotice>>> + Send;
}

/// Client, grant and key changes, only inside a transaction.
pub trait OAuthTx {
    fn insert_client(&mut self, client: &Client) -> impl Future<Output = Result<()>> + Send;
    fn update_client(&mut self, client: &Client) -> impl Future<Output = Result<()>> + Send;
    /// Deletes the client with its secrets and grants; whether there was one.
    fn delete_client(&mut self, org: OrgId, id: ClientId) -> impl Future<Output = Result<bool>> + Send;
    fn insert_client_secret(&mut self, secret: &ClientSecret, digest: &str) -> impl Future<Output = Result<()>> + Send;
    /// Makes every other working secret of the client stop at `until` (sooner if it already
    /// would): how many were cut short.
    fn expire_client_secrets(
        &mut self,
        client: ClientId,
        keep: ClientSecretId,
        until: Timestamp,
    ) -> impl Future<Output = Result<u64>> + Send;
    fn insert_code(&mut self, digest: &str, code: &CodeGrant, at: Timestamp)
    -> impl Future<Output = Result<()>> + Send;
    /// Spends the code (see [`Taken`]). Expiry is the caller's to check.
    fn take_code(&mut self, digest: &str, at: Timestamp) -> impl Future<Output = Result<Taken<CodeGrant>>> + Send;
    fn insert_grant(&mut self, grant: &Grant) -> impl Future<Output = Result<()>> + Send;
    fn touch_grant(&mut self, id: GrantId, at: Timestamp) -> impl Future<Output = Result<()>> + Send;
    fn insert_refresh_token(
        &mut self,
        digest: &str,
        grant: GrantId,
        at: Timestamp,
        expires_at: Timestamp,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Spends the refresh token if it is unexpired at `at` and its grant is live: the grant.
    /// An expired token or a revoked grant is `Missing`; a spent token is `Spent`.
    fn take_refresh_token(&mut self, digest: &str, at: Timestamp) -> impl Future<Output = Result<Taken<Grant>>> + Send;
    /// Revokes a refresh token's whole grant if the token belongs to `client` (RFC 7009):
    /// the grant ended, if one did.
    fn revoke_by_refresh_token(
        &mut self,
        client: ClientId,
        digest: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<Option<EndedGrant>>> + Send;
    /// Revokes one grant, if live: the grant ended.
    fn revoke_grant(&mut self, id: GrantId, at: Timestamp) -> impl Future<Output = Result<Option<EndedGrant>>> + Send;
    /// Revokes the account's live grants with the clients of `org` (its admins end them).
    fn revoke_org_account_grants(
        &mut self,
        org: OrgId,
        account: AccountId,
        at: Timestamp,
    ) -> impl Future<Output = Result<Vec<EndedGrant>>> + Send;
    /// Removes a delivered (or abandoned) notice.
    fn delete_logout_notice(&mut self, id: i64) -> impl Future<Output = Result<()>> + Send;
    /// Tries a notice again at `next_at`.
    fn retry_logout_notice(&mut self, id: i64, next_at: Timestamp) -> impl Future<Output = Result<()>> + Send;
    fn insert_signing_key(&mut self, key: &StoredSigningKey) -> impl Future<Output = Result<()>> + Send;
    /// Retires every active key but `keep`, publishing them until `publish_until`.
    fn retire_signing_keys(
        &mut self,
        keep: &str,
        at: Timestamp,
        publish_until: Timestamp,
    ) -> impl Future<Output = Result<u64>> + Send;
    /// Deletes what can no longer be used at `now`: codes and refresh tokens past their
    /// expiry, grants revoked or without a live refresh token for `idle_secs`, retired keys
    /// no longer published. How many rows went.
    fn prune_oauth(&mut self, now: Timestamp, grant_idle_secs: i64) -> impl Future<Output = Result<u64>> + Send;
}

/// Ending product sessions with the Gatehouse session or account they hang on, and queueing
/// their back-channel logouts, only inside a transaction (the rules of sign-out and cut-off).
pub trait GrantEndTx {
    /// Revokes every live grant of the account (deactivation, password change): those ended.
    fn revoke_account_grants(
        &mut self,
        account: AccountId,
        at: Timestamp,
    ) -> impl Future<Output = Result<Vec<EndedGrant>>> + Send;
    /// Revokes the live grants a Gatehouse session started (its person signed out).
    fn revoke_session_grants(
        &mut self,
        session: SessionId,
        at: Timestamp,
    ) -> impl Future<Output = Result<Vec<EndedGrant>>> + Send;
    /// Queues a back-channel logout for each ended grant whose client registered a
    /// `backchannel_logout_uri`.
    fn queue_logout_notices(&mut self, ended: &[EndedGrant], at: Timestamp) -> impl Future<Output = Result<()>> + Send;
}
