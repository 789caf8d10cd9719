//! What an admin submits for an identity provider, turned into the core's spec: protocol
//! fields checked, SAML metadata fetched and read, secrets sealed.

use crate::state::AppState;
use gatehouse_core::ids::IdpId;
use gatehouse_core::sso::{AttributeMap, IdentityProvider, IdpSpec, OidcSettings, Protocol, Settings};
use gatehouse_core::types::Name;
use gatehouse_core::{CoreError, Result};
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
    /// Default true.
    pub enforced: Option<bool>,
    /// SAML: accept responses the IdP sends unasked. Default false.
    pub allow_idp_initiated: Option<bool>,
    /// Add people to local groups named by the IdP's group claims. Default false.
    pub map_groups: Option<bool>,
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
    fn saml_fields(&self) -> bool {
        self.metadata_xml.is_some()
            || self.metadata_url.is_some()
            || self.entity_id.is_some()
            || self.sso_url.is_some()
            || self.idp_slo_url.is_some()
            || self.certificates.is_some()
            || self.allow_sha1.is_some()
            || self.sign_requests.is_some()
            || self.attributes.is_some()
    }

    fn oidc_fields(&self) -> bool {
        self.issuer.is_some()
            || self.client_id.is_some()
            || self.client_secret.is_some()
            || self.scopes.is_some()
            || self.claims.is_some()
    }
}

/// The spec of a new provider (`before` None) or of a change to `before`.
pub async fn spec_for(st: &AppState, id: IdpId, input: IdpInput, before: Option<&IdentityProvider>) -> Result<IdpSpec> {
    let protocol = match (input.protocol.as_deref(), before) {
        (Some(p), b) => {
            let p = Protocol::parse(p).ok_or_else(|| CoreError::validation("protocol", "must be saml or oidc"))?;
            if b.is_some_and(|b| b.protocol() != p) {
                return Err(CoreError::validation(
                    "protocol",
                    "cannot change; add a new identity provider",
                ));
            }
            p
        }
        (None, Some(b)) => b.protocol(),
        (None, None) => return Err(CoreError::validation("protocol", "is required (saml or oidc)")),
    };
    match protocol {
        Protocol::Saml if input.oidc_fields() => {
            return Err(CoreError::validation(
                "protocol",
                "issuer, client_id, client_secret, scopes and claims are OIDC settings",
            ));
        }
        Protocol::Oidc if input.saml_fields() => {
            return Err(CoreError::validation(
                "protocol",
                "metadata, entity_id, sso_url, certificates and attributes are SAML settings",
            ));
        }
        _ => {}
    }
    let name = match (&input.name, before) {
        (Some(n), _) => Name::parse(n, "name", 100)?,
        (None, Some(b)) => Name::parse(&b.name, "name", 100)?,
        (None, None) => return Err(CoreError::validation("name", "is required")),
    };
    let domains = match (&input.domains, before) {
        (Some(d), _) => d.clone(),
        (None, Some(b)) => b.domains.clone(),
        (None, None) => return Err(CoreError::validation("domains", "is required")),
    };
    let (settings, sealed_secret) = match protocol {
        Protocol::Saml => super::saml::settings(st, id, &input, before).await?,
        Protocol::Oidc => oidc_settings(st, id, &input, before)?,
    };
    Ok(IdpSpec {
        id,
        name,
        enforced: input.enforced.or(before.map(|b| b.enforced)).unwrap_or(true),
        allow_idp_initiated: input
            .allow_idp_initiated
            .or(before.map(|b| b.allow_idp_initiated))
            .unwrap_or(false),
        map_groups: input.map_groups.or(before.map(|b| b.map_groups)).unwrap_or(false),
        domains,
        settings,
        sealed_secret,
    })
}

fn oidc_settings(
    st: &AppState,
    id: IdpId,
    input: &IdpInput,
    before: Option<&IdentityProvider>,
) -> Result<(Settings, Option<String>)> {
    let old = match before.map(|b| &b.settings) {
        Some(Settings::Oidc(o)) => Some(o),
        _ => None,
    };
    let issuer = input
        .issuer
        .clone()
        .or_else(|| old.map(|o| o.issuer.clone()))
        .ok_or_else(|| CoreError::validation("issuer", "is required"))?;
    let client_id = input
        .client_id
        .clone()
        .or_else(|| old.map(|o| o.client_id.clone()))
        .ok_or_else(|| CoreError::validation("client_id", "is required"))?;
    let scopes = input
        .scopes
        .clone()
        .or_else(|| old.map(|o| o.scopes.clone()))
        .unwrap_or_else(|| vec!["openid".into(), "email".into(), "profile".into()]);
    let claims = input
        .claims
        .clone()
        .or_else(|| old.map(|o| o.claims.clone()))
        .unwrap_or_default();
    let sealed = match &input.client_secret {
        Some(s) if s.is_empty() || s.len() > 1024 => {
            return Err(CoreError::validation("client_secret", "must be 1 to 1024 characters"));
        }
        Some(s) => Some(st.keys.seal(&gatehouse_core::sso::secret_context(id), s.as_bytes())?),
        None => None,
    };
    let settings = Settings::Oidc(OidcSettings {
        issuer: issuer.trim_end_matches('/').to_owned(),
        client_id,
        scopes,
        claims,
    });
    Ok((settings, sealed))
}
