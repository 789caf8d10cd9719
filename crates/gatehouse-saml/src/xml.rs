//! Reading and writing the XML we handle: a read-only tree that refuses DTDs, namespace names,
//! and escaping for the documents we build.

use roxmltree::{Document, Node, ParsingOptions};

/// SAML 2.0 assertion namespace (saml-core §2).
pub const NS_ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// SAML 2.0 protocol namespace (saml-core §3).
pub const NS_PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// SAML 2.0 metadata namespace (saml-metadata §2).
pub const NS_METADATA: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
/// XML Signature namespace.
pub const NS_DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
/// XML Encryption namespace.
pub const NS_XENC: &str = "http://www.w3.org/2001/04/xmlenc#";

/// Why a document could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XmlError {
    /// The document declares a DTD (`<!DOCTYPE`): refused, never expanded, so neither external
    /// entities (XXE) nor entity expansion (billion laughs) can happen.
    Dtd,
    /// Not well-formed XML, not UTF-8, or over the node limit.
    Malformed(String),
}

/// More nodes than any real SAML message has; bounds memory for hostile input.
const NODES_LIMIT: u32 = 100_000;

/// Parses `text` with DTDs refused and a node limit.
pub fn parse(text: &str) -> Result<Document<'_>, XmlError> {
    // A DOCTYPE anywhere is refused before parsing (roxmltree would refuse it too, with
    // allow_dtd off); the explicit check keeps the reason independent of the parser's errors.
    if text.contains("<!DOCTYPE") || text.contains("<!ENTITY") {
        return Err(XmlError::Dtd);
    }
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: NODES_LIMIT,
        ..ParsingOptions::default()
    };
    Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => XmlError::Dtd,
        other => XmlError::Malformed(other.to_string()),
    })
}

/// Whether `node` is the element `{ns}name`.
pub fn is(node: Node<'_, '_>, ns: &str, name: &str) -> bool {
    node.is_element() && node.tag_name().name() == name && node.tag_name().namespace() == Some(ns)
}

/// The child elements of `node` named `{ns}name`.
pub fn children<'a, 'input: 'a>(
    node: Node<'a, 'input>,
    ns: &'a str,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'input>> + 'a {
    node.children().filter(move |c| is(*c, ns, name))
}

/// The first child element of `node` named `{ns}name`.
pub fn child<'a, 'input>(node: Node<'a, 'input>, ns: &str, name: &str) -> Option<Node<'a, 'input>> {
    node.children().find(|c| is(*c, ns, name))
}

/// Every element in the subtree of `node` (itself included) named `{ns}name`.
pub fn descendants<'a, 'input: 'a>(
    node: Node<'a, 'input>,
    ns: &'a str,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'input>> + 'a {
    node.descendants().filter(move |c| is(*c, ns, name))
}

/// The text of an element that must hold exactly one text node and nothing else (no comment,
/// processing instruction or child element). `None` otherwise: a value split by a comment
/// (`ada@acme.example<!---->.evil.com`) must not be read as either half or as the join.
pub fn single_text<'a>(node: Node<'a, '_>) -> Option<&'a str> {
    let mut kids = node.children();
    let only = kids.next()?;
    if kids.next().is_some() || !only.is_text() {
        return None;
    }
    only.text()
}

/// The trimmed text of an element whose content is plain text (whitespace-only is `None`).
pub fn text_trimmed(node: Node<'_, '_>) -> Option<String> {
    let text = single_text(node)?.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Escapes text for an XML attribute value or text node.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_doctype_is_refused_not_expanded() {
        let xml = r#"<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>"#;
        assert_eq!(parse(xml).unwrap_err(), XmlError::Dtd);
    }

    #[test]
    fn a_value_split_by_a_comment_has_no_single_text() {
        let doc = parse("<a>ada@acme.example<!---->.evil.com</a>").unwrap();
        assert_eq!(single_text(doc.root_element()), None);
        let doc = parse("<a>ada@acme.example</a>").unwrap();
        assert_eq!(single_text(doc.root_element()), Some("ada@acme.example"));
    }

    #[test]
    fn escape_covers_markup_characters() {
        assert_eq!(escape(r#"a<b>&"c'"#), "a&lt;b&gt;&amp;&quot;c&apos;");
    }
}
