//! AuthnRequest over the HTTP-Redirect binding (saml-core §3.4.1, saml-profiles §4.1.4.1).

use crate::config::{IdpConfig, Sp};
use crate::instant;
use crate::keys::KeyError;
use crate::redirect::{self, Param};
use crate::xml::{NS_ASSERTION, NS_PROTOCOL, escape};

/// HTTP-POST binding URI: how we want the Response delivered.
pub const BINDING_HTTP_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
/// HTTP-Redirect binding URI.
pub const BINDING_HTTP_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";

/// Why a request could not be built.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// The request id is not an XML NCName starting with `_` or a letter (saml-core §1.3.4).
    #[error("the request id is not a valid xs:ID")]
    BadId,
    /// RelayState over 80 bytes (saml-bindings §3.4.3: it MUST NOT exceed 80 bytes).
    #[error("RelayState is over 80 bytes")]
    RelayStateTooLong,
    /// The SP key could not sign.
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// The most RelayState the redirect binding allows (saml-bindings §3.4.3).
pub const MAX_RELAY_STATE: usize = 80;

/// Refuses a RelayState the binding does not allow.
pub(crate) fn check_relay_state(relay_state: Option<&str>) -> Result<(), RequestError> {
    match relay_state {
        Some(rs) if rs.len() > MAX_RELAY_STATE => Err(RequestError::RelayStateTooLong),
        _ => Ok(()),
    }
}

/// Checks `id` is a usable xs:ID: `_` or a letter, then letters, digits, `_`, `-`, `.`.
pub(crate) fn check_id(id: &str) -> Result<(), RequestError> {
    let mut chars = id.chars();
    let first_ok = chars.next().is_some_and(|c| c == '_' || c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if first_ok && rest_ok && id.len() <= 256 {
        Ok(())
    } else {
        Err(RequestError::BadId)
    }
}

/// The AuthnRequest XML: ForceAuthn false, NameIDPolicy AllowCreate, Destination the IdP's SSO
/// URL, our ACS URL with the HTTP-POST binding.
pub fn authn_request_xml(sp: &Sp, idp: &IdpConfig, request_id: &str, now_ms: i64) -> Result<String, RequestError> {
    check_id(request_id)?;
    Ok(format!(
        concat!(
            r#"<samlp:AuthnRequest xmlns:samlp="{p}" xmlns:saml="{a}" ID="{id}" Version="2.0" "#,
            r#"IssueInstant="{at}" Destination="{dest}" ForceAuthn="false" "#,
            r#"AssertionConsumerServiceURL="{acs}" ProtocolBinding="{post}">"#,
            r#"<saml:Issuer>{issuer}</saml:Issuer>"#,
            r#"<samlp:NameIDPolicy AllowCreate="true"/>"#,
            r#"</samlp:AuthnRequest>"#
        ),
        p = NS_PROTOCOL,
        a = NS_ASSERTION,
        id = request_id,
        at = instant::format(now_ms),
        dest = escape(idp.sso_url.as_str()),
        acs = escape(&sp.acs_url),
        post = BINDING_HTTP_POST,
        issuer = escape(&sp.entity_id),
    ))
}

/// The URL to send the browser to: the IdP's SSO URL with `SAMLRequest` (DEFLATE, base64),
/// `RelayState` and, when `sign`, `SigAlg` (rsa-sha256) and `Signature` (saml-bindings
/// §3.4.4.1). `request_id` is the caller's (`_` + random hex), stored to check InResponseTo.
pub fn authn_request_redirect(
    sp: &Sp,
    idp: &IdpConfig,
    request_id: &str,
    now_ms: i64,
    relay_state: Option<&str>,
    sign: bool,
) -> Result<url::Url, RequestError> {
    check_relay_state(relay_state)?;
    let xml = authn_request_xml(sp, idp, request_id, now_ms)?;
    let signer = sign.then_some(&sp.credentials);
    Ok(redirect::url(&idp.sso_url, Param::Request, &xml, relay_state, signer)?)
}
