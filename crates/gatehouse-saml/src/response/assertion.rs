//! Reading the signed Assertion and checking it (saml-profiles §4.1.4.2–4.1.4.3).

use std::collections::BTreeMap;

use roxmltree::Node;

use super::refusal::Refusal;
use super::types::{Assertion, Expect};
use crate::instant;
use crate::xml::{self, NS_ASSERTION};

const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

/// Reads and checks `node`, a `saml:Assertion` from the signed tree.
pub fn read(node: Node<'_, '_>, expect: &Expect<'_>) -> Result<Assertion, Refusal> {
    let id = node
        .attribute("ID")
        .ok_or_else(|| Refusal::Malformed("Assertion without ID".into()))?
        .to_owned();
    let issuer = xml::child(node, NS_ASSERTION, "Issuer")
        .and_then(xml::text_trimmed)
        .ok_or_else(|| Refusal::WrongIssuer("no Issuer".into()))?;
    if issuer != expect.idp_entity_id {
        return Err(Refusal::WrongIssuer(issuer));
    }
    let subject = xml::child(node, NS_ASSERTION, "Subject").ok_or(Refusal::NoNameId)?;
    let name_id_node = xml::child(subject, NS_ASSERTION, "NameID").ok_or(Refusal::NoNameId)?;
    let name_id = name_id(name_id_node)?;
    let confirmed = bearer_confirmation(subject, expect)?;
    let conditions_until = conditions(node, expect)?;
    let authn = xml::child(node, NS_ASSERTION, "AuthnStatement");
    let not_on_or_after = match conditions_until {
        Some(c) => c.min(confirmed.not_on_or_after),
        None => confirmed.not_on_or_after,
    };
    Ok(Assertion {
        id,
        issuer,
        in_response_to: confirmed.in_response_to,
        name_id,
        name_id_format: name_id_node.attribute("Format").map(str::to_owned),
        session_index: authn.and_then(|a| a.attribute("SessionIndex")).map(str::to_owned),
        session_not_on_or_after: authn
            .and_then(|a| a.attribute("SessionNotOnOrAfter"))
            .and_then(instant::parse),
        attributes: attributes(node),
        not_on_or_after,
        authn_instant: authn.and_then(|a| a.attribute("AuthnInstant")).and_then(instant::parse),
    })
}

/// The NameID must be one text node: a comment or element inside could make a reader see a
/// value other than the one signed (CVE-2017-11427 and its family).
pub fn name_id(node: Node<'_, '_>) -> Result<String, Refusal> {
    if node.children().count() == 0 {
        return Err(Refusal::NoNameId);
    }
    let text = xml::single_text(node).ok_or(Refusal::MalformedNameId)?.trim();
    if text.is_empty() {
        return Err(Refusal::NoNameId);
    }
    Ok(text.to_owned())
}

struct Confirmed {
    in_response_to: Option<String>,
    not_on_or_after: i64,
}

/// saml-profiles §4.1.4.2: at least one bearer SubjectConfirmation whose data names our ACS
/// URL as Recipient and has a NotOnOrAfter not yet passed.
fn bearer_confirmation(subject: Node<'_, '_>, expect: &Expect<'_>) -> Result<Confirmed, Refusal> {
    let skew = expect.skew_secs * 1000;
    let mut expired = false;
    for confirmation in xml::children(subject, NS_ASSERTION, "SubjectConfirmation") {
        if confirmation.attribute("Method") != Some(BEARER) {
            continue;
        }
        let Some(data) = xml::child(confirmation, NS_ASSERTION, "SubjectConfirmationData") else {
            continue;
        };
        if data.attribute("Recipient") != Some(expect.acs_url) {
            continue;
        }
        let Some(until) = data.attribute("NotOnOrAfter").and_then(instant::parse) else {
            continue;
        };
        if expect.now_ms >= until + skew {
            expired = true;
            continue;
        }
        if let Some(from) = data.attribute("NotBefore").and_then(instant::parse)
            && expect.now_ms + skew < from
        {
            continue;
        }
        return Ok(Confirmed {
            in_response_to: data.attribute("InResponseTo").map(str::to_owned),
            not_on_or_after: until,
        });
    }
    Err(if expired {
        Refusal::Expired
    } else {
        Refusal::WrongRecipient
    })
}

/// saml-core §2.5.1: NotBefore/NotOnOrAfter with skew; every AudienceRestriction names us, and
/// saml-profiles §4.1.4.2 requires at least one. Returns Conditions' NotOnOrAfter.
fn conditions(node: Node<'_, '_>, expect: &Expect<'_>) -> Result<Option<i64>, Refusal> {
    let conditions = xml::child(node, NS_ASSERTION, "Conditions").ok_or(Refusal::WrongAudience)?;
    let skew = expect.skew_secs * 1000;
    let bound = |name: &str| -> Result<Option<i64>, Refusal> {
        match conditions.attribute(name) {
            None => Ok(None),
            Some(v) => instant::parse(v)
                .map(Some)
                .ok_or_else(|| Refusal::Malformed(format!("Conditions {name}"))),
        }
    };
    if let Some(from) = bound("NotBefore")?
        && expect.now_ms + skew < from
    {
        return Err(Refusal::NotYetValid);
    }
    let until = bound("NotOnOrAfter")?;
    if let Some(until) = until
        && expect.now_ms >= until + skew
    {
        return Err(Refusal::Expired);
    }
    let mut restrictions = xml::children(conditions, NS_ASSERTION, "AudienceRestriction").peekable();
    if restrictions.peek().is_none() {
        return Err(Refusal::WrongAudience);
    }
    for restriction in restrictions {
        let names_us = xml::children(restriction, NS_ASSERTION, "Audience")
            .filter_map(xml::text_trimmed)
            .any(|a| a == expect.sp_entity_id);
        if !names_us {
            return Err(Refusal::WrongAudience);
        }
    }
    Ok(until)
}

/// AttributeStatement values by attribute Name; a value is its text content as signed.
fn attributes(node: Node<'_, '_>) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for statement in xml::children(node, NS_ASSERTION, "AttributeStatement") {
        for attribute in xml::children(statement, NS_ASSERTION, "Attribute") {
            let Some(name) = attribute.attribute("Name") else {
                continue;
            };
            let values = out.entry(name.to_owned()).or_default();
            for value in xml::children(attribute, NS_ASSERTION, "AttributeValue") {
                let text: String = value
                    .descendants()
                    .filter(Node::is_text)
                    .filter_map(|t| t.text())
                    .collect();
                values.push(text.trim().to_owned());
            }
        }
    }
    out
}
