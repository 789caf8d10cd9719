//! Product clients: what an organization registers so a product can sign its people in through
//! Gatehouse (OpenID Connect), and the rules their registration must meet.

use crate::Timestamp;
use crate::error::{CoreError, Result, Validator};
use crate::ids::{ClientId, ClientSecretId, InstanceId, OrgId};
use crate::types::Name;

/// The OAuth grants a client may use (RFC 6749 §1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

impl GrantType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "authorization_code" => Some(Self::AuthorizationCode),
            "refresh_token" => Some(Self::RefreshToken),
            "client_credentials" => Some(Self::ClientCredentials),
            _ => None,
        }
    }
}

/// A registered product client.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Client {
    /// Also the `client_id` the product presents.
    pub id: ClientId,
    pub org_id: OrgId,
    pub name: String,
    /// A public client (a single-page or native app) has no secret and must use PKCE.
    pub public: bool,
    /// Exact-match redirect URIs (no wildcards, no prefix matching).
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// Where Gatehouse posts a logout token when a person's session with it ends.
    pub backchannel_logout_uri: Option<String>,
    pub grant_types: Vec<GrantType>,
    /// The one instance whose people may sign in; none: the org's managed accounts and anyone
    /// with access to any of its instances.
    pub instance_id: Option<InstanceId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Client {
    pub fn allows(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }
}

/// A client secret as the organization sees it: never the secret, only its prefix and life.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ClientSecret {
    pub id: ClientSecretId,
    pub client_id: ClientId,
    pub prefix: String,
    pub created_at: Timestamp,
    /// When the secret stops working: set on the older secret when a rotation overlaps.
    pub expires_at: Option<Timestamp>,
}

/// The most redirect URIs of each kind a client may register.
pub const MAX_URIS: usize = 20;
/// The longest URI accepted.
pub const MAX_URI_LEN: usize = 2000;
/// The longest overlap of a rotated secret: 30 days.
pub const MAX_OVERLAP_SECS: i64 = 30 * 86_400;

/// The registration as given, before any rule is applied.
#[derive(Debug, Default, Clone)]
pub struct ClientInput {
    pub name: Option<String>,
    pub public: Option<bool>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// `Some(None)` clears it.
    pub backchannel_logout_uri: Option<Option<String>>,
    pub grant_types: Option<Vec<String>>,
    /// `Some(None)` unties the client.
    pub instance_id: Option<Option<String>>,
}

/// A checked registration: what a new client is, or what an update makes of one.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientSpec {
    pub name: Name,
    pub public: bool,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
    pub grant_types: Vec<GrantType>,
    pub instance_id: Option<InstanceId>,
}

impl ClientSpec {
    /// The registration of a new client: `name` and `redirect_uris` (for the code grant) are
    /// required; `grant_types` defaults to `authorization_code` and `refresh_token`.
    pub fn parse_new(input: ClientInput) -> Result<Self> {
        let base = ClientSpec {
            name: Name::parse("-", "name", 100)?,
            public: false,
            redirect_uris: Vec::new(),
            post_logout_redirect_uris: Vec::new(),
            backchannel_logout_uri: None,
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            instance_id: None,
        };
        let mut input = input;
        if input.name.is_none() {
            input.name = Some(String::new());
        }
        base.apply(input)
    }

    /// The client's registration today, to apply an update to.
    pub fn of(client: &Client) -> Result<Self> {
        Ok(Self {
            name: Name::parse(&client.name, "name", 100)?,
            public: client.public,
            redirect_uris: client.redirect_uris.clone(),
            post_logout_redirect_uris: client.post_logout_redirect_uris.clone(),
            backchannel_logout_uri: client.backchannel_logout_uri.clone(),
            grant_types: client.grant_types.clone(),
            instance_id: client.instance_id,
        })
    }

    /// This registration with the given fields replaced, every rule checked again as a whole
    /// (every bad field reported at once).
    pub fn apply(self, input: ClientInput) -> Result<Self> {
        let mut v = Validator::default();
        let name = match input.name {
            Some(n) => v.check(Name::parse(&n, "name", 100)),
            None => Some(self.name),
        };
        let public = input.public.unwrap_or(self.public);
        let grant_types = match input.grant_types {
            Some(g) => v.check(parse_grant_types(&g)),
            None => Some(self.grant_types),
        };
        let redirect_uris = match input.redirect_uris {
            Some(u) => v.check(parse_uris(&u, "redirect_uris", public)),
            None => Some(self.redirect_uris),
        };
        let post_logout = match input.post_logout_redirect_uris {
            Some(u) => v.check(parse_uris(&u, "post_logout_redirect_uris", public)),
            None => Some(self.post_logout_redirect_uris),
        };
        let backchannel = match input.backchannel_logout_uri {
            Some(Some(u)) => v.check(check_backchannel_uri(&u).map(Some)),
            Some(None) => Some(None),
            None => Some(self.backchannel_logout_uri),
        };
        let instance_id = match input.instance_id {
            Some(Some(id)) => v.check(InstanceId::parse(&id).map(Some)),
            Some(None) => Some(None),
            None => Some(self.instance_id),
        };
        if let (Some(g), Some(u)) = (&grant_types, &redirect_uris) {
            v.check(check_combination(public, g, u));
        }
        v.finish()?;
        Ok(Self {
            name: name.expect("validated"),
            public,
            redirect_uris: redirect_uris.expect("validated"),
            post_logout_redirect_uris: post_logout.expect("validated"),
            backchannel_logout_uri: backchannel.expect("validated"),
            grant_types: grant_types.expect("validated"),
            instance_id: instance_id.expect("validated"),
        })
    }
}

fn parse_grant_types(raw: &[String]) -> Result<Vec<GrantType>> {
    let mut out = Vec::new();
    for g in raw {
        let Some(t) = GrantType::parse(g) else {
            return Err(CoreError::validation(
                "grant_types",
                "each must be authorization_code, refresh_token or client_credentials",
            ));
        };
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.is_empty() {
        return Err(CoreError::validation("grant_types", "must name at least one grant"));
    }
    out.sort();
    Ok(out)
}

/// Rules across fields: a code client needs a redirect URI; a public client has no secret, so
/// it can neither use client credentials nor exist without the code grant; refresh tokens come
/// only from the code grant.
fn check_combination(public: bool, grants: &[GrantType], redirect_uris: &[String]) -> Result<()> {
    let code = grants.contains(&GrantType::AuthorizationCode);
    if code && redirect_uris.is_empty() {
        return Err(CoreError::validation(
            "redirect_uris",
            "at least one is required for the authorization_code grant",
        ));
    }
    if public && grants.contains(&GrantType::ClientCredentials) {
        return Err(CoreError::validation(
            "grant_types",
            "a public client has no secret, so it cannot use client_credentials",
        ));
    }
    if grants.contains(&GrantType::RefreshToken) && !code {
        return Err(CoreError::validation(
            "grant_types",
            "refresh_token needs authorization_code (refresh tokens are issued only from a sign-in)",
        ));
    }
    Ok(())
}

fn parse_uris(raw: &[String], field: &'static str, public: bool) -> Result<Vec<String>> {
    if raw.len() > MAX_URIS {
        return Err(CoreError::validation(field, format!("at most {MAX_URIS} are allowed")));
    }
    let mut out: Vec<String> = Vec::new();
    for u in raw {
        check_redirect_uri(u, public).map_err(|m| CoreError::validation(field, format!("{m}: {}", shown(u))))?;
        if !out.contains(u) {
            out.push(u.clone());
        }
    }
    Ok(out)
}

/// A URI quoted in an error message: at most 100 characters of it.
fn shown(u: &str) -> String {
    let cut: String = u.chars().take(100).collect();
    format!("\"{cut}\"")
}

fn check_backchannel_uri(u: &str) -> Result<String> {
    let parts = UriParts::parse(u).map_err(|m| CoreError::validation("backchannel_logout_uri", m))?;
    if !matches!(parts.scheme.as_str(), "https" | "http") || (parts.scheme == "http" && !parts.is_loopback()) {
        return Err(CoreError::validation(
            "backchannel_logout_uri",
            "must be an https URL (http only on a loopback host)",
        ));
    }
    if u.contains('#') {
        return Err(CoreError::validation(
            "backchannel_logout_uri",
            "must not have a fragment",
        ));
    }
    Ok(u.to_owned())
}

/// The rules of a redirect URI at registration (RFC 6749 §3.1.2, RFC 8252 §7, OAuth 2.0
/// Security BCP §4.1): absolute, no fragment, no userinfo; https, or http on a loopback host
/// only; a public (native) client may also use a private-use scheme with a dot in it
/// (`com.example.app:/callback`).
pub fn check_redirect_uri(u: &str, public: bool) -> std::result::Result<(), &'static str> {
    let parts = UriParts::parse(u)?;
    if u.contains('#') {
        return Err("must not have a fragment");
    }
    match parts.scheme.as_str() {
        "https" => Ok(()),
        "http" if parts.is_loopback() => Ok(()),
        "http" => Err("must use https (http only on a loopback host: localhost, 127.0.0.1, [::1])"),
        s if public && s.contains('.') && !parts.has_authority => Ok(()),
        _ => Err("must be an https URL, or for a public native app a private-use scheme like com.example.app:/cb"),
    }
}

/// A URI's scheme and host, as far as the rules above need them.
struct UriParts {
    scheme: String,
    host: String,
    has_authority: bool,
}

impl UriParts {
    fn parse(u: &str) -> std::result::Result<Self, &'static str> {
        if u.is_empty() || u.len() > MAX_URI_LEN {
            return Err("must be a URL of at most 2000 characters");
        }
        if u.chars().any(|c| c.is_control() || c.is_whitespace() || !c.is_ascii()) {
            return Err("must be ASCII without spaces or control characters (percent-encode the rest)");
        }
        let (scheme, rest) = u.split_once(':').ok_or("must be an absolute URL")?;
        let scheme_ok = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if !scheme_ok {
            return Err("must be an absolute URL");
        }
        let scheme = scheme.to_ascii_lowercase();
        let Some(after) = rest.strip_prefix("//") else {
            return Ok(Self {
                scheme,
                host: String::new(),
                has_authority: false,
            });
        };
        let authority = after.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.contains('@') {
            return Err("must not hold a user name or password");
        }
        let host = if authority.starts_with('[') {
            authority.split(']').next().map(|h| format!("{h}]")).unwrap_or_default()
        } else {
            authority.split(':').next().unwrap_or_default().to_owned()
        };
        if host.is_empty() {
            return Err("must name a host");
        }
        Ok(Self {
            scheme,
            host: host.to_ascii_lowercase(),
            has_authority: true,
        })
    }

    fn is_loopback(&self) -> bool {
        matches!(self.host.as_str(), "localhost" | "127.0.0.1" | "[::1]")
    }
}

/// How long the older secret keeps working after a rotation.
pub fn check_overlap(overlap_seconds: Option<i64>) -> Result<i64> {
    let s = overlap_seconds.unwrap_or(0);
    if !(0..=MAX_OVERLAP_SECS).contains(&s) {
        return Err(CoreError::validation(
            "overlap_seconds",
            format!("must be between 0 and {MAX_OVERLAP_SECS} (30 days)"),
        ));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(uris: &[&str], public: bool, grants: &[&str]) -> Result<ClientSpec> {
        ClientSpec::parse_new(ClientInput {
            name: Some("Wiki".into()),
            public: Some(public),
            redirect_uris: Some(uris.iter().map(|s| (*s).to_owned()).collect()),
            grant_types: Some(grants.iter().map(|s| (*s).to_owned()).collect()),
            ..ClientInput::default()
        })
    }

    fn fields(e: CoreError) -> Vec<String> {
        match e {
            CoreError::Validation { fields } => fields.into_iter().map(|f| f.field).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn redirect_uris_are_https_or_loopback_http_without_fragment_or_userinfo() {
        for ok in [
            "https://wiki.example/cb",
            "http://127.0.0.1:3000/callback",
            "http://localhost/cb",
            "http://[::1]:8080/cb",
            "https://wiki.example/cb?tenant=a",
        ] {
            assert!(check_redirect_uri(ok, false).is_ok(), "{ok}");
        }
        for bad in [
            "http://wiki.example/cb",
            "https://wiki.example/cb#x",
            "https://user:pw@wiki.example/cb",
            "/relative",
            "javascript:alert(1)",
            "https:///nohost",
            "https://wiki.example/a b",
            "",
            "com.example.app:/cb",
            "http://127.0.0.1.evil.example/cb",
        ] {
            assert!(check_redirect_uri(bad, false).is_err(), "{bad}");
        }
        assert!(check_redirect_uri("com.example.app:/cb", true).is_ok());
        assert!(
            check_redirect_uri("myapp:/cb", true).is_err(),
            "a private-use scheme has a dot"
        );
    }

    #[test]
    fn a_public_client_cannot_use_client_credentials_and_code_needs_a_redirect_uri() {
        assert_eq!(
            fields(new(&["https://a.example/cb"], true, &["client_credentials"]).unwrap_err()),
            ["grant_types"]
        );
        assert_eq!(
            fields(new(&[], false, &["authorization_code"]).unwrap_err()),
            ["redirect_uris"]
        );
        assert_eq!(
            fields(new(&[], false, &["refresh_token"]).unwrap_err()),
            ["grant_types"]
        );
        let back_end = new(&[], false, &["client_credentials"]).unwrap();
        assert_eq!(back_end.grant_types, [GrantType::ClientCredentials]);
        assert_eq!(fields(new(&[], false, &["implicit"]).unwrap_err()), ["grant_types"]);
    }

    #[test]
    fn every_bad_field_is_reported_at_once_and_defaults_apply() {
        let e = ClientSpec::parse_new(ClientInput {
            name: Some(String::new()),
            redirect_uris: Some(vec!["http://evil.example/cb".into()]),
            backchannel_logout_uri: Some(Some("ftp://x".into())),
            instance_id: Some(Some("nope".into())),
            ..ClientInput::default()
        })
        .unwrap_err();
        assert_eq!(
            fields(e),
            ["name", "redirect_uris", "backchannel_logout_uri", "instance_id"]
        );
        let ok = new(&["https://a.example/cb", "https://a.example/cb"], false, &[]).unwrap_err();
        assert_eq!(fields(ok), ["grant_types"]);
        let d = ClientSpec::parse_new(ClientInput {
            name: Some("Wiki".into()),
            redirect_uris: Some(vec!["https://a.example/cb".into(), "https://a.example/cb".into()]),
            ..ClientInput::default()
        })
        .unwrap();
        assert_eq!(d.redirect_uris, ["https://a.example/cb"], "duplicates collapse");
        assert_eq!(d.grant_types, [GrantType::AuthorizationCode, GrantType::RefreshToken]);
    }

    #[test]
    fn overlap_is_bounded() {
        assert_eq!(check_overlap(None).unwrap(), 0);
        assert_eq!(check_overlap(Some(3600)).unwrap(), 3600);
        assert!(check_overlap(Some(-1)).is_err());
        assert!(check_overlap(Some(MAX_OVERLAP_SECS + 1)).is_err());
    }
}
