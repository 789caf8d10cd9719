//! IdP metadata as Okta, Entra ID and Keycloak publish it (fixtures written in their shapes),
//! our SP metadata, and certificates an admin pastes.

mod common;

use common::{ACS, Fixture, SLO, SP_ENTITY};
use gatehouse_saml::{Certificate, CertificateError, IdpMetadata, KeyKind, MetadataError, sp_metadata};

const OKTA: &str = include_str!("fixtures/okta-metadata.xml");
const ENTRA: &str = include_str!("fixtures/entra-metadata.xml");
const KEYCLOAK: &str = include_str!("fixtures/keycloak-metadata.xml");

#[test]
fn okta_metadata_gives_the_redirect_sso_url_and_the_signing_certificate() {
    let m = IdpMetadata::parse(OKTA).unwrap();
    assert_eq!(m.entity_id, "http://www.okta.com/exk1fx7w0AcMeGh0st5d7");
    assert_eq!(
        m.sso_url,
        "https://acme.okta.example/app/acme_gatehouse_1/exk1fx7w0AcMeGh0st5d7/sso/saml?from=redirect"
    );
    assert_eq!(m.slo_url, None);
    assert!(!m.wants_signed_requests);
    assert_eq!(m.certificates.len(), 1);
    let cert = Certificate::parse(&m.certificates[0]).unwrap();
    assert!(cert.sha256_fingerprint.starts_with("a3:d7:17:bb"));
    assert_eq!(cert.key, KeyKind::Rsa { bits: 2048 });
}

#[test]
fn entra_metadata_with_its_signature_and_ws_fed_role_reads_the_saml_idp() {
    let m = IdpMetadata::parse(ENTRA).unwrap();
    assert_eq!(
        m.entity_id,
        "https://sts.windows.example/3f2c8d1e-7a4b-4c5d-9e6f-0a1b2c3d4e5f/"
    );
    assert_eq!(
        m.sso_url,
        "https://login.microsoftonline.example/3f2c8d1e-7a4b-4c5d-9e6f-0a1b2c3d4e5f/saml2"
    );
    assert_eq!(m.slo_url.as_deref(), Some(m.sso_url.as_str()));
    assert_eq!(m.certificates.len(), 1, "the same certificate twice is listed once");
    let config = m.to_config().unwrap();
    assert!(config.certificates[0].sha256_fingerprint.starts_with("aa:1d:61:3f"));
}

#[test]
fn keycloak_entities_descriptor_with_wrapped_certificate_text_is_read() {
    let m = IdpMetadata::parse(KEYCLOAK).unwrap();
    assert_eq!(m.entity_id, "https://sso.acme.example/realms/acme");
    assert_eq!(m.sso_url, "https://sso.acme.example/realms/acme/protocol/saml");
    assert_eq!(
        m.slo_url.as_deref(),
        Some("https://sso.acme.example/realms/acme/protocol/saml")
    );
    assert!(m.wants_signed_requests);
    assert!(!m.certificates[0].contains('\n'), "base64 DER on one line");
    let cert = Certificate::parse(&m.certificates[0]).unwrap();
    assert!(cert.sha256_fingerprint.starts_with("18:83:b2:93"));
}

#[test]
fn the_test_idp_metadata_round_trips_to_its_config() {
    let f = Fixture::new();
    let m = IdpMetadata::parse(&f.idp.metadata_xml()).unwrap();
    assert_eq!(m.to_config().unwrap(), f.idp.config());
}

#[test]
fn metadata_with_a_dtd_is_refused() {
    let xxe = format!(
        r#"<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>{}"#,
        OKTA.trim_start_matches(r#"<?xml version="1.0" encoding="UTF-8"?>"#)
    );
    assert_eq!(IdpMetadata::parse(&xxe), Err(MetadataError::DtdRefused));
}

#[test]
fn oversize_metadata_is_refused() {
    let huge = format!("{OKTA}<!--{}-->", "x".repeat(gatehouse_saml::MAX_METADATA_BYTES));
    assert_eq!(IdpMetadata::parse(&huge), Err(MetadataError::TooLarge));
}

#[test]
fn metadata_without_an_idp_or_sso_service_or_certificate_says_which() {
    let sp_only = sp_metadata(&Fixture::new().sp);
    assert_eq!(IdpMetadata::parse(&sp_only), Err(MetadataError::NoIdp));
    let no_sso = OKTA.replace("SingleSignOnService", "ArtifactResolutionService");
    assert_eq!(IdpMetadata::parse(&no_sso), Err(MetadataError::NoSsoService));
    let no_cert = OKTA.replace(r#"use="signing""#, r#"use="encryption""#);
    assert_eq!(IdpMetadata::parse(&no_cert), Err(MetadataError::NoCertificate));
    let two = format!(
        r#"<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">{}{}</md:EntitiesDescriptor>"#,
        OKTA.trim_start_matches(r#"<?xml version="1.0" encoding="UTF-8"?>"#)
            .trim(),
        OKTA.trim_start_matches(r#"<?xml version="1.0" encoding="UTF-8"?>"#)
            .trim()
    );
    assert_eq!(IdpMetadata::parse(&two), Err(MetadataError::SeveralIdps));
}

#[test]
fn sp_metadata_names_our_endpoints_key_uses_and_formats() {
    let f = Fixture::new();
    let xml = sp_metadata(&f.sp);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.attribute("entityID"), Some(SP_ENTITY));
    let sp = root.children().find(|n| n.has_tag_name("SPSSODescriptor")).unwrap();
    assert_eq!(sp.attribute("AuthnRequestsSigned"), Some("true"));
    assert_eq!(sp.attribute("WantAssertionsSigned"), Some("true"));
    assert_eq!(
        sp.attribute("protocolSupportEnumeration"),
        Some(gatehouse_saml::NS_PROTOCOL)
    );
    let uses: Vec<_> = sp
        .children()
        .filter(|n| n.has_tag_name("KeyDescriptor"))
        .map(|n| n.attribute("use").unwrap())
        .collect();
    assert_eq!(uses, ["signing", "encryption"]);
    let methods = |usage: &str| -> Vec<&str> {
        let kd = sp
            .children()
            .find(|n| n.has_tag_name("KeyDescriptor") && n.attribute("use") == Some(usage))
            .unwrap();
        kd.children()
            .filter(|n| n.has_tag_name((gatehouse_saml::NS_METADATA, "EncryptionMethod")))
            .map(|n| n.attribute("Algorithm").unwrap())
            .collect()
    };
    assert_eq!(
        methods("encryption"),
        [
            gatehouse_saml::AES256_GCM,
            gatehouse_saml::AES128_GCM,
            gatehouse_saml::RSA_OAEP_MGF1P,
            gatehouse_saml::RSA_OAEP
        ],
        "authenticated encryption first; no rsa-1_5"
    );
    assert!(methods("signing").is_empty());
    let cert_text = sp.descendants().find(|n| n.has_tag_name("X509Certificate")).unwrap();
    assert_eq!(
        Certificate::parse(cert_text.text().unwrap()).unwrap(),
        f.sp_certificate()
    );
    let formats: Vec<_> = sp
        .children()
        .filter(|n| n.has_tag_name("NameIDFormat"))
        .map(|n| n.text().unwrap())
        .collect();
    assert_eq!(
        formats,
        [
            "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
            "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
        ]
    );
    let endpoint = |name: &str| {
        let n = sp.children().find(|n| n.has_tag_name(name)).unwrap();
        (n.attribute("Binding").unwrap(), n.attribute("Location").unwrap())
    };
    assert_eq!(
        endpoint("AssertionConsumerService"),
        (gatehouse_saml::BINDING_HTTP_POST, ACS)
    );
    assert_eq!(
        endpoint("SingleLogoutService"),
        (gatehouse_saml::BINDING_HTTP_REDIRECT, SLO)
    );
}

#[test]
fn a_pasted_ec_certificate_reports_its_curve_expiry_and_fingerprint() {
    let cert = Certificate::parse(include_str!("fixtures/ec-p256.pem")).unwrap();
    assert_eq!(cert.key, KeyKind::Ec { curve: "P-256" });
    assert!(cert.not_after_ms > cert.not_before_ms);
    assert!(cert.sha256_fingerprint.starts_with("e2:ba:16:fe"));
    assert!(cert.subject.contains("ec-fixture"));
}

#[test]
fn a_pasted_rsa_1024_certificate_is_refused() {
    let refused = Certificate::parse(include_str!("fixtures/rsa1024.pem"));
    assert_eq!(refused, Err(CertificateError::UnsupportedKey("RSA 1024 bits".into())));
}
