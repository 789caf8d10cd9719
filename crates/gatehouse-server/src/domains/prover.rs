//! The real domain prover: DNS TXT records and an HTTPS file, both fetched through the shared
//! guarded outbound client (`crate::outbound`), which owns the address, redirect, timeout and
//! size rules. What it reports (stored with the check, shown in the API and the console,
//! written into audit events) is a coarse reason; why exactly a lookup or fetch failed goes to
//! the debug log only.

use crate::outbound::{Outbound, OutboundError, OutboundPolicy};
use gatehouse_core::domain::{DomainProver, HTTPS_PATH, ProofMethod, ProofOutcome, TXT_PREFIX};
use gatehouse_core::ports::BoxFuture;
/// Largest verification file read (the token is 32 characters).
const MAX_BODY: usize = 1024;

/// Checks a domain's proof against the world as it is now.
pub struct RealProver {
    outbound: Outbound,
    https_port: u16,
}

impl RealProver {
    /// A prover over its own client under `policy` (the configured addresses, resolvers and
    /// CA), narrowed to https, a 1 KiB body and its own user agent. The HTTPS check asks
    /// `https_port` (443 in production; tests use their own server's; 0 means 443).
    pub fn new(policy: OutboundPolicy, https_port: u16) -> anyhow::Result<Self> {
        let outbound = Outbound::new(&OutboundPolicy {
            https_only: true,
            user_agent: concat!("Gatehouse-Domain-Verification/", env!("CARGO_PKG_VERSION")).to_owned(),
            max_body: MAX_BODY,
            ..policy
        })?;
        Ok(Self {
            outbound,
            https_port: if https_port == 0 { 443 } else { https_port },
        })
    }

    async fn check_dns(&self, domain: &str, token: &str) -> ProofOutcome {
        let expected = format!("{TXT_PREFIX}{token}");
        match self.outbound.resolver().txt_lookup(format!("{domain}.")).await {
            Ok(lookup) => {
                // A TXT record may be split into several strings; they form one value (RFC 7208 §3.3).
                let values: Vec<String> = lookup
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        hickory_resolver::proto::rr::RData::TXT(txt) => Some(
                            txt.txt_data
                                .iter()
                                .map(|part| String::from_utf8_lossy(part))
                                .collect::<String>(),
                        ),
                        _ => None,
                    })
                    .collect();
                if values.iter().any(|v| v.trim() == expected) {
                    ProofOutcome::Found
                } else if values.iter().any(|v| v.trim().starts_with(TXT_PREFIX)) {
                    ProofOutcome::Missing("a gatehouse-domain-verification record is there, with another token".into())
                } else {
                    ProofOutcome::Missing(format!(
                        "no gatehouse-domain-verification TXT record among {} record(s)",
                        values.len()
                    ))
                }
            }
            Err(e) if e.is_nx_domain() => ProofOutcome::Missing("the domain does not exist (NXDOMAIN)".into()),
            Err(e) if e.is_no_records_found() => ProofOutcome::Missing("the domain has no TXT records".into()),
            Err(e) => {
                let reason = if matches!(e, hickory_resolver::net::NetError::Timeout) {
                    OutboundError::Timeout
                } else {
                    OutboundError::Unreachable
                };
                tracing::debug!(%domain, error = %e, reason = reason.reason(), "TXT lookup failed");
                ProofOutcome::Unreachable(reason.reason().into())
            }
        }
    }

    async fn check_https(&self, domain: &str, token: &str) -> ProofOutcome {
        let port = if self.https_port == 443 {
            String::new()
        } else {
            format!(":{}", self.https_port)
        };
        let url = format!("https://{domain}{port}{HTTPS_PATH}");
        // A name the URL parser reads as an address (`0x7f.0x1`, `1.2.3.0x4`) is no domain to
        // prove: refused before anything is asked, whatever the address rules allow.
        if reqwest::Url::parse(&url).ok().is_none_or(|u| u.domain().is_none()) {
            tracing::debug!(%domain, "the HTTPS check refused a host that is an address");
            return ProofOutcome::Unreachable(OutboundError::Unreachable.reason().into());
        }
        match self.outbound.get(&url).await {
            Ok(body) if String::from_utf8_lossy(&body).trim() == token => ProofOutcome::Found,
            Ok(_) => ProofOutcome::Missing("the file does not hold this domain's token".into()),
            // A wrong answer is a missing proof; no answer is a fact about the network.
            Err(e @ (OutboundError::BadStatus | OutboundError::TooLarge)) => ProofOutcome::Missing(e.reason().into()),
            Err(e @ (OutboundError::Unreachable | OutboundError::Tls | OutboundError::Timeout)) => {
                ProofOutcome::Unreachable(e.reason().into())
            }
        }
    }
}

impl DomainProver for RealProver {
    fn check(&self, method: ProofMethod, domain: &str, token: &str) -> BoxFuture<'_, ProofOutcome> {
        let (domain, token) = (domain.to_owned(), token.to_owned());
        Box::pin(async move {
            match method {
                ProofMethod::Dns => self.check_dns(&domain, &token).await,
                ProofMethod::Https => self.check_https(&domain, &token).await,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_https_check_refuses_names_that_are_addresses_even_where_private_ones_are_allowed() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let policy = OutboundPolicy {
            allow_private_addresses: true,
            timeout: std::time::Duration::from_millis(500),
            ..OutboundPolicy::default()
        };
        let prover = RealProver::new(policy, listener.local_addr().unwrap().port()).unwrap();
        for name in ["0x7f.0x1", "127.1", "2130706433", "0177.0.0.1", "1.2.3.0x4"] {
            let outcome = prover.check(ProofMethod::Https, name, "token").await;
            assert_eq!(outcome, ProofOutcome::Unreachable("unreachable".into()), "{name}");
            // A connection made would be waiting in the listener's queue.
            assert!(listener.accept().is_err(), "{name} reached the listener");
        }
    }
}
