//! Responses a correct IdP sends: each accepted, with every value read from what was signed.

mod common;

use aws_lc_rs::rsa::{Pkcs1PublicEncryptingKey, PublicEncryptingKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{ACS, Fixture};
use gatehouse_saml::{AES128_GCM, AES256_CBC, RSA_1_5, Refusal, SpCredentials};
use gatehouse_testkit::saml_idp::{ResponseSpec, Sign, SigningKey};

fn accepted_with(sign: Sign) {
    let f = Fixture::new();
    let mut spec = f.spec();
    spec.sign = sign;
    spec.in_response_to = Some("_req42".into());
    let a = f.validate(&f.idp.response(&spec)).expect("accepted");
    assert_eq!(a.name_id, "ada@acme.example");
    assert_eq!(a.id, spec.assertion_id);
    assert_eq!(a.issuer, f.idp.entity_id);
    assert_eq!(a.in_response_to.as_deref(), Some("_req42"));
    assert_eq!(a.session_index, spec.session_index);
    assert_eq!(
        a.name_id_format.as_deref(),
        Some("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress")
    );
    assert_eq!(a.attributes["groups"], vec!["engineering", "admins"]);
    assert_eq!(a.attributes["email"], vec!["ada@acme.example"]);
    assert_eq!(a.not_on_or_after, spec.not_on_or_after_ms / 1000 * 1000);
    assert_eq!(a.authn_instant, Some(spec.now_ms / 1000 * 1000));
}

#[test]
fn a_signed_response_is_accepted() {
    accepted_with(Sign::Response);
}

#[test]
fn a_signed_assertion_is_accepted() {
    accepted_with(Sign::Assertion);
}

#[test]
fn a_response_and_assertion_both_signed_are_accepted() {
    accepted_with(Sign::Both);
}

/// A response whose assertion is encrypted to the fixture's SP with these algorithms.
fn encrypted_spec(f: &Fixture, sign: Sign, key_transport: &'static str, data: &'static str) -> ResponseSpec {
    let mut spec = f.spec();
    spec.sign = sign;
    spec.encrypt_to = Some(f.sp_certificate());
    spec.key_transport = key_transport;
    spec.data_encryption = data;
    spec
}

fn encrypted(sign: Sign, key_transport: &'static str, data: &'static str) {
    let f = Fixture::new();
    let spec = encrypted_spec(&f, sign, key_transport, data);
    let xml = f.idp.response_xml(&spec);
    assert!(xml.contains("EncryptedAssertion") && !xml.contains("ada@acme.example"));
    let a = f.validate(&STANDARD.encode(xml)).expect("accepted");
    assert_eq!(a.name_id, "ada@acme.example");
    assert_eq!(a.id, spec.assertion_id);
}

#[test]
fn an_encrypted_signed_assertion_is_decrypted_and_accepted() {
    encrypted(Sign::Assertion, gatehouse_saml::RSA_OAEP_MGF1P, AES256_CBC);
}

#[test]
fn an_encrypted_assertion_in_a_signed_response_is_accepted() {
    encrypted(Sign::Response, gatehouse_saml::RSA_OAEP_MGF1P, AES128_GCM);
}

#[test]
fn rsa_1_5_key_transport_is_refused_by_default_and_accepted_when_allowed() {
    let mut f = Fixture::new();
    let response = f.idp.response(&encrypted_spec(&f, Sign::Both, RSA_1_5, AES256_CBC));
    assert_eq!(f.refusal(&response), "weak_algorithm");
    f.allow_rsa1_5 = true;
    let a = f.validate(&response).expect("accepted");
    assert_eq!(a.name_id, "ada@acme.example");
}

/// Where PKCS#1 v1.5 is allowed, an attacker who changes the encrypted key (the Response
/// unsigned, the assertion signed inside its encryption) learns nothing from the answer:
/// a key whose padding is wrong and one that unwraps to a wrong length read the same.
#[test]
fn rsa_1_5_answers_a_bad_padding_as_it_answers_a_good_one() {
    let mut f = Fixture::new();
    f.allow_rsa1_5 = true;
    let xml = f
        .idp
        .response_xml(&encrypted_spec(&f, Sign::Assertion, RSA_1_5, AES256_CBC));
    let public = PublicEncryptingKey::from_der(&f.sp_certificate().spki_der()).unwrap();
    let size = public.key_size_bytes();
    let pkcs1 = Pkcs1PublicEncryptingKey::new(public).unwrap();
    let mut out = vec![0; size];
    // A well-padded key of 24 bytes, where AES-256 needs 32.
    let short = pkcs1.encrypt(&[7u8; 24], &mut out).unwrap().to_vec();
    // Not a PKCS#1 block at all (the padding check fails).
    let garbage = vec![0x5a; size];
    let answers: Vec<String> = [short, garbage]
        .iter()
        .map(|wrapped| {
            let forged = with_cipher_value(&xml, Cipher::Key, |_| wrapped.clone());
            f.validate(&STANDARD.encode(forged)).unwrap_err().to_string()
        })
        .collect();
    assert!(answers[0].starts_with("decryption_failed"), "{answers:?}");
    assert_eq!(answers[0], answers[1]);
}

/// Which `CipherValue` of an encrypted assertion: the key's (in the data's KeyInfo, first)
/// or the data's (last).
#[derive(Clone, Copy)]
enum Cipher {
    Key,
    Data,
}

/// The document with that `CipherValue`'s bytes replaced by what `change` makes of them.
fn with_cipher_value(xml: &str, which: Cipher, change: impl FnOnce(Vec<u8>) -> Vec<u8>) -> String {
    let open = "<xenc:CipherValue>";
    let found = match which {
        Cipher::Key => xml.find(open),
        Cipher::Data => xml.rfind(open),
    };
    let start = found.expect("a CipherValue") + open.len();
    let end = start + xml[start..].find("</xenc:CipherValue>").unwrap();
    let bytes = change(STANDARD.decode(&xml[start..end]).unwrap());
    format!("{}{}{}", &xml[..start], STANDARD.encode(bytes), &xml[end..])
}

#[test]
fn an_encrypted_unsigned_assertion_in_an_unsigned_response_is_refused() {
    let f = Fixture::new();
    let mut spec = f.spec();
    spec.sign = Sign::None;
    spec.encrypt_to = Some(f.sp_certificate());
    let refused = f.validate(&f.idp.response(&spec)).unwrap_err();
    // One reason for whatever fails inside an encryption nobody signed; the detail says which.
    assert_eq!(refused.as_str(), "decryption_failed");
    assert!(refused.to_string().contains("unsigned"), "{refused}");
}

/// AES-CBC data in a Response nobody signed as a whole: a changed padding and a changed first
/// block (which no longer parses) read the same, so the answers tell nothing of the plaintext.
#[test]
fn a_changed_cbc_ciphertext_is_refused_alike_wherever_it_was_changed() {
    let f = Fixture::new();
    let spec = encrypted_spec(&f, Sign::Assertion, gatehouse_saml::RSA_OAEP_MGF1P, AES256_CBC);
    let xml = f.idp.response_xml(&spec);
    let changed = |at: fn(usize) -> usize, mask: u8| {
        let forged = with_cipher_value(&xml, Cipher::Data, |mut d| {
            let i = at(d.len());
            d[i] ^= mask;
            d
        });
        f.refusal(&STANDARD.encode(forged))
    };
    let padding = |len: usize| len - 17; // the last byte of the block before the last
    // IV byte 1 turns `<saml:` into `<raml:`, which does not parse.
    let reasons = [changed(padding, 0xff), changed(|_| 1, 0x01), changed(|_| 20, 0x01)];
    assert_eq!(reasons, ["decryption_failed"; 3]);
}

#[test]
fn an_assertion_encrypted_to_another_sp_is_refused_as_undecryptable() {
    let f = Fixture::new();
    let other = SpCredentials::generate("other.test", f.now).unwrap();
    let mut spec = f.spec();
    spec.encrypt_to = Some(other.certificate().unwrap());
    assert_eq!(f.refusal(&f.idp.response(&spec)), "decryption_failed");
}

#[test]
fn during_rotation_either_configured_certificate_is_accepted() {
    let mut f = Fixture::new();
    let next = SigningKey::generate("idp-next.test");
    f.certs = vec![f.idp.certificate(), next.certificate.clone()];
    let old = f.spec();
    assert!(f.validate(&f.idp.response(&old)).is_ok());
    let mut new = f.spec();
    new.sign_with = Some(next);
    let a = f.validate(&f.idp.response(&new)).expect("the next key is accepted");
    assert_eq!(a.name_id, "ada@acme.example");
}

#[test]
fn sha1_is_refused_by_default_and_accepted_when_allowed() {
    let mut f = Fixture::new();
    let mut spec = f.spec();
    spec.sha1 = true;
    let response = f.idp.response(&spec);
    assert_eq!(f.refusal(&response), "weak_algorithm");
    f.allow_sha1 = true;
    assert!(f.validate(&response).is_ok());
}

#[test]
fn a_clock_skew_within_the_allowance_is_tolerated() {
    let mut f = Fixture::new();
    let spec = f.spec();
    let response = f.idp.response(&spec);
    f.now = spec.not_on_or_after_ms + 170_000;
    assert!(f.validate(&response).is_ok());
    f.now = spec.not_before_ms - 170_000;
    assert!(f.validate(&response).is_ok());
}

#[test]
fn an_idp_error_status_is_reported_with_its_code() {
    let f = Fixture::new();
    let mut spec = f.spec();
    spec.status = "urn:oasis:names:tc:SAML:2.0:status:Responder".into();
    spec.sign = Sign::None;
    let refusal = f.validate(&f.idp.response(&spec)).unwrap_err();
    assert_eq!(refusal.as_str(), "idp_status");
    assert_eq!(
        refusal,
        Refusal::IdpStatus("urn:oasis:names:tc:SAML:2.0:status:Responder".into())
    );
}

#[test]
fn a_response_without_destination_is_accepted_only_when_unsigned() {
    let f = Fixture::new();
    let mut spec = f.spec();
    spec.destination = None;
    assert!(f.validate(&f.idp.response(&spec)).is_ok());
    spec.sign = Sign::Response;
    assert_eq!(f.refusal(&f.idp.response(&spec)), "wrong_destination");
    let _ = ACS;
}

#[test]
fn an_assertion_signed_with_an_ec_key_is_accepted() {
    let mut f = Fixture::new();
    let ec = SigningKey::generate_ec("idp-ec.test");
    f.certs = vec![ec.certificate.clone()];
    let mut spec = f.spec();
    spec.sign_with = Some(ec);
    let xml = f.idp.response_xml(&spec);
    assert!(xml.contains(gatehouse_saml::ECDSA_SHA256));
    assert_eq!(f.validate(&STANDARD.encode(xml)).unwrap().name_id, "ada@acme.example");
}

#[test]
fn an_encrypted_assertion_is_checked_like_a_plain_one() {
    let f = Fixture::new();
    let mut spec = f.spec();
    spec.encrypt_to = Some(f.sp_certificate());
    spec.audience = "https://other-sp.test/metadata".into();
    for sign in [Sign::Assertion, Sign::Response] {
        spec.sign = sign;
        assert_eq!(f.refusal(&f.idp.response(&spec)), "wrong_audience");
    }
}

#[test]
fn in_response_to_of_a_signed_response_is_returned_when_the_confirmation_has_none() {
    let f = Fixture::new();
    let mut spec = f.spec();
    spec.in_response_to = Some("_req7".into());
    spec.confirmation_in_response_to = false;
    spec.sign = Sign::Response;
    let a = f.validate(&f.idp.response(&spec)).unwrap();
    assert_eq!(a.in_response_to.as_deref(), Some("_req7"));
    // An unsigned Response's InResponseTo is not taken: anyone could have written it.
    spec.sign = Sign::Assertion;
    let a = f.validate(&f.idp.response(&spec)).unwrap();
    assert_eq!(a.in_response_to, None);
}
