//! The single sign-on model: providers, started sign-ins, sessions and what providers say.

use super::spec::{Protocol, Settings};
use crate::Timestamp;
use crate::ids::{AccountId, IdpId, OrgId};

/// How long a started sign-in waits for the identity provider's answer.
pub const REQUEST_SECS: i64 = 10 * 60;

/// An organization's identity provider.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct IdentityProvider {
    pub id: IdpId,
    pub org_id: OrgId,
    pub name: String,
    /// While enforced (the default), managed accounts on its domains sign in through it only,
    /// except the organization's break-glass admins.
    pub enforced: bool,
    /// Whether a SAML response nobody asked for (IdP-initiated) is accepted.
    pub allow_idp_initiated: bool,
    /// Whether group names the provider asserts add the person to local groups of those names.
    pub map_groups: bool,
    /// The authentication policy the accounts it creates join; `None`: the default policy.
    pub default_policy_id: Option<crate::ids::PolicyId>,
    /// The verified domain names it signs in, lower-case, sorted.
    pub domains: Vec<String>,
    pub settings: Settings,
    /// The provider's secret, sealed by the operator's key (the SAML service provider's private
    /// key, or the OIDC client secret); never served.
    #[serde(skip)]
    pub sealed_secret: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl IdentityProvider {
    pub fn protocol(&self) -> Protocol {
        match self.settings {
            Settings::Saml(_) => Protocol::Saml,
            Settings::Oidc(_) => Protocol::Oidc,
        }
    }

    /// Whether it signs in addresses of `domain`.
    pub fn serves(&self, domain: &str) -> bool {
        self.domains.iter().any(|d| d.eq_ignore_ascii_case(domain))
    }
}

/// The sealing context of an identity provider's secret: binds the ciphertext to its row.
pub fn secret_context(id: IdpId) -> String {
    format!("identity_providers.sealed_secret:{id}")
}

/// A sign-in sent to an identity provider and not yet answered, kept in the database (the
/// SAML answer is a cross-site POST that carries no SameSite=Lax cookie) under the request id
/// (SAML) or `state` (OIDC), and taken once.
#[derive(Debug, Clone, PartialEq)]
pub struct SsoRequest {
    pub id: String,
    pub idp_id: IdpId,
    /// Where the person goes after signing in: a path on this host (an authorize request to
    /// resume, the account page...).
    pub return_to: String,
    /// OIDC: the nonce the ID token must carry.
    pub nonce: Option<String>,
    /// OIDC: the PKCE verifier of the code.
    pub pkce_verifier: Option<String>,
    /// A test sign-in started by this admin: what comes back is shown to them, nobody signs in.
    pub tester: Option<AccountId>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A Gatehouse session opened through a provider: what single logout needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSession {
    pub session_id: crate::ids::SessionId,
    pub idp_id: IdpId,
    /// The SAML NameID or OIDC `sub`.
    pub subject: String,
    /// SAML: the session index the IdP gave.
    pub session_index: Option<String>,
    /// OIDC: the ID token, the `id_token_hint` of RP-initiated logout.
    pub id_token: Option<String>,
    pub created_at: Timestamp,
}

/// Who an identity provider says the person is, as its protocol adapter read it from a
/// validated SAML assertion or ID token.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ExternalIdentity {
    /// The stable subject: the SAML NameID or the OIDC `sub`.
    pub subject: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub groups: Vec<String>,
    /// SAML: the assertion id (single use) and when it stops being valid.
    pub assertion: Option<(String, Timestamp)>,
    /// SAML: the session index, for single logout.
    pub session_index: Option<String>,
    /// Everything that came back (SAML attributes, OIDC claims), as text, for a test sign-in
    /// to show and the audit log to keep.
    pub attributes: std::collections::BTreeMap<String, Vec<String>>,
}

/// The attribute (SAML) or claim (OIDC) names tried, in order, when the admin named none.
const EMAIL_NAMES: &[&str] = &[
    "email",
    "mail",
    "emailaddress",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    "urn:oid:0.9.2342.19200300.100.1.3",
];
const DISPLAY_NAMES: &[&str] = &[
    "name",
    "displayName",
    "display_name",
    "http://schemas.microsoft.com/identity/claims/displayname",
    "urn:oid:2.16.840.1.113730.3.1.241",
];
const GIVEN_NAMES: &[&str] = &[
    "given_name",
    "givenName",
    "firstName",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
    "urn:oid:2.5.4.42",
];
const FAMILY_NAMES: &[&str] = &[
    "family_name",
    "sn",
    "surname",
    "lastName",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
    "urn:oid:2.5.4.4",
];
const GROUP_NAMES: &[&str] = &[
    "groups",
    "memberOf",
    "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
];

/// At most this many group names are read from one sign-in.
pub const MAX_GROUPS: usize = 200;

impl ExternalIdentity {
    /// Reads email, name and groups from what came back, through `map` (a name the admin gave
    /// is the only one tried; otherwise the usual names of SAML IdPs and OIDC providers).
    pub fn from_attributes(
        subject: String,
        attributes: std::collections::BTreeMap<String, Vec<String>>,
        map: &super::spec::AttributeMap,
    ) -> Self {
        let first = |given: &Option<String>, usual: &[&str]| -> Option<String> {
            let names: Vec<&str> = given.as_deref().map_or_else(|| usual.to_vec(), |g| vec![g]);
            names
                .iter()
                .find_map(|n| attributes.get(*n).and_then(|v| v.first()))
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let email = first(&map.email, EMAIL_NAMES);
        let given = first(&map.given_name, GIVEN_NAMES);
        let family = first(&map.family_name, FAMILY_NAMES);
        let display_name = first(&map.display_name, DISPLAY_NAMES).or_else(|| match (given, family) {
            (Some(g), Some(f)) => Some(format!("{g} {f}")),
            (g, f) => g.or(f),
        });
        let group_names: Vec<&str> = map.groups.as_deref().map_or_else(|| GROUP_NAMES.to_vec(), |g| vec![g]);
        let groups = group_names
            .iter()
            .find_map(|n| attributes.get(*n))
            .map(|v| v.iter().take(MAX_GROUPS).cloned().collect())
            .unwrap_or_default();
        Self {
            subject,
            email,
            display_name,
            groups,
            assertion: None,
            session_index: None,
            attributes,
        }
    }
}
