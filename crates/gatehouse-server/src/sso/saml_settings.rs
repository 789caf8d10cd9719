//! The SAML settings an admin's input makes: the IdP's metadata (given, or fetched through the
//! guarded client) or its values by hand, certificates checked, and on creation our own
//! service-provider key pair for this connection (the certificate stored, the key sealed).

use super::input::IdpInput;
use crate::state::AppState;
use gatehouse_core::ids::IdpId;
use gatehouse_core::sso::{IdentityProvider, SamlSettings, Settings, secret_context};
use gatehouse_core::{CoreError, Result};
use gatehouse_saml::{Certificate, IdpMetadata, SpCredentials};

/// What the IdP told us about itself.
struct IdpFacts {
    entity_id: String,
    sso_url: String,
    slo_url: Option<String>,
    certificates: Vec<String>,
}

fn bad(field: &str, message: impl Into<String>) -> CoreError {
    CoreError::validation(field, message)
}

/// The provider's settings and, for a new provider, its sealed SP key.
pub async fn settings(
    st: &AppState,
    id: IdpId,
    input: &IdpInput,
    before: Option<&IdentityProvider>,
) -> Result<(Settings, Option<String>)> {
    let old = match before.map(|b| &b.settings) {
        Some(Settings::Saml(s)) => Some(s),
        _ => None,
    };
    let facts = facts(st, input, old).await?;
    let mut certificates = Vec::new();
    for (n, c) in facts.certificates.iter().enumerate() {
        let cert = Certificate::parse(c).map_err(|e| bad("certificates", format!("certificate {}: {e}", n + 1)))?;
        certificates.push(cert.pem());
    }
    let (sp_certificate, sealed) = if let Some(o) = old {
        (o.sp_certificate.clone(), None)
    } else {
        let creds = SpCredentials::generate(&format!("Gatehouse SP {id}"), st.services.now().millis())
            .map_err(CoreError::internal)?;
        let sealed = st.keys.seal(&secret_context(id), creds.key_pem.as_bytes())?;
        (creds.cert_pem.clone(), Some(sealed))
    };
    let settings = Settings::Saml(SamlSettings {
        entity_id: facts.entity_id,
        sso_url: facts.sso_url,
        slo_url: facts.slo_url,
        certificates,
        allow_sha1: input.allow_sha1.or(old.map(|o| o.allow_sha1)).unwrap_or(false),
        allow_rsa1_5: input.allow_rsa1_5.or(old.map(|o| o.allow_rsa1_5)).unwrap_or(false),
        sign_requests: input.sign_requests.or(old.map(|o| o.sign_requests)).unwrap_or(false),
        sp_certificate,
        attributes: input
            .attributes
            .clone()
            .or_else(|| old.map(|o| o.attributes.clone()))
            .unwrap_or_default(),
    });
    Ok((settings, sealed))
}

/// The IdP's entity id, URLs and certificates: from metadata (given or fetched), else from the
/// fields given by hand over what was stored.
async fn facts(st: &AppState, input: &IdpInput, old: Option<&SamlSettings>) -> Result<IdpFacts> {
    let metadata = match (&input.metadata_xml, &input.metadata_url) {
        (Some(_), Some(_)) => return Err(bad("metadata_url", "give metadata_xml or metadata_url, not both")),
        (Some(xml), None) => Some(xml.clone()),
        (None, Some(url)) => Some(fetch(st, url).await?),
        (None, None) => None,
    };
    if let Some(xml) = metadata {
        let m =
            IdpMetadata::parse(&xml).map_err(|e| bad("metadata_xml", format!("the metadata cannot be used: {e}")))?;
        return Ok(IdpFacts {
            entity_id: m.entity_id,
            sso_url: m.sso_url,
            slo_url: m.slo_url,
            certificates: m.certificates,
        });
    }
    let pick = |given: &Option<String>, stored: Option<String>, field: &str| {
        given
            .clone()
            .or(stored)
            .ok_or_else(|| bad(field, "is required (or give metadata_xml or metadata_url)"))
    };
    Ok(IdpFacts {
        entity_id: pick(&input.entity_id, old.map(|o| o.entity_id.clone()), "entity_id")?,
        sso_url: pick(&input.sso_url, old.map(|o| o.sso_url.clone()), "sso_url")?,
        slo_url: input
            .idp_slo_url
            .clone()
            .or_else(|| old.and_then(|o| o.slo_url.clone())),
        certificates: input
            .certificates
            .clone()
            .or_else(|| old.map(|o| o.certificates.clone()))
            .ok_or_else(|| bad("certificates", "at least one certificate is required"))?,
    })
}

/// Fetches metadata through the guarded client: https (http only on loopback, for tests),
/// public addresses only, a size cap; the caller learns a coarse reason.
async fn fetch(st: &AppState, url: &str) -> Result<String> {
    let ok_scheme =
        url.starts_with("https://") || url.starts_with("http://127.0.0.1") || url.starts_with("http://localhost");
    if !ok_scheme || url.len() > 2048 {
        return Err(bad("metadata_url", "must be an https URL"));
    }
    let body = st.sso_http.get(url).await.map_err(|e| {
        bad(
            "metadata_url",
            format!("the metadata could not be fetched ({})", e.reason()),
        )
    })?;
    String::from_utf8(body).map_err(|_| bad("metadata_url", "the metadata is not UTF-8 text"))
}
