//! The two parties: our SP (one per IdP connection) and the IdP as configured.

use crate::keys::{Certificate, SpCredentials};

/// The SP side of one IdP connection. Gatehouse serves metadata at `/saml/{idp_id}/metadata`,
/// which is also the entity id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sp {
    /// The SP entity id (an absolute URL).
    pub entity_id: String,
    /// The AssertionConsumerService URL (HTTP-POST).
    pub acs_url: String,
    /// The SingleLogoutService URL (HTTP-Redirect).
    pub slo_url: String,
    /// Signing and decryption credentials.
    pub credentials: SpCredentials,
}

/// An IdP as the organization configured it (from metadata or by hand).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpConfig {
    /// The IdP entity id (the Issuer we require).
    pub entity_id: String,
    /// Where AuthnRequests go (HTTP-Redirect binding).
    pub sso_url: url::Url,
    /// Where LogoutRequests go, if the IdP does single logout.
    pub slo_url: Option<url::Url>,
    /// Signing certificates: one, or two during a rotation.
    pub certificates: Vec<Certificate>,
    /// Accept SHA-1 signatures from this IdP (off unless it cannot do better).
    pub allow_sha1: bool,
}
