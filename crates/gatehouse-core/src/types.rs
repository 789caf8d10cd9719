//! Constrained strings. Each is built only by `parse`, so holding one means it is valid.

use crate::error::{CoreError, Result};

/// An email address, normalized: trimmed and lower-cased. Two addresses that differ only in
/// case are the same account (as every mail system in practice treats them).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Parses and normalizes; `field` names the input in errors.
    pub fn parse_field(raw: &str, field: &str) -> Result<Self> {
        let s = raw.trim();
        let bad = |m: &str| CoreError::validation(field, m);
        if s.is_empty() {
            return Err(bad("is required"));
        }
        if s.len() > 254 {
            return Err(bad("must be at most 254 characters"));
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err(bad("must be an email address like name@example.com"));
        };
        if local.is_empty() || local.len() > 64 {
            return Err(bad("must have a local part of 1 to 64 characters before the @"));
        }
        // RFC 5322 dot-atom text for the local part; quoted local parts are not accepted.
        let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
        if !local.split('.').all(|p| !p.is_empty() && p.chars().all(atext)) {
            return Err(bad("has characters that are not allowed before the @"));
        }
        parse_domain(domain).map_err(|()| bad("must have a valid domain after the @"))?;
        Ok(Self(s.to_ascii_lowercase()))
    }

    pub fn parse(raw: &str) -> Result<Self> {
        Self::parse_field(raw, "email")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after the @.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a host name's shape: 2+ dot-separated labels of letters, digits and inner hyphens.
pub(crate) fn parse_domain(d: &str) -> std::result::Result<(), ()> {
    if d.is_empty() || d.len() > 253 {
        return Err(());
    }
    let labels: Vec<&str> = d.split('.').collect();
    if labels.len() < 2 {
        return Err(());
    }
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if labels.iter().all(label_ok) { Ok(()) } else { Err(()) }
}

/// A human-facing name (organization, group, instance, display name, key name): trimmed,
/// 1..=max characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Name(String);

impl Name {
    pub fn parse(raw: &str, field: &str, max: usize) -> Result<Self> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(CoreError::validation(field, "is required"));
        }
        if s.chars().count() > max {
            return Err(CoreError::validation(
                field,
                format!("must be at most {max} characters"),
            ));
        }
        if s.chars().any(char::is_control) {
            return Err(CoreError::validation(field, "must not contain control characters"));
        }
        if s.chars().any(is_bidi_control) {
            return Err(CoreError::validation(
                field,
                "must not contain bidirectional control characters",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used for case-insensitive uniqueness.
    pub fn folded(&self) -> String {
        self.0.to_lowercase()
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The Unicode bidirectional formatting characters (UAX #9): embeddings and overrides
/// (U+202A–U+202E), isolates (U+2066–U+2069) and the marks U+200E, U+200F and U+061C. In a name
/// they make text display in another order than it is stored ("Trojan Source"), so an admin
/// could read a name other than the one the audit log records.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Optional free text (descriptions): at most `max` characters, no control characters but newlines.
pub fn parse_description(raw: &str, field: &str, max: usize) -> Result<String> {
    let s = raw.trim();
    if s.chars().count() > max {
        return Err(CoreError::validation(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if s.chars().any(|c| c.is_control() && c != '\n') {
        return Err(CoreError::validation(field, "must not contain control characters"));
    }
    Ok(s.to_owned())
}

/// The base URL of a product instance: `https://host[:port]` with no path, query or credentials,
/// lower-cased. Unique across all organizations.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct InstanceUrl(String);

impl InstanceUrl {
    pub fn parse(raw: &str) -> Result<Self> {
        let bad = |m: &str| CoreError::validation("url", m);
        let s = raw.trim().trim_end_matches('/').to_ascii_lowercase();
        let Some(rest) = s.strip_prefix("https://") else {
            return Err(bad("must start with https://"));
        };
        if rest.contains(['/', '?', '#', '@', ' ', '\\']) {
            return Err(bad(
                "must be a bare origin like https://acme.example.net, without path, query or credentials",
            ));
        }
        let host = match rest.rsplit_once(':') {
            Some((h, port)) => {
                port.parse::<u16>().map_err(|_| bad("has an invalid port"))?;
                h
            }
            None => rest,
        };
        parse_domain(host).map_err(|()| bad("must have a valid host name"))?;
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_to_lower_case() {
        assert_eq!(
            Email::parse("  Ada.Lovelace@Example.COM ").unwrap().as_str(),
            "ada.lovelace@example.com"
        );
    }

    #[test]
    fn malformed_emails_are_rejected() {
        for bad in [
            "",
            "no-at",
            "a@b",
            "@example.com",
            "a b@example.com",
            "a@-x.com",
            "a..b@example.com",
            "a@exa_mple.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn names_reject_control_characters_and_overlong_input() {
        assert!(Name::parse("ok\u{0007}", "name", 10).is_err());
        assert!(Name::parse(&"x".repeat(11), "name", 10).is_err());
        assert_eq!(Name::parse("  Team  ", "name", 10).unwrap().as_str(), "Team");
    }

    #[test]
    fn names_refuse_bidirectional_control_characters() {
        for c in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
            '\u{200E}', '\u{200F}', '\u{061C}',
        ] {
            let err = Name::parse(&format!("Acme{c}gnp.exe"), "name", 50).unwrap_err();
            let CoreError::Validation { fields } = &err else {
                panic!("U+{:04X}: {err:?}", c as u32)
            };
            assert!(
                fields[0].message.contains("bidirectional"),
                "U+{:04X}: {err:?}",
                c as u32
            );
        }
        // Right-to-left text itself is a name like any other.
        assert!(Name::parse("שלום Acme", "name", 50).is_ok());
    }

    #[test]
    fn instance_urls_must_be_bare_https_origins() {
        assert_eq!(
            InstanceUrl::parse("https://Acme.example.net/").unwrap().as_str(),
            "https://acme.example.net"
        );
        for bad in [
            "http://acme.example.net",
            "https://acme.example.net/wiki",
            "https://user@acme.example.net",
            "https://acme",
            "https://acme.example.net:99999",
        ] {
            assert!(InstanceUrl::parse(bad).is_err(), "{bad} should be rejected");
        }
    }
}
