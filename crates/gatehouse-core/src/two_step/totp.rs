//! Authenticator-app codes (TOTP, RFC 6238): SHA-1, six digits, 30-second steps, one step of
//! drift either way. The key is 160 random bits (RFC 4226 §4 recommends that length); it is
//! shown once at enrolment and kept sealed with the operator's key.
//!
//! A code is accepted once: [`check`] answers the step it matched, and the caller accepts it
//! only if that step is later than the last one used (RFC 6238 §5.2), in one conditional
//! statement so two posts of one code at the same moment cannot both pass.

use crate::Timestamp;
use crate::error::{CoreError, Result};
use totp_rs::{Algorithm, Builder, Secret, Totp};
use zeroize::Zeroizing;

/// Seconds per step.
pub const STEP_SECS: u64 = 30;
/// Digits per code.
pub const DIGITS: u8 = 6;
/// Steps of drift accepted on either side of now.
pub const SKEW: u16 = 1;
/// The issuer authenticator apps show next to the account's name.
pub const ISSUER: &str = "Gatehouse";

/// A new random key (20 bytes).
pub fn new_key() -> Result<Zeroizing<Vec<u8>>> {
    let mut key = Zeroizing::new(vec![0u8; 20]);
    getrandom::fill(&mut key).map_err(CoreError::internal)?;
    Ok(key)
}

fn totp(key: &[u8], account_name: &str) -> Result<Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(SKEW)
        .with_step_duration(STEP_SECS)
        .with_secret(Secret::from(key.to_vec()))
        .with_issuer(Some(ISSUER))
        // The otpauth label may not hold a colon; an email address never does.
        .with_account_name(account_name.replace(':', ""))
        .build()
        .map_err(|e| CoreError::Internal(format!("totp: {e}")))
}

/// The key as people type it into an app: unpadded base32, in groups of four.
pub fn key_text(key: &[u8]) -> String {
    let plain = Secret::from(key.to_vec()).to_base32();
    let chars: Vec<char> = plain.trim_end_matches('=').chars().collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The key of its text as [`key_text`] shows it (spaces and case do not matter), if it is one.
pub fn key_from_text(text: &str) -> Option<Vec<u8>> {
    let plain: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    Some(
        Secret::try_from_base32(plain.to_ascii_uppercase())
            .ok()?
            .as_bytes()
            .to_vec(),
    )
}

/// The `otpauth://totp/...` URI an app scans from the QR code.
pub fn otpauth_uri(key: &[u8], account_name: &str) -> Result<String> {
    totp(key, account_name)?
        .to_url()
        .map_err(|e| CoreError::Internal(format!("totp uri: {e}")))
}

/// The step a code matches at `now` (within one step either side), if any. Anything but six
/// ASCII digits (spaces allowed, as apps show them in groups) matches nothing.
pub fn check(key: &[u8], code: &str, now: Timestamp) -> Result<Option<i64>> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != usize::from(DIGITS) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let Ok(secs) = u64::try_from(now.millis().div_euclid(1000)) else {
        return Ok(None);
    };
    let matched = totp(key, "check")?.check(&code, secs);
    Ok(matched.and_then(|s| i64::try_from(s).ok()))
}

/// The code of `key` at `now` (tests and the test kit compute codes as an app would).
pub fn code_at(key: &[u8], now: Timestamp) -> Result<String> {
    let secs = u64::try_from(now.millis().div_euclid(1000)).map_err(CoreError::internal)?;
    Ok(totp(key, "code")?.generate(secs).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B: the SHA-1 seed, eight digits, at each listed time.
    #[test]
    fn the_rfc_6238_test_vectors_hold() {
        let seed = b"12345678901234567890";
        let vectors = [
            (59_u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        let eight = Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(8)
            .with_skew(0)
            .with_step_duration(30)
            .with_secret(Secret::from(seed.to_vec()))
            .build()
            .unwrap();
        for (t, want) in vectors {
            assert_eq!(eight.generate(t).to_string(), want, "T = {t}");
        }
        // Our six-digit codes are the last six digits of the same values (RFC 4226 §5.3).
        for (t, want) in vectors {
            let now = Timestamp::from_millis(i64::try_from(t).unwrap() * 1000);
            assert_eq!(code_at(seed, now).unwrap(), want[2..], "T = {t}");
        }
    }

    #[test]
    fn a_code_matches_its_own_step_and_one_either_side_only() {
        let key = new_key().unwrap();
        let now = Timestamp::from_millis(1_700_000_015_000);
        let step = 1_700_000_015 / 30;
        let code = code_at(&key, now).unwrap();
        assert_eq!(check(&key, &code, now).unwrap(), Some(step));
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(check(&key, &spaced, now).unwrap(), Some(step));
        assert_eq!(check(&key, &code, now.plus_secs(30)).unwrap(), Some(step));
        assert_eq!(check(&key, &code, now.plus_secs(-30)).unwrap(), Some(step));
        assert_eq!(check(&key, &code, now.plus_secs(60)).unwrap(), None);
        assert_eq!(check(&key, &code, now.plus_secs(-60)).unwrap(), None);
        for bad in ["", "12345", "1234567", "12345a", "１２３４５６"] {
            assert_eq!(check(&key, bad, now).unwrap(), None, "{bad:?}");
        }
    }

    #[test]
    fn the_key_text_and_uri_carry_the_same_key() {
        let key = new_key().unwrap();
        let text = key_text(&key);
        assert_eq!(text.replace(' ', "").len(), 32);
        assert_eq!(key_from_text(&text).as_deref(), Some(key.as_slice()));
        assert_eq!(key_from_text(&text.to_lowercase()).as_deref(), Some(key.as_slice()));
        let uri = otpauth_uri(&key, "ada@example.com").unwrap();
        assert!(uri.starts_with("otpauth://totp/Gatehouse:ada%40example.com?"), "{uri}");
        assert!(uri.contains(&format!("secret={}", text.replace(' ', ""))), "{uri}");
        assert!(uri.contains("issuer=Gatehouse"), "{uri}");
    }
}
