//! The demo's configuration: flags with environment fallbacks, parsed once into [`Config`].
//!
//! Everything the provider needs to know about the demo (its three URIs) is derived from the
//! public URL, so that the values printed at start are exactly the values the demo sends.

use std::net::{IpAddr, SocketAddr};

use clap::Parser;
use openidconnect::url::{Host, Url};
use openidconnect::{ClientId, ClientSecret, IssuerUrl, PostLogoutRedirectUrl, RedirectUrl};

/// The command line. Every flag also reads an environment variable.
#[derive(Debug, Parser)]
#[command(
    name = "demo-product",
    version,
    about = "A small product that signs its users in with OpenID Connect (through Gatehouse) and shows who they are."
)]
pub struct Args {
    /// The OpenID provider's issuer: Gatehouse's public URL. https, or http on a loopback address.
    #[arg(long, env = "DEMO_ISSUER")]
    pub issuer: String,

    /// The client id the provider gave this product when it was registered.
    #[arg(long, env = "DEMO_CLIENT_ID")]
    pub client_id: String,

    /// The client secret of a confidential client (sent with client_secret_basic). Leave it out
    /// for a public client, which then relies on PKCE alone. Prefer the environment variable:
    /// a flag is visible to every user of the machine.
    #[arg(long, env = "DEMO_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,

    /// The address the demo listens on.
    #[arg(long, env = "DEMO_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// The URL the browser and the provider reach the demo at [default: http://{listen}].
    #[arg(long, env = "DEMO_PUBLIC_URL")]
    pub public_url: Option<String>,
}

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A URL did not parse or has a form the demo cannot use.
    #[error("{what}: {why}")]
    Url {
        /// Which setting.
        what: &'static str,
        /// What is wrong with it.
        why: String,
    },
    /// The client id is empty.
    #[error("the client id must not be empty")]
    EmptyClientId,
}

/// The parsed configuration: once built, every URL in it is valid and usable.
#[derive(Clone, Debug)]
pub struct Config {
    /// The provider's issuer, compared by exact string with `iss` values (RFC 9207 §2.4).
    pub issuer: IssuerUrl,
    /// This product's client id at the provider.
    pub client_id: ClientId,
    /// The secret of a confidential client; `None` for a public client.
    pub client_secret: Option<ClientSecret>,
    /// Where the demo listens.
    pub listen: SocketAddr,
    /// The demo's public URL, without a trailing slash.
    pub public_url: Url,
    /// `{public_url}/callback`: the redirect URI to register.
    pub redirect_uri: RedirectUrl,
    /// `{public_url}/`: the post-logout redirect URI to register.
    pub post_logout_redirect_uri: PostLogoutRedirectUrl,
    /// `{public_url}/backchannel-logout`: the back-channel logout URI to register.
    pub backchannel_logout_uri: Url,
    /// Whether cookies get the `Secure` attribute (the public URL is https).
    pub secure_cookies: bool,
}

impl Config {
    /// Parses and checks the command line's values.
    pub fn from_args(args: Args) -> Result<Self, ConfigError> {
        let issuer_url = parse_url("--issuer", &args.issuer)?;
        // OIDC Discovery §3 (and RFC 9207): the issuer is an https URL. Plain http is accepted
        // only on loopback, where nothing crosses a network, so that a newcomer can run it locally.
        if issuer_url.scheme() != "https" && !is_loopback(&issuer_url) {
            return Err(ConfigError::Url {
                what: "--issuer",
                why: "must be https (http is allowed only on a loopback address)".into(),
            });
        }
        // The issuer is an identifier compared as a string: keep it exactly as given, minus a
        // trailing slash that a person may have typed and the provider does not publish.
        let issuer = IssuerUrl::new(args.issuer.trim_end_matches('/').to_owned()).map_err(|e| ConfigError::Url {
            what: "--issuer",
            why: e.to_string(),
        })?;
        if args.client_id.trim().is_empty() {
            return Err(ConfigError::EmptyClientId);
        }
        let public = args.public_url.unwrap_or_else(|| format!("http://{}", args.listen));
        let public_url = parse_url("--public-url", public.trim_end_matches('/'))?;
        let base = public_url.as_str().trim_end_matches('/').to_owned();
        let derived = |what: &'static str, path: &str| parse_url(what, &format!("{base}{path}"));
        Ok(Self {
            issuer,
            client_id: ClientId::new(args.client_id),
            client_secret: args.client_secret.filter(|s| !s.is_empty()).map(ClientSecret::new),
            listen: args.listen,
            redirect_uri: RedirectUrl::from_url(derived("redirect URI", "/callback")?),
            post_logout_redirect_uri: PostLogoutRedirectUrl::from_url(derived("post-logout redirect URI", "/")?),
            backchannel_logout_uri: derived("back-channel logout URI", "/backchannel-logout")?,
            secure_cookies: public_url.scheme() == "https",
            public_url,
        })
    }
}

fn parse_url(what: &'static str, value: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(value).map_err(|e| ConfigError::Url {
        what,
        why: format!("{value:?} is not a URL ({e})"),
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(ConfigError::Url {
            what,
            why: format!("{value:?} is not an http(s) URL with a host"),
        });
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::Url {
            what,
            why: format!("{value:?} must have no query or fragment"),
        });
    }
    Ok(url)
}

/// Whether the URL's host is a loopback address (or `localhost`, RFC 6761 §6.3).
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(issuer: &str, public: Option<&str>) -> Args {
        Args {
            issuer: issuer.into(),
            client_id: "c1".into(),
            client_secret: Some(String::new()),
            listen: "127.0.0.1:3000".parse().unwrap(),
            public_url: public.map(Into::into),
        }
    }

    #[test]
    fn derives_the_three_uris_from_the_listen_address() {
        let c = Config::from_args(args("http://127.0.0.1:8080/", None)).unwrap();
        assert_eq!(c.issuer.as_str(), "http://127.0.0.1:8080");
        assert_eq!(c.redirect_uri.as_str(), "http://127.0.0.1:3000/callback");
        assert_eq!(c.post_logout_redirect_uri.as_str(), "http://127.0.0.1:3000/");
        assert_eq!(
            c.backchannel_logout_uri.as_str(),
            "http://127.0.0.1:3000/backchannel-logout"
        );
        assert!(c.client_secret.is_none(), "an empty secret means a public client");
        assert!(!c.secure_cookies);
    }

    #[test]
    fn a_public_url_with_a_path_keeps_it() {
        let c = Config::from_args(args("https://id.example", Some("https://apps.example/demo/"))).unwrap();
        assert_eq!(c.redirect_uri.as_str(), "https://apps.example/demo/callback");
        assert_eq!(c.post_logout_redirect_uri.as_str(), "https://apps.example/demo/");
        assert!(c.secure_cookies);
    }

    #[test]
    fn plain_http_is_refused_off_loopback() {
        assert!(Config::from_args(args("http://id.example", None)).is_err());
        assert!(Config::from_args(args("http://localhost:8080", None)).is_ok());
        assert!(Config::from_args(args("http://[::1]:8080", None)).is_ok());
        assert!(Config::from_args(args("ftp://127.0.0.1", None)).is_err());
        assert!(Config::from_args(args("https://id.example/?x=1", None)).is_err());
    }
}
