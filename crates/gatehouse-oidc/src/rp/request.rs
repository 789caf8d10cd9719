//! What the relying party sends: the authorization request (OIDC Core §3.1.2.1, RFC 7636
//! §4.3), the code exchange (OIDC Core §3.1.3.1, RFC 6749 §4.1.3) and RP-initiated
//! logout (RP-Initiated Logout 1.0 §2); and the token endpoint's answer it reads.

use serde_json::Value;
use url::Url;

use super::RpError;
use crate::pkce::challenge_s256;

/// One authorization request of the code flow.
#[derive(Debug, Clone, Copy)]
pub struct AuthorizationRequest<'a> {
    /// Our client id at the provider.
    pub client_id: &'a str,
    /// Our callback, exactly as registered at the provider.
    pub redirect_uri: &'a str,
    /// The scopes, `openid` among them.
    pub scopes: &'a [String],
    /// Binds the answer to this browser's request (RFC 6749 §10.12): our key to the stored
    /// sign-in.
    pub state: &'a str,
    /// Binds the ID token to this request (OIDC Core §3.1.2.1, §15.5.2).
    pub nonce: &'a str,
    /// The PKCE verifier; only its S256 challenge is sent (RFC 7636 §4.2).
    pub pkce_verifier: &'a str,
    /// The address the person already typed, so the provider need not ask again (OIDC Core
    /// §3.1.2.1 `login_hint`).
    pub login_hint: Option<&'a str>,
}

/// The URL the browser is sent to: `authorization_endpoint` with `response_type=code`,
/// `client_id`, `redirect_uri`, `scope`, `state`, `nonce`, `code_challenge` and
/// `code_challenge_method=S256` (and `login_hint` when known) added to whatever query it has (OIDC Core §3.1.2.1 allows
/// one). Returns `None` when the endpoint is not a URL (metadata checked by
/// [`super::ProviderMetadata::from_discovery`] always is).
pub fn authorization_url(authorization_endpoint: &str, request: &AuthorizationRequest<'_>) -> Option<String> {
    let mut url = Url::parse(authorization_endpoint).ok()?;
    let challenge = challenge_s256(request.pkce_verifier);
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", request.client_id)
        .append_pair("redirect_uri", request.redirect_uri)
        .append_pair("scope", &request.scopes.join(" "))
        .append_pair("state", request.state)
        .append_pair("nonce", request.nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    if let Some(hint) = request.login_hint {
        url.query_pairs_mut().append_pair("login_hint", hint);
    }
    Some(url.into())
}

/// The form of the code exchange (RFC 6749 §4.1.3 with RFC 7636 §4.5's `code_verifier`);
/// the client authenticates with HTTP Basic (`client_secret_basic`, RFC 6749 §2.3.1), which
/// the HTTP client adds.
pub fn token_request_form<'a>(
    code: &'a str,
    redirect_uri: &'a str,
    pkce_verifier: &'a str,
) -> [(&'static str, &'a str); 4] {
    [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", pkce_verifier),
    ]
}

/// What the relying party keeps of a successful token response.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenResponse {
    /// The ID token, still to be validated with [`super::validate_id_token`].
    pub id_token: String,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse").finish_non_exhaustive()
    }
}

/// Reads a successful token response (RFC 6749 §5.1, OIDC Core §3.1.3.3): a JSON object
/// with `token_type` `Bearer` (case-insensitive) and an `id_token`. The access token is not
/// kept: Gatehouse asks the provider nothing more.
///
/// # Errors
/// [`RpError::TokenResponse`] naming what is missing.
pub fn parse_token_response(body: &[u8]) -> Result<TokenResponse, RpError> {
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) else {
        return Err(RpError::TokenResponse("the answer is not a JSON object"));
    };
    let bearer = obj
        .get("token_type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case("bearer"));
    if !bearer {
        return Err(RpError::TokenResponse("token_type must be Bearer"));
    }
    match obj.get("id_token").and_then(Value::as_str) {
        Some(t) if !t.is_empty() => Ok(TokenResponse { id_token: t.to_owned() }),
        _ => Err(RpError::TokenResponse("the answer has no id_token")),
    }
}

/// The RP-initiated logout URL (RP-Initiated Logout 1.0 §2): `end_session_endpoint` with
/// `id_token_hint` (the ID token of the session, which names it), `client_id` (§2: recommended
/// with `post_logout_redirect_uri`), and `post_logout_redirect_uri` and `state` when given.
/// Returns `None` when the endpoint is not a URL.
pub fn end_session_url(
    end_session_endpoint: &str,
    id_token_hint: Option<&str>,
    client_id: &str,
    post_logout_redirect_uri: Option<&str>,
    state: Option<&str>,
) -> Option<String> {
    let mut url = Url::parse(end_session_endpoint).ok()?;
    {
        let mut q = url.query_pairs_mut();
        if let Some(hint) = id_token_hint {
            q.append_pair("id_token_hint", hint);
        }
        q.append_pair("client_id", client_id);
        if let Some(uri) = post_logout_redirect_uri {
            q.append_pair("post_logout_redirect_uri", uri);
        }
        if let Some(state) = state {
            q.append_pair("state", state);
        }
    }
    Some(url.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_response_needs_bearer_and_an_id_token() {
        assert_eq!(
            parse_token_response(br#"{"token_type":"bearer","id_token":"a.b.c","access_token":"x"}"#)
                .unwrap()
                .id_token,
            "a.b.c"
        );
        for (body, why) in [
            (&br#"{"token_type":"Bearer"}"#[..], "the answer has no id_token"),
            (
                br#"{"token_type":"Bearer","id_token":""}"#,
                "the answer has no id_token",
            ),
            (
                br#"{"token_type":"MAC","id_token":"a.b.c"}"#,
                "token_type must be Bearer",
            ),
            (br#"{"id_token":"a.b.c"}"#, "token_type must be Bearer"),
            (br#"["id_token"]"#, "the answer is not a JSON object"),
            (b"<html>", "the answer is not a JSON object"),
        ] {
            assert_eq!(parse_token_response(body), Err(RpError::TokenResponse(why)));
        }
    }
}
