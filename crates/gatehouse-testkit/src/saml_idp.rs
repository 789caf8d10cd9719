//! A SAML 2.0 identity provider for tests that really signs (xmlsec, through
//! `gatehouse_saml::XmlSignatures::sign`) and really encrypts (aws-lc-rs) what it sends, with
//! knobs for every field the negative corpus needs and builders for the published signature
//! wrapping shapes (XSW1–XSW8, "On Breaking SAML", USENIX Security 2012).

mod crypto;
mod xsw;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use gatehouse_saml::{
    Certificate, IdpConfig, NS_ASSERTION, NS_DSIG, NS_METADATA, NS_PROTOCOL, SpCredentials, XmlSec, XmlSignatures,
};

pub use crypto::{AuthnRequestInfo, encrypt_assertion};
pub use xsw::Xsw;

/// SAML Success status.
pub const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";

/// A signing key and its certificate (the IdP's own, or another one for attacker tests).
#[derive(Clone)]
pub struct SigningKey {
    /// PKCS#8 DER.
    pub key_der: Vec<u8>,
    /// The certificate, put in the signature's KeyInfo.
    pub certificate: Certificate,
    creds: SpCredentials,
}

impl SigningKey {
    /// A fresh RSA-2048 key and self-signed certificate.
    pub fn generate(common_name: &str) -> Self {
        let creds = SpCredentials::generate(common_name, now_ms()).expect("key generation");
        let certificate = creds.certificate().expect("own certificate parses");
        let key_der = pem_der(&creds.key_pem);
        Self {
            key_der,
            certificate,
            creds,
        }
    }

    /// The key and certificate as PEM.
    pub fn credentials(&self) -> &SpCredentials {
        &self.creds
    }
}

fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    STANDARD.decode(body).expect("PEM body is base64")
}

/// Now, unix ms (the testkit may read the clock; the SAML crate may not).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// Which elements carry a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sign {
    /// Nothing signed.
    None,
    /// The Response only.
    Response,
    /// The Assertion only.
    Assertion,
    /// Both (the Assertion first, then the Response over it).
    Both,
}

/// Everything a test may set in a Response. Start from [`ResponseSpec::new`].
#[derive(Clone)]
pub struct ResponseSpec {
    /// The Response ID.
    pub response_id: String,
    /// The Assertion ID (more assertions get `-2`, `-3`, ...).
    pub assertion_id: String,
    /// NameID value (escaped as text).
    pub name_id: String,
    /// Raw XML for the NameID content instead of `name_id` (e.g. with a comment inside).
    pub name_id_raw: Option<String>,
    /// NameID Format.
    pub name_id_format: Option<String>,
    /// Attributes by name.
    pub attributes: Vec<(String, Vec<String>)>,
    /// The Audience (our SP entity id when right).
    pub audience: String,
    /// The Response Destination (`None`: attribute left out).
    pub destination: Option<String>,
    /// The SubjectConfirmationData Recipient.
    pub recipient: String,
    /// The Response Issuer (`None`: element left out).
    pub response_issuer: Option<String>,
    /// The Assertion Issuer.
    pub assertion_issuer: String,
    /// InResponseTo on the Response and the SubjectConfirmationData.
    pub in_response_to: Option<String>,
    /// IssueInstant and AuthnInstant, unix ms.
    pub now_ms: i64,
    /// Conditions NotBefore, unix ms.
    pub not_before_ms: i64,
    /// Conditions and SubjectConfirmationData NotOnOrAfter, unix ms.
    pub not_on_or_after_ms: i64,
    /// SessionIndex of the AuthnStatement.
    pub session_index: Option<String>,
    /// Top-level StatusCode.
    pub status: String,
    /// What to sign.
    pub sign: Sign,
    /// Sign with this key instead of the IdP's.
    pub sign_with: Option<SigningKey>,
    /// Use rsa-sha1 and sha1 digests.
    pub sha1: bool,
    /// Encrypt the assertion to this certificate.
    pub encrypt_to: Option<Certificate>,
    /// Data encryption algorithm URI (default AES-256-CBC).
    pub data_encryption: &'static str,
    /// Key transport algorithm URI (default RSA-OAEP-MGF1P).
    pub key_transport: &'static str,
    /// How many Assertions (each signed when assertions are signed).
    pub assertion_count: usize,
}

impl ResponseSpec {
    /// A Response that a correct SP accepts: right audience, recipient, destination, issuer,
    /// valid five minutes around `now_ms`, assertion signed.
    pub fn new(idp: &TestIdp, sp_entity_id: &str, acs_url: &str, now_ms: i64) -> Self {
        Self {
            response_id: format!("_r{}", random_hex(16)),
            assertion_id: format!("_a{}", random_hex(16)),
            name_id: "ada@acme.example".into(),
            name_id_raw: None,
            name_id_format: Some("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress".into()),
            attributes: vec![
                ("email".into(), vec!["ada@acme.example".into()]),
                ("groups".into(), vec!["engineering".into(), "admins".into()]),
            ],
            audience: sp_entity_id.into(),
            destination: Some(acs_url.into()),
            recipient: acs_url.into(),
            response_issuer: Some(idp.entity_id.clone()),
            assertion_issuer: idp.entity_id.clone(),
            in_response_to: None,
            now_ms,
            not_before_ms: now_ms - 60_000,
            not_on_or_after_ms: now_ms + 300_000,
            session_index: Some(format!("_s{}", random_hex(8))),
            status: SUCCESS.into(),
            sign: Sign::Assertion,
            sign_with: None,
            sha1: false,
            encrypt_to: None,
            data_encryption: gatehouse_saml::AES256_CBC,
            key_transport: gatehouse_saml::RSA_OAEP_MGF1P,
            assertion_count: 1,
        }
    }
}

/// Lowercase hex of `n` random bytes.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0; n];
    aws_lc_rs::rand::fill(&mut bytes).expect("random");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
        let signer = spec.sign_with.as_ref().unwrap_or(&self.key);
        let sign_assertion = matches!(spec.sign, Sign::Assertion | Sign::Both);
        let mut assertions = String::new();
        for n in 0..spec.assertion_count.max(1) {
            let id = if n == 0 {
                spec.assertion_id.clone()
            } else {
                format!("{}-{}", spec.assertion_id, n + 1)
            };
            let mut assertion = assertion_xml(spec, &id, sign_assertion.then_some((signer, spec.sha1)));
            if sign_assertion {
                assertion = self.sign_xml(&assertion, signer);
            }
            if let Some(cert) = &spec.encrypt_to {
                assertion = encrypt_assertion(&assertion, cert, spec.key_transport, spec.data_encryption);
            }
            assertions.push_str(&assertion);
        }
        let sign_response = matches!(spec.sign, Sign::Response | Sign::Both);
        let response = response_xml(spec, &assertions, sign_response.then_some((signer, spec.sha1)));
        if sign_response {
            self.sign_xml(&response, signer)
        } else {
            response
        }
    }

    /// Fills the first Signature template in `xml` with `key` (xmlsec through our trait) and
    /// returns the document without its XML declaration.
    pub fn sign_xml(&self, xml: &str, key: &SigningKey) -> String {
        let signed = XmlSec.sign(xml, &key.key_der).expect("xmlsec signs");
        strip_declaration(&signed)
    }

    /// Builds one of the signature wrapping shapes from a response the IdP really signed.
    pub fn xsw(&self, variant: Xsw, spec: &ResponseSpec) -> String {
        STANDARD.encode(xsw::build(self, variant, spec))
    }

    /// A Response holding an unsigned Assertion that reuses the signed Assertion's ID.
    pub fn duplicate_ids(&self, spec: &ResponseSpec) -> String {
        STANDARD.encode(xsw::duplicate_ids(self, spec))
    }

    /// Reads a redirect AuthnRequest URL (what the SP sent the browser to).
    pub fn parse_authn_request(&self, url: &str) -> AuthnRequestInfo {
        crypto::parse_authn_request(url)
    }

    /// An IdP-initiated LogoutRequest (HTTP-Redirect, signed by this IdP) to `sp_slo_url`.
    pub fn logout_request_url(
        &self,
        sp_slo_url: &str,
        name_id: &str,
        session_index: Option<&str>,
        relay_state: Option<&str>,
    ) -> String {
        let session = session_index
            .map(|s| format!("<samlp:SessionIndex>{s}</samlp:SessionIndex>"))
            .unwrap_or_default();
        let xml = format!(
            concat!(
                r#"<samlp:LogoutRequest xmlns:samlp="{p}" xmlns:saml="{a}" ID="_l{id}" Version="2.0" "#,
                r#"IssueInstant="{at}" Destination="{dest}"><saml:Issuer>{issuer}</saml:Issuer>"#,
                r#"<saml:NameID>{name_id}</saml:NameID>{session}</samlp:LogoutRequest>"#
            ),
            p = NS_PROTOCOL,
            a = NS_ASSERTION,
            id = random_hex(8),
            at = gatehouse_saml::format_instant(now_ms()),
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

fn strip_declaration(xml: &str) -> String {
    let trimmed = xml.trim_start();
    match trimmed.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or(trimmed, |(_, r)| r).trim().to_owned(),
        None => trimmed.trim().to_owned(),
    }
}

fn esc(v: &str) -> String {
    v.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A `ds:Signature` template for the element with `id` (exclusive C14N, enveloped).
pub fn signature_template(id: &str, key: &SigningKey, sha1: bool) -> String {
    let (method, digest) = if sha1 {
        (gatehouse_saml::RSA_SHA1, gatehouse_saml::DIGEST_SHA1)
    } else {
        (gatehouse_saml::RSA_SHA256, gatehouse_saml::DIGEST_SHA256)
    };
    format!(
        concat!(
            r#"<ds:Signature xmlns:ds="{ds}"><ds:SignedInfo>"#,
            r#"<ds:CanonicalizationMethod Algorithm="{c14n}"/><ds:SignatureMethod Algorithm="{method}"/>"#,
            r##"<ds:Reference URI="#{id}"><ds:Transforms><ds:Transform Algorithm="{env}"/>"##,
            r#"<ds:Transform Algorithm="{c14n}"/></ds:Transforms><ds:DigestMethod Algorithm="{digest}"/>"#,
            r#"<ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue>"#,
            r#"<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"#,
            r#"</ds:Signature>"#
        ),
        ds = NS_DSIG,
        c14n = gatehouse_saml::EXC_C14N,
        env = gatehouse_saml::ENVELOPED,
        cert = key.certificate.base64(),
        method = method,
        id = id,
        digest = digest,
    )
}

/// The Assertion XML (with a signature template when `template` is given).
pub fn assertion_xml(spec: &ResponseSpec, id: &str, template: Option<(&SigningKey, bool)>) -> String {
    let at = gatehouse_saml::format_instant;
    let name_id = spec.name_id_raw.clone().unwrap_or_else(|| esc(&spec.name_id));
    let format = spec
        .name_id_format
        .as_ref()
        .map(|f| format!(r#" Format="{}""#, esc(f)))
        .unwrap_or_default();
    let irt = spec
        .in_response_to
        .as_ref()
        .map(|i| format!(r#" InResponseTo="{}""#, esc(i)))
        .unwrap_or_default();
    let session = spec
        .session_index
        .as_ref()
        .map(|s| format!(r#" SessionIndex="{}""#, esc(s)))
        .unwrap_or_default();
    let attributes: String = spec
        .attributes
        .iter()
        .map(|(name, values)| {
            let vs: String = values
                .iter()
                .map(|v| format!("<saml:AttributeValue>{}</saml:AttributeValue>", esc(v)))
                .collect();
            format!(r#"<saml:Attribute Name="{}">{vs}</saml:Attribute>"#, esc(name))
        })
        .collect();
    let signature = template
        .map(|(k, sha1)| signature_template(id, k, sha1))
        .unwrap_or_default();
    format!(
        concat!(
            r#"<saml:Assertion xmlns:saml="{a}" ID="{id}" Version="2.0" IssueInstant="{now}">"#,
            r#"<saml:Issuer>{issuer}</saml:Issuer>{signature}"#,
            r#"<saml:Subject><saml:NameID{format}>{name_id}</saml:NameID>"#,
            r#"<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">"#,
            r#"<saml:SubjectConfirmationData{irt} NotOnOrAfter="{until}" Recipient="{recipient}"/>"#,
            r#"</saml:SubjectConfirmation></saml:Subject>"#,
            r#"<saml:Conditions NotBefore="{from}" NotOnOrAfter="{until}"><saml:AudienceRestriction>"#,
            r#"<saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>"#,
            r#"<saml:AuthnStatement AuthnInstant="{now}"{session}><saml:AuthnContext>"#,
            r#"<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>"#,
            r#"</saml:AuthnContext></saml:AuthnStatement>"#,
            r#"<saml:AttributeStatement>{attributes}</saml:AttributeStatement></saml:Assertion>"#
        ),
        a = NS_ASSERTION,
        now = at(spec.now_ms),
        issuer = esc(&spec.assertion_issuer),
        until = at(spec.not_on_or_after_ms),
        from = at(spec.not_before_ms),
        recipient = esc(&spec.recipient),
        audience = esc(&spec.audience),
        id = id,
        signature = signature,
        format = format,
        name_id = name_id,
        irt = irt,
        session = session,
        attributes = attributes,
    )
}

/// The Response XML around `assertions` (with a signature template when `template` is given).
pub fn response_xml(spec: &ResponseSpec, assertions: &str, template: Option<(&SigningKey, bool)>) -> String {
    let destination = spec
        .destination
        .as_ref()
        .map(|d| format!(r#" Destination="{}""#, esc(d)))
        .unwrap_or_default();
    let irt = spec
        .in_response_to
        .as_ref()
        .map(|i| format!(r#" InResponseTo="{}""#, esc(i)))
        .unwrap_or_default();
    let issuer = spec
        .response_issuer
        .as_ref()
        .map(|i| format!("<saml:Issuer>{}</saml:Issuer>", esc(i)))
        .unwrap_or_default();
    let signature = template
        .map(|(k, sha1)| signature_template(&spec.response_id, k, sha1))
        .unwrap_or_default();
    format!(
        concat!(
            r#"<samlp:Response xmlns:samlp="{p}" xmlns:saml="{a}" ID="{id}" Version="2.0" IssueInstant="{now}"{destination}{irt}>"#,
            r#"{issuer}{signature}<samlp:Status><samlp:StatusCode Value="{status}"/></samlp:Status>"#,
            r#"{assertions}</samlp:Response>"#
        ),
        p = NS_PROTOCOL,
        a = NS_ASSERTION,
        id = spec.response_id,
        now = gatehouse_saml::format_instant(spec.now_ms),
        status = esc(&spec.status),
        destination = destination,
        irt = irt,
        issuer = issuer,
        signature = signature,
        assertions = assertions,
    )
}
