//! The real domain prover: DNS TXT through hickory-resolver and an HTTPS fetch through
//! reqwest, with the guards outbound requests need (no private addresses unless allowed, no
//! redirect to another host, tight timeouts, a size cap).

use gatehouse_core::domain::{DomainProver, HTTPS_PATH, ProofMethod, ProofOutcome, TXT_PREFIX};
use gatehouse_core::ports::BoxFuture;
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::{Resolver, TokioResolver};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Largest verification file read (the token is 32 characters).
const MAX_BODY: usize = 1024;

/// Settings for outbound checks.
#[derive(Debug, Clone, Default)]
pub struct ProverConfig {
    /// DNS servers to ask; empty means the system's resolvers.
    pub dns_servers: Vec<SocketAddr>,
    /// Allow fetching from private, loopback and link-local addresses (tests, labs).
    pub allow_private_addresses: bool,
    /// Port for the HTTPS check (443 in production; tests use their own server's).
    pub https_port: u16,
    /// Extra CA certificate (PEM) to trust for the HTTPS check.
    pub extra_ca_pem: Option<Vec<u8>>,
}

pub struct RealProver {
    resolver: Arc<TokioResolver>,
    http: reqwest::Client,
    https_port: u16,
}

/// Addresses no verification fetch may reach unless configured: loopback, private ranges,
/// link-local (cloud metadata lives there), unspecified, multicast, and their IPv6 kin.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64 // 100.64.0.0/10 carrier-grade NAT
                || v4.octets()[0] == 0
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (v6.segments()[0] & 0xfe00) == 0xfc00 // unique local
                || (v6.segments()[0] & 0xffc0) == 0xfe80 // link-local
                || v6.to_ipv4_mapped().is_some_and(|v4| is_forbidden(IpAddr::V4(v4)))
        }
    }
}

/// reqwest's name resolution, through our resolver, with forbidden addresses removed: the
/// connection goes to an address we checked, so DNS rebinding cannot slip a private one in.
struct GuardedResolve {
    resolver: Arc<TokioResolver>,
    allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolve {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let resolver = self.resolver.clone();
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let ips = resolver
                .lookup_ip(format!("{host}."))
                .await
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?;
            let allowed: Vec<SocketAddr> = ips
                .iter()
                .filter(|ip| allow_private || !is_forbidden(*ip))
                .map(|ip| SocketAddr::new(ip, 0))
                .collect();
            if allowed.is_empty() {
                return Err(format!("{host} resolves only to private or reserved addresses").into());
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

impl RealProver {
    pub fn new(cfg: &ProverConfig) -> anyhow::Result<Self> {
        let mut opts = ResolverOpts::default();
        opts.timeout = Duration::from_secs(3);
        opts.attempts = 2;
        // Every check must see the zone as it is now, not as it was.
        opts.cache_size = 0;
        let builder = if cfg.dns_servers.is_empty() {
            Resolver::builder_tokio()?
        } else {
            let servers = cfg
                .dns_servers
                .iter()
                .map(|addr| {
                    let mut ns = NameServerConfig::udp_and_tcp(addr.ip());
                    for c in &mut ns.connections {
                        c.port = addr.port();
                    }
                    ns
                })
                .collect();
            Resolver::builder_with_config(
                ResolverConfig::from_name_servers(servers),
                TokioRuntimeProvider::default(),
            )
        };
        let resolver = Arc::new(builder.with_options(opts).build()?);
        let guard = Arc::new(GuardedResolve {
            resolver: resolver.clone(),
            allow_private: cfg.allow_private_addresses,
        });
        let mut http = reqwest::Client::builder()
            .dns_resolver(guard)
            .no_proxy()
            .https_only(true)
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("Gatehouse-Domain-Verification/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                // Redirects stay on the same host and on https, three at most.
                let same_host = attempt.previous().first().and_then(|u| u.host_str()) == attempt.url().host_str();
                if attempt.previous().len() > 3 || !same_host || attempt.url().scheme() != "https" {
                    attempt.error("redirected to another host or scheme")
                } else {
                    attempt.follow()
                }
            }));
        if let Some(pem) = &cfg.extra_ca_pem {
            http = http.add_root_certificate(reqwest::Certificate::from_pem(pem)?);
        }
        Ok(Self {
            resolver,
            http: http.build()?,
            https_port: if cfg.https_port == 0 { 443 } else { cfg.https_port },
        })
    }

    async fn check_dns(&self, domain: &str, token: &str) -> ProofOutcome {
        let expected = format!("{TXT_PREFIX}{token}");
        match self.resolver.txt_lookup(format!("{domain}.")).await {
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
            Err(e) => ProofOutcome::Unreachable(format!("DNS lookup failed: {e}")),
        }
    }

    async fn check_https(&self, domain: &str, token: &str) -> ProofOutcome {
        let port = if self.https_port == 443 {
            String::new()
        } else {
            format!(":{}", self.https_port)
        };
        let url = format!("https://{domain}{port}{HTTPS_PATH}");
        let mut res = match self.http.get(&url).send().await {
            Ok(r) => r,
            Err(e) => return ProofOutcome::Unreachable(format!("fetching {url} failed: {}", error_chain(&e))),
        };
        if !res.status().is_success() {
            return ProofOutcome::Missing(format!("{url} answered {}", res.status()));
        }
        let mut body = Vec::new();
        loop {
            match res.chunk().await {
                Ok(Some(chunk)) => {
                    body.extend_from_slice(&chunk);
                    if body.len() > MAX_BODY {
                        return ProofOutcome::Missing(format!("{url} is larger than {MAX_BODY} bytes"));
                    }
                }
                Ok(None) => break,
                Err(e) => return ProofOutcome::Unreachable(format!("reading {url} failed: {e}")),
            }
        }
        if String::from_utf8_lossy(&body).trim() == token {
            ProofOutcome::Found
        } else {
            ProofOutcome::Missing(format!("{url} does not hold this domain's token"))
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(inner) = cur {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        cur = inner.source();
    }
    s
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

    #[test]
    fn private_loopback_link_local_and_mapped_addresses_are_forbidden() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_forbidden(bad.parse().unwrap()), "{bad}");
        }
        for ok in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert!(!is_forbidden(ok.parse().unwrap()), "{ok}");
        }
    }
}
