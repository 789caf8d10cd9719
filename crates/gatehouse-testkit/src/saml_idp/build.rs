//! The XML a test IdP sends: Response and Assertion builders with signature templates, and
//! the whole signed (and optionally encrypted) Response for a [`ResponseSpec`].

use std::fmt::Write as _;

use gatehouse_saml::{Certificate, NS_ASSERTION, NS_DSIG, NS_PROTOCOL, XmlSec, XmlSignatures};

use super::crypto::{SigningKey, encrypt_assertion, random_hex};

/// SAML Success status.
pub const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";

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
    /// Put InResponseTo on the SubjectConfirmationData too (not only on the Response).
    pub confirmation_in_response_to: bool,
}

impl ResponseSpec {
    /// A Response that a correct SP accepts: right audience, recipient, destination, issuer,
    /// valid five minutes around `now_ms`, assertion signed.
    pub fn new(idp_entity_id: &str, sp_entity_id: &str, acs_url: &str, now_ms: i64) -> Self {
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
            response_issuer: Some(idp_entity_id.into()),
            assertion_issuer: idp_entity_id.into(),
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
            confirmation_in_response_to: true,
        }
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
    let ec = matches!(key.certificate.key, gatehouse_saml::KeyKind::Ec { .. });
    let (method, digest) = match (sha1, ec) {
        (true, _) => (gatehouse_saml::RSA_SHA1, gatehouse_saml::DIGEST_SHA1),
        (false, true) => (gatehouse_saml::ECDSA_SHA256, gatehouse_saml::DIGEST_SHA256),
        (false, false) => (gatehouse_saml::RSA_SHA256, gatehouse_saml::DIGEST_SHA256),
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
        .filter(|_| spec.confirmation_in_response_to)
        .map(|i| format!(r#" InResponseTo="{}""#, esc(i)))
        .unwrap_or_default();
    let session = spec
        .session_index
        .as_ref()
        .map(|s| format!(r#" SessionIndex="{}""#, esc(s)))
        .unwrap_or_default();
    let mut attributes = String::new();
    for (name, values) in &spec.attributes {
        let _ = write!(attributes, r#"<saml:Attribute Name="{}">"#, esc(name));
        for v in values {
            let _ = write!(attributes, "<saml:AttributeValue>{}</saml:AttributeValue>", esc(v));
        }
        attributes.push_str("</saml:Attribute>");
    }
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

/// Fills the first Signature template in `xml` with `key` (xmlsec through gatehouse-saml's
/// trait) and returns the document without its XML declaration.
pub fn sign_xml(xml: &str, key: &SigningKey) -> String {
    let signed = XmlSec.sign(xml, &key.key_der).expect("xmlsec signs");
    strip_declaration(&signed)
}

/// The Response XML as sent for `spec`: signed with `spec.sign_with` or `default_key`,
/// assertions encrypted when `spec.encrypt_to` is set.
pub fn signed_response(spec: &ResponseSpec, default_key: &SigningKey) -> String {
    let signer = spec.sign_with.as_ref().unwrap_or(default_key);
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
            assertion = sign_xml(&assertion, signer);
        }
        if let Some(cert) = &spec.encrypt_to {
            assertion = encrypt_assertion(&assertion, cert, spec.key_transport, spec.data_encryption);
        }
        assertions.push_str(&assertion);
    }
    let sign_response = matches!(spec.sign, Sign::Response | Sign::Both);
    let response = response_xml(spec, &assertions, sign_response.then_some((signer, spec.sha1)));
    if sign_response {
        sign_xml(&response, signer)
    } else {
        response
    }
}
