//! A SAML 2.0 identity provider for tests that really signs (xmlsec, through
//! `gatehouse_saml::XmlSignatures::sign`) and really encrypts (aws-lc-rs) what it sends, with
//! knobs for every field the negative corpus needs and builders for the published signature
//! wrapping shapes (XSW1–XSW8, "On Breaking SAML", USENIX Security 2012).

mod build;
mod crypto;
mod xsw;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use gatehouse_saml::{Certificate, IdpConfig, NS_ASSERTION, NS_DSIG, NS_METADATA, NS_PROTOCOL};

pub use build::{
    ResponseSpec, SUCCESS, Sign, assertion_xml, response_xml, sign_xml, signature_template, signed_response,
};
pub use crypto::{AuthnRequestInfo, SigningKey, encrypt_assertion, now_ms, random_hex};
pub use xsw::Xsw;

/// When a LogoutRequest says it was issued, and until when it says it holds (unix ms).
#[derive(Debug, Clone, Copy)]
pub struct LogoutTimes {
    pub issued_ms: i64,
    pub not_on_or_after_ms: Option<i64>,
}

/// A test identity provider with its own key and certificate.
pub struct TestIdp {
    /// The IdP entity id.
    pub entity_id: String,
    /// Its SSO URL (HTTP-Redirect).
    pub sso_url: String,
    /// Its SLO URL (HTTP-Redirect).
    pub slo_url: String,
    key: SigningKey,
}

impl Default for TestIdp {
    fn default() -> Self {
        Self::new()
    }
}

impl TestIdp {
    /// An IdP at `https://idp.test` with a fresh key.
    pub fn new() -> Self {
        Self {
            entity_id: "https://idp.test/saml/metadata".into(),
            sso_url: "https://idp.test/saml/sso".into(),
            slo_url: "https://idp.test/saml/slo".into(),
            key: SigningKey::generate("idp.test"),
        }
    }

    /// The IdP's signing key and certificate.
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// The IdP's certificate.
    pub fn certificate(&self) -> Certificate {
        self.key.certificate.clone()
    }

    /// The configuration an SP holds for this IdP.
    pub fn config(&self) -> IdpConfig {
        IdpConfig {
            entity_id: self.entity_id.clone(),
            sso_url: self.sso_url.parse().expect("sso url"),
            slo_url: Some(self.slo_url.parse().expect("slo url")),
            certificates: vec![self.certificate()],
            allow_sha1: false,
        }
    }

    /// The IdP's metadata (EntityDescriptor with an IDPSSODescriptor).
    pub fn metadata_xml(&self) -> String {
        format!(
            concat!(
                r#"<md:EntityDescriptor xmlns:md="{md}" xmlns:ds="{ds}" entityID="{id}">"#,
                r#"<md:IDPSSODescriptor WantAuthnRequestsSigned="true" protocolSupportEnumeration="{p}">"#,
                r#"<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}"#,
                r#"</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"#,
                r#"<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{slo}"/>"#,
                r#"<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{sso}"/>"#,
                r#"<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{sso}"/>"#,
                r#"</md:IDPSSODescriptor></md:EntityDescriptor>"#
            ),
            md = NS_METADATA,
            ds = NS_DSIG,
            id = self.entity_id,
            p = NS_PROTOCOL,
            cert = self.key.certificate.base64(),
            slo = self.slo_url,
            sso = self.sso_url,
        )
    }

    /// The base64 SAMLResponse for the ACS POST.
    pub fn response(&self, spec: &ResponseSpec) -> String {
        STANDARD.encode(self.response_xml(spec))
    }

    /// The Response XML as sent (signed, encrypted as the spec says).
    pub fn response_xml(&self, spec: &ResponseSpec) -> String {
        build::signed_response(spec, &self.key)
    }

    /// Fills the first Signature template in `xml` with `key`.
    pub fn sign_xml(&self, xml: &str, key: &SigningKey) -> String {
        build::sign_xml(xml, key)
    }

    /// A spec for a Response from this IdP that a correct SP at `sp_entity_id`/`acs_url`
    /// accepts at `now_ms` (see [`ResponseSpec::new`]).
    pub fn spec(&self, sp_entity_id: &str, acs_url: &str, now_ms: i64) -> ResponseSpec {
        ResponseSpec::new(&self.entity_id, sp_entity_id, acs_url, now_ms)
    }

    /// Builds one of the signature wrapping shapes from a response the IdP really signed.
    pub fn xsw(&self, variant: Xsw, spec: &ResponseSpec) -> String {
        STANDARD.encode(xsw::build(&self.key, variant, spec))
    }

    /// A Response holding an unsigned Assertion that reuses the signed Assertion's ID.
    pub fn duplicate_ids(&self, spec: &ResponseSpec) -> String {
        STANDARD.encode(xsw::duplicate_ids(&self.key, spec))
    }

    /// Reads a redirect AuthnRequest URL (what the SP sent the browser to).
    pub fn parse_authn_request(&self, url: &str) -> AuthnRequestInfo {
        crypto::parse_authn_request(url)
    }

    /// An IdP-initiated LogoutRequest (HTTP-Redirect, signed by this IdP) to `sp_slo_url`,
    /// issued now.
    pub fn logout_request_url(
        &self,
        sp_slo_url: &str,
        name_id: &str,
        session_index: Option<&str>,
        relay_state: Option<&str>,
    ) -> String {
        let times = LogoutTimes {
            issued_ms: now_ms(),
            not_on_or_after_ms: None,
        };
        self.logout_request_url_at(times, sp_slo_url, name_id, session_index, relay_state)
    }

    /// The same, issued at `times.issued_ms`, with a NotOnOrAfter when given.
    pub fn logout_request_url_at(
        &self,
        times: LogoutTimes,
        sp_slo_url: &str,
        name_id: &str,
        session_index: Option<&str>,
        relay_state: Option<&str>,
    ) -> String {
        let session = session_index
            .map(|s| format!("<samlp:SessionIndex>{s}</samlp:SessionIndex>"))
            .unwrap_or_default();
        let until = times
            .not_on_or_after_ms
            .map(|t| format!(r#" NotOnOrAfter="{}""#, gatehouse_saml::format_instant(t)))
            .unwrap_or_default();
        let xml = format!(
            concat!(
                r#"<samlp:LogoutRequest xmlns:samlp="{p}" xmlns:saml="{a}" ID="_l{id}" Version="2.0" "#,
                r#"IssueInstant="{at}"{until} Destination="{dest}"><saml:Issuer>{issuer}</saml:Issuer>"#,
                r#"<saml:NameID>{name_id}</saml:NameID>{session}</samlp:LogoutRequest>"#
            ),
            p = NS_PROTOCOL,
            a = NS_ASSERTION,
            id = random_hex(8),
            at = gatehouse_saml::format_instant(times.issued_ms),
            until = until,
            dest = sp_slo_url,
            issuer = self.entity_id,
            name_id = name_id,
            session = session,
        );
        crypto::redirect_url(sp_slo_url, "SAMLRequest", &xml, relay_state, Some(&self.key))
    }

    /// This IdP's LogoutResponse (HTTP-Redirect, signed) to an SP LogoutRequest.
    pub fn logout_response_url(
        &self,
        sp_slo_url: &str,
        in_response_to: &str,
        status: &str,
        relay_state: Option<&str>,
    ) -> String {
        let xml = format!(
            concat!(
                r#"<samlp:LogoutResponse xmlns:samlp="{p}" xmlns:saml="{a}" ID="_l{id}" Version="2.0" "#,
                r#"IssueInstant="{at}" Destination="{dest}" InResponseTo="{irt}"><saml:Issuer>{issuer}</saml:Issuer>"#,
                r#"<samlp:Status><samlp:StatusCode Value="{status}"/></samlp:Status></samlp:LogoutResponse>"#
            ),
            p = NS_PROTOCOL,
            a = NS_ASSERTION,
            id = random_hex(8),
            at = gatehouse_saml::format_instant(now_ms()),
            dest = sp_slo_url,
            irt = in_response_to,
            issuer = self.entity_id,
            status = status,
        );
        crypto::redirect_url(sp_slo_url, "SAMLResponse", &xml, relay_state, Some(&self.key))
    }
}
