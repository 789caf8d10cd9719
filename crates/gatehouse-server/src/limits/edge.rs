//! Request rates at the edge: the admin API per API key and per client IP, SCIM per directory
//! token and per client IP, the sign-in pages per client IP. A request over a limit is refused
//! before anything reads its body or the database, with 429 and `Retry-After` in the format
//! of the protocol it came in: problem+json, a SCIM error, or an HTML page.

use super::rate::{DEFAULT_CAPACITY, RateLimit, RateLimiter, RetryAfter};
use crate::config::LimitsConfig;
use crate::error::ApiError;
use crate::extract::request_meta;
use crate::scim::ScimFail;
use crate::web::pages::PageError;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use gatehouse_core::CoreError;
use gatehouse_scim::ScimError;
use std::net::IpAddr;
use std::sync::Arc;

/// Which protocol a path speaks, so that a refusal is written in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// `/api/...`: problem+json.
    Api,
    /// `/scim/...`: SCIM errors (RFC 7644 §3.12).
    Scim,
    /// `/login`, `/login/...`, `/logout`, `/signup...`, `/account...`: HTML pages of the
    /// sign-in and the person's own account; `/saml/...` and `/oidc/...`, single sign-on
    /// (anonymous, each refusal an audit row: limited per client address like the sign-in).
    SignIn,
    /// `/oauth2/...` and discovery: OAuth errors (RFC 6749 §5.2).
    OAuth,
    /// Everything else (console, operations, assets).
    Other,
}

impl Surface {
    pub fn of(path: &str) -> Self {
        if path.starts_with("/api/") {
            Self::Api
        } else if path.starts_with("/scim/") {
            Self::Scim
        } else if path.starts_with("/oauth2/") || path.starts_with("/.well-known/") {
            Self::OAuth
        } else if ["/login", "/signup", "/account"]
            .iter()
            .any(|p| path == *p || path.strip_prefix(p).is_some_and(|rest| rest.starts_with('/')))
            || path == "/logout"
            || path.starts_with("/saml/")
            || path.starts_with("/oidc/")
        {
            Self::SignIn
        } else {
            Self::Other
        }
    }

    /// 429 with `Retry-After`, in this surface's format.
    pub fn too_many_requests(self, wait: RetryAfter) -> Response {
        let limited = CoreError::RateLimited {
            retry_after_secs: wait.0,
        };
        let mut res = match self {
            Self::Api => ApiError::from(limited).into_response(),
            Self::Scim => ScimFail::from(limited).into_response(),
            Self::OAuth => crate::oidc::too_many_requests(wait.0),
            Self::SignIn | Self::Other => PageError::from(limited).into_response(),
        };
        if !res.headers().contains_key(header::RETRY_AFTER) {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait.0));
        }
        res
    }

    /// 408 for a body that did not arrive in time, in this surface's format; the connection
    /// is closed after it.
    pub fn request_timeout(self) -> Response {
        const DETAIL: &str = "The request body did not arrive in time.";
        let mut res = match self {
            Self::Api => ApiError::new(StatusCode::REQUEST_TIMEOUT, "request_timeout", DETAIL).into_response(),
            Self::Scim => ScimFail(ScimError::new(408, DETAIL)).into_response(),
            Self::OAuth => crate::oidc::request_timeout(DETAIL),
            Self::SignIn | Self::Other => (
                StatusCode::REQUEST_TIMEOUT,
                Html(format!(
                    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Request timeout</title></head><body><h1>Request timeout</h1><p>{DETAIL} Try again.</p></body></html>"
                )),
            )
                .into_response(),
        };
        res.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        res
    }
}

/// The limiters of one node, built from `[limits]`.
pub struct EdgeLimits {
    api_per_key: Option<RateLimiter>,
    api_per_ip: Option<RateLimiter>,
    scim_per_token: Option<RateLimiter>,
    scim_per_ip: Option<RateLimiter>,
    signin_per_ip: Option<RateLimiter>,
    oauth_per_ip: Option<RateLimiter>,
    oauth_per_client: Option<RateLimiter>,
    trusted_proxies: Vec<IpAddr>,
}

/// A client address as a limiter key: IPv4 whole, IPv6 by its /64, the block one subscriber
/// gets (counting each of its 2^64 addresses apart would be no limit at all).
#[derive(Hash)]
enum ClientKey {
    V4(u32),
    V6(u64),
}

impl ClientKey {
    fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self::V4(v4.to_bits()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self::V4(v4.to_bits()),
                None => Self::V6((v6.to_bits() >> 64) as u64),
            },
        }
    }
}

impl EdgeLimits {
    pub fn new(cfg: &LimitsConfig, trusted_proxies: Vec<IpAddr>) -> Self {
        let make = |l: Option<RateLimit>| l.map(|l| RateLimiter::new(l, DEFAULT_CAPACITY));
        Self {
            api_per_key: make(cfg.api_per_key),
            api_per_ip: make(cfg.api_per_ip),
            scim_per_token: make(cfg.scim_per_token),
            scim_per_ip: make(cfg.scim_per_ip),
            signin_per_ip: make(cfg.signin_per_ip),
            oauth_per_ip: make(cfg.oauth_per_ip),
            oauth_per_client: make(cfg.oauth_per_client),
            trusted_proxies,
        }
    }

    /// The limiters for a surface: by client address, and by bearer credential.
    fn for_surface(&self, surface: Surface) -> (Option<&RateLimiter>, Option<&RateLimiter>) {
        match surface {
            Surface::Api => (self.api_per_ip.as_ref(), self.api_per_key.as_ref()),
            Surface::Scim => (self.scim_per_ip.as_ref(), self.scim_per_token.as_ref()),
            Surface::SignIn => (self.signin_per_ip.as_ref(), None),
            Surface::OAuth => (self.oauth_per_ip.as_ref(), self.oauth_per_client.as_ref()),
            Surface::Other => (None, None),
        }
    }

    /// Counts the request against its address's limit, then its credential's. The address
    /// (through trusted proxies, as every edge reads it) comes first, so a flood of made-up
    /// credentials from one place spends that place's limit.
    fn admit(&self, surface: Surface, req: Request) -> (Request, Result<(), RetryAfter>) {
        let (by_ip, by_key) = self.for_surface(surface);
        let (parts, body) = req.into_parts();
        let mut verdict = Ok(());
        if let Some(limiter) = by_ip
            && let Some(ip) = request_meta(&parts, &self.trusted_proxies)
                .ip
                .and_then(|s| s.parse::<IpAddr>().ok())
        {
            verdict = limiter.check(ClientKey::of(ip));
        }
        if verdict.is_ok()
            && let Some(limiter) = by_key
            && let Some(token) = credential(&parts.headers)
        {
            verdict = limiter.check(token);
        }
        (Request::from_parts(parts, body), verdict)
    }
}

/// The credential of `Authorization: Bearer <token>` or `Basic <client>` (the scheme in any
/// case, RFC 9110 §11.1): what a per-credential limit counts.
fn credential(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    let known = scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("basic");
    (known && !token.is_empty()).then_some(token)
}

/// The middleware: every request to a limited surface is counted before it is served.
pub async fn enforce(State(limits): State<Arc<EdgeLimits>>, req: Request, next: Next) -> Response {
    let surface = Surface::of(req.uri().path());
    if surface == Surface::Other {
        return next.run(req).await;
    }
    match limits.admit(surface, req) {
        (req, Ok(())) => next.run(req).await,
        (_, Err(wait)) => {
            tracing::debug!(?surface, retry_after = wait.0, "rate limited");
            surface.too_many_requests(wait)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_answered_in_their_protocol() {
        assert_eq!(Surface::of("/api/v1/orgs/x/accounts"), Surface::Api);
        assert_eq!(Surface::of("/scim/v2/d/Users"), Surface::Scim);
        assert_eq!(Surface::of("/login"), Surface::SignIn);
        assert_eq!(Surface::of("/login/forgot"), Surface::SignIn);
        assert_eq!(Surface::of("/logout"), Surface::SignIn);
        assert_eq!(Surface::of("/loginx"), Surface::Other);
        assert_eq!(Surface::of("/signup"), Surface::SignIn);
        assert_eq!(Surface::of("/signup/confirm"), Surface::SignIn);
        assert_eq!(Surface::of("/account"), Surface::SignIn);
        assert_eq!(Surface::of("/account/password"), Surface::SignIn);
        assert_eq!(Surface::of("/accounts"), Surface::Other);
        assert_eq!(Surface::of("/admin"), Surface::Other);
        assert_eq!(Surface::of("/metrics"), Surface::Other);
        assert_eq!(Surface::of("/saml/x/acs"), Surface::SignIn);
        assert_eq!(Surface::of("/oidc/x/callback"), Surface::SignIn);
        assert_eq!(Surface::of("/samlx"), Surface::Other);
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_and_mapped_ipv4_as_ipv4() {
        use std::hash::{BuildHasher, RandomState};
        let h = RandomState::new();
        let key = |s: &str| h.hash_one(ClientKey::of(s.parse().unwrap()));
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:192.0.2.7"), key("192.0.2.7"));
        assert_ne!(key("192.0.2.7"), key("192.0.2.8"));
    }

    #[test]
    fn the_bearer_and_basic_schemes_are_read_in_any_case() {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("bEaReR  ghk_abc "));
        assert_eq!(credential(&h), Some("ghk_abc"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("basic Zm9v"));
        assert_eq!(
            credential(&h),
            Some("Zm9v"),
            "a client's Basic credentials count per client"
        );
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Digest x"));
        assert_eq!(credential(&h), None);
        assert_eq!(Surface::of("/oauth2/token"), Surface::OAuth);
        assert_eq!(Surface::of("/.well-known/openid-configuration"), Surface::OAuth);
    }
}
