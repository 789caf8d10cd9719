//! What an admin submits for an identity provider, turned into the core's spec: protocol
//! fields checked, SAML metadata fetched and read, secrets sealed.

pub use super::input::IdpInput;
use crate::state::AppState;
use gatehouse_core::ids::IdpId;
use gatehouse_core::sso::{IdentityProvider, IdpSpec, OidcSettings, Protocol, Settings};
use gatehouse_core::types::Name;
use gatehouse_core::{CoreError, Result};

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
        Protocol::Saml => super::saml_settings::settings(st, id, &input, before).await?,
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
        default_policy_id: match input.default_policy_id.as_deref().map(str::trim) {
            Some("") => None,
            Some(p) => Some(
                gatehouse_core::ids::PolicyId::parse(p)
                    .map_err(|_| CoreError::validation("default_policy_id", "is not a valid id"))?,
            ),
            None => before.and_then(|b| b.default_policy_id),
        },
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
