//! Two-step verification: after the password, a second proof the person holds: a code from an
//! authenticator app, a security key or passkey, one of their recovery codes, or (for an
//! account a policy covers that has nothing else) a code mailed to them. A passkey with user
//! verification is both steps at once.
//!
//! What each sign-in used is recorded with its session as RFC 8176 method references
//! ([`amr`]), which products read from their ID tokens.

mod model;
pub mod recovery;
pub mod totp;

pub use model::{
    Ceremony, CeremonyPurpose, Enrolment, Method, PendingSignIn, PendingStage, PendingTotp, SecurityKey,
    TotpAuthenticator, enrolled, totp_context,
};

/// RFC 8176 method references of a sign-in.
pub mod amr {
    use super::Method;

    /// A password alone.
    pub fn password() -> Vec<String> {
        vec!["pwd".to_owned()]
    }

    /// A password and then `method`. A security key counts as hardware unless it can be synced.
    pub fn password_and(method: Method, synced_key: bool) -> Vec<String> {
        let second = match method {
            Method::Totp | Method::EmailCode => Some("otp"),
            Method::SecurityKey if synced_key => Some("swk"),
            Method::SecurityKey => Some("hwk"),
            // No registered value names a recovery code: the password and "mfa" say enough.
            Method::RecoveryCode => None,
        };
        let mut v = vec!["pwd".to_owned()];
        v.extend(second.map(str::to_owned));
        v.push("mfa".to_owned());
        v
    }

    /// A passkey with user verification, no password: the key and the PIN or biometric that
    /// unlocked it are two factors.
    pub fn passkey(synced: bool) -> Vec<String> {
        vec![if synced { "swk" } else { "hwk" }.to_owned(), "mfa".to_owned()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_sign_in_names_its_methods() {
        assert_eq!(amr::password(), ["pwd"]);
        assert_eq!(amr::password_and(Method::Totp, false), ["pwd", "otp", "mfa"]);
        assert_eq!(amr::password_and(Method::SecurityKey, false), ["pwd", "hwk", "mfa"]);
        assert_eq!(amr::password_and(Method::SecurityKey, true), ["pwd", "swk", "mfa"]);
        assert_eq!(amr::password_and(Method::RecoveryCode, false), ["pwd", "mfa"]);
        assert_eq!(amr::password_and(Method::EmailCode, false), ["pwd", "otp", "mfa"]);
        assert_eq!(amr::passkey(false), ["hwk", "mfa"]);
        for m in [
            Method::Totp,
            Method::SecurityKey,
            Method::RecoveryCode,
            Method::EmailCode,
        ] {
            assert_eq!(Method::parse(m.as_str()), Some(m));
        }
    }
}
