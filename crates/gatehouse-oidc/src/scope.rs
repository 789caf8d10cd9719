//! The scopes this provider knows: `openid email profile offline_access`.
//!
//! RFC 6749 §3.3: `scope = scope-token *( SP scope-token )`, `scope-token = 1*( %x21 / %x23-5B /
//! %x5D-7E )`. OIDC Core §3.1.2.1: scope values the provider does not understand are ignored.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{ErrorCode, OAuthError};

/// Longest `scope` value accepted (bytes).
pub const MAX_SCOPE_LEN: usize = 1024;

/// The scopes of a request or a grant, as flags. Any combination is valid.
///
/// Serialized as its canonical space-separated string, so a grant can store it as text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[expect(clippy::struct_excessive_bools, reason = "a set of four known scope values")]
pub struct Scopes {
    openid: bool,
    email: bool,
    profile: bool,
    offline_access: bool,
}

/// RFC 6749 §3.3 `scope-token` characters: visible ASCII except `"` and `\`.
fn is_scope_char(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E)
}

/// Checks the syntax of a raw scope string (length and characters) without interpreting it.
pub fn check_scope_syntax(raw: &str) -> Result<(), OAuthError> {
    if raw.len() > MAX_SCOPE_LEN {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            "The scope parameter is too long.",
        ));
    }
    if !raw.bytes().all(|b| b == b' ' || is_scope_char(b)) {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            "The scope parameter contains a character RFC 6749 does not allow.",
        ));
    }
    Ok(())
}

impl Scopes {
    /// Only `openid`.
    pub const OPENID: Scopes = Scopes {
        openid: true,
        email: false,
        profile: false,
        offline_access: false,
    };

    /// Parses a space-separated `scope` value. Unknown values are ignored (OIDC Core §3.1.2.1);
    /// repeated spaces are tolerated; characters outside RFC 6749 §3.3 or more than
    /// [`MAX_SCOPE_LEN`] bytes are `invalid_scope`.
    pub fn parse(raw: &str) -> Result<Scopes, OAuthError> {
        check_scope_syntax(raw)?;
        let mut scopes = Scopes::default();
        for token in raw.split(' ').filter(|t| !t.is_empty()) {
            match token {
                "openid" => scopes.openid = true,
                "email" => scopes.email = true,
                "profile" => scopes.profile = true,
                "offline_access" => scopes.offline_access = true,
                _ => {}
            }
        }
        Ok(scopes)
    }

    /// `openid` was asked for: the request is an OpenID Connect one.
    pub fn has_openid(&self) -> bool {
        self.openid
    }

    /// `email` was asked for: the ID token and userinfo carry `email` and `email_verified`.
    pub fn email(&self) -> bool {
        self.email
    }

    /// `profile` was asked for: the ID token and userinfo carry `name`.
    pub fn profile(&self) -> bool {
        self.profile
    }

    /// `offline_access` was asked for: a refresh token may be issued (OIDC Core §11).
    pub fn offline_access(&self) -> bool {
        self.offline_access
    }

    /// No known scope at all.
    pub fn is_empty(&self) -> bool {
        *self == Scopes::default()
    }

    /// The same scopes with `offline_access` set or cleared.
    pub fn with_offline_access(self, offline_access: bool) -> Scopes {
        Scopes { offline_access, ..self }
    }

    /// Every scope of `other` is also in `self`.
    pub fn contains(&self, other: &Scopes) -> bool {
        (self.openid || !other.openid)
            && (self.email || !other.email)
            && (self.profile || !other.profile)
            && (self.offline_access || !other.offline_access)
    }

    /// The scopes of a refreshed token: RFC 6749 §6 lets a refresh request ask for the original
    /// scopes or fewer, never more (`invalid_scope`).
    pub fn narrow(&self, requested: &Scopes) -> Result<Scopes, OAuthError> {
        if self.contains(requested) {
            Ok(*requested)
        } else {
            Err(OAuthError::new(
                ErrorCode::InvalidScope,
                "The scope parameter asks for more than the original grant allows.",
            ))
        }
    }
}

/// The canonical form: `openid email profile offline_access`, in that order, present ones only.
impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (self.openid, "openid"),
            (self.email, "email"),
            (self.profile, "profile"),
            (self.offline_access, "offline_access"),
        ];
        let mut first = true;
        for (_, name) in names.iter().filter(|(on, _)| *on) {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(name)?;
            first = false;
        }
        Ok(())
    }
}

impl Serialize for Scopes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Scopes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Scopes::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_order_and_unknown_values() {
        let s = Scopes::parse("offline_access  profile openid https://x/y email").unwrap();
        assert_eq!(s.to_string(), "openid email profile offline_access");
        assert_eq!(Scopes::parse("").unwrap().to_string(), "");
        assert!(Scopes::parse("").unwrap().is_empty());
    }

    #[test]
    fn forbidden_characters_and_length() {
        for bad in ["openid \"email\"", "openid\\", "openid\temail", "openid é"] {
            assert_eq!(Scopes::parse(bad).unwrap_err().code, ErrorCode::InvalidScope, "{bad}");
        }
        let long = format!("openid {}", "x".repeat(MAX_SCOPE_LEN));
        assert_eq!(Scopes::parse(&long).unwrap_err().code, ErrorCode::InvalidScope);
    }

    #[test]
    fn narrowing_allows_subsets_only() {
        let grant = Scopes::parse("openid email offline_access").unwrap();
        let fewer = Scopes::parse("openid offline_access").unwrap();
        assert_eq!(grant.narrow(&fewer).unwrap(), fewer);
        let more = Scopes::parse("openid profile").unwrap();
        assert_eq!(grant.narrow(&more).unwrap_err().code, ErrorCode::InvalidScope);
    }

    #[test]
    fn serde_uses_the_canonical_string() {
        let s = Scopes::parse("email openid").unwrap();
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"openid email\"");
        assert_eq!(serde_json::from_str::<Scopes>("\"email openid\"").unwrap(), s);
    }
}
