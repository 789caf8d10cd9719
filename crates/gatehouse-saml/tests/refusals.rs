//! The negative corpus: each test is one attack or mistake, and asserts the exact reason.

mod common;

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::Fixture;
use gatehouse_testkit::saml_idp::{Sign, SigningKey};

#[test]
fn an_unsigned_response_is_refused() {
    let f = Fixture::new();
    let mut spec = f.spec();
    spec.sign = Sign::None;
    assert_eq!(f.refusal(&f.idp.response(&spec)), "unsigned");
}

#[test]
fn a_response_signed_by_another_key_is_refused_even_with_its_certificate_inside() {
    let f = Fixture::new();
    let mut spec = f.spec();
    // The attacker's certificate is in the signature's KeyInfo: it must not be trusted.
    spec.sign_with = Some(SigningKey::generate("attacker.test"));
    assert_eq!(f.refusal(&f.idp.response(&spec)), "untrusted_key");
}

#[test]
fn a_signed_assertion_changed_after_signing_is_refused() {
    let f = Fixture::new();
    let xml = f.idp.response_xml(&f.spec());
    let tampered = xml.replace("ada@acme.example", "eve@acme.example");
    assert_ne!(xml, tampered);
    assert_eq!(f.refusal(&STANDARD.encode(tampered)), "bad_signature");
}

#[test]
fn a_comment_inside_the_name_id_is_refused_not_truncated() {
    let f = Fixture::new();
    let mut spec = f.spec();
    // Signed as "ada@acme.example.evil.com" (C14N drops the comment); a reader of the first
    // text node would see "ada@acme.example".
    spec.name_id_raw = Some("ada@acme.example<!---->.evil.com".into());
    for sign in [Sign::Assertion, Sign::Response] {
        spec.sign = sign;
        assert_eq!(f.refusal(&f.idp.response(&spec)), "malformed_name_id");
    }
}

#[test]
fn an_expired_assertion_is_refused() {
    let mut f = Fixture::new();
    let spec = f.spec();
    let response = f.idp.response(&spec);
    f.now = spec.not_on_or_after_ms + 181_000;
    assert_eq!(f.refusal(&response), "expired");
}

#[test]
fn an_assertion_not_yet_valid_is_refused() {
    let mut f = Fixture::new();
    let spec = f.spec();
    let response = f.idp.response(&spec);
    f.now = spec.not_before_ms - 181_000;
    assert_eq!(f.refusal(&response), "not_yet_valid");
}

#[test]
fn an_assertion_for_another_audience_is_refused() {
    let f = Fixture::new();
    let mut spec = f.spec();
    spec.audience = "https://other-sp.test/metadata".into();
    assert_eq!(f.refusal(&f.idp.response(&spec)), "wrong_audience");
}

#[test]
fn a_response_for_another_destination_is_refused() {
    let f = Fixture::new();
    let mut spec = f.spec();
    spec.destination = Some("https://other-sp.test/acs".into());
    spec.sign = Sign::Both;
    assert_eq!(f.refusal(&f.idp.response(&spec)), "wrong_destination");
}

#[test]
fn an_assertion_for_another_recipient_is_refused() {
    let f = Fixture::new();
    let mut spec = f.spec();
    spec.recipient = "https://other-sp.test/acs".into();
    assert_eq!(f.refusal(&f.idp.response(&spec)), "wrong_recipient");
}

#[test]
fn an_assertion_from_another_issuer_is_refused() {
    let f = Fixture::new();
    let mut spec = f.spec();
    spec.assertion_issuer = "https://evil-idp.test".into();
    assert_eq!(f.refusal(&f.idp.response(&spec)), "wrong_issuer");
    let mut spec = f.spec();
    spec.response_issuer = Some("https://evil-idp.test".into());
    assert_eq!(f.refusal(&f.idp.response(&spec)), "wrong_issuer");
}

#[test]
fn sha1_is_refused_by_default() {
    let f = Fixture::new();
    let mut spec = f.spec();
    spec.sha1 = true;
    assert_eq!(f.refusal(&f.idp.response(&spec)), "weak_algorithm");
}

fn with_doctype(f: &Fixture, doctype: &str, entity_ref: &str) -> String {
    let xml = f.idp.response_xml(&f.spec());
    let xml = xml.replacen("ada@acme.example", entity_ref, 1);
    STANDARD.encode(format!("<?xml version=\"1.0\"?>{doctype}{xml}"))
}

#[test]
fn an_external_entity_is_refused_not_read() {
    let f = Fixture::new();
    let xxe = with_doctype(
        &f,
        r#"<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>"#,
        "&xxe;",
    );
    assert_eq!(f.refusal(&xxe), "dtd_refused");
}

#[test]
fn billion_laughs_are_refused_not_expanded() {
    let f = Fixture::new();
    let mut dtd = String::from(r#"<!DOCTYPE r [<!ENTITY l0 "ha">"#);
    for i in 1..10 {
        let refs = format!("&l{};", i - 1).repeat(10);
        let _ = write!(dtd, r#"<!ENTITY l{i} "{refs}">"#);
    }
    dtd.push_str("]>");
    let bomb = with_doctype(&f, &dtd, "&l9;");
    assert_eq!(f.refusal(&bomb), "dtd_refused");
}

#[test]
fn an_oversize_document_is_refused_before_decoding() {
    let f = Fixture::new();
    let huge = "A".repeat(gatehouse_saml::MAX_RESPONSE_BASE64 + 4);
    assert_eq!(f.refusal(&huge), "too_large");
}

#[test]
fn two_signed_assertions_are_refused() {
    let f = Fixture::new();
    let mut spec = f.spec();
    spec.assertion_count = 2;
    for sign in [Sign::Assertion, Sign::Response] {
        spec.sign = sign;
        assert_eq!(f.refusal(&f.idp.response(&spec)), "multiple_assertions");
    }
}

#[test]
fn duplicate_ids_are_refused_as_wrapping() {
    let f = Fixture::new();
    assert_eq!(f.refusal(&f.idp.duplicate_ids(&f.spec())), "signature_wrapping");
}

#[test]
fn a_response_without_assertion_is_refused() {
    let f = Fixture::new();
    let spec = f.spec();
    let xml = f.idp.response_xml(&spec);
    let start = xml.find("<saml:Assertion").unwrap();
    let end = xml.rfind("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    let without = format!("{}{}", &xml[..start], &xml[end..]);
    assert_eq!(f.refusal(&STANDARD.encode(without)), "no_assertion");
}

#[test]
fn an_assertion_without_name_id_is_refused() {
    let f = Fixture::new();
    let mut spec = f.spec();
    spec.name_id_raw = Some(String::new());
    assert_eq!(f.refusal(&f.idp.response(&spec)), "no_name_id");
}

#[test]
fn text_that_is_not_a_saml_response_is_refused_as_malformed() {
    let f = Fixture::new();
    assert_eq!(f.refusal("%%%"), "malformed");
    assert_eq!(f.refusal(&STANDARD.encode("<a>not saml</a>")), "malformed");
    assert_eq!(f.refusal(&STANDARD.encode("<unclosed")), "malformed");
}

#[test]
fn an_encrypted_assertion_without_an_sp_key_is_refused() {
    let f = Fixture::new();
    let mut spec = f.spec();
    spec.encrypt_to = Some(f.sp_certificate());
    let response = f.idp.response(&spec);
    let mut expect = f.expect();
    expect.sp_key_pem = None;
    let refusal = gatehouse_saml::validate_response(&response, &expect).unwrap_err();
    assert_eq!(refusal.as_str(), "decryption_failed");
}

#[test]
fn a_signature_with_an_xslt_transform_is_refused_before_xmlsec_runs() {
    let f = Fixture::new();
    let xml = f.idp.response_xml(&f.spec());
    let xslt = xml.replacen(
        r#"<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#,
        r#"<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116"/>"#,
        1,
    );
    assert_ne!(xml, xslt);
    assert_eq!(f.refusal(&STANDARD.encode(xslt)), "weak_algorithm");
}

#[test]
fn canonicalization_with_comments_is_refused() {
    let f = Fixture::new();
    let xml = f.idp.response_xml(&f.spec());
    let with_comments = xml.replacen(
        r#"<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#,
        r#"<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#WithComments"/>"#,
        1,
    );
    assert_ne!(xml, with_comments);
    assert_eq!(f.refusal(&STANDARD.encode(with_comments)), "weak_algorithm");
}
