//! Lockout: failures counted per email address (known or not) and per client address, each
//! locked with a growing backoff once past its threshold.

use super::service::Auth;
use crate::Timestamp;
use crate::audit::AuditAction;
use crate::audit::{Actor, AuditEvent, RequestMeta};
use crate::authz::account_actor;
use crate::error::{CoreError, Result};
use crate::model::Account;
use crate::ports::prelude::*;

/// Lock length after `failures` (at or past the threshold): 30 s, doubling, at most an hour.
pub fn backoff_secs(failures: i64, threshold: i64) -> i64 {
    let over = (failures - threshold).clamp(0, 7) as u32;
    (30_i64 << over).min(3600)
}

/// The throttle counters one sign-in attempt counts against.
#[derive(Debug, Clone)]
pub(super) struct ThrottleKeys {
    /// Per email address as typed (normalized), so unknown addresses lock too.
    pub email: String,
    /// Per client address.
    pub ip: String,
}

impl ThrottleKeys {
    pub(super) fn new(email: &str, meta: &RequestMeta) -> Self {
        Self {
            email: format!("email:{}", email.trim().to_lowercase()),
            ip: format!("ip:{}", meta.ip.as_deref().unwrap_or("unknown")),
        }
    }
}

impl<S: Store> Auth<S> {
    /// Refuses the attempt with `RateLimited` while either counter is locked.
    pub(super) async fn check_throttle(&self, keys: &ThrottleKeys, now: Timestamp) -> Result<()> {
        let locked_until = self
            .store
            .reader()
            .await?
            .throttle_locked_until(&[keys.email.clone(), keys.ip.clone()])
            .await?;
        if locked_until > now.millis() {
            let secs = ((locked_until - now.millis()) / 1000).max(1) as u64;
            return Err(CoreError::RateLimited { retry_after_secs: secs });
        }
        Ok(())
    }

    /// Counts a failed attempt against both keys, locks a key past its threshold, and records
    /// the failure (and any lock) in the logs of the organizations the account administers.
    pub(super) async fn record_failure(
        &self,
        known: Option<&Account>,
        keys: &ThrottleKeys,
        meta: &RequestMeta,
        now: Timestamp,
    ) -> Result<()> {
        let window = now.plus_secs(-self.policy.window_secs);
        let mut tx = self.store.begin().await?;
        let mut locked = false;
        for (key, threshold) in [
            (&keys.email, self.policy.email_threshold),
            (&keys.ip, self.policy.ip_threshold),
        ] {
            let failures = tx.record_throttle_failure(key, now, window).await?;
            if failures >= threshold {
                tx.lock_throttle(key, now.plus_secs(backoff_secs(failures, threshold)))
                    .await?;
                locked = true;
            }
        }
        // Only accounts that administer an organization have a log to write to; unknown
        // addresses leave a trace in the server log alone.
        if let Some(a) = known {
            for org in tx.list_admin_orgs(a.id).await? {
                let ev = AuditEvent::new(org.id, &account_actor(a), meta, AuditAction::AuthSignInFailed, now).target(
                    "account",
                    a.id,
                    Some(&a.email),
                );
                tx.insert_event(&ev).await?;
                if locked {
                    let ev = AuditEvent::new(org.id, &Actor::system("sign-in"), meta, AuditAction::AuthLockedOut, now)
                        .target("account", a.id, Some(&a.email));
                    tx.insert_event(&ev).await?;
                }
            }
        }
        tx.commit().await
    }
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
    fn keys_count_the_address_as_typed_and_the_client() {
        let meta = RequestMeta {
            ip: Some("192.0.2.1".into()),
            user_agent: None,
        };
        let k = ThrottleKeys::new("  Ada@Example.COM ", &meta);
        assert_eq!(k.email, "email:ada@example.com");
        assert_eq!(k.ip, "ip:192.0.2.1");
        assert_eq!(ThrottleKeys::new("x", &RequestMeta::default()).ip, "ip:unknown");
    }
}
