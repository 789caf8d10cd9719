//! Product sessions: what a sign-in to a product client leaves behind (a grant, its code and
//! its family of refresh tokens), and the notices that tell products a session ended.

use crate::Timestamp;
use crate::ids::{AccountId, ClientId, GrantId, OrgId, SessionId};

/// One sign-in of an account to a client, and every token issued from it. Its refresh tokens
/// are one family: revoking the grant (a reuse of a spent token, a replayed code, a sign-out,
/// a deactivation, an admin) ends them all, and the access tokens it issued stop passing
/// introspection and userinfo.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Grant {
    pub id: GrantId,
    pub client_id: ClientId,
    /// The client's organization.
    pub org_id: OrgId,
    pub account_id: AccountId,
    /// The Gatehouse session that signed in; signing out of it ends this grant.
    pub session_id: Option<SessionId>,
    /// The scopes granted, space-separated in canonical order.
    pub scope: String,
    /// When the person last authenticated to Gatehouse (the ID token's `auth_time`).
    pub auth_time: Timestamp,
    /// How they authenticated (RFC 8176 values: `pwd`, later `otp`, `hwk`...).
    pub amr: Vec<String>,
    pub created_at: Timestamp,
    pub last_used_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

impl Grant {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split(' ').any(|s| s == scope)
    }
}

/// A product session as an organization's admins see it: the grant and its client's name.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProductSession {
    #[serde(flatten)]
    pub grant: Grant,
    pub client_name: String,
}

/// An authorization code, as stored until it is exchanged. The grant's id is chosen when the
/// code is issued, so a replay of the code can revoke what the first exchange issued.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeGrant {
    pub grant_id: GrantId,
    pub client_id: ClientId,
    pub account_id: AccountId,
    pub session_id: Option<SessionId>,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    /// The PKCE challenge (S256), when the client sent one.
    pub code_challenge: Option<String>,
    pub auth_time: Timestamp,
    pub amr: Vec<String>,
    pub expires_at: Timestamp,
}

/// What taking a code or a refresh token found. One conditional statement marks it spent, so
/// of two uses at the same moment exactly one is `Fresh`.
#[derive(Debug, Clone, PartialEq)]
pub enum Taken<T> {
    /// Unspent until now; now spent.
    Fresh(T),
    /// Spent before: a replay. The grant it belongs to.
    Spent(GrantId),
    /// No such code or token (or one already pruned).
    Missing,
}

/// A product session that ended, for the notice its client may want (back-channel logout).
#[derive(Debug, Clone, PartialEq)]
pub struct EndedGrant {
    pub grant_id: GrantId,
    pub client_id: ClientId,
    pub org_id: OrgId,
    pub account_id: AccountId,
}

/// A back-channel logout waiting to be delivered (OIDC Back-Channel Logout 1.0).
#[derive(Debug, Clone, PartialEq)]
pub struct LogoutNotice {
    pub id: i64,
    pub client_id: ClientId,
    pub uri: String,
    /// The account id (`sub`).
    pub account_id: AccountId,
    /// The grant id, which the ID token carried as `sid`.
    pub grant_id: GrantId,
    pub attempts: i64,
}

/// A signing key as stored: the private half sealed with the operator's key file.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSigningKey {
    pub kid: String,
    pub alg: String,
    /// The PKCS#8 private key, sealed (see `sealing`), bound to the key's kid.
    pub sealed_private: String,
    /// The public JWK (RFC 7517), as published.
    pub public_jwk: String,
    pub created_at: Timestamp,
    /// When it stopped signing; none for the active key.
    pub retired_at: Option<Timestamp>,
    /// Until when a retired key stays published (its last tokens' expiry).
    pub publish_until: Option<Timestamp>,
}

/// Who a token speaks of: the account, and whether its email address is proven (a mailed
/// link was followed; later, an identity provider asserted it).
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    pub account: crate::model::Account,
    pub email_verified: bool,
}
