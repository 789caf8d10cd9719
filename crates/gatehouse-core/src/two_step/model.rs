//! What an account has enrolled, and the records that carry a sign-in between its steps.

use crate::Timestamp;
use crate::ids::{AccountId, OrgId};

/// A second step a person can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// A code from an authenticator app.
    Totp,
    /// A security key or passkey (WebAuthn).
    SecurityKey,
    /// One of the account's recovery codes.
    RecoveryCode,
    /// A code mailed to the account's address.
    EmailCode,
}

impl Method {
    /// The stable name (events, forms, the API).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::SecurityKey => "security_key",
            Self::RecoveryCode => "recovery_code",
            Self::EmailCode => "email_code",
        }
    }

    /// The method of a stable name.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Totp, Self::SecurityKey, Self::RecoveryCode, Self::EmailCode]
            .into_iter()
            .find(|m| m.as_str() == name)
    }
}

/// An account's authenticator app: the sealed key, once confirmed by a first code, and the
/// last step a code was accepted for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpAuthenticator {
    pub account_id: AccountId,
    /// Names the key in its sealing context.
    pub id: String,
    pub sealed_key: String,
    pub confirmed_at: Timestamp,
    pub last_step: i64,
}

/// An enrolment waiting for its first code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingTotp {
    pub account_id: AccountId,
    pub id: String,
    pub sealed_key: String,
    pub created_at: Timestamp,
}

/// The sealing context of an authenticator key: the key is bound to its row.
pub fn totp_context(id: &str) -> String {
    format!("totp.key:{id}")
}

/// A security key or passkey of an account. `passkey` is the credential as the WebAuthn
/// library keeps it (public key, id, counter): nothing in it is secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SecurityKey {
    pub id: uuid::Uuid,
    #[serde(skip)]
    pub account_id: AccountId,
    /// The credential id, base64url.
    pub credential_id: String,
    pub name: String,
    #[serde(skip)]
    pub passkey: String,
    /// The signature counter last accepted (0 for authenticators that keep none).
    #[serde(skip)]
    pub counter: i64,
    /// Whether the credential can be synced between devices (a passkey in a password
    /// manager) rather than bound to one piece of hardware.
    pub backup_eligible: bool,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

/// What a WebAuthn ceremony is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyPurpose {
    /// Adding a security key or passkey to the signed-in account.
    Register,
    /// The second step of a pending sign-in.
    SecondStep,
    /// A passkey sign-in with no password (the account is found from the credential).
    Passwordless,
}

impl CeremonyPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::SecondStep => "second_step",
            Self::Passwordless => "passwordless",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Register, Self::SecondStep, Self::Passwordless]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// The server's half of a WebAuthn ceremony between its two requests, taken once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ceremony {
    /// The digest of the ceremony's token (the browser holds the token).
    pub digest: String,
    pub account_id: Option<AccountId>,
    pub purpose: CeremonyPurpose,
    /// The library's state (the challenge and what it allows), as JSON.
    pub state: String,
    pub expires_at: Timestamp,
}

/// A sign-in whose password passed and whose second step is due. The browser holds its token;
/// it ends at its first success, after a few failures, or when it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSignIn {
    pub digest: String,
    pub account_id: AccountId,
    /// The organization whose enforced SSO the password passed as a break-glass admin.
    pub break_glass: Option<OrgId>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// Attempts at the second step so far, each counted before it was checked.
    pub attempts: i64,
    /// The digest of the code last mailed for this sign-in, and when it stops working.
    pub email_code: Option<(String, Timestamp)>,
    /// What this sign-in waits for.
    pub stage: PendingStage,
    /// A new password is due once this stage passed (the password expired, or its facts
    /// fail the account's policy).
    pub password_due: bool,
    /// What the steps passed so far proved (RFC 8176).
    pub amr: Vec<String>,
}

/// What a pending sign-in waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingStage {
    /// The second step of an enrolled account (or the mailed code).
    SecondStep,
    /// Enrolment: the account's policy requires two-step verification and it has no method.
    Enrol,
    /// A new password: every other step passed.
    Password,
}

impl PendingStage {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SecondStep => "second_step",
            Self::Enrol => "enrol",
            Self::Password => "password",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::SecondStep, Self::Enrol, Self::Password]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// Whether these methods are a second step of their own: an app or a key. Recovery codes back
/// one up; they are not one by themselves.
pub fn enrolled(methods: &[Method]) -> bool {
    methods.iter().any(|m| matches!(m, Method::Totp | Method::SecurityKey))
}

/// What an account has enrolled, without any secret: the person's page, the console and the
/// API show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Enrolment {
    /// When the authenticator app was confirmed.
    pub totp: Option<Timestamp>,
    pub security_keys: Vec<SecurityKey>,
    /// Unused recovery codes.
    pub recovery_codes_left: i64,
}

impl Enrolment {
    /// Whether the account has a second step of its own (see [`enrolled`]).
    pub fn is_enrolled(&self) -> bool {
        enrolled(&self.methods())
    }

    /// The methods enrolled, for lists and events.
    pub fn methods(&self) -> Vec<Method> {
        let mut m = Vec::new();
        if self.totp.is_some() {
            m.push(Method::Totp);
        }
        if !self.security_keys.is_empty() {
            m.push(Method::SecurityKey);
        }
        if self.recovery_codes_left > 0 {
            m.push(Method::RecoveryCode);
        }
        m
    }
}
