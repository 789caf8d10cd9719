//! The OpenID provider as the demo sees it: found by discovery (OIDC Discovery 1.0 §4), its
//! keys fetched from `jwks_uri` and fetched again when a token names a key not seen yet (key
//! rotation), and an openidconnect client built from what it published.
//!
//! Nothing here is specific to Gatehouse except reading the `org_id` claim.

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreClaimName, CoreClaimType, CoreClientAuthMethod, CoreErrorResponseType,
    CoreGenderClaim, CoreGrantType, CoreJsonWebKey, CoreJsonWebKeySet, CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm, CoreResponseMode, CoreResponseType, CoreRevocableToken,
    CoreRevocationErrorResponse, CoreSubjectIdentifierType, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::url::Url;
use openidconnect::{
    AdditionalClaims, AdditionalProviderMetadata, Client, ClientId, EmptyExtraTokenFields, EndSessionUrl,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IdToken, IdTokenClaims, IdTokenFields, IdTokenVerifier, IssuerUrl,
    JsonWebKeySetUrl, LogoutProviderMetadata, ProviderMetadata, StandardErrorResponse, StandardTokenResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::config::Config;
use crate::http::{HttpClient, HttpError};
use crate::jwt::{self, Expect, LogoutToken, TokenError};

/// A token naming an unknown key makes the demo fetch the JWKS again, at most this often, so
/// that forged tokens cannot make it hammer the provider.
const JWKS_REFETCH_INTERVAL: Duration = Duration::from_secs(30);

/// OAuth metadata that OIDC Discovery's document may carry and openidconnect does not read.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct OAuthMetadata {
    /// RFC 9207 §3: whether the provider puts `iss` in its authorization responses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_response_iss_parameter_supported: Option<bool>,
    /// RFC 8414 §2: the PKCE methods the provider accepts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_challenge_methods_supported: Option<Vec<String>>,
}
impl AdditionalProviderMetadata for OAuthMetadata {}

/// Discovery metadata with RP-initiated logout's `end_session_endpoint` and RFC 9207's flag.
pub type DiscoveredMetadata = ProviderMetadata<
    LogoutProviderMetadata<OAuthMetadata>,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// The claims beyond OIDC's standard ones: Gatehouse's `org_id`, the session id `sid`
/// (Front/Back-Channel Logout), and whatever else the provider sends, kept for display.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ProductClaims {
    /// The organization of the client the person signed in to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    /// The provider's session id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Every other claim.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}
impl AdditionalClaims for ProductClaims {}

type ProductIdTokenFields = IdTokenFields<
    ProductClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
/// A token endpoint answer carrying an ID token with [`ProductClaims`].
pub type ProductTokenResponse = StandardTokenResponse<ProductIdTokenFields, CoreTokenType>;
/// An ID token with [`ProductClaims`].
pub type ProductIdToken =
    IdToken<ProductClaims, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;
/// Verified ID token claims.
pub type ProductIdTokenClaims = IdTokenClaims<ProductClaims, CoreGenderClaim>;

/// The openidconnect client for [`ProductClaims`], with its authorization endpoint set.
type ClientWith<HasTokenUrl, HasUserInfoUrl> = Client<
    ProductClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    ProductTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    HasTokenUrl,
    HasUserInfoUrl,
>;
/// The openidconnect client, with its authorization, token and userinfo endpoints set.
pub type ProductClient = ClientWith<EndpointSet, EndpointSet>;

/// Why the provider could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// The discovery document could not be fetched, parsed, or names another issuer.
    #[error("discovery at {issuer}/.well-known/openid-configuration failed: {why}")]
    Discovery {
        /// The configured issuer.
        issuer: String,
        /// What went wrong.
        why: String,
    },
    /// The provider lacks something the demo needs.
    #[error("the provider cannot serve this product: {0}")]
    Unsuitable(&'static str),
    /// The JWKS could not be fetched or parsed.
    #[error("fetching the provider's keys failed: {0}")]
    Keys(String),
    /// The HTTP client could not be built.
    #[error(transparent)]
    Http(#[from] HttpError),
}

/// The provider's keys, in the forms both verifiers read.
pub struct Keys {
    /// For openidconnect (ID tokens).
    pub oidc: CoreJsonWebKeySet,
    /// For jsonwebtoken (access and logout tokens).
    pub jwt: JwkSet,
}

/// A discovered provider, ready for sign-ins.
pub struct Provider {
    pub(crate) client: ProductClient,
    pub(crate) http: HttpClient,
    issuer: IssuerUrl,
    client_id: ClientId,
    jwks_uri: JsonWebKeySetUrl,
    end_session_endpoint: Option<EndSessionUrl>,
    iss_parameter_supported: bool,
    keys: RwLock<Arc<Keys>>,
    keys_fetched: Mutex<Instant>,
}

impl Provider {
    /// Discovers the provider at `config.issuer` and fetches its keys.
    pub async fn discover(config: &Config, http: HttpClient) -> Result<Self, DiscoveryError> {
        let issuer = config.issuer.clone();
        // openidconnect checks that the document's `issuer` is exactly the one asked for
        // (OIDC Discovery §4.3), so a document cannot speak for another issuer.
        let metadata = DiscoveredMetadata::discover_async(issuer.clone(), &http)
            .await
            .map_err(|e| DiscoveryError::Discovery {
                issuer: issuer.to_string(),
                why: error_chain(&e),
            })?;
        let token_url = metadata
            .token_endpoint()
            .cloned()
            .ok_or(DiscoveryError::Unsuitable("no token_endpoint"))?;
        let userinfo_url = metadata
            .userinfo_endpoint()
            .cloned()
            .ok_or(DiscoveryError::Unsuitable("no userinfo_endpoint"))?;
        let extra = metadata.additional_metadata();
        // RFC 8414 §2: when the provider lists its PKCE methods, S256 must be one of them.
        if let Some(methods) = &extra.additional_metadata.code_challenge_methods_supported
            && !methods.iter().any(|m| m == "S256")
        {
            return Err(DiscoveryError::Unsuitable("PKCE S256 is not supported"));
        }
        let end_session_endpoint = extra.end_session_endpoint.clone();
        let iss_parameter_supported = extra
            .additional_metadata
            .authorization_response_iss_parameter_supported
            .unwrap_or(false);
        let jwks_uri = metadata.jwks_uri().clone();
        let keys = fetch_keys(&http, &jwks_uri).await?;
        let client = ClientWith::<EndpointMaybeSet, EndpointMaybeSet>::from_provider_metadata(
            metadata,
            config.client_id.clone(),
            config.client_secret.clone(),
        )
        .set_redirect_uri(config.redirect_uri.clone())
        .set_token_uri(token_url)
        .set_user_info_url(userinfo_url);
        Ok(Self {
            client,
            http,
            issuer,
            client_id: config.client_id.clone(),
            jwks_uri,
            end_session_endpoint,
            iss_parameter_supported,
            keys: RwLock::new(Arc::new(keys)),
            keys_fetched: Mutex::new(Instant::now()),
        })
    }

    /// [`Provider::discover`], tried `attempts` times, waiting longer after each failure (the
    /// provider may still be starting).
    pub async fn discover_with_retry(
        config: &Config,
        http: HttpClient,
        attempts: u32,
        first_delay: Duration,
    ) -> Result<Self, DiscoveryError> {
        let mut delay = first_delay;
        let mut attempt = 1;
        loop {
            match Self::discover(config, http.clone()).await {
                Ok(provider) => return Ok(provider),
                Err(e) if attempt >= attempts => return Err(e),
                Err(e) => tracing::warn!(attempt, error = %e, "discovery failed; trying again in {delay:?}"),
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(10));
            attempt += 1;
        }
    }

    /// The issuer.
    pub fn issuer(&self) -> &IssuerUrl {
        &self.issuer
    }

    /// The client id.
    pub fn client_id(&self) -> &ClientId {
        &self.client_id
    }

    /// The end-session endpoint, when the provider offers RP-initiated logout.
    pub fn end_session_endpoint(&self) -> Option<&EndSessionUrl> {
        self.end_session_endpoint.as_ref()
    }

    /// RFC 9207 §2.4: an `iss` in the authorization response must be the issuer, compared as a
    /// string; a provider that announced it always sends one, so then it is required.
    pub fn check_iss(&self, iss: Option<&str>) -> Result<(), &'static str> {
        match iss {
            Some(iss) if iss == self.issuer.as_str() => Ok(()),
            Some(_) => Err("the answer comes from another issuer (iss)"),
            None if self.iss_parameter_supported => Err("the answer carries no iss"),
            None => Ok(()),
        }
    }

    /// The URL to send the browser to for RP-initiated logout (RP-Initiated Logout 1.0 §2).
    pub fn end_session_url(&self, id_token_hint: &str, post_logout: &str, state: &str) -> Option<Url> {
        let mut url = self.end_session_endpoint.as_ref()?.url().clone();
        url.query_pairs_mut()
            .append_pair("id_token_hint", id_token_hint)
            .append_pair("post_logout_redirect_uri", post_logout)
            .append_pair("client_id", self.client_id.as_str())
            .append_pair("state", state);
        Some(url)
    }

    /// A verifier for ID tokens: the current keys, asymmetric algorithms only (never the
    /// client secret as an HMAC key, never `none`).
    pub(crate) fn id_token_verifier(&self, keys: &Keys) -> IdTokenVerifier<'static, CoreJsonWebKey> {
        IdTokenVerifier::new_public_client(self.client_id.clone(), self.issuer.clone(), keys.oidc.clone())
            .set_allowed_algs([
                CoreJwsSigningAlgorithm::EcdsaP256Sha256,
                CoreJwsSigningAlgorithm::EdDsa,
                CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            ])
    }

    /// The keys now held.
    pub(crate) fn keys(&self) -> Arc<Keys> {
        Arc::clone(&self.keys.read().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Fetches the JWKS again (a key rotation), unless that was done very recently. Returns
    /// the new keys, or `None` when nothing was fetched.
    pub(crate) async fn refetch_keys(&self) -> Option<Arc<Keys>> {
        {
            let mut last = self
                .keys_fetched
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if last.elapsed() < JWKS_REFETCH_INTERVAL {
                return None;
            }
            *last = Instant::now();
        }
        match fetch_keys(&self.http, &self.jwks_uri).await {
            Ok(keys) => {
                let keys = Arc::new(keys);
                *self.keys.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::clone(&keys);
                Some(keys)
            }
            Err(e) => {
                tracing::warn!(error = %e, "refetching the provider's keys failed");
                None
            }
        }
    }

    fn expect(&self) -> Expect<'_> {
        Expect {
            issuer: self.issuer.as_str(),
            client_id: self.client_id.as_str(),
        }
    }

    /// Verifies an RFC 9068 access token against the provider's keys.
    pub async fn verify_access_token(&self, raw: &str) -> Result<Value, TokenError> {
        let first = jwt::verify_access_token(raw, &self.keys().jwt, &self.expect());
        match first {
            Err(TokenError::UnknownKey) => match self.refetch_keys().await {
                Some(keys) => jwt::verify_access_token(raw, &keys.jwt, &self.expect()),
                None => first,
            },
            other => other,
        }
    }

    /// Verifies a back-channel logout token against the provider's keys.
    pub async fn verify_logout_token(&self, raw: &str) -> Result<LogoutToken, TokenError> {
        let first = jwt::verify_logout_token(raw, &self.keys().jwt, &self.expect());
        match first {
            Err(TokenError::UnknownKey) => match self.refetch_keys().await {
                Some(keys) => jwt::verify_logout_token(raw, &keys.jwt, &self.expect()),
                None => first,
            },
            other => other,
        }
    }
}

/// Fetches `jwks_uri` and parses it for both verifiers.
async fn fetch_keys(http: &HttpClient, uri: &JsonWebKeySetUrl) -> Result<Keys, DiscoveryError> {
    let (status, body) = http
        .get_bytes(uri.as_str())
        .await
        .map_err(|e| DiscoveryError::Keys(e.to_string()))?;
    if status != 200 {
        return Err(DiscoveryError::Keys(format!("{uri} answered {status}")));
    }
    let oidc: CoreJsonWebKeySet =
        serde_json::from_slice(&body).map_err(|e| DiscoveryError::Keys(format!("{uri}: {e}")))?;
    let jwt = jwt::parse_jwks(&body).map_err(|e| DiscoveryError::Keys(format!("{uri}: {e}")))?;
    Ok(Keys { oidc, jwt })
}

/// An error and its causes on one line (openidconnect's errors nest the useful part).
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
