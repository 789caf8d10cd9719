//! Throttles: every attempt (a sign-in, a reset request, a reset post) is counted before the
//! work it guards is done, in one transaction that either counts it against every limit or
//! refuses it and counts nothing. So however many attempts arrive at once, at most a limit's
//! worth get through; the attempt that reaches a limit locks the key, and each further
//! attempt after the lock ends doubles it.
//!
//! Sign-ins count against three keys: the email address from this client address (the small
//! limit: one person's typos lock only themselves, and only here), the email address from
//! anywhere (a higher ceiling against guessing spread over many addresses), and the client
//! address across every email (a higher ceiling still, so an office behind one NAT is not
//! locked by one person). A success, and an attempt that never ran (the hashing queue was
//! full), take their count back; nobody else's count is touched.

use super::service::Auth;
use crate::Timestamp;
use crate::audit::RequestMeta;
use crate::error::{CoreError, Result};
use crate::ports::prelude::*;
use sha2::{Digest, Sha256};
use std::net::IpAddr;

/// Lock length once `attempts` reach `limit`: 30 s, doubling with each attempt past it, at
/// most an hour.
pub fn backoff_secs(attempts: i64, limit: i64) -> i64 {
    let over = (attempts - limit).clamp(0, 7) as u32;
    (30_i64 << over).min(3600)
}

/// The email part of a key: a digest, so keys stay short whatever was typed.
fn email_part(email: &str) -> String {
    let digest = Sha256::digest(email.trim().to_lowercase().as_bytes());
    hex::encode(&digest[..16])
}

/// The client part of a key: an IPv4 address, or the /64 an IPv6 address is in (one host
/// usually holds a whole /64); anything else is "unknown".
fn client_part(meta: &RequestMeta) -> String {
    match meta.ip.as_deref().and_then(|s| s.parse::<IpAddr>().ok()) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                v4.to_string()
            } else {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        }
        None => "unknown".to_owned(),
    }
}

/// The throttle keys an attempt about one email address from one client counts against.
#[derive(Debug, Clone)]
pub(super) struct ThrottleKeys {
    /// This email address from this client.
    pub pair: String,
    /// This email address from anywhere.
    pub email: String,
    /// This client, whatever the email address.
    pub client: String,
    /// Reset requests for this email address.
    pub reset_request: String,
}

impl ThrottleKeys {
    pub(super) fn new(email: &str, meta: &RequestMeta) -> Self {
        let (email, client) = (email_part(email), client_part(meta));
        Self {
            pair: format!("pair:{email}:{client}"),
            email: format!("email:{email}"),
            client: format!("ip:{client}"),
            reset_request: format!("forgot:{email}"),
        }
    }

    /// The key of a client alone (reset posts name no email address).
    pub(super) fn client(meta: &RequestMeta) -> String {
        format!("ip:{}", client_part(meta))
    }
}

/// An attempt that was counted: the keys and limits it counts against, and whether counting
/// it locked any of them.
#[derive(Debug, Clone)]
pub(super) struct Admission {
    limits: Vec<(String, i64)>,
    /// This attempt reached a limit and locked its key.
    pub locked: bool,
}

impl Admission {
    /// No attempt counted (a sign-in no password was tried for).
    pub(super) fn none() -> Self {
        Self {
            limits: Vec::new(),
            locked: false,
        }
    }
}

impl<S: Store> Auth<S> {
    /// Counts one attempt against every `(key, limit)`, or refuses it with `RateLimited`
    /// (and counts nothing) while any of them is locked.
    pub(super) async fn admit(&self, limits: Vec<(String, i64)>, now: Timestamp) -> Result<Admission> {
        let window = self.policy.window_secs;
        let mut tx = self.store.begin().await?;
        let mut locked = false;
        for (key, limit) in &limits {
            let Some(attempts) = tx.count_attempt(key, now, now.plus_secs(window)).await? else {
                // Dropping the transaction takes back the keys counted before this one.
                let until = tx.throttle_locked_until(key).await?;
                let secs = ((until - now.millis()) / 1000).max(1) as u64;
                return Err(CoreError::RateLimited { retry_after_secs: secs });
            };
            if attempts >= *limit {
                let until = now.plus_secs(backoff_secs(attempts, *limit));
                tx.lock_attempts(key, until, until.plus_secs(window)).await?;
                locked = true;
            }
        }
        tx.commit().await?;
        Ok(Admission { limits, locked })
    }

    /// Takes back an admitted attempt that never ran (the hashing queue was full).
    pub(super) async fn refund(&self, admission: &Admission) -> Result<()> {
        let mut tx = self.store.begin().await?;
        refund_in(&mut tx, admission).await?;
        tx.commit().await
    }

    /// The limits of a sign-in as `keys`.
    pub(super) fn sign_in_limits(&self, keys: &ThrottleKeys) -> Vec<(String, i64)> {
        let p = &self.policy;
        vec![
            (keys.pair.clone(), p.attempts),
            (keys.email.clone(), p.email_ceiling),
            (keys.client.clone(), p.ip_ceiling),
        ]
    }

    /// The limits of a reset request for the email of `keys`: as many mails per address as a
    /// person has sign-in attempts, and the client's ceiling.
    pub(super) fn reset_request_limits(&self, keys: &ThrottleKeys) -> Vec<(String, i64)> {
        vec![
            (keys.reset_request.clone(), self.policy.attempts),
            (keys.client.clone(), self.policy.ip_ceiling),
        ]
    }
}

/// Takes back an attempt inside the caller's transaction.
pub(super) async fn refund_in<T: ThrottleTx + Send>(tx: &mut T, admission: &Admission) -> Result<()> {
    for (key, limit) in &admission.limits {
        tx.refund_attempt(key, *limit).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_starts_at_thirty_seconds_doubles_and_caps_at_an_hour() {
        assert_eq!(backoff_secs(5, 5), 30);
        assert_eq!(backoff_secs(6, 5), 60);
        assert_eq!(backoff_secs(9, 5), 480);
        assert_eq!(backoff_secs(50, 5), 3600);
    }

    #[test]
    fn keys_are_bounded_whatever_was_typed_and_count_the_address_as_typed() {
        let meta = RequestMeta {
            ip: Some("192.0.2.1".into()),
            user_agent: None,
        };
        let k = ThrottleKeys::new("  Ada@Example.COM ", &meta);
        assert_eq!(k.pair, ThrottleKeys::new("ada@example.com", &meta).pair);
        assert!(k.pair.starts_with("pair:") && k.pair.ends_with(":192.0.2.1"));
        assert_eq!(k.client, "ip:192.0.2.1");
        let huge = ThrottleKeys::new(&"x".repeat(100_000), &meta);
        assert!(huge.pair.len() < 80 && huge.email.len() < 60, "{huge:?}");
        assert_eq!(ThrottleKeys::client(&RequestMeta::default()), "ip:unknown");
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_slash_64() {
        let at = |ip: &str| {
            ThrottleKeys::client(&RequestMeta {
                ip: Some(ip.into()),
                user_agent: None,
            })
        };
        assert_eq!(at("2001:db8:1:2::1"), at("2001:db8:1:2:ffff::9"));
        assert_ne!(at("2001:db8:1:2::1"), at("2001:db8:1:3::1"));
        assert_eq!(at("::ffff:192.0.2.7"), "ip:192.0.2.7");
        assert_eq!(at("not an address"), "ip:unknown");
    }
}
