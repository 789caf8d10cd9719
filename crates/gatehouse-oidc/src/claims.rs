//! The claims of the tokens this provider signs.
//!
//! The server builds them: it alone knows the account, the session and the grant. The rules it
//! follows are written on each field.

use serde::{Deserialize, Serialize};

/// The `typ` header of ID tokens.
pub const TYP_ID_TOKEN: &str = "JWT";
/// The `typ` header of access tokens (RFC 9068 §2.1).
pub const TYP_ACCESS_TOKEN: &str = "at+jwt";
/// The `typ` header of logout tokens (OIDC Back-Channel Logout 1.0 §2.4).
pub const TYP_LOGOUT_TOKEN: &str = "logout+jwt";
/// The one event of a logout token (OIDC Back-Channel Logout 1.0 §2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// Authentication method references registered by RFC 8176 §2 that Gatehouse can report.
///
/// There is no registered value for "signed in through another identity provider"; for such a
/// sign-in the server reports the IdP's own `amr` values when they are registered ones, or none.
pub mod amr {
    /// Password.
    pub const PWD: &str = "pwd";
    /// One-time password (TOTP).
    pub const OTP: &str = "otp";
    /// Proof of possession of a hardware-secured key (a passkey on a security key or platform).
    pub const HWK: &str = "hwk";
    /// Proof of possession of a software-secured key.
    pub const SWK: &str = "swk";
    /// Multiple-factor authentication; sent together with the methods used.
    pub const MFA: &str = "mfa";
    /// A user-presence test (a WebAuthn UP flag).
    pub const USER: &str = "user";
    /// A personal identification number or pattern (a WebAuthn UV flag by PIN).
    pub const PIN: &str = "pin";
    /// Confirmation by a code sent by SMS.
    pub const SMS: &str = "sms";
    /// Fingerprint biometric.
    pub const FPT: &str = "fpt";
    /// Facial recognition.
    pub const FACE: &str = "face";
    /// Every value registered by RFC 8176 §2, to check values received from elsewhere.
    pub const REGISTERED: &[&str] = &[
        "face", "fpt", "geo", "hwk", "iris", "kba", "mca", "mfa", "otp", "pin", "pwd", "rba", "retina", "sc", "sms",
        "swk", "tel", "user", "vbm", "wia",
    ];

    /// Whether `value` is registered by RFC 8176 §2.
    pub fn is_registered(value: &str) -> bool {
        REGISTERED.contains(&value)
    }
}

/// An ID token (OIDC Core §2, §3.1.3.6), signed with `typ` [`TYP_ID_TOKEN`].
///
/// - `sub` is the account id: stable, the same for every client, never the email.
/// - `email` and `email_verified` only when the grant has the `email` scope; `email_verified`
///   is true only after a mailed link or an IdP assertion proved the address.
/// - `name` only with the `profile` scope.
/// - `nonce` copied from the authorization request when it had one (§3.1.2.1).
/// - `org_id` is the organization of the client (Gatehouse's own claim).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    /// The issuer URL.
    pub iss: String,
    /// The account id.
    pub sub: String,
    /// The client id.
    pub aud: String,
    /// Expiry, unix seconds.
    pub exp: i64,
    /// Issue time, unix seconds.
    pub iat: i64,
    /// When the person last actively signed in, unix seconds.
    pub auth_time: i64,
    /// The request's nonce.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// RFC 8176 method references ([`amr`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
    /// The authorized party: the client id (OIDC Core §2).
    pub azp: String,
    /// The Gatehouse session id, for back-channel logout (OIDC Back-Channel Logout 1.0 §2.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The address, with the `email` scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether the address was proven, with the `email` scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// The display name, with the `profile` scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The client's organization.
    pub org_id: String,
}

/// A JWT access token (RFC 9068 §2.2), signed with `typ` [`TYP_ACCESS_TOKEN`].
///
/// `aud` is the client. For `client_credentials` there is no person: `sub` is the client id
/// (RFC 9068 §2.2) and `auth_time`, `amr` and `sid` are absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    /// The issuer URL.
    pub iss: String,
    /// The account id, or the client id for `client_credentials`.
    pub sub: String,
    /// The client id.
    pub aud: String,
    /// Expiry, unix seconds.
    pub exp: i64,
    /// Issue time, unix seconds.
    pub iat: i64,
    /// A unique id, for revocation lists and replay detection.
    pub jti: String,
    /// The client the token was issued to.
    pub client_id: String,
    /// The granted scopes, space-separated.
    pub scope: String,
    /// When the person last actively signed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// RFC 8176 method references.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    /// The client's organization.
    pub org_id: String,
    /// Gatehouse's private claim: the grant (one authorization code and the refresh tokens that
    /// follow from it) this token belongs to. Revoking the grant revokes every token carrying
    /// its id, which is how a replayed code or a reused refresh token ends the whole family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<String>,
    /// The Gatehouse session id, when a person signed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// The `events` claim of a logout token: exactly the back-channel logout event with an empty
/// object (OIDC Back-Channel Logout 1.0 §2.4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutEvents {
    /// The back-channel logout event; its value is always `{}`.
    #[serde(rename = "http://schemas.openid.net/event/backchannel-logout")]
    pub backchannel_logout: serde_json::Map<String, serde_json::Value>,
}

/// A logout token (OIDC Back-Channel Logout 1.0 §2.4), signed with `typ` [`TYP_LOGOUT_TOKEN`]
/// and POSTed to the client's `backchannel_logout_uri`. It never has a `nonce` (§2.4: that would
/// let it pass for an ID token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutTokenClaims {
    /// The issuer URL.
    pub iss: String,
    /// The client id.
    pub aud: String,
    /// Issue time, unix seconds.
    pub iat: i64,
    /// Expiry, unix seconds; two minutes is plenty.
    pub exp: i64,
    /// A unique id, so the client can refuse a replay.
    pub jti: String,
    /// The account id.
    pub sub: String,
    /// The ended session, as in the ID tokens' `sid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The back-channel logout event.
    pub events: LogoutEvents,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn logout_token_has_the_event_and_no_nonce() {
        let claims = LogoutTokenClaims {
            iss: "https://id.example.com".into(),
            aud: "c1".into(),
            iat: 100,
            exp: 220,
            jti: "j1".into(),
            sub: "acc1".into(),
            sid: Some("s1".into()),
            events: LogoutEvents::default(),
        };
        let value = serde_json::to_value(&claims).unwrap();
        assert_eq!(value["events"], json!({BACKCHANNEL_LOGOUT_EVENT: {}}));
        assert!(value.get("nonce").is_none());
    }

    #[test]
    fn optional_id_token_claims_are_left_out() {
        let claims = IdTokenClaims {
            iss: "i".into(),
            sub: "s".into(),
            aud: "a".into(),
            exp: 2,
            iat: 1,
            auth_time: 1,
            nonce: None,
            amr: vec![],
            azp: "a".into(),
            sid: None,
            email: None,
            email_verified: None,
            name: None,
            org_id: "o".into(),
        };
        let value = serde_json::to_value(&claims).unwrap();
        let mut keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["aud", "auth_time", "azp", "exp", "iat", "iss", "org_id", "sub"]);
    }

    #[test]
    fn our_amr_values_are_registered() {
        for v in [
            amr::PWD,
            amr::OTP,
            amr::HWK,
            amr::SWK,
            amr::MFA,
            amr::USER,
            amr::PIN,
            amr::SMS,
            amr::FPT,
            amr::FACE,
        ] {
            assert!(amr::is_registered(v), "{v}");
        }
        assert!(!amr::is_registered("fed"));
    }
}
