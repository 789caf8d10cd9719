//! Validating a SAML Response posted to the ACS (saml-profiles §4.1.4.3, bindings §3.5).
//!
//! The order: size, base64, XML without DTD, shape (no wrapping, allowed algorithms), status,
//! assertion count, signature, then every field read from the signed tree only.

mod assertion;
mod refusal;
mod structure;
mod types;

use roxmltree::Node;

pub use refusal::Refusal;
use structure::Shape;
pub use types::{Assertion, DEFAULT_SKEW_SECS, Expect, MAX_RESPONSE_BASE64};

use crate::keys::{Certificate, decode_b64_loose, pem_body};
use crate::signature::{SignatureError, XmlSec, XmlSignatures};
use crate::xml::{self, NS_ASSERTION, NS_DSIG};

/// Validates a base64 SAMLResponse with the default XML signature implementation ([`XmlSec`]).
pub fn validate_response(saml_response_base64: &str, expect: &Expect<'_>) -> Result<Assertion, Refusal> {
    validate_response_with(&XmlSec, saml_response_base64, expect)
}

/// Validates a base64 SAMLResponse with the given XML signature implementation.
pub fn validate_response_with(
    sigs: &dyn XmlSignatures,
    saml_response_base64: &str,
    expect: &Expect<'_>,
) -> Result<Assertion, Refusal> {
    if saml_response_base64.len() > MAX_RESPONSE_BASE64 {
        return Err(Refusal::TooLarge(MAX_RESPONSE_BASE64));
    }
    let bytes = decode_b64_loose(saml_response_base64).ok_or_else(|| Refusal::Malformed("not base64".into()))?;
    let text = String::from_utf8(bytes).map_err(|_| Refusal::Malformed("not UTF-8".into()))?;
    let doc = xml::parse(&text)?;
    let shape = structure::check(&doc, false, expect.allow_sha1)?;
    structure::check_status(shape.root)?;
    let only = single_assertion(&shape)?;
    if xml::is(only, NS_ASSERTION, "EncryptedAssertion") {
        return encrypted(sigs, &text, &shape, expect);
    }
    if !shape.root_signed && !Shape::is_signed(only) {
        return Err(Refusal::Unsigned);
    }
    // The NameID is checked as sent: canonical form drops comments, so only the source shows
    // whether the signed value was split.
    if let Some(n) = name_id_node(only) {
        assertion::name_id(n)?;
    }
    let signed_text = verify(sigs, &text, expect)?;
    let signed = xml::parse(&signed_text)?;
    let signed_root = signed.root_element();
    if shape.root_signed {
        same_element(signed_root, shape.root)?;
        response_fields(signed_root, true, expect)?;
        let inner = xml::child(signed_root, NS_ASSERTION, "Assertion")
            .ok_or(Refusal::SignatureWrapping("signed Response lost its Assertion"))?;
        with_response_in_response_to(assertion::read(inner, expect)?, signed_root)
    } else {
        same_element(signed_root, only)?;
        response_fields(shape.root, false, expect)?;
        assertion::read(signed_root, expect)
    }
}

/// saml-profiles §4.1.4.2 puts InResponseTo on the bearer confirmation; a signed Response may
/// carry it too. Both present must agree; the Response's (signed) fills a missing one.
fn with_response_in_response_to(mut a: Assertion, signed_response: Node<'_, '_>) -> Result<Assertion, Refusal> {
    match (a.in_response_to.as_deref(), signed_response.attribute("InResponseTo")) {
        (Some(c), Some(r)) if c != r => {
            return Err(Refusal::Malformed(
                "InResponseTo differs between Response and Assertion".into(),
            ));
        }
        (None, Some(r)) => a.in_response_to = Some(r.to_owned()),
        _ => {}
    }
    Ok(a)
}

/// Exactly one Assertion or EncryptedAssertion. Several are refused: as wrapping when one of
/// them is not covered by a signature (the XSW3/XSW5 shape), else as more than we accept.
fn single_assertion<'a, 'input>(shape: &Shape<'a, 'input>) -> Result<Node<'a, 'input>, Refusal> {
    match shape.assertions.as_slice() {
        [] => Err(Refusal::NoAssertion),
        [one] => Ok(*one),
        many => {
            let all_covered = shape.root_signed || many.iter().all(|a| Shape::is_signed(*a));
            Err(if all_covered {
                Refusal::MultipleAssertions
            } else {
                Refusal::SignatureWrapping("an unsigned assertion beside a signed one")
            })
        }
    }
}

fn name_id_node<'a, 'input>(assertion: Node<'a, 'input>) -> Option<Node<'a, 'input>> {
    xml::child(assertion, NS_ASSERTION, "Subject").and_then(|s| xml::child(s, NS_ASSERTION, "NameID"))
}

/// The verified (pre-digest) element is the element we located: same name, same ID.
fn same_element(signed: Node<'_, '_>, located: Node<'_, '_>) -> Result<(), Refusal> {
    let same = signed.tag_name() == located.tag_name()
        && signed.attribute("ID").is_some()
        && signed.attribute("ID") == located.attribute("ID");
    if same {
        Ok(())
    } else {
        Err(Refusal::SignatureWrapping("the verified element is not the one used"))
    }
}

/// Destination and Issuer of the Response (bindings §3.5.5.2: a signed Response must carry a
/// Destination; when present it must be our ACS URL).
fn response_fields(response: Node<'_, '_>, signed: bool, expect: &Expect<'_>) -> Result<(), Refusal> {
    match response.attribute("Destination") {
        Some(d) if d != expect.acs_url => return Err(Refusal::WrongDestination(d.to_owned())),
        None if signed => return Err(Refusal::WrongDestination("missing".into())),
        _ => {}
    }
    if let Some(issuer) = xml::child(response, NS_ASSERTION, "Issuer") {
        let value = xml::text_trimmed(issuer).unwrap_or_default();
        if value != expect.idp_entity_id {
            return Err(Refusal::WrongIssuer(value));
        }
    }
    if response.attribute("Version") != Some("2.0") {
        return Err(Refusal::Malformed("Version is not 2.0".into()));
    }
    Ok(())
}

/// Verifies `text` with the configured certificates; on failure tells a foreign key (the
/// document's own KeyInfo certificate verifies it) from a broken signature.
fn verify(sigs: &dyn XmlSignatures, text: &str, expect: &Expect<'_>) -> Result<String, Refusal> {
    match sigs.verify(text, expect.certificates) {
        Ok(signed) => Ok(signed),
        Err(SignatureError::Invalid) => {
            let foreign: Vec<Certificate> = embedded_certificates(text)
                .into_iter()
                .filter(|c| !expect.certificates.contains(c))
                .collect();
            // Diagnosis only: a document's own certificate never makes it trusted.
            if !foreign.is_empty() && sigs.verify(text, &foreign).is_ok() {
                Err(Refusal::UntrustedKey)
            } else {
                Err(Refusal::BadSignature)
            }
        }
        Err(other) => Err(Refusal::Malformed(other.to_string())),
    }
}

fn embedded_certificates(text: &str) -> Vec<Certificate> {
    let Ok(doc) = xml::parse(text) else {
        return Vec::new();
    };
    xml::descendants(doc.root_element(), NS_DSIG, "X509Certificate")
        .filter_map(xml::single_text)
        .filter_map(|b64| Certificate::parse(b64).ok())
        .collect()
}

/// An EncryptedAssertion: decrypted from the signed Response when the Response is signed (the
/// ciphertext is what was signed), else decrypted and then verified as a signed Assertion.
fn encrypted(
    sigs: &dyn XmlSignatures,
    text: &str,
    shape: &Shape<'_, '_>,
    expect: &Expect<'_>,
) -> Result<Assertion, Refusal> {
    if !crate::encryption::key_transport_allowed(shape.root, expect.allow_rsa1_5) {
        return Err(Refusal::WeakAlgorithm(format!(
            "{} key transport (allowed only for a provider set to allow it)",
            crate::encryption::RSA_1_5
        )));
    }
    let key_pem = expect
        .sp_key_pem
        .ok_or_else(|| Refusal::DecryptionFailed("no SP key configured".into()))?;
    let key =
        pem_body(key_pem, "PRIVATE KEY").ok_or_else(|| Refusal::DecryptionFailed("SP key is not PKCS#8 PEM".into()))?;
    let decrypt = |from: &str| {
        sigs.decrypt(from, &key)
            .map_err(|e| Refusal::DecryptionFailed(e.to_string()))
    };
    if shape.root_signed {
        let signed_text = verify(sigs, text, expect)?;
        let signed = xml::parse(&signed_text)?;
        same_element(signed.root_element(), shape.root)?;
        response_fields(signed.root_element(), true, expect)?;
        let plain = decrypt(&signed_text)?;
        let plain_doc = xml::parse(&plain)?;
        let inner = structure::check(&plain_doc, true, expect.allow_sha1)?;
        if inner.root_signed {
            verify(sigs, &plain, expect)?;
        }
        let read = checked_read(inner.root, inner.root, expect)?;
        with_response_in_response_to(read, signed.root_element())
    } else {
        response_fields(shape.root, false, expect)?;
        // Nothing signed the ciphertext: anyone on the way may have changed it, and what each
        // step said of the result would tell them about the plaintext (the padding and parsing
        // oracles of Jager and Somorovsky, CCS 2011). Until the assertion inside verifies, every
        // failure is one refusal; its detail stays in the operator's log.
        // The outer result is what happened before the signature verified, the inner what the
        // signed assertion says (those refusals stay as they are).
        let opened = || -> Result<Result<Assertion, Refusal>, Refusal> {
            let plain = decrypt(text)?;
            let plain_doc = xml::parse(&plain)?;
            let inner = structure::check(&plain_doc, true, expect.allow_sha1)?;
            if !inner.root_signed {
                return Err(Refusal::Unsigned);
            }
            let signed_text = verify(sigs, &plain, expect)?;
            let signed = xml::parse(&signed_text)?;
            same_element(signed.root_element(), inner.root)?;
            Ok(checked_read(inner.root, signed.root_element(), expect))
        };
        opened().map_err(|e| match e {
            Refusal::DecryptionFailed(_) => e,
            other => Refusal::DecryptionFailed(format!("the decrypted assertion: {other}")),
        })?
    }
}

/// Checks the NameID of the `source` assertion as sent, then reads the `signed` one.
fn checked_read(source: Node<'_, '_>, signed: Node<'_, '_>, expect: &Expect<'_>) -> Result<Assertion, Refusal> {
    if let Some(n) = name_id_node(source) {
        assertion::name_id(n)?;
    }
    assertion::read(signed, expect)
}
