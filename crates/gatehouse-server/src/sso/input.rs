//! What an admin submits for an identity provider.

use gatehouse_core::sso::AttributeMap;
use serde::Deserialize;
use utoipa::ToSchema;

/// An identity provider as an admin submits it (every field optional on a change).
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct IdpInput {
    pub name: Option<String>,
    /// `saml` or `oidc` (required to create; cannot change).
    pub protocol: Option<String>,
    /// Verified domain names of the organization that sign in through it.
    pub domains: Option<Vec<String>>,
    /// Default true. Edits the default authentication policy's single sign-on rule (see the
    /// policies' `sso`).
    pub enforced: Option<bool>,
    /// SAML: accept responses the IdP sends unasked. Default false.
    pub allow_idp_initiated: Option<bool>,
    /// Add people to local groups named by the IdP's group claims. Default false.
    pub map_groups: Option<bool>,
    /// The authentication policy the accounts it creates join; `""` for the organization's
    /// default policy (the default).
    pub default_policy_id: Option<String>,
    /// SAML: the IdP's metadata document.
    pub metadata_xml: Option<String>,
    /// SAML: where to fetch the IdP's metadata (https).
    pub metadata_url: Option<String>,
    /// SAML by hand: the IdP's entity id, sign-in URL, logout URL and certificates (PEM).
    pub entity_id: Option<String>,
    pub sso_url: Option<String>,
    pub idp_slo_url: Option<String>,
    pub certificates: Option<Vec<String>>,
    /// SAML: accept SHA-1 signatures (off unless you must).
    pub allow_sha1: Option<bool>,
    /// SAML: accept encrypted assertions whose key comes with RSA PKCS#1 v1.5 (`rsa-1_5`), for
    /// a provider that cannot send RSA-OAEP (off unless you must).
    pub allow_rsa1_5: Option<bool>,
    /// SAML: sign our AuthnRequests.
    pub sign_requests: Option<bool>,
    /// SAML attribute names carrying email, display_name, given_name, family_name, groups.
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<AttributeMap>,
    /// OIDC: the IdP's issuer (discovery at `{issuer}/.well-known/openid-configuration`).
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    /// OIDC: stored sealed, never shown again.
    pub client_secret: Option<String>,
    /// OIDC: default `openid email profile`.
    pub scopes: Option<Vec<String>>,
    /// OIDC claim names carrying email, display_name, given_name, family_name, groups.
    #[schema(value_type = Option<Object>)]
    pub claims: Option<AttributeMap>,
}

impl IdpInput {
    pub(super) fn saml_fields(&self) -> bool {
        self.metadata_xml.is_some()
            || self.metadata_url.is_some()
            || self.entity_id.is_some()
            || self.sso_url.is_some()
            || self.idp_slo_url.is_some()
            || self.certificates.is_some()
            || self.allow_sha1.is_some()
            || self.allow_rsa1_5.is_some()
            || self.sign_requests.is_some()
            || self.attributes.is_some()
    }

    pub(super) fn oidc_fields(&self) -> bool {
        self.issuer.is_some()
            || self.client_id.is_some()
            || self.client_secret.is_some()
            || self.scopes.is_some()
            || self.claims.is_some()
    }
}
