//! Token endpoint requests (RFC 6749 §4.1.3, §4.4, §6) and client authentication (§2.3.1),
//! which introspection (RFC 7662 §2.1) and revocation (RFC 7009 §2.1) share.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use crate::error::{ErrorCode, OAuthError, invalid_request};
use crate::form::{Form, MAX_VALUE};
use crate::scope::{Scopes, check_scope_syntax};

/// How the client identified itself.
#[derive(Clone, PartialEq, Eq)]
pub enum ClientAuth {
    /// A public client: `client_id` in the body and no secret.
    None {
        /// The client.
        client_id: String,
    },
    /// `client_secret_basic`: HTTP Basic (RFC 6749 §2.3.1).
    Basic {
        /// The client.
        client_id: String,
        /// The secret, wiped from memory when dropped.
        secret: Zeroizing<String>,
    },
    /// `client_secret_post`: `client_id` and `client_secret` in the body.
    Post {
        /// The client.
        client_id: String,
        /// The secret, wiped from memory when dropped.
        secret: Zeroizing<String>,
    },
}

impl ClientAuth {
    /// The client, whichever way it authenticated.
    pub fn client_id(&self) -> &str {
        match self {
            Self::None { client_id } | Self::Basic { client_id, .. } | Self::Post { client_id, .. } => client_id,
        }
    }

    /// The secret, for `client_secret_basic` and `client_secret_post`.
    pub fn secret(&self) -> Option<&str> {
        match self {
            Self::None { .. } => None,
            Self::Basic { secret, .. } | Self::Post { secret, .. } => Some(secret.as_str()),
        }
    }

    /// The registered method name (RFC 8414 §2), as in `token_endpoint_auth_methods_supported`.
    pub fn method(&self) -> &'static str {
        match self {
            Self::None { .. } => "none",
            Self::Basic { .. } => "client_secret_basic",
            Self::Post { .. } => "client_secret_post",
        }
    }
}

/// Never prints the secret.
impl std::fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientAuth")
            .field("method", &self.method())
            .field("client_id", &self.client_id())
            .finish()
    }
}

/// The grant a token request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// RFC 6749 §4.1.3 with RFC 7636 §4.5.
    AuthorizationCode {
        /// The code.
        code: String,
        /// Must equal the one of the authorization request when that one had it (§4.1.3).
        redirect_uri: Option<String>,
        /// The PKCE verifier; required when the code was issued with a challenge.
        code_verifier: Option<String>,
    },
    /// RFC 6749 §6.
    RefreshToken {
        /// The refresh token.
        refresh_token: String,
        /// A narrower scope, if asked for ([`Scopes::narrow`]).
        scope: Option<Scopes>,
    },
    /// RFC 6749 §4.4: a product back end acting for itself.
    ClientCredentials {
        /// The raw scope (syntax checked), interpreted by the server.
        scope: Option<String>,
    },
}

/// A token request: who asks, and for what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// The client and how it authenticated (not yet checked against the registration).
    pub client: ClientAuth,
    /// The grant.
    pub grant: Grant,
}

const CLIENT_PARAMS: &[&str] = &["client_id", "client_secret"];
const TOKEN_PARAMS: &[&str] = &[
    "client_id",
    "client_secret",
    "grant_type",
    "code",
    "redirect_uri",
    "code_verifier",
    "refresh_token",
    "scope",
];

impl TokenRequest {
    /// Parses a token request from its form pairs and `Authorization` header.
    ///
    /// Errors: a repeated parameter or oversized request, `invalid_request`; no client or a broken
    /// Basic header, `invalid_client`; Basic together with `client_secret` in the body,
    /// `invalid_request` (RFC 6749 §2.3: one method per request); an unknown `grant_type`,
    /// `unsupported_grant_type`; a missing `code` or `refresh_token`, `invalid_request`.
    pub fn parse(pairs: &[(String, String)], authorization: Option<&str>) -> Result<TokenRequest, OAuthError> {
        let form = Form::collect(pairs, TOKEN_PARAMS)?;
        let client = client_from(&form, authorization)?;
        let grant = match form.get("grant_type") {
            None => return Err(invalid_request("The grant_type parameter is missing.")),
            Some("authorization_code") => Grant::AuthorizationCode {
                code: form
                    .owned("code")
                    .ok_or_else(|| invalid_request("The code parameter is missing."))?,
                redirect_uri: form.owned("redirect_uri"),
                code_verifier: form.owned("code_verifier"),
            },
            Some("refresh_token") => Grant::RefreshToken {
                refresh_token: form
                    .owned("refresh_token")
                    .ok_or_else(|| invalid_request("The refresh_token parameter is missing."))?,
                scope: form.get("scope").map(Scopes::parse).transpose()?,
            },
            Some("client_credentials") => {
                let scope = form.owned("scope");
                if let Some(scope) = &scope {
                    check_scope_syntax(scope)?;
                }
                Grant::ClientCredentials { scope }
            }
            Some(_) => {
                return Err(OAuthError::new(
                    ErrorCode::UnsupportedGrantType,
                    "The grant_type parameter names a grant this provider does not support.",
                ));
            }
        };
        Ok(TokenRequest { client, grant })
    }
}

/// Client authentication alone, for introspection (RFC 7662 §2.1) and revocation (RFC 7009
/// §2.1), with the same rules as [`TokenRequest::parse`].
pub fn parse_client_auth(pairs: &[(String, String)], authorization: Option<&str>) -> Result<ClientAuth, OAuthError> {
    // The endpoint's own parameters (token, token_type_hint) are read by the caller; only the
    // client's are collected here, so duplicates of those are refused.
    let form = Form::collect(pairs, CLIENT_PARAMS)?;
    client_from(&form, authorization)
}

fn invalid_client(description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClient, description)
}

fn client_from(form: &Form<'_>, authorization: Option<&str>) -> Result<ClientAuth, OAuthError> {
    let body_id = form.get("client_id");
    let body_secret = form.get("client_secret");
    if let Some(header) = authorization {
        let (client_id, secret) = parse_basic(header)?;
        if body_secret.is_some() {
            return Err(invalid_request(
                "The client_secret parameter cannot be sent together with HTTP Basic authentication.",
            ));
        }
        if body_id.is_some_and(|id| id != client_id) {
            return Err(invalid_request(
                "The client_id parameter differs from the HTTP Basic user name.",
            ));
        }
        return Ok(ClientAuth::Basic { client_id, secret });
    }
    match (body_id, body_secret) {
        (Some(id), Some(secret)) => Ok(ClientAuth::Post {
            client_id: id.to_owned(),
            secret: Zeroizing::new(secret.to_owned()),
        }),
        (Some(id), None) => Ok(ClientAuth::None {
            client_id: id.to_owned(),
        }),
        (None, _) => Err(invalid_client(
            "The client is not identified: send client_id or use HTTP Basic.",
        )),
    }
}

/// RFC 6749 §2.3.1: `Basic base64(urlencode(client_id) ":" urlencode(client_secret))`; the scheme
/// name is case-insensitive (RFC 9110 §11.1).
fn parse_basic(header: &str) -> Result<(String, Zeroizing<String>), OAuthError> {
    let bad = || invalid_client("The Authorization header is not valid HTTP Basic client authentication.");
    let (scheme, rest) = header.split_once(' ').ok_or_else(bad)?;
    if !scheme.eq_ignore_ascii_case("basic") || rest.len() > MAX_VALUE {
        return Err(bad());
    }
    let decoded = Zeroizing::new(STANDARD.decode(rest.trim_matches(' ')).map_err(|_| bad())?);
    let text = std::str::from_utf8(&decoded).map_err(|_| bad())?;
    let (raw_id, raw_secret) = text.split_once(':').ok_or_else(bad)?;
    let client_id = form_decode(raw_id).ok_or_else(bad)?;
    let secret = Zeroizing::new(form_decode(raw_secret).ok_or_else(bad)?);
    if client_id.is_empty() {
        return Err(bad());
    }
    Ok((client_id, secret))
}

/// Decodes one `application/x-www-form-urlencoded` component: `+` is a space, `%XX` a byte.
/// A broken escape or a result that is not UTF-8 is refused rather than guessed at.
fn form_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1), scheme name
/// case-insensitive; `None` when the header is absent, another scheme, or not a `b64token`.
pub fn parse_bearer(authorization: Option<&str>) -> Option<&str> {
    let (scheme, rest) = authorization?.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = rest.trim_start_matches(' ');
    // b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
    let body = token.trim_end_matches('=');
    let ok = !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/'));
    ok.then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding() {
        assert_eq!(form_decode("a%3Ab+c").as_deref(), Some("a:b c"));
        assert_eq!(form_decode("%e2%82%ac").as_deref(), Some("€"));
        assert_eq!(form_decode("%4"), None);
        assert_eq!(form_decode("%zz"), None);
        assert_eq!(form_decode("%ff"), None);
        assert_eq!(form_decode("%+1"), None);
    }

    #[test]
    fn bearer_tokens() {
        assert_eq!(parse_bearer(Some("Bearer abc.def-_~+/==")), Some("abc.def-_~+/=="));
        assert_eq!(parse_bearer(Some("bEaReR  tok")), Some("tok"));
        assert_eq!(parse_bearer(Some("Basic abc")), None);
        assert_eq!(parse_bearer(Some("Bearer")), None);
        assert_eq!(parse_bearer(Some("Bearer a b")), None);
        assert_eq!(parse_bearer(Some("Bearer ===")), None);
        assert_eq!(parse_bearer(None), None);
    }

    #[test]
    fn debug_hides_the_secret() {
        let auth = ClientAuth::Post {
            client_id: "c1".into(),
            secret: Zeroizing::new("s3cr3t".into()),
        };
        let shown = format!("{auth:?}");
        assert!(shown.contains("c1") && !shown.contains("s3cr3t"), "{shown}");
    }
}
