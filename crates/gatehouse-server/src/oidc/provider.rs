//! What the provider holds beyond the services, as `AppState` keeps it.

use super::counts::GrantCounter;
use super::keys::ProviderKeys;
use super::verified::VerifiedTokens;

/// What the provider holds beyond the services: its keys, the grant counter, and the
/// back-channel logout worker's bell.
pub struct Oidc {
    pub keys: ProviderKeys,
    pub counter: GrantCounter,
    /// Access tokens verified lately (introspection, userinfo).
    pub verified: VerifiedTokens,
}

impl Oidc {
    /// How long a retired key stays published: the longest life of a token it signed, and a
    /// minute of clock skew.
    pub fn publish_secs(access_ttl_secs: i64) -> i64 {
        access_ttl_secs.max(ID_TOKEN_TTL_SECS) + 60
    }
}

/// ID tokens live as long as the default access token: ten minutes.
pub const ID_TOKEN_TTL_SECS: i64 = 600;
