//! Gatehouse's own outbound HTTP, shared by every feature that fetches a URL someone else
//! chose (the HTTPS domain check today; webhooks, SAML metadata URLs and OIDC discovery next).
//! Such a URL can point anywhere, so the client guards what it reaches: no forbidden address
//! (`addresses`) unless configured, checked on every address a name resolves to and on
//! IP-literal hosts, at resolution, so DNS rebinding cannot slip one in; no redirect to another
//! host or scheme; tight timeouts and a cap on the body. Callers learn a coarse reason
//! ([`OutboundError`]); the error chain, which tells of ports and certificates on the hosts
//! behind it, goes only to the server's debug log.

mod addresses;

pub use addresses::{AddressRule, Refused, is_forbidden};

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
    /// Host names that may resolve to private addresses (`--outbound-allow-hosts`).
    pub allow_hosts: Vec<String>,
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
            allow_hosts: cfg.allow_hosts.clone(),
            extra_ca_pem,
            ..Self::default()
        })
    }

    fn rule(&self) -> AddressRule {
        AddressRule {
            allow_private: self.allow_private_addresses,
            allow_hosts: self
                .allow_hosts
                .iter()
                .map(|h| h.trim().trim_end_matches('.').to_ascii_lowercase())
                .collect(),
        }
    }
}

impl Default for OutboundPolicy {
    fn default() -> Self {
        Self {
            dns_servers: Vec::new(),
            allow_private_addresses: false,
            allow_hosts: Vec::new(),
            extra_ca_pem: None,
            https_only: true,
            user_agent: concat!("Gatehouse/", env!("CARGO_PKG_VERSION")).to_owned(),
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            max_body: 64 * 1024,
        }
    }
}

/// Why a fetch gave no body. Coarse on purpose: this is all a caller (an API answer, an audit
/// event, a stored check) learns. Which port was closed or which name a certificate carried
/// would map the network behind Gatehouse; that detail goes to the debug log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboundError {
    /// No answer: the name did not resolve, resolved to a forbidden address, the host is an
    /// address, or the connection was refused or broke off.
    Unreachable,
    /// The TLS handshake failed (certificate, name or protocol).
    Tls,
    /// The peer took too long.
    Timeout,
    /// The peer answered with a status other than 2xx, or redirected where we do not follow.
    BadStatus,
    /// The body is larger than the policy allows.
    TooLarge,
}

impl OutboundError {
    /// The words callers see.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Unreachable => "unreachable",
            Self::Tls => "TLS error",
            Self::Timeout => "timeout",
            Self::BadStatus => "bad status",
            Self::TooLarge => "too large",
        }
    }

    /// The coarse kind of a transport error.
    fn of(e: &reqwest::Error) -> Self {
        if e.is_timeout() {
            Self::Timeout
        } else if e.is_redirect() || e.is_status() {
            Self::BadStatus
        } else if is_tls(e) {
            Self::Tls
        } else {
            Self::Unreachable
        }
    }
}

impl std::fmt::Display for OutboundError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.reason())
    }
}

impl std::error::Error for OutboundError {}

/// Whether a TLS error is anywhere in the chain. `io::Error::source` skips the error it
/// wraps, so a wrapped rustls error is looked for inside each I/O error too.
fn is_tls(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err.is::<rustls::Error>() {
            return true;
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && io
                .get_ref()
                .is_some_and(|inner| inner.is::<rustls::Error>() || is_tls(inner))
        {
            return true;
        }
        cur = err.source();
    }
    false
}

/// The guarded client. Cheap to clone.
#[derive(Clone)]
pub struct Outbound {
    resolver: Arc<TokioResolver>,
    http: reqwest::Client,
    rule: Arc<AddressRule>,
    max_body: usize,
}

/// reqwest's name resolution, through our resolver, admitting a name only if every address
/// it resolves to is allowed: the connection goes to an address we checked, so DNS rebinding
/// cannot slip a private one in.
struct GuardedResolve {
    resolver: Arc<TokioResolver>,
    rule: Arc<AddressRule>,
}

impl reqwest::dns::Resolve for GuardedResolve {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let resolver = self.resolver.clone();
        let rule = self.rule.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let ips: Vec<IpAddr> = resolver
                .lookup_ip(format!("{host}."))
                .await
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?
                .iter()
                .collect();
            rule.admit(&host, &ips)?;
            let addrs: Vec<SocketAddr> = ips.into_iter().map(|ip| SocketAddr::new(ip, 0)).collect();
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
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
        let rule = Arc::new(policy.rule());
        let guard = Arc::new(GuardedResolve {
            resolver: resolver.clone(),
            rule: rule.clone(),
        });
        let https_only = policy.https_only;
        let mut http = reqwest::Client::builder()
            .dns_resolver(guard)
            // No connection outlives its request: each one goes to an address resolved and
            // checked for it, and a check sees the zone as it is now, not a kept-alive peer.
            .pool_max_idle_per_host(0)
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
            rule,
            max_body: policy.max_body,
        })
    }

    /// The guarded resolver, for lookups other than addresses (TXT records).
    pub fn resolver(&self) -> &TokioResolver {
        &self.resolver
    }

    /// GETs `url` and returns its body, refusing a non-2xx answer and a body over the cap.
    pub async fn get(&self, url: &str) -> Result<Vec<u8>, OutboundError> {
        self.fetch(url).await.map_err(|(kind, detail)| {
            tracing::debug!(%url, reason = kind.reason(), error = %detail, "outbound request failed");
            kind
        })
    }

    /// POSTs a form to `url` (a back-channel logout), refusing a non-2xx answer. The answer's
    /// body is not read.
    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Result<(), OutboundError> {
        let sent = async {
            let parsed = self.checked(url)?;
            let res = self
                .http
                .post(parsed)
                .form(form)
                .send()
                .await
                .map_err(|e| (OutboundError::of(&e), error_chain(&e)))?;
            if res.status().is_success() {
                Ok(())
            } else {
                Err((OutboundError::BadStatus, format!("answered {}", res.status())))
            }
        };
        sent.await.map_err(|(kind, detail)| {
            tracing::debug!(%url, reason = kind.reason(), error = %detail, "outbound post failed");
            kind
        })
    }

    /// The URL, parsed, if its host may be reached. A host the URL parser reads as an address
    /// (`[::1]`, `127.1`, `0x7f.0x1`) is never resolved, so the address rule is applied to it
    /// here.
    fn checked(&self, url: &str) -> Result<reqwest::Url, (OutboundError, String)> {
        let parsed = reqwest::Url::parse(url).map_err(|e| (OutboundError::Unreachable, e.to_string()))?;
        if parsed.domain().is_none()
            && let Some(ip) = literal_host(&parsed)
            && !self.rule.admits_literal(ip)
        {
            return Err((OutboundError::Unreachable, format!("{ip} is a forbidden address")));
        }
        Ok(parsed)
    }

    /// The fetch, with the full story of a failure for the log.
    async fn fetch(&self, url: &str) -> Result<Vec<u8>, (OutboundError, String)> {
        let parsed = self.checked(url)?;
        let mut res = self
            .http
            .get(parsed)
            .send()
            .await
            .map_err(|e| (OutboundError::of(&e), error_chain(&e)))?;
        self.read_capped(&mut res).await
    }

    /// A 2xx answer's body, read chunk by chunk so an endless body costs at most the cap.
    async fn read_capped(&self, res: &mut reqwest::Response) -> Result<Vec<u8>, (OutboundError, String)> {
        if !res.status().is_success() {
            return Err((OutboundError::BadStatus, format!("answered {}", res.status())));
        }
        let mut body = Vec::new();
        while let Some(chunk) = res
            .chunk()
            .await
            .map_err(|e| (OutboundError::of(&e), error_chain(&e)))?
        {
            body.extend_from_slice(&chunk);
            if body.len() > self.max_body {
                return Err((OutboundError::TooLarge, format!("larger than {} bytes", self.max_body)));
            }
        }
        Ok(body)
    }

    /// POSTs a form to `url` and returns the answer's body (a token endpoint), with HTTP Basic
    /// client authentication when `basic` names a user and password (RFC 6749 §2.3.1: both
    /// form-encoded first). A non-2xx answer is refused.
    pub async fn post_form_for_body(
        &self,
        url: &str,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> Result<Vec<u8>, OutboundError> {
        let sent = async {
            let parsed = self.checked(url)?;
            let mut req = self
                .http
                .post(parsed)
                .form(form)
                .header(reqwest::header::ACCEPT, "application/json");
            if let Some((user, password)) = basic {
                let enc = |v: &str| crate::web::pages::urlencode(v);
                req = req.basic_auth(enc(user), Some(enc(password)));
            }
            let mut res = req.send().await.map_err(|e| (OutboundError::of(&e), error_chain(&e)))?;
            self.read_capped(&mut res).await
        };
        sent.await.map_err(|(kind, detail)| {
            tracing::debug!(%url, reason = kind.reason(), error = %detail, "outbound post failed");
            kind
        })
    }
}

/// The address a URL names as its host, if it names one.
pub fn literal_host(url: &reqwest::Url) -> Option<IpAddr> {
    let host = url.host_str()?;
    host.trim_start_matches('[').trim_end_matches(']').parse().ok()
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
    fn hosts_the_url_parser_reads_as_addresses_are_literals() {
        for (url, ip) in [
            ("https://0x7f.0x1/", "127.0.0.1"),
            ("https://1.2.3.0x4/", "1.2.3.4"),
            ("https://2130706433/", "127.0.0.1"),
            ("https://0177.0.0.1/", "127.0.0.1"),
            ("https://127.1/", "127.0.0.1"),
            ("https://0x7f000001/", "127.0.0.1"),
            ("https://[::ffff:7f00:1]/", "::ffff:127.0.0.1"),
            ("https://[::1]:8443/x", "::1"),
        ] {
            let parsed = reqwest::Url::parse(url).unwrap();
            assert!(parsed.domain().is_none(), "{url} is not a domain");
            assert_eq!(literal_host(&parsed), Some(ip.parse().unwrap()), "{url}");
        }
        let named = reqwest::Url::parse("https://www.acme.example/").unwrap();
        assert_eq!(named.domain(), Some("www.acme.example"));
        assert_eq!(literal_host(&named), None);
    }

    /// Whether anything connected to `listener` (the kernel queues a finished handshake
    /// before the client's connect returns, so a connection made is waiting here).
    fn was_connected(listener: &std::net::TcpListener) -> bool {
        listener.accept().is_ok()
    }

    #[tokio::test]
    async fn urls_naming_loopback_in_any_spelling_are_refused_before_connecting() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let out = Outbound::new(&OutboundPolicy::default()).unwrap();
        for host in [
            "127.0.0.1",
            "0x7f.0x1",
            "2130706433",
            "0177.0.0.1",
            "127.1",
            "0x7f000001",
        ] {
            let url = format!("https://{host}:{port}/.well-known/x");
            assert_eq!(out.get(&url).await, Err(OutboundError::Unreachable), "{url}");
            assert!(!was_connected(&listener), "{url} reached the listener");
        }
        // The same URL under a policy that allows private addresses does connect, so the
        // refusal above is the rule's and not the network's.
        let lab = Outbound::new(&OutboundPolicy {
            allow_private_addresses: true,
            timeout: Duration::from_millis(200),
            ..OutboundPolicy::default()
        })
        .unwrap();
        let _ = lab.get(&format!("https://0x7f.0x1:{port}/")).await;
        assert!(was_connected(&listener));
    }

    #[test]
    fn callers_see_only_the_coarse_reasons() {
        let reasons: Vec<&str> = [
            OutboundError::Unreachable,
            OutboundError::Tls,
            OutboundError::Timeout,
            OutboundError::BadStatus,
            OutboundError::TooLarge,
        ]
        .iter()
        .map(|e| e.reason())
        .collect();
        assert_eq!(
            reasons,
            ["unreachable", "TLS error", "timeout", "bad status", "too large"]
        );
    }
}
