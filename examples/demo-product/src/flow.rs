//! The authorization code flow (OIDC Core §3.1) with PKCE, and the refresh grant (§12):
//! building the authorization request, exchanging the code, verifying every token, and asking
//! userinfo.

use openidconnect::core::{CoreAuthenticationFlow, CoreGenderClaim};
use openidconnect::url::Url;
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClaimsVerificationError, CsrfToken, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RefreshToken, Scope, SignatureVerificationError, SubjectIdentifier, TokenResponse,
};
use serde_json::Value;

use crate::jwt::TokenError;
use crate::provider::{
    Keys, ProductClaims, ProductIdToken, ProductIdTokenClaims, ProductTokenResponse, Provider, error_chain,
};
use crate::session::{PendingLogin, Profile, Tokens};

/// The scopes the demo asks for: who the person is, and a refresh token (`offline_access`).
pub const SCOPES: [&str; 3] = ["email", "profile", "offline_access"];

/// Why a sign-in or a refresh failed after the provider answered.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// The token endpoint refused or could not be reached.
    #[error("the token endpoint refused: {0}")]
    TokenEndpoint(String),
    /// The token answer had no ID token (OIDC Core §3.1.3.3 requires one).
    #[error("the provider sent no ID token")]
    NoIdToken,
    /// The ID token failed verification.
    #[error("the ID token failed verification: {0}")]
    IdToken(String),
    /// The access token failed verification.
    #[error("the access token failed verification: {0}")]
    AccessToken(#[from] TokenError),
}

impl Provider {
    /// A new authorization request (code flow, PKCE S256, fresh state and nonce) and what the
    /// callback must find again.
    pub fn authorization_request(&self) -> (Url, PendingLogin) {
        let (challenge, pkce_verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = self.client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in SCOPES {
            request = request.add_scope(Scope::new(scope.into()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        (
            url,
            PendingLogin {
                state,
                nonce,
                pkce_verifier,
            },
        )
    }

    /// Exchanges the code and verifies what comes back: the ID token (signature, iss, aud,
    /// exp, nonce, at_hash) and the access token (RFC 9068); then asks userinfo.
    pub async fn finish_login(&self, code: String, pending: PendingLogin) -> Result<(Profile, Tokens), FlowError> {
        let response = self
            .client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(pending.pkce_verifier)
            .request_async(&self.http)
            .await
            .map_err(|e| FlowError::TokenEndpoint(error_chain(&e)))?;
        let id_token = response.id_token().ok_or(FlowError::NoIdToken)?;
        let claims = self
            .verify_id_token(id_token, &response, |n: Option<&Nonce>| match n {
                Some(n) if constant_time_eq(n.secret(), pending.nonce.secret()) => Ok(()),
                Some(_) => Err("nonce mismatch".to_owned()),
                None => Err("the ID token carries no nonce".to_owned()),
            })
            .await?;
        let profile = profile(&claims);
        let id_claims = serde_json::to_value(&claims).unwrap_or(Value::Null);
        let tokens = self
            .tokens(&response, id_token.to_string(), id_claims, &profile.sub)
            .await?;
        Ok((profile, tokens))
    }

    /// The refresh grant. A new ID token, if any, is verified like the first and must name the
    /// same person (OIDC Core §12.2); without one, the previous ID token is kept.
    pub async fn refresh(&self, previous: RefreshInput) -> Result<(Option<Profile>, Tokens), FlowError> {
        let response = self
            .client
            .exchange_refresh_token(&previous.refresh_token)
            .request_async(&self.http)
            .await
            .map_err(|e| FlowError::TokenEndpoint(error_chain(&e)))?;
        let Some(id_token) = response.id_token() else {
            let mut tokens = self
                .tokens(&response, previous.id_token, previous.id_claims, &previous.sub)
                .await?;
            // RFC 6749 §6: without a new refresh token, the old one stays valid.
            tokens.refresh_token = tokens.refresh_token.or(Some(previous.refresh_token));
            return Ok((None, tokens));
        };
        // §12.2: a refreshed ID token should carry no nonce; if it does, it is the original one.
        let original = &previous.nonce;
        let claims = self
            .verify_id_token(id_token, &response, |n: Option<&Nonce>| match n {
                None => Ok(()),
                Some(n) if constant_time_eq(n.secret(), original.secret()) => Ok(()),
                Some(_) => Err("nonce differs from the original sign-in's".to_owned()),
            })
            .await?;
        if claims.subject().as_str() != previous.sub {
            return Err(FlowError::IdToken("the refreshed ID token names another person".into()));
        }
        let profile = profile(&claims);
        let id_claims = serde_json::to_value(&claims).unwrap_or(Value::Null);
        let mut tokens = self
            .tokens(&response, id_token.to_string(), id_claims, &previous.sub)
            .await?;
        tokens.refresh_token = tokens.refresh_token.or(Some(previous.refresh_token));
        Ok((Some(profile), tokens))
    }

    /// Verifies an ID token with the keys held, and once more with fresh keys when it names a
    /// key not seen yet.
    async fn verify_id_token<N>(
        &self,
        id_token: &ProductIdToken,
        response: &ProductTokenResponse,
        nonce: N,
    ) -> Result<ProductIdTokenClaims, FlowError>
    where
        N: Fn(Option<&Nonce>) -> Result<(), String>,
    {
        let first = check_id_token(self, &self.keys(), id_token, response, &nonce);
        match first {
            Err(IdTokenFailure::UnknownKey) => match self.refetch_keys().await {
                Some(keys) => check_id_token(self, &keys, id_token, response, &nonce).map_err(Into::into),
                None => Err(IdTokenFailure::UnknownKey.into()),
            },
            other => other.map_err(Into::into),
        }
    }

    /// The access token verified, then the userinfo answer; the ID token as given.
    async fn tokens(
        &self,
        response: &ProductTokenResponse,
        id_token: String,
        id_claims: Value,
        sub: &str,
    ) -> Result<Tokens, FlowError> {
        let access_token = response.access_token().clone();
        let access_claims = self.verify_access_token(access_token.secret()).await?;
        if access_claims.get("sub").and_then(Value::as_str) != Some(sub) {
            return Err(FlowError::AccessToken(TokenError::Claims(
                "the access token names another person than the ID token",
            )));
        }
        let userinfo = self.userinfo(access_token.clone(), sub).await;
        Ok(Tokens {
            id_token,
            id_claims,
            access_token,
            access_claims,
            refresh_token: response.refresh_token().cloned(),
            userinfo,
        })
    }

    /// The userinfo answer (OIDC Core §5.3); its `sub` must be the ID token's (§5.3.2).
    async fn userinfo(&self, access_token: openidconnect::AccessToken, sub: &str) -> Result<Value, String> {
        let claims: openidconnect::UserInfoClaims<ProductClaims, CoreGenderClaim> = self
            .client
            .user_info(access_token, Some(SubjectIdentifier::new(sub.to_owned())))
            .request_async(&self.http)
            .await
            .map_err(|e| error_chain(&e))?;
        serde_json::to_value(&claims).map_err(|e| e.to_string())
    }
}

/// What a refresh starts from, copied out of the session.
pub struct RefreshInput {
    /// The refresh token to spend.
    pub refresh_token: RefreshToken,
    /// The original sign-in's nonce.
    pub nonce: Nonce,
    /// The person's `sub`.
    pub sub: String,
    /// The ID token now held, kept when the answer brings none.
    pub id_token: String,
    /// Its claims.
    pub id_claims: Value,
}

enum IdTokenFailure {
    UnknownKey,
    Refused(String),
}

impl From<IdTokenFailure> for FlowError {
    fn from(f: IdTokenFailure) -> Self {
        match f {
            IdTokenFailure::UnknownKey => FlowError::IdToken("no key in the provider's JWKS fits it".into()),
            IdTokenFailure::Refused(why) => FlowError::IdToken(why),
        }
    }
}

/// OIDC Core §3.1.3.7 through openidconnect, plus §3.1.3.8's at_hash when present.
fn check_id_token<N>(
    provider: &Provider,
    keys: &Keys,
    id_token: &ProductIdToken,
    response: &ProductTokenResponse,
    nonce: &N,
) -> Result<ProductIdTokenClaims, IdTokenFailure>
where
    N: Fn(Option<&Nonce>) -> Result<(), String>,
{
    let verifier = provider.id_token_verifier(keys);
    let claims = id_token
        .claims(&verifier, |n: Option<&Nonce>| nonce(n))
        .map_err(|e| match e {
            ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey) => {
                IdTokenFailure::UnknownKey
            }
            other => IdTokenFailure::Refused(error_chain(&other)),
        })?;
    if let Some(expected) = claims.access_token_hash() {
        let refused = |e: &dyn std::error::Error| IdTokenFailure::Refused(error_chain(e));
        let alg = id_token.signing_alg().map_err(|e| refused(&e))?;
        let key = id_token.signing_key(&verifier).map_err(|e| refused(&e))?;
        let actual = AccessTokenHash::from_token(response.access_token(), alg, key).map_err(|e| refused(&e))?;
        if actual != *expected {
            return Err(IdTokenFailure::Refused(
                "at_hash does not match the access token".into(),
            ));
        }
    }
    Ok(claims.clone())
}

/// Who signed in, from verified ID token claims.
fn profile(claims: &ProductIdTokenClaims) -> Profile {
    let extra = claims.additional_claims();
    Profile {
        sub: claims.subject().to_string(),
        sid: extra.sid.clone(),
        name: claims.name().and_then(|n| n.get(None)).map(|n| n.to_string()),
        email: claims.email().map(|e| e.to_string()),
        email_verified: claims.email_verified(),
        org_id: extra.org_id.clone(),
        amr: claims
            .auth_method_refs()
            .map(|v| v.iter().map(|a| a.as_str().to_owned()).collect())
            .unwrap_or_default(),
        auth_time: claims.auth_time().map(|t| t.to_rfc3339()),
    }
}

/// Compares two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq as _;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}
