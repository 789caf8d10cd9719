//! Console sign-in: passwords, sessions, lockout with backoff, and password reset links.

use crate::Timestamp;
use crate::audit::{Actor, ActorKind, AuditEvent, RequestMeta};
use crate::authz::OrgAdmin;
use crate::error::{CoreError, Result};
use crate::ids::{AccountId, OrgId};
use crate::model::{Account, Org, Session};
use crate::ports::{Clock, Mail, Mailer, PasswordHasher, prelude::*};
use crate::product::AccountStatus;
use crate::secret;
use crate::types::Email;
use std::sync::Arc;

/// Session and lockout rules.
#[derive(Debug, Clone)]
pub struct SignInPolicy {
    /// A session unused for this long ends.
    pub idle_secs: i64,
    /// A session ends this long after sign-in, however active.
    pub absolute_secs: i64,
    /// Failures per email address before it is locked.
    pub email_threshold: i64,
    /// Failures per client address before it is locked.
    pub ip_threshold: i64,
    /// Failures older than this are forgotten.
    pub window_secs: i64,
    /// How long a password reset link works.
    pub reset_secs: i64,
}

impl Default for SignInPolicy {
    fn default() -> Self {
        Self {
            idle_secs: 30 * 60,
            absolute_secs: 12 * 3600,
            email_threshold: 5,
            ip_threshold: 20,
            window_secs: 15 * 60,
            reset_secs: 3600,
        }
    }
}

/// Lock length after `failures` (at or past the threshold): 30 s, doubling, at most an hour.
pub fn backoff_secs(failures: i64, threshold: i64) -> i64 {
    let over = (failures - threshold).clamp(0, 7) as u32;
    (30_i64 << over).min(3600)
}

/// Minimum and maximum password lengths (NIST SP 800-63B asks for at least 8; we ask 12).
pub const MIN_PASSWORD: usize = 12;
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

/// A session just opened: the cookie token (shown to the browser only) and its CSRF token.
#[derive(Debug)]
pub struct OpenedSession {
    pub token: String,
    pub csrf: String,
    pub account: Account,
}

/// A live session, found from its cookie.
#[derive(Debug, Clone)]
pub struct ActiveSession {
    pub digest: String,
    pub session: Session,
    pub account: Account,
}

/// Sign-in, sessions and password resets.
pub struct SignIn<S: Store> {
    store: S,
    clock: Arc<dyn Clock>,
    hasher: Arc<dyn PasswordHasher>,
    mailer: Arc<dyn Mailer>,
    policy: SignInPolicy,
    public_url: String,
    /// Verified against when the email is unknown, so both paths cost one hash.
    dummy_hash: String,
}

impl<S: Store> Clone for SignIn<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            clock: self.clock.clone(),
            hasher: self.hasher.clone(),
            mailer: self.mailer.clone(),
            policy: self.policy.clone(),
            public_url: self.public_url.clone(),
            dummy_hash: self.dummy_hash.clone(),
        }
    }
}

fn account_actor(a: &Account) -> Actor {
    Actor {
        kind: ActorKind::Account,
        id: Some(a.id.to_string()),
        label: a.email.clone(),
    }
}

fn invalid() -> CoreError {
    CoreError::Unauthenticated {
        code: "invalid_credentials",
        message: "Incorrect email or password.".into(),
    }
}

impl<S: Store> SignIn<S> {
    pub async fn new(
        store: S,
        clock: Arc<dyn Clock>,
        hasher: Arc<dyn PasswordHasher>,
        mailer: Arc<dyn Mailer>,
        policy: SignInPolicy,
        public_url: String,
    ) -> Result<Self> {
        let mut salt_source = [0u8; 16];
        getrandom::fill(&mut salt_source).map_err(CoreError::internal)?;
        let dummy_hash = hasher.hash(hex::encode(salt_source)).await?;
        Ok(Self {
            store,
            clock,
            hasher,
            mailer,
            policy,
            public_url,
            dummy_hash,
        })
    }

    pub fn policy(&self) -> &SignInPolicy {
        &self.policy
    }

    /// Checks email and password and opens a session. Every failure looks the same to the
    /// caller ("Incorrect email or password.") and costs the same hash, whether or not the
    /// account exists; locks are per email address (known or not) and per client address.
    pub async fn sign_in(&self, email: &str, password: &str, meta: &RequestMeta) -> Result<OpenedSession> {
        let now = self.clock.now();
        let email_key = format!("email:{}", email.trim().to_lowercase());
        let ip_key = format!("ip:{}", meta.ip.as_deref().unwrap_or("unknown"));
        let locked_until = self
            .store
            .reader()
            .await?
            .throttle_locked_until(&[email_key.clone(), ip_key.clone()])
            .await?;
        if locked_until > now.millis() {
            let secs = ((locked_until - now.millis()) / 1000).max(1) as u64;
            return Err(CoreError::RateLimited { retry_after_secs: secs });
        }
        let creds = match Email::parse(email) {
            Ok(e) => self.store.reader().await?.find_credentials(e.as_str()).await?,
            Err(_) => None,
        };
        let hash = creds
            .as_ref()
            .and_then(|c| c.password_hash.clone())
            .unwrap_or_else(|| self.dummy_hash.clone());
        let matches = self.hasher.verify(password.to_owned(), hash).await;
        let account = creds
            .filter(|c| matches && c.password_hash.is_some() && c.account.status == AccountStatus::Active)
            .map(|c| c.account);
        let orgs = match &account {
            Some(a) => self.store.reader().await?.list_admin_orgs(a.id).await?,
            None => Vec::new(),
        };
        match account {
            Some(a) if !orgs.is_empty() => self.open_session(a, &orgs, &email_key, meta, now).await,
            _ => {
                self.record_failure(email, &email_key, &ip_key, meta, now).await?;
                Err(invalid())
            }
        }
    }

    async fn open_session(
        &self,
        account: Account,
        orgs: &[Org],
        email_key: &str,
        meta: &RequestMeta,
        now: Timestamp,
    ) -> Result<OpenedSession> {
        let token = secret::mint("ghs")?;
        let csrf = secret::mint("csrf")?.value;
        let session = Session {
            account_id: account.id,
            csrf: csrf.clone(),
            created_at: now,
            last_seen_at: now,
            expires_at: now.plus_secs(self.policy.absolute_secs),
        };
        let mut tx = self.store.begin().await?;
        tx.clear_throttle(email_key).await?;
        tx.insert_session(&token.digest, &session, meta).await?;
        tx.update_account(&Account {
            last_active_at: Some(now),
            ..account.clone()
        })
        .await?;
        for org in orgs {
            let ev = AuditEvent::new(org.id, &account_actor(&account), meta, "auth.signed_in", now).target(
                "account",
                account.id,
                Some(&account.email),
            );
            tx.insert_event(&ev).await?;
        }
        tx.commit().await?;
        Ok(OpenedSession {
            token: token.value,
            csrf,
            account,
        })
    }

    async fn record_failure(
        &self,
        email: &str,
        email_key: &str,
        ip_key: &str,
        meta: &RequestMeta,
        now: Timestamp,
    ) -> Result<()> {
        let window = now.plus_secs(-self.policy.window_secs);
        let known = match Email::parse(email) {
            Ok(e) => self.store.reader().await?.find_account_by_email(e.as_str()).await?,
            Err(_) => None,
        };
        let mut tx = self.store.begin().await?;
        let mut locked = false;
        for (key, threshold) in [
            (email_key, self.policy.email_threshold),
            (ip_key, self.policy.ip_threshold),
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
        if let Some(a) = &known {
            for org in tx.list_admin_orgs(a.id).await? {
                let actor = Actor {
                    kind: ActorKind::Account,
                    id: Some(a.id.to_string()),
                    label: a.email.clone(),
                };
                let ev = AuditEvent::new(org.id, &actor, meta, "auth.sign_in_failed", now).target(
                    "account",
                    a.id,
                    Some(&a.email),
                );
                tx.insert_event(&ev).await?;
                if locked {
                    let ev = AuditEvent::new(org.id, &Actor::system("sign-in"), meta, "auth.locked_out", now).target(
                        "account",
                        a.id,
                        Some(&a.email),
                    );
                    tx.insert_event(&ev).await?;
                }
            }
        }
        tx.commit().await
    }

    /// The session behind a cookie token, if it is live: not past its absolute end, used within
    /// the idle timeout, and its account still active. Activity is recorded at most once a minute.
    pub async fn session(&self, token: &str) -> Result<Option<ActiveSession>> {
        if !token.starts_with("ghs_") || token.len() > 100 {
            return Ok(None);
        }
        let digest = secret::digest(token);
        let now = self.clock.now();
        let mut r = self.store.reader().await?;
        let Some(session) = r.find_session(&digest).await? else {
            return Ok(None);
        };
        if now >= session.expires_at || now >= session.last_seen_at.plus_secs(self.policy.idle_secs) {
            return Ok(None);
        }
        let Some(account) = r.find_account(session.account_id).await? else {
            return Ok(None);
        };
        if account.status != AccountStatus::Active {
            return Ok(None);
        }
        drop(r);
        if now.millis() - session.last_seen_at.millis() > 60_000 {
            let mut tx = self.store.begin().await?;
            tx.touch_session(&digest, now).await?;
            tx.commit().await?;
        }
        Ok(Some(ActiveSession {
            digest,
            session,
            account,
        }))
    }

    /// The org admin capability for a live session in `org`. An organization the account does
    /// not administer is "not found", like one that does not exist.
    pub async fn authorize(&self, active: &ActiveSession, org: OrgId, meta: RequestMeta) -> Result<OrgAdmin> {
        let mut r = self.store.reader().await?;
        if r.find_org(org).await?.is_none() || !r.is_org_admin(org, active.account.id).await? {
            return Err(CoreError::NotFound { entity: "organization" });
        }
        Ok(crate::authz::for_account(org, account_actor(&active.account), meta))
    }

    pub async fn admin_orgs(&self, account: AccountId) -> Result<Vec<Org>> {
        self.store.reader().await?.list_admin_orgs(account).await
    }

    /// Ends the session and records it.
    pub async fn sign_out(&self, active: &ActiveSession, meta: &RequestMeta) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.delete_session(&active.digest).await?;
        for org in tx.list_admin_orgs(active.account.id).await? {
            let ev = AuditEvent::new(org.id, &account_actor(&active.account), meta, "auth.signed_out", now).target(
                "account",
                active.account.id,
                Some(&active.account.email),
            );
            tx.insert_event(&ev).await?;
        }
        tx.commit().await
    }

    /// Mints a single-use link to set the account's password, valid for `secs`.
    pub async fn issue_reset_link(
        &self,
        account: &Account,
        secs: i64,
        actor: &Actor,
        meta: &RequestMeta,
    ) -> Result<String> {
        let now = self.clock.now();
        let token = secret::mint("ghr")?;
        let mut tx = self.store.begin().await?;
        tx.insert_password_reset(&token.digest, account.id, now, now.plus_secs(secs))
            .await?;
        for org in tx.list_admin_orgs(account.id).await? {
            let ev = AuditEvent::new(org.id, actor, meta, "auth.password_reset_requested", now).target(
                "account",
                account.id,
                Some(&account.email),
            );
            tx.insert_event(&ev).await?;
        }
        tx.commit().await?;
        Ok(format!("{}/login/reset?token={}", self.public_url, token.value))
    }

    /// Sends a reset link if the address belongs to an active account that can sign in to the
    /// console. The answer is the same either way, so the form cannot be used to find accounts.
    pub async fn request_reset(&self, email: &str, meta: &RequestMeta) -> Result<()> {
        let Ok(email) = Email::parse(email) else { return Ok(()) };
        let account = self.store.reader().await?.find_account_by_email(email.as_str()).await?;
        let Some(account) = account.filter(|a| a.status == AccountStatus::Active) else {
            return Ok(());
        };
        if self.admin_orgs(account.id).await?.is_empty() {
            return Ok(());
        }
        let link = self
            .issue_reset_link(&account, self.policy.reset_secs, &account_actor(&account), meta)
            .await?;
        let minutes = self.policy.reset_secs / 60;
        let body = format!(
            "Someone asked to reset the password of your Gatehouse account {}.\n\n\
             Set a new password here (the link works once, for {minutes} minutes):\n\n{link}\n\n\
             If it was not you, ignore this message; your password stays as it is.\n",
            account.email
        );
        self.mailer
            .send(Mail {
                to: account.email.clone(),
                subject: "Reset your Gatehouse password".into(),
                body,
            })
            .await
    }

    /// Sets a new password from a reset link, once; ends every session of the account.
    pub async fn reset_password(&self, token: &str, password: &str, meta: &RequestMeta) -> Result<Account> {
        check_password(password)?;
        let expired = || {
            CoreError::conflict(
                "reset_link_invalid",
                Some("token"),
                "This link has expired or was already used. Ask for a new one.",
            )
        };
        if !token.starts_with("ghr_") || token.len() > 100 {
            return Err(expired());
        }
        let hash = self.hasher.hash(password.to_owned()).await?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let account_id = tx
            .take_password_reset(&secret::digest(token), now)
            .await?
            .ok_or_else(expired)?;
        let account = tx.find_account(account_id).await?.ok_or_else(expired)?;
        tx.set_password_hash(account_id, &hash).await?;
        tx.delete_sessions_of(account_id).await?;
        for org in tx.list_admin_orgs(account_id).await? {
            let ev = AuditEvent::new(org.id, &account_actor(&account), meta, "auth.password_set", now).target(
                "account",
                account_id,
                Some(&account.email),
            );
            tx.insert_event(&ev).await?;
        }
        tx.commit().await?;
        Ok(account)
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
    fn short_and_huge_passwords_are_refused() {
        assert!(check_password("short").is_err());
        assert!(check_password(&"x".repeat(129)).is_err());
        assert!(check_password("correct horse battery").is_ok());
    }
}
