//! Gatehouse's own outbound HTTP, shared by every feature that fetches a URL someone else
//! chose (the HTTPS domain check today; webhooks, SAML metadata URLs and OIDC discovery next).
//! Such a URL can point anywhere, so the client guards what it reaches: no private, loopback
//! or link-local address unless configured (checked at resolution, so DNS rebinding cannot
//! slip one in), no redirect to another host or scheme, tight timeouts and a cap on the body.

use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::{Resolver, TokioResolver};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// What outbound requests may do.
#[derive(Debug, Clone)]
pub struct OutboundPolicy {
    /// DNS servers to ask; empty means the system's resolvers.
    pub dns_servers: Vec<SocketAddr>,
    /// Reach private, loopback and link-local addresses (tests, labs).
    pub allow_private_addresses: bool,
    /// Extra CA certificate (PEM) to trust.
    pub extra_ca_pem: Option<Vec<u8>>,
    /// Refuse plain `http://` URLs (and redirects to them).
    pub https_only: bool,
    /// The `User-Agent` the peer sees.
    pub user_agent: String,
    /// Longest wait for a connection.
    pub connect_timeout: Duration,
    /// Longest wait for the whole exchange.
    pub timeout: Duration,
    /// Largest body read; a longer one is refused, not truncated.
    pub max_body: usize,
}

impl OutboundPolicy {
    /// The configured policy (`[outbound]`), with the other fields at their defaults.
    pub fn from_config(cfg: &crate::config::OutboundConfig) -> anyhow::Result<Self> {
        let extra_ca_pem = match &cfg.extra_ca_file {
            Some(p) => Some(std::fs::read(p).map_err(|e| anyhow::anyhow!("reading {}: {e}", p.display()))?),
            None => None,
        };
        Ok(Self {
            dns_servers: cfg.dns_servers.clone(),
            allow_private_addresses: cfg.allow_private_addresses,
            extra_ca_pem,
            ..Self::default()
        })
    }
}

impl Default for OutboundPolicy {
    fn default() -> Self {
        Self {
            dns_servers: Vec::new(),
            allow_private_addresses: false,
            extra_ca_pem: None,
            https_only: true,
            user_agent: concat!("Gatehouse/", env!("CARGO_PKG_VERSION")).to_owned(),
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            max_body: 64 * 1024,
        }
    }
}

/// Why a fetch gave no body. Coarse on purpose: callers tell people what went wrong, they do
/// not branch on transport details.
#[derive(Debug)]
pub enum OutboundError {
    /// No answer: resolution, a forbidden address, TLS, a timeout or a refused redirect.
    Unreachable(String),
    /// The peer answered with a status other than 2xx.
    Status(reqwest::StatusCode),
    /// The body is larger than the policy allows.
    TooLarge { limit: usize },
    /// The answer broke off while its body was read.
    Read(String),
}

impl std::fmt::Display for OutboundError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unreachable(detail) | Self::Read(detail) => f.write_str(detail),
            Self::Status(status) => write!(f, "answered {status}"),
            Self::TooLarge { limit } => write!(f, "larger than {limit} bytes"),
        }
    }
}

impl std::error::Error for OutboundError {}

/// The guarded client. Cheap to clone.
#[derive(Clone)]
pub struct Outbound {
    resolver: Arc<TokioResolver>,
    http: reqwest::Client,
    max_body: usize,
}

/// Addresses no outbound request may reach unless configured: loopback, private ranges,
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

/// A resolver that asks the configured servers (or the system's), and never caches: every
/// check must see the zone as it is now, not as it was.
fn resolver(dns_servers: &[SocketAddr]) -> anyhow::Result<TokioResolver> {
    let mut opts = ResolverOpts::default();
    opts.timeout = Duration::from_secs(3);
    opts.attempts = 2;
    opts.cache_size = 0;
    let builder = if dns_servers.is_empty() {
        Resolver::builder_tokio()?
    } else {
        let servers = dns_servers
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
    Ok(builder.with_options(opts).build()?)
}

impl Outbound {
    /// A client that keeps to `policy`.
    pub fn new(policy: &OutboundPolicy) -> anyhow::Result<Self> {
        let resolver = Arc::new(resolver(&policy.dns_servers)?);
        let guard = Arc::new(GuardedResolve {
            resolver: resolver.clone(),
            allow_private: policy.allow_private_addresses,
        });
        let https_only = policy.https_only;
        let mut http = reqwest::Client::builder()
            .dns_resolver(guard)
            .no_proxy()
            .https_only(https_only)
            .connect_timeout(policy.connect_timeout)
            .timeout(policy.timeout)
            .user_agent(&policy.user_agent)
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                // Redirects stay on the same host and scheme family, three at most.
                let same_host = attempt.previous().first().and_then(|u| u.host_str()) == attempt.url().host_str();
                let scheme_ok = attempt.url().scheme() == "https" || !https_only;
                if attempt.previous().len() > 3 || !same_host || !scheme_ok {
                    attempt.error("redirected to another host or scheme")
                } else {
                    attempt.follow()
                }
            }));
        if let Some(pem) = &policy.extra_ca_pem {
            http = http.add_root_certificate(reqwest::Certificate::from_pem(pem)?);
        }
        Ok(Self {
            resolver,
            http: http.build()?,
            max_body: policy.max_body,
        })
    }

    /// The guarded resolver, for lookups other than addresses (TXT records).
    pub fn resolver(&self) -> &TokioResolver {
        &self.resolver
    }

    /// GETs `url` and returns its body, refusing a non-2xx answer and a body over the cap.
    pub async fn get(&self, url: &str) -> Result<Vec<u8>, OutboundError> {
        let mut res = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| OutboundError::Unreachable(error_chain(&e)))?;
        if !res.status().is_success() {
            return Err(OutboundError::Status(res.status()));
        }
        let mut body = Vec::new();
        // Read chunk by chunk so an endless body costs at most the cap.
        while let Some(chunk) = res.chunk().await.map_err(|e| OutboundError::Read(e.to_string()))? {
            body.extend_from_slice(&chunk);
            if body.len() > self.max_body {
                return Err(OutboundError::TooLarge { limit: self.max_body });
            }
        }
        Ok(body)
    }
}

/// An error and its causes on one line (reqwest's own message hides the useful part).
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
