//! Passwords: the length rule, hashing through the [`crate::ports::PasswordHasher`] port, and
//! checking a presented password at the same cost whether or not the account exists.

use super::flow::FailureReason;
use super::service::Auth;
use crate::error::{CoreError, Result};
use crate::model::Account;
use crate::ports::prelude::*;
use crate::product::AccountStatus;
use crate::types::Email;

/// Minimum password length (NIST SP 800-63B asks for at least 8; we ask 12).
pub const MIN_PASSWORD: usize = 12;
/// Maximum password length: long passphrases fit, unbounded hashing work does not.
pub const MAX_PASSWORD: usize = 128;

/// Checks a new password's length.
pub fn check_password(password: &str) -> Result<()> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        return Err(CoreError::validation(
            "password",
            format!("must be at least {MIN_PASSWORD} characters"),
        ));
    }
    if n > MAX_PASSWORD {
        return Err(CoreError::validation(
            "password",
            format!("must be at most {MAX_PASSWORD} characters"),
        ));
    }
    Ok(())
}

/// What a password check found.
pub(super) struct Checked {
    /// The account behind the email, if there is one (active or not, password right or not).
    pub known: Option<Account>,
    /// Whether the password is the account's and the account may sign in.
    pub accepted: bool,
    /// Why not, when the account is known and not accepted.
    pub reason: super::flow::FailureReason,
}

impl<S: Store> Auth<S> {
    /// Checks `password` against the account of `email`. An unknown address, an account without
    /// a password and a wrong password cost the same one hash verification (against the dummy
    /// hash when there is nothing else), so timing does not tell who has an account. A full
    /// hashing queue answers `Overloaded`.
    pub(super) async fn check_credentials(&self, email: &str, password: &str) -> Result<Checked> {
        let creds = match Email::parse(email) {
            Ok(e) => self.store.reader().await?.find_credentials(e.as_str()).await?,
            Err(_) => None,
        };
        let hash = creds
            .as_ref()
            .and_then(|c| c.password_hash.clone())
            .unwrap_or_else(|| self.dummy_hash.clone());
        let matches = self.hasher.verify(password.to_owned(), hash).await?;
        let reason = match &creds {
            Some(c) if c.password_hash.is_none() => FailureReason::NoPassword,
            Some(_) if !matches => FailureReason::WrongPassword,
            Some(c) if c.account.status != AccountStatus::Active => FailureReason::Deactivated,
            _ => FailureReason::WrongPassword,
        };
        let accepted = creds
            .as_ref()
            .is_some_and(|c| matches && c.password_hash.is_some() && c.account.status == AccountStatus::Active);
        Ok(Checked {
            known: creds.map(|c| c.account),
            accepted,
            reason,
        })
    }

    /// Hashes a new password (already checked with [`check_password`]) for storing.
    pub(super) async fn hash_password(&self, password: &str) -> Result<String> {
        self.hasher.hash(password.to_owned()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_huge_passwords_are_refused() {
        assert!(check_password("short").is_err());
        assert!(check_password(&"x".repeat(129)).is_err());
        assert!(check_password("correct horse battery").is_ok());
    }
}
