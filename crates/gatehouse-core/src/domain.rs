//! Domains an organization verifies, and the rules about which names may be claimed.

use crate::Timestamp;
use crate::error::{CoreError, Result};
use crate::future::BoxFuture;
use crate::ids::{DomainId, OrgId};

/// A DNS domain name, normalized: lower case, no trailing dot, internationalized names in their
/// ASCII (punycode) form, so `Bücher.example` and `xn--bcher-kva.example` are one domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct DomainName(String);

impl DomainName {
    pub fn parse(raw: &str) -> Result<Self> {
        let bad = |m: &str| CoreError::validation("name", m);
        let trimmed = raw.trim().trim_end_matches('.');
        if trimmed.is_empty() {
            return Err(bad("is required"));
        }
        if trimmed.contains(['/', ':', '@', ' ', '*']) {
            return Err(bad(
                "must be a bare domain name like example.com, without scheme, path, port or wildcard",
            ));
        }
        let ascii = idna::domain_to_ascii(trimmed).map_err(|_| bad("is not a valid domain name"))?;
        if ascii.len() > 253 {
            return Err(bad("must be at most 253 characters"));
        }
        if !ascii.contains('.') {
            return Err(bad("must have at least two labels, like example.com"));
        }
        crate::types::parse_domain(&ascii).map_err(|()| bad("is not a valid domain name"))?;
        if ends_in_a_number(&ascii) {
            return Err(bad("must be a domain name, not an IP address"));
        }
        Ok(Self(ascii))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a mailbox provider's domain that no organization can own.
    pub fn is_consumer(&self) -> bool {
        CONSUMER_DOMAINS.binary_search(&self.0.as_str()).is_ok()
    }
}

/// The WHATWG URL Standard's "ends in a number": a host whose last label is all digits or
/// `0x` and hex digits is parsed as an IPv4 address, in any of its spellings (`0x7f.0x1` and
/// `127.1` are 127.0.0.1, `1.2.3.0x4` is 1.2.3.4). A URL built from such a name would reach an
/// address, never a domain, so it is not a domain name.
fn ends_in_a_number(ascii: &str) -> bool {
    let last = ascii.rsplit('.').next().unwrap_or_default();
    let hex = last.strip_prefix("0x").or_else(|| last.strip_prefix("0X"));
    match hex {
        Some(digits) => digits.chars().all(|c| c.is_ascii_hexdigit()),
        None => !last.is_empty() && last.chars().all(|c| c.is_ascii_digit()),
    }
}

impl std::fmt::Display for DomainName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Public mailbox providers' domains (sorted, for binary search). Nobody's organization owns
/// these, so no organization may verify them or manage the accounts on them.
pub const CONSUMER_DOMAINS: &[&str] = &[
    "163.com",
    "aim.com",
    "aol.com",
    "att.net",
    "bellsouth.net",
    "btinternet.com",
    "comcast.net",
    "cox.net",
    "fastmail.com",
    "free.fr",
    "freenet.de",
    "gmail.com",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "googlemail.com",
    "hey.com",
    "hotmail.co.uk",
    "hotmail.com",
    "hotmail.de",
    "hotmail.fr",
    "hushmail.com",
    "icloud.com",
    "inbox.ru",
    "laposte.net",
    "libero.it",
    "live.co.uk",
    "live.com",
    "live.fr",
    "mac.com",
    "mail.com",
    "mail.ru",
    "me.com",
    "msn.com",
    "naver.com",
    "orange.fr",
    "outlook.com",
    "outlook.de",
    "pm.me",
    "proton.me",
    "protonmail.ch",
    "protonmail.com",
    "qq.com",
    "rediffmail.com",
    "rocketmail.com",
    "sbcglobal.net",
    "seznam.cz",
    "sfr.fr",
    "t-online.de",
    "tutanota.com",
    "verizon.net",
    "wanadoo.fr",
    "web.de",
    "yahoo.co.in",
    "yahoo.co.jp",
    "yahoo.co.uk",
    "yahoo.com",
    "yahoo.de",
    "yahoo.fr",
    "yandex.com",
    "yandex.ru",
    "ymail.com",
    "zoho.com",
];

macro_rules! small_enum {
    ($(#[$m:meta])* $name:ident { $($v:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($v),+ }
        impl $name {
            pub fn as_str(self) -> &'static str { match self { $($name::$v => $s),+ } }
            pub fn parse(s: &str) -> Result<Self> {
                match s {
                    $($s => Ok($name::$v),)+
                    _ => Err(CoreError::validation(stringify!($name), format!("must be one of: {}", [$($s),+].join(", ")))),
                }
            }
        }
    };
}

small_enum!(/// Where a domain stands.
    DomainStatus { Pending => "pending", Verified => "verified", Failed => "failed" });
small_enum!(/// Whether accounts on a verified domain become managed on their own or when an admin says so.
    ClaimMode { Automatic => "automatic", Manual => "manual" });
small_enum!(/// How ownership is proven.
    ProofMethod { Dns => "dns", Https => "https" });

/// A domain of an organization.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Domain {
    pub id: DomainId,
    pub org_id: OrgId,
    pub name: String,
    /// The value to publish; never a secret (it is public in DNS), but unguessable per domain.
    pub token: String,
    pub status: DomainStatus,
    pub claim_mode: ClaimMode,
    pub created_at: Timestamp,
    /// A pending domain not verified by then fails.
    pub verify_by: Timestamp,
    pub verified_at: Option<Timestamp>,
    pub verified_method: Option<ProofMethod>,
    pub last_checked_at: Option<Timestamp>,
    pub last_check_detail: Option<String>,
    /// Set while a verified domain's proof is missing; after the grace period it is unverified.
    pub failing_since: Option<Timestamp>,
}

impl Domain {
    /// The TXT record value to publish.
    pub fn txt_record(&self) -> String {
        format!("{TXT_PREFIX}{}", self.token)
    }

    /// The HTTPS URL whose body must be the token.
    pub fn https_url(&self) -> String {
        format!("https://{}{HTTPS_PATH}", self.name)
    }
}

pub const TXT_PREFIX: &str = "gatehouse-domain-verification=";
pub const HTTPS_PATH: &str = "/.well-known/gatehouse-domain-verification.txt";

/// What one check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofOutcome {
    /// The token was there.
    Found,
    /// The place answered, without the token (no record, NXDOMAIN, 404, another token).
    Missing(String),
    /// The place could not be asked (SERVFAIL, timeout, refused connection, bad certificate).
    Unreachable(String),
}

impl ProofOutcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            ProofOutcome::Found => "found",
            ProofOutcome::Missing(_) => "missing",
            ProofOutcome::Unreachable(_) => "unreachable",
        }
    }

    pub fn detail(&self) -> &str {
        match self {
            ProofOutcome::Found => "token found",
            ProofOutcome::Missing(d) | ProofOutcome::Unreachable(d) => d,
        }
    }
}

/// One recorded check, for the domain's history.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DomainCheck {
    pub checked_at: Timestamp,
    pub method: ProofMethod,
    pub outcome: String,
    pub detail: String,
}

/// Looks for the proof. Implementations do real DNS and HTTPS, with their own guards.
pub trait DomainProver: Send + Sync + 'static {
    fn check(&self, method: ProofMethod, domain: &str, token: &str) -> BoxFuture<'_, ProofOutcome>;
}

/// Timing rules for domains.
#[derive(Debug, Clone)]
pub struct DomainPolicy {
    /// How long a pending domain may take to verify before it fails.
    pub verify_window_secs: i64,
    /// How often pending domains are checked by the job.
    pub pending_every_secs: i64,
    /// How often verified domains are re-checked.
    pub recheck_every_secs: i64,
    /// How long a verified domain may lack its proof before it is unverified.
    pub grace_secs: i64,
}

impl Default for DomainPolicy {
    fn default() -> Self {
        Self {
            verify_window_secs: 30 * 86_400,
            pending_every_secs: 3600,
            recheck_every_secs: 86_400,
            grace_secs: 7 * 86_400,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalized_and_internationalized_names_become_punycode() {
        assert_eq!(DomainName::parse(" Example.COM. ").unwrap().as_str(), "example.com");
        assert_eq!(
            DomainName::parse("Bücher.example").unwrap().as_str(),
            "xn--bcher-kva.example"
        );
        assert_eq!(
            DomainName::parse("xn--bcher-kva.example").unwrap().as_str(),
            "xn--bcher-kva.example"
        );
        assert_eq!(
            DomainName::parse("eu.acme.example").unwrap().as_str(),
            "eu.acme.example"
        );
    }

    #[test]
    fn urls_addresses_wildcards_and_single_labels_are_refused() {
        for bad in [
            "https://acme.example",
            "acme.example/path",
            "*.acme.example",
            "localhost",
            "10.0.0.1",
            "a..b",
            "-x.example",
            "admin@acme.example",
        ] {
            assert!(DomainName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_the_url_parser_reads_as_ip_addresses_are_refused() {
        for bad in [
            "0x7f.0x1",
            "1.2.3.0x4",
            "1.2.3.0X4",
            "acme.0x",
            "2130706433",
            "0177.0.0.1",
            "127.1",
            "0x7f.1",
            "0x7f000001",
            "１２７.０.０.１",
        ] {
            assert!(DomainName::parse(bad).is_err(), "{bad}");
        }
        for ok in ["0x7f.example", "acme.0xample", "1.2.3.example", "123.example"] {
            assert!(DomainName::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn consumer_domains_are_recognized_and_the_list_is_sorted() {
        assert!(DomainName::parse("GMail.com").unwrap().is_consumer());
        assert!(
            !DomainName::parse("mail.gmail.com").unwrap().is_consumer(),
            "subdomains are their own domains"
        );
        let mut sorted = CONSUMER_DOMAINS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, CONSUMER_DOMAINS);
    }
}
