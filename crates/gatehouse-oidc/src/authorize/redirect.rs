//! Redirects back to the client (RFC 6749 §4.1.2, §4.1.2.1; RFC 9207) and the rules a redirect
//! URI must follow to be registered (RFC 6749 §3.1.2, RFC 8252 §7, RFC 9700 §4.1).

use url::{Host, Url, form_urlencoded};

use crate::error::OAuthError;

/// Longest redirect URI (bytes) a client may register.
pub const MAX_REDIRECT_URI: usize = 2000;

/// Appends `params` to the query of `uri`, keeping any query it already has (RFC 6749 §3.1.2:
/// the endpoint URI "MAY include an application/x-www-form-urlencoded formatted query component
/// which MUST be retained when adding additional query parameters").
///
/// Values are form-encoded (RFC 6749 Appendix B). A fragment cannot be registered; should one be
/// there anyway, the parameters go before it so they stay in the query.
fn append_query(uri: &str, params: &[(&str, &str)]) -> String {
    let (base, fragment) = match uri.find('#') {
        Some(i) => uri.split_at(i),
        None => (uri, ""),
    };
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    let separator = match base.find('?') {
        None => "?",
        Some(_) if base.ends_with('?') || base.ends_with('&') => "",
        Some(_) => "&",
    };
    format!("{base}{separator}{encoded}{fragment}")
}

/// The successful authorization response: `code`, `state` when the request had one, and `iss`
/// (RFC 9207 §2, so a client talking to several providers can tell which one answered).
pub fn redirect_with_code(redirect_uri: &str, code: &str, state: Option<&str>, issuer: &str) -> String {
    let mut params = vec![("code", code)];
    if let Some(state) = state {
        params.push(("state", state));
    }
    params.push(("iss", issuer));
    append_query(redirect_uri, &params)
}

/// The error response of RFC 6749 §4.1.2.1: `error`, `error_description`, `state` when the
/// request had one, and `iss` (RFC 9207). Only for a redirect URI that matched the registration.
pub fn redirect_with_error(redirect_uri: &str, error: &OAuthError, state: Option<&str>, issuer: &str) -> String {
    let mut params = vec![
        ("error", error.code.as_str()),
        ("error_description", error.description.as_str()),
    ];
    if let Some(state) = state {
        params.push(("state", state));
    }
    params.push(("iss", issuer));
    append_query(redirect_uri, &params)
}

/// RFC 8252 §7.3 loopback hosts, plus `localhost` which developers use.
fn is_loopback(host: Option<&Host<&str>>) -> bool {
    match host {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => *ip == std::net::Ipv4Addr::LOCALHOST,
        Some(Host::Ipv6(ip)) => *ip == std::net::Ipv6Addr::LOCALHOST,
        None => false,
    }
}

/// RFC 8252 §7.1: a private-use scheme is a reverse domain name (`com.example.app`), which
/// also keeps out `javascript:`, `data:`, `file:` and their kind.
fn is_private_use_scheme(scheme: &str) -> bool {
    let labels: Vec<&str> = scheme.split('.').collect();
    labels.len() >= 2 && labels.iter().all(|l| !l.is_empty())
}

/// Checks a redirect URI (or post-logout redirect URI) a client wants to register.
///
/// It must be an absolute URL of at most [`MAX_REDIRECT_URI`] bytes of visible ASCII, with no
/// fragment (RFC 6749 §3.1.2) and no userinfo, and one of:
/// - `https` with a host;
/// - `http` on a loopback host: `localhost`, `127.0.0.1` or `[::1]` (RFC 8252 §7.3);
/// - for a public (native) client only, a private-use scheme such as `com.example.app:/cb`
///   (RFC 8252 §7.1).
///
/// The answer is a sentence for the person registering the client.
pub fn check_redirect_uri_for_registration(uri: &str, public: bool) -> Result<(), String> {
    if uri.is_empty() || uri.len() > MAX_REDIRECT_URI {
        return Err(format!(
            "a redirect URI must be 1 to {MAX_REDIRECT_URI} characters long"
        ));
    }
    // The URL parser would quietly drop tabs, newlines and surrounding spaces, so the stored
    // string (compared byte for byte later) and what browsers follow could differ.
    if !uri.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err("a redirect URI must be visible ASCII (percent-encode anything else)".to_owned());
    }
    if uri.contains('#') {
        return Err("a redirect URI must not have a fragment (RFC 6749 section 3.1.2)".to_owned());
    }
    let url = Url::parse(uri).map_err(|_| "a redirect URI must be an absolute URL".to_owned())?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("a redirect URI must not carry a user name or password".to_owned());
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "https" => Err("an https redirect URI needs a host".to_owned()),
        "http" if is_loopback(url.host().as_ref()) => Ok(()),
        "http" => Err("http is allowed only for localhost, 127.0.0.1 and [::1]; use https".to_owned()),
        scheme if public && is_private_use_scheme(scheme) => Ok(()),
        _ if public => Err(
            "a redirect URI must use https, http on a loopback host, or a reverse-domain scheme such as com.example.app"
                .to_owned(),
        ),
        _ => Err("a confidential client's redirect URI must use https (or http on a loopback host)".to_owned()),
    }
}
