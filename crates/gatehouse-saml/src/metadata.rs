//! SAML metadata (saml-metadata §2): ours to publish, the IdP's to read.

use roxmltree::Node;

use crate::config::{IdpConfig, Sp};
use crate::keys::{Certificate, CertificateError};
use crate::request::{BINDING_HTTP_POST, BINDING_HTTP_REDIRECT};
use crate::xml::{self, NS_DSIG, NS_METADATA, NS_PROTOCOL, XmlError, escape};

/// The largest IdP metadata document accepted (one entity, a few certificates).
pub const MAX_METADATA_BYTES: usize = 1024 * 1024;

const NAMEID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
const NAMEID_PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";

/// What we ask an IdP to encrypt with, most wanted first (saml-metadata §2.4.1.1; IdPs that
/// read it, Shibboleth's among them, choose from it). Authenticated data encryption first: AES-CBC
/// in a Response that is not signed as a whole can be changed by anyone on the way, and its
/// padding and parsing answers then leak the plaintext (Jager and Somorovsky, CCS 2011). RSA
/// PKCS#1 v1.5 is not offered.
const ENCRYPTION_METHODS: &[&str] = &[
    crate::encryption::AES256_GCM,
    crate::encryption::AES128_GCM,
    crate::encryption::RSA_OAEP_MGF1P,
    crate::encryption::RSA_OAEP,
];

/// Our SP metadata: entity id, SPSSODescriptor (AuthnRequestsSigned, WantAssertionsSigned),
/// the certificate for signing and for encryption (with the algorithms we want), NameID formats emailAddress and persistent,
/// the ACS (HTTP-POST) and SLO (HTTP-Redirect) endpoints.
pub fn sp_metadata(sp: &Sp) -> String {
    let cert = crate::keys::pem_body(&sp.credentials.cert_pem, "CERTIFICATE")
        .map(|der| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, der))
        .unwrap_or_default();
    let key = |usage: &str, methods: &[&str]| {
        let methods = methods.iter().fold(String::new(), |mut out, m| {
            out.push_str(r#"<md:EncryptionMethod Algorithm=""#);
            out.push_str(m);
            out.push_str(r#""/>"#);
            out
        });
        format!(
            r#"<md:KeyDescriptor use="{usage}"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>{methods}</md:KeyDescriptor>"#
        )
    };
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<md:EntityDescriptor xmlns:md="{md}" xmlns:ds="{ds}" entityID="{entity}">"#,
            r#"<md:SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="true" protocolSupportEnumeration="{proto}">"#,
            "{signing}{encryption}",
            r#"<md:SingleLogoutService Binding="{redirect}" Location="{slo}"/>"#,
            r#"<md:NameIDFormat>{email}</md:NameIDFormat>"#,
            r#"<md:NameIDFormat>{persistent}</md:NameIDFormat>"#,
            r#"<md:AssertionConsumerService Binding="{post}" Location="{acs}" index="0" isDefault="true"/>"#,
            r#"</md:SPSSODescriptor></md:EntityDescriptor>"#
        ),
        md = NS_METADATA,
        ds = NS_DSIG,
        entity = escape(&sp.entity_id),
        proto = NS_PROTOCOL,
        signing = key("signing", &[]),
        encryption = key("encryption", ENCRYPTION_METHODS),
        redirect = BINDING_HTTP_REDIRECT,
        slo = escape(&sp.slo_url),
        email = NAMEID_EMAIL,
        persistent = NAMEID_PERSISTENT,
        post = BINDING_HTTP_POST,
        acs = escape(&sp.acs_url),
    )
}

/// What we read from an IdP's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpMetadata {
    /// The IdP entity id.
    pub entity_id: String,
    /// The SingleSignOnService location: the HTTP-Redirect binding's, else HTTP-POST's.
    pub sso_url: String,
    /// The SingleLogoutService location for HTTP-Redirect, if any.
    pub slo_url: Option<String>,
    /// Signing certificates (KeyDescriptor use="signing" or without use), each as one line of
    /// base64 DER (the `<ds:X509Certificate>` text without whitespace); each parsed as X.509.
    pub certificates: Vec<String>,
    /// WantAuthnRequestsSigned.
    pub wants_signed_requests: bool,
}

/// Why IdP metadata was refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum MetadataError {
    /// Over [`MAX_METADATA_BYTES`].
    #[error("metadata is over {MAX_METADATA_BYTES} bytes")]
    TooLarge,
    /// The document declares a DTD.
    #[error("metadata with a DTD is refused")]
    DtdRefused,
    /// Not well-formed, or not SAML metadata.
    #[error("malformed metadata: {0}")]
    Malformed(String),
    /// No (single) EntityDescriptor with a SAML 2.0 IDPSSODescriptor.
    #[error("no SAML 2.0 identity provider in the metadata")]
    NoIdp,
    /// More than one identity provider: the admin must pick one entity's metadata.
    #[error("the metadata describes more than one identity provider")]
    SeveralIdps,
    /// No SingleSignOnService with the HTTP-Redirect or HTTP-POST binding.
    #[error("no SingleSignOnService for HTTP-Redirect or HTTP-POST")]
    NoSsoService,
    /// No signing certificate.
    #[error("no signing certificate")]
    NoCertificate,
    /// A certificate did not parse.
    #[error("bad certificate: {0}")]
    BadCertificate(#[from] CertificateError),
}

impl IdpMetadata {
    /// Reads the IdP from an EntityDescriptor (or an EntitiesDescriptor holding exactly one
    /// IdP). Size-limited; a DTD is refused.
    pub fn parse(text: &str) -> Result<Self, MetadataError> {
        if text.len() > MAX_METADATA_BYTES {
            return Err(MetadataError::TooLarge);
        }
        let doc = xml::parse(text).map_err(|e| match e {
            XmlError::Dtd => MetadataError::DtdRefused,
            XmlError::Malformed(m) => MetadataError::Malformed(m),
        })?;
        let root = doc.root_element();
        if !xml::is(root, NS_METADATA, "EntityDescriptor") && !xml::is(root, NS_METADATA, "EntitiesDescriptor") {
            return Err(MetadataError::Malformed("root is not EntityDescriptor".into()));
        }
        let mut idps = xml::descendants(root, NS_METADATA, "EntityDescriptor").filter_map(|e| {
            xml::children(e, NS_METADATA, "IDPSSODescriptor")
                .find(|d| speaks_saml2(*d))
                .map(|d| (e, d))
        });
        let (entity, idp) = idps.next().ok_or(MetadataError::NoIdp)?;
        if idps.next().is_some() {
            return Err(MetadataError::SeveralIdps);
        }
        read_idp(entity, idp)
    }

    /// The configuration this metadata gives, with its certificates parsed.
    pub fn to_config(&self) -> Result<IdpConfig, MetadataError> {
        let url = |u: &str| url::Url::parse(u).map_err(|e| MetadataError::Malformed(format!("{u}: {e}")));
        Ok(IdpConfig {
            entity_id: self.entity_id.clone(),
            sso_url: url(&self.sso_url)?,
            slo_url: self.slo_url.as_deref().map(url).transpose()?,
            certificates: self
                .certificates
                .iter()
                .map(|c| Certificate::parse(c))
                .collect::<Result<_, _>>()?,
            allow_sha1: false,
        })
    }
}

fn speaks_saml2(descriptor: Node<'_, '_>) -> bool {
    descriptor
        .attribute("protocolSupportEnumeration")
        .is_some_and(|p| p.split_whitespace().any(|x| x == NS_PROTOCOL))
}

fn read_idp(entity: Node<'_, '_>, idp: Node<'_, '_>) -> Result<IdpMetadata, MetadataError> {
    let entity_id = entity
        .attribute("entityID")
        .filter(|e| !e.trim().is_empty())
        .ok_or_else(|| MetadataError::Malformed("no entityID".into()))?
        .to_owned();
    let location = |service: &str, binding: &str| {
        xml::children(idp, NS_METADATA, service)
            .find(|s| s.attribute("Binding") == Some(binding))
            .and_then(|s| s.attribute("Location"))
            .map(str::to_owned)
    };
    let sign_on = location("SingleSignOnService", BINDING_HTTP_REDIRECT)
        .or_else(|| location("SingleSignOnService", BINDING_HTTP_POST))
        .ok_or(MetadataError::NoSsoService)?;
    let log_out = location("SingleLogoutService", BINDING_HTTP_REDIRECT);
    let mut certificates = Vec::new();
    for kd in xml::children(idp, NS_METADATA, "KeyDescriptor") {
        if !matches!(kd.attribute("use"), None | Some("signing")) {
            continue;
        }
        for text in xml::descendants(kd, NS_DSIG, "X509Certificate").filter_map(xml::single_text) {
            let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            Certificate::parse(&compact)?;
            if !certificates.contains(&compact) {
                certificates.push(compact);
            }
        }
    }
    if certificates.is_empty() {
        return Err(MetadataError::NoCertificate);
    }
    Ok(IdpMetadata {
        entity_id,
        sso_url: sign_on,
        slo_url: log_out,
        certificates,
        wants_signed_requests: idp.attribute("WantAuthnRequestsSigned") == Some("true"),
    })
}
