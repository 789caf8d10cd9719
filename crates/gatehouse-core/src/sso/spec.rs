//! What an admin configures for an identity provider, validated.

use crate::error::{CoreError, Result};
use crate::ids::IdpId;
use crate::types::Name;

/// Most domains one provider signs in.
pub const MAX_DOMAINS: usize = 50;
/// Most certificates a SAML provider is trusted with at once (two cover a rotation).
pub const MAX_CERTIFICATES: usize = 4;

/// The protocol an identity provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Saml,
    Oidc,
}

impl Protocol {
    /// The stored and served name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Saml => "saml",
            Self::Oidc => "oidc",
        }
    }

    /// The protocol of a stored or submitted name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "saml" => Some(Self::Saml),
            "oidc" => Some(Self::Oidc),
            _ => None,
        }
    }
}

/// Which assertion attributes (SAML) or claims (OIDC) carry what. `None` uses the usual
/// names (see `defaults`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeMap {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<String>,
}

impl AttributeMap {
    fn check(&self) -> Result<()> {
        for (field, v) in [
            ("attributes.email", &self.email),
            ("attributes.display_name", &self.display_name),
            ("attributes.given_name", &self.given_name),
            ("attributes.family_name", &self.family_name),
            ("attributes.groups", &self.groups),
        ] {
            if let Some(v) = v {
                Name::parse(v, field, 256)?;
            }
        }
        Ok(())
    }
}

/// A SAML identity provider's settings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SamlSettings {
    /// The IdP's entity id: the Issuer of its responses.
    pub entity_id: String,
    /// Where AuthnRequests go (HTTP-Redirect).
    pub sso_url: String,
    /// Where LogoutRequests go, if it does single logout.
    #[serde(default)]
    pub slo_url: Option<String>,
    /// The certificates its signatures are checked with (PEM); two during a rotation.
    pub certificates: Vec<String>,
    /// Accept SHA-1 signatures and digests (off unless the admin opts in).
    #[serde(default)]
    pub allow_sha1: bool,
    /// Accept encrypted assertions whose key is sent with RSA PKCS#1 v1.5 (off unless the
    /// admin opts in: RSA-OAEP is what every current provider sends).
    #[serde(default)]
    pub allow_rsa1_5: bool,
    /// Sign AuthnRequests with the service provider's key.
    #[serde(default)]
    pub sign_requests: bool,
    /// The service provider's own certificate (PEM) for this provider; its key is sealed.
    pub sp_certificate: String,
    #[serde(default)]
    pub attributes: AttributeMap,
}

/// An OpenID Connect identity provider's settings (its endpoints come from discovery).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OidcSettings {
    pub issuer: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    #[serde(default)]
    pub claims: AttributeMap,
}

/// A provider's protocol settings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "protocol", rename_all = "lowercase")]
pub enum Settings {
    Saml(SamlSettings),
    Oidc(OidcSettings),
}

impl Settings {
    pub fn protocol(&self) -> Protocol {
        match self {
            Self::Saml(_) => Protocol::Saml,
            Self::Oidc(_) => Protocol::Oidc,
        }
    }

    /// Checks what the protocol adapter could not: lengths, URL shapes, lists.
    pub fn check(&self) -> Result<()> {
        match self {
            Self::Saml(s) => {
                text(&s.entity_id, "entity_id", 1024)?;
                https_url(&s.sso_url, "sso_url")?;
                if let Some(u) = &s.slo_url {
                    https_url(u, "slo_url")?;
                }
                if s.certificates.is_empty() {
                    return Err(CoreError::validation(
                        "certificates",
                        "at least one certificate is required",
                    ));
                }
                if s.certificates.len() > MAX_CERTIFICATES {
                    return Err(CoreError::validation(
                        "certificates",
                        format!("at most {MAX_CERTIFICATES} certificates"),
                    ));
                }
                s.attributes.check()
            }
            Self::Oidc(o) => {
                https_url(&o.issuer, "issuer")?;
                text(&o.client_id, "client_id", 255)?;
                if !o.scopes.iter().any(|s| s == "openid") {
                    return Err(CoreError::validation("scopes", "must include openid"));
                }
                for s in &o.scopes {
                    if s.is_empty()
                        || s.len() > 128
                        || !s.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
                    {
                        return Err(CoreError::validation("scopes", "must be scope tokens (RFC 6749 §3.3)"));
                    }
                }
                o.claims.check()
            }
        }
    }
}

fn text(v: &str, field: &str, max: usize) -> Result<()> {
    if v.trim().is_empty() || v.len() > max || v.chars().any(char::is_control) {
        return Err(CoreError::validation(
            field,
            format!("must be 1 to {max} characters, no control characters"),
        ));
    }
    Ok(())
}

/// An https URL (an `http` one only on a loopback host, for local test providers).
fn https_url(v: &str, field: &str) -> Result<()> {
    text(v, field, 2048)?;
    let ok = v.starts_with("https://")
        || ["http://127.0.0.1", "http://localhost", "http://[::1]"]
            .iter()
            .any(|p| {
                v.strip_prefix(p)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']))
            });
    if !ok || v.contains(['#', ' ', '\\']) {
        return Err(CoreError::validation(field, "must be an https URL without a fragment"));
    }
    Ok(())
}

/// A new or changed identity provider, as the admin asked for it.
#[derive(Debug, Clone)]
pub struct IdpSpec {
    /// Chosen by the caller so that the secret can be sealed to the row before it exists.
    pub id: IdpId,
    pub name: Name,
    pub enforced: bool,
    pub allow_idp_initiated: bool,
    pub map_groups: bool,
    /// The policy the accounts it creates join; `None`: the default.
    pub default_policy_id: Option<crate::ids::PolicyId>,
    /// Lower-case domain names, sorted, without duplicates.
    pub domains: Vec<String>,
    pub settings: Settings,
    /// The sealed secret; `None` keeps the one stored (a change) or stores none.
    pub sealed_secret: Option<String>,
}

impl IdpSpec {
    /// Normalizes and checks the parts that need no database.
    pub fn checked(mut self) -> Result<Self> {
        let mut domains: Vec<String> = self.domains.iter().map(|d| d.trim().to_ascii_lowercase()).collect();
        domains.sort();
        domains.dedup();
        if domains.is_empty() {
            return Err(CoreError::validation(
                "domains",
                "at least one verified domain is required",
            ));
        }
        if domains.len() > MAX_DOMAINS {
            return Err(CoreError::validation(
                "domains",
                format!("at most {MAX_DOMAINS} domains"),
            ));
        }
        self.domains = domains;
        self.settings.check()?;
        Ok(self)
    }
}
