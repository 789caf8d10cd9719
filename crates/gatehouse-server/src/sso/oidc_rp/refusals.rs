//! Why a sign-in through an OIDC provider was refused before the core saw who it was: the
//! stable reasons the audit log records (`sso.sign_in_failed`), and the plain words the
//! person reads. The core's own refusals (email outside the domains, a deactivated account...)
//! come from `services.sso.finish`.

use gatehouse_core::services::sso::SsoRefusal;
use gatehouse_oidc::rp::RpError;

const START_AGAIN: &str = "Your identity provider's answer could not be accepted. Start again; if this keeps happening, \
                           ask your administrator.";
const UNREACHABLE: &str = "Gatehouse could not reach your identity provider or read its settings. Try again later, or \
                           ask your administrator.";

/// The callback's `state` names no started sign-in of this provider: forged, replayed, or
/// older than the sign-in's ten minutes.
pub const STATE_UNKNOWN: SsoRefusal = SsoRefusal::new(
    "state_unknown",
    "This sign-in answers no request of ours, was used already, or took too long. Start again.",
);
/// The provider answered with `error` (the person cancelled, or it refused them).
pub const IDP_ERROR: SsoRefusal = SsoRefusal::new(
    "idp_error",
    "Your identity provider did not sign you in. Start again, or ask your administrator.",
);
/// The callback has neither `code` nor `error`, or its query does not parse.
pub const CALLBACK_INVALID: SsoRefusal = SsoRefusal::new("callback_invalid", START_AGAIN);
/// The callback's `iss` (RFC 9207) is not the provider's issuer: a mix-up attack, or a
/// misrouted answer.
pub const ISSUER_MISMATCH: SsoRefusal = SsoRefusal::new("callback_issuer_mismatch", START_AGAIN);
/// The discovery document could not be fetched or is not JSON.
pub const DISCOVERY_FAILED: SsoRefusal = SsoRefusal::new("discovery_failed", UNREACHABLE);
/// The JWKS could not be fetched or is not JSON.
pub const JWKS_FAILED: SsoRefusal = SsoRefusal::new("jwks_failed", UNREACHABLE);
/// The JWKS is not `{"keys": [...]}`.
pub const JWKS_INVALID: SsoRefusal = SsoRefusal::new("jwks_invalid", UNREACHABLE);
/// The token endpoint refused the code or could not be reached.
pub const TOKEN_EXCHANGE_FAILED: SsoRefusal = SsoRefusal::new("token_exchange_failed", START_AGAIN);
/// The provider has no client secret we can open (never set, or sealed under a key this
/// server no longer has).
pub const SECRET_UNAVAILABLE: SsoRefusal = SsoRefusal::new(
    "client_secret_unavailable",
    "This identity provider is not set up completely. Ask your administrator.",
);

/// The refusal of a relying-party check, named by its stable reason.
pub fn of(e: &RpError) -> SsoRefusal {
    let message = match e {
        RpError::Discovery(_) | RpError::IssuerMismatch | RpError::Jwks => UNREACHABLE,
        RpError::EmailUnverified => {
            "Your identity provider says your email address is not verified. Ask your administrator."
        }
        RpError::TokenResponse(_)
        | RpError::IdToken(_)
        | RpError::AuthorizedParty
        | RpError::IssuedAt
        | RpError::Subject
        | RpError::NonceMismatch => START_AGAIN,
    };
    SsoRefusal::new(e.reason(), message)
}
