//! The shape checks that run before any cryptography: every way of making an unsigned element
//! pass as signed (XML signature wrapping, "On Breaking SAML", USENIX Security 2012) needs an ID
//! twice, a Response or Assertion out of place, or a Reference that points away from its
//! Signature's parent. All three are refused here, so the element xmlsec verifies is the one
//! we then read.

use std::collections::HashSet;

use roxmltree::{Document, Node};

use super::Refusal;
use crate::algorithms::{self, ENVELOPED, EXC_C14N};
use crate::xml::{self, NS_ASSERTION, NS_DSIG, NS_PROTOCOL};

/// What the shape check found.
#[derive(Debug)]
pub struct Shape<'a, 'input> {
    /// The root element (a Response, or for a decrypted assertion the Assertion).
    pub root: Node<'a, 'input>,
    /// Whether the root carries a `ds:Signature`.
    pub root_signed: bool,
    /// The Assertion / EncryptedAssertion elements allowed by position (children of the root
    /// Response, or the root itself).
    pub assertions: Vec<Node<'a, 'input>>,
}

impl Shape<'_, '_> {
    /// Whether `node` carries its own `ds:Signature`.
    pub fn is_signed(node: Node<'_, '_>) -> bool {
        xml::child(node, NS_DSIG, "Signature").is_some()
    }
}

/// Checks a document whose root must be `samlp:Response` (or, with `assertion_root`, a
/// decrypted `saml:Assertion`).
pub fn check<'a, 'input>(
    doc: &'a Document<'input>,
    assertion_root: bool,
    allow_sha1: bool,
) -> Result<Shape<'a, 'input>, Refusal> {
    let root = doc.root_element();
    let root_ok = if assertion_root {
        xml::is(root, NS_ASSERTION, "Assertion")
    } else {
        xml::is(root, NS_PROTOCOL, "Response")
    };
    if !root_ok {
        return Err(Refusal::Malformed(format!(
            "root element is {}",
            root.tag_name().name()
        )));
    }
    unique_ids(root)?;
    let assertions = placed_assertions(root, assertion_root)?;
    for sig in root.descendants().filter(|n| xml::is(*n, NS_DSIG, "Signature")) {
        check_signature(sig, root, &assertions, allow_sha1)?;
    }
    Ok(Shape {
        root,
        root_signed: Shape::is_signed(root),
        assertions,
    })
}

/// Every `ID` attribute value occurs once (xmlsec resolves `#id` by it).
fn unique_ids(root: Node<'_, '_>) -> Result<(), Refusal> {
    let mut seen = HashSet::new();
    for node in root.descendants().filter(Node::is_element) {
        if let Some(id) = node.attribute("ID")
            && !seen.insert(id)
        {
            return Err(Refusal::SignatureWrapping("duplicate ID"));
        }
    }
    Ok(())
}

/// Responses only at the root; Assertions and EncryptedAssertions only as children of the root
/// Response (saml-core §3.3.3) or as the root of a decrypted assertion.
fn placed_assertions<'a, 'input>(
    root: Node<'a, 'input>,
    assertion_root: bool,
) -> Result<Vec<Node<'a, 'input>>, Refusal> {
    let mut placed = Vec::new();
    for node in root.descendants().filter(Node::is_element) {
        let is_response = xml::is(node, NS_PROTOCOL, "Response");
        let is_assertion =
            xml::is(node, NS_ASSERTION, "Assertion") || xml::is(node, NS_ASSERTION, "EncryptedAssertion");
        if !is_response && !is_assertion {
            continue;
        }
        if node == root {
            if is_assertion {
                placed.push(node);
            }
            continue;
        }
        if is_response {
            return Err(Refusal::SignatureWrapping("a Response inside the Response"));
        }
        let under_root = node.parent_element() == Some(root) && !assertion_root;
        if !under_root {
            return Err(Refusal::SignatureWrapping("an Assertion out of place"));
        }
        placed.push(node);
    }
    Ok(placed)
}

/// A Signature's parent is the root or a placed Assertion, carries only this one Signature,
/// and is the element its single Reference names; algorithms are on the allow-list.
fn check_signature(
    sig: Node<'_, '_>,
    root: Node<'_, '_>,
    assertions: &[Node<'_, '_>],
    allow_sha1: bool,
) -> Result<(), Refusal> {
    let parent = sig
        .parent_element()
        .ok_or(Refusal::SignatureWrapping("a Signature without a parent"))?;
    if parent != root && !assertions.contains(&parent) {
        return Err(Refusal::SignatureWrapping("a Signature out of place"));
    }
    if xml::children(parent, NS_DSIG, "Signature").count() != 1 {
        return Err(Refusal::SignatureWrapping("two Signatures on one element"));
    }
    let signed_info = xml::child(sig, NS_DSIG, "SignedInfo")
        .ok_or_else(|| Refusal::Malformed("Signature without SignedInfo".into()))?;
    let mut references = xml::children(signed_info, NS_DSIG, "Reference");
    let reference = references
        .next()
        .ok_or_else(|| Refusal::Malformed("SignedInfo without Reference".into()))?;
    if references.next().is_some() {
        return Err(Refusal::SignatureWrapping("more than one Reference"));
    }
    let id = parent
        .attribute("ID")
        .ok_or(Refusal::SignatureWrapping("signed element has no ID"))?;
    // saml-core §5.4.2: the Reference URI is "#" + the ID of the enveloping element.
    if reference.attribute("URI") != Some(&format!("#{id}")) {
        return Err(Refusal::SignatureWrapping(
            "the Reference does not point at the Signature's parent",
        ));
    }
    check_algorithms(signed_info, reference, allow_sha1)
}

fn algorithm_of<'a>(parent: Node<'a, '_>, name: &str) -> Option<&'a str> {
    xml::child(parent, NS_DSIG, name)?.attribute("Algorithm")
}

/// saml-core §5.4.3–5.4.4: exclusive C14N, enveloped-signature; RFC 6931 algorithms, SHA-1
/// only when the IdP is configured to allow it.
fn check_algorithms(signed_info: Node<'_, '_>, reference: Node<'_, '_>, allow_sha1: bool) -> Result<(), Refusal> {
    let weak = |what: &str| Refusal::WeakAlgorithm(what.to_owned());
    let c14n = algorithm_of(signed_info, "CanonicalizationMethod").unwrap_or_default();
    if c14n != EXC_C14N {
        return Err(weak(c14n));
    }
    let method = algorithm_of(signed_info, "SignatureMethod").unwrap_or_default();
    if !algorithms::signature_allowed(method, allow_sha1) {
        return Err(weak(method));
    }
    let digest = algorithm_of(reference, "DigestMethod").unwrap_or_default();
    if !algorithms::digest_allowed(digest, allow_sha1) {
        return Err(weak(digest));
    }
    let transforms: Vec<&str> = xml::child(reference, NS_DSIG, "Transforms")
        .map(|t| {
            xml::children(t, NS_DSIG, "Transform")
                .map(|n| n.attribute("Algorithm").unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    if !transforms.contains(&ENVELOPED) {
        return Err(weak("no enveloped-signature transform"));
    }
    if let Some(other) = transforms.iter().find(|t| **t != ENVELOPED && **t != EXC_C14N) {
        return Err(weak(other));
    }
    Ok(())
}

/// saml-core §3.2.2.2: the top-level StatusCode must be Success; otherwise the code (and any
/// second-level code) is reported.
pub fn check_status(response: Node<'_, '_>) -> Result<(), Refusal> {
    const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
    let code = xml::child(response, NS_PROTOCOL, "Status").and_then(|s| xml::child(s, NS_PROTOCOL, "StatusCode"));
    let Some(code) = code else {
        return Err(Refusal::Malformed("Response without Status".into()));
    };
    let value = code.attribute("Value").unwrap_or_default();
    if value == SUCCESS {
        return Ok(());
    }
    let mut reported = value.to_owned();
    if let Some(sub) = xml::child(code, NS_PROTOCOL, "StatusCode").and_then(|s| s.attribute("Value")) {
        reported.push(' ');
        reported.push_str(sub);
    }
    Err(Refusal::IdpStatus(reported))
}
