//! Why a sign-in through another provider was refused, as a stable reason for the audit log.

use crate::keys::VerifyError;

/// Why the relying party refused a provider's document or answer. [`RpError::reason`] is the
/// stable name the audit log records; `Display` adds what a log reader needs, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RpError {
    /// The discovery document is not usable; the text says which rule it breaks.
    #[error("the discovery document is invalid: {0}")]
    Discovery(&'static str),
    /// The discovery document names another issuer than the configured one (OIDC Discovery
    /// §4.3): it may be another tenant's, or an attacker's.
    #[error("the discovery document names another issuer")]
    IssuerMismatch,
    /// The JWKS document is not `{"keys": [...]}`.
    #[error("the JWKS document is invalid")]
    Jwks,
    /// The token endpoint's answer is not a usable token response.
    #[error("the token response is invalid: {0}")]
    TokenResponse(&'static str),
    /// The ID token failed a JWS or JWT check.
    #[error("the ID token is invalid: {0}")]
    IdToken(VerifyError),
    /// `aud` lists several audiences and `azp` is missing, or `azp` is not our client id
    /// (OIDC Core §3.1.3.7 items 4 and 5).
    #[error("the ID token's azp is not this client")]
    AuthorizedParty,
    /// `iat` is missing, in the future or too old.
    #[error("the ID token's iat is missing or out of range")]
    IssuedAt,
    /// `sub` is missing, empty or longer than 255 characters (OIDC Core §2).
    #[error("the ID token's sub is missing or invalid")]
    Subject,
    /// `nonce` is missing or not the one this sign-in sent (OIDC Core §3.1.3.7 item 11).
    #[error("the ID token's nonce does not match")]
    NonceMismatch,
    /// The provider says the email address is not verified.
    #[error("the provider says the email address is not verified")]
    EmailUnverified,
}

impl RpError {
    /// The stable reason recorded in the audit log (`sso.sign_in_failed`).
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Discovery(_) => "discovery_invalid",
            Self::IssuerMismatch => "discovery_issuer_mismatch",
            Self::Jwks => "jwks_invalid",
            Self::TokenResponse(_) => "token_response_invalid",
            Self::IdToken(e) => match e {
                VerifyError::Malformed => "id_token_invalid:malformed",
                VerifyError::Algorithm => "id_token_invalid:algorithm",
                VerifyError::UnknownKey => "id_token_invalid:unknown_key",
                VerifyError::Signature => "id_token_invalid:signature",
                VerifyError::Type => "id_token_invalid:type",
                VerifyError::Issuer => "id_token_invalid:issuer",
                VerifyError::Audience => "id_token_invalid:audience",
                VerifyError::Expired => "id_token_invalid:expired",
                VerifyError::NotYetValid => "id_token_invalid:not_yet_valid",
                VerifyError::Claims => "id_token_invalid:claims",
            },
            Self::AuthorizedParty => "id_token_invalid:azp",
            Self::IssuedAt => "id_token_invalid:iat",
            Self::Subject => "id_token_invalid:sub",
            Self::NonceMismatch => "nonce_mismatch",
            Self::EmailUnverified => "email_unverified",
        }
    }
}
