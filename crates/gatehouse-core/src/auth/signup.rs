//! Sign-up: a person asks for an account for an address, and the address confirms it. The
//! request answers the same whether or not the address has an account (the caller does the
//! mailing after answering, see [`Auth::send_signup_mail`]): an address with no account gets a
//! link to create one, an address with an account gets a notice instead. The link creates the
//! account once, active, with its password set and its address proven.

use super::mailed::{insert_link, link_digest, link_expired};
use super::password_facts::PasswordFacts;
use super::passwords::check_password;
use super::service::Auth;
use super::throttle::{ThrottleKeys, refund_in};
use crate::audit::{AuditAction, AuditEvent, RequestMeta};
use crate::authz::account_actor;
use crate::domain::ClaimMode;
use crate::error::{CoreError, Result, Validator};
use crate::ids::AccountId;
use crate::model::Account;
use crate::ports::{LinkPurpose, ManagedVia, prelude::*};
use crate::product::AccountStatus;
use crate::services::management::verified_domain_of;
use crate::types::{Email, Name};

/// The path a sign-up link opens.
pub const SIGNUP_CONFIRM_PATH: &str = "/signup/confirm";

impl<S: Store> Auth<S> {
    /// Counts a sign-up request for `email` from this client (each request, whether or not the
    /// address has an account), or refuses it with `RateLimited`. It shares each address's
    /// budget with reset requests: both mail an address at a stranger's asking, and together
    /// they must not flood a mailbox.
    pub async fn count_signup_request(&self, email: &str, meta: &RequestMeta) -> Result<()> {
        let keys = ThrottleKeys::new(email, meta);
        self.admit(self.reset_request_limits(&keys), self.clock.now()).await?;
        Ok(())
    }

    /// The mail of a sign-up request, sent after the form answered: a link to create the
    /// account when the address has none, a notice when it has one (the person may have
    /// forgotten; a stranger learns nothing, since only the mailbox hears). An address that
    /// does not parse gets nothing.
    pub async fn send_signup_mail(&self, email: &str) -> Result<()> {
        let Ok(email) = Email::parse(email) else {
            return Ok(());
        };
        let existing = self.store.reader().await?.find_account_by_email(email.as_str()).await?;
        if existing.is_some() {
            let body = format!(
                "Someone asked to create a Gatehouse account for {email}, but this address already has one.\n\n\
                 If it was you, sign in as usual, or reset your password if you forgot it:\n\n{}/login/forgot\n\n\
                 If it was not you, ignore this message; nothing has changed.\n",
                self.public_url
            );
            return self
                .mail(email.as_str(), "You already have a Gatehouse account", body)
                .await;
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let token = insert_link(&mut tx, LinkPurpose::Signup, email.as_str(), None, now).await?;
        tx.commit().await?;
        let link = self.public_link(SIGNUP_CONFIRM_PATH, &token);
        let body = format!(
            "Someone asked to create a Gatehouse account for {email}.\n\n\
             Create it here (the link works once, for 24 hours):\n\n{link}\n\n\
             If it was not you, ignore this message; no account is created.\n"
        );
        self.mail(email.as_str(), "Confirm your Gatehouse account", body).await
    }

    /// The address a sign-up link would create an account for, while the link works. Nothing
    /// is changed.
    pub async fn find_signup(&self, token: &str) -> Result<Option<String>> {
        let Some(digest) = link_digest(token, LinkPurpose::Signup) else {
            return Ok(None);
        };
        let mut r = self.store.reader().await?;
        let link = r
            .find_email_link(&digest, LinkPurpose::Signup, self.clock.now())
            .await?;
        Ok(link.map(|l| l.email))
    }

    /// Creates the account a sign-up link was mailed for, once: active, its address proven,
    /// its password set. The post is counted against the client's ceiling first, and the link
    /// is checked before the password is hashed. A link used, expired, or for an address that
    /// got an account meanwhile answers "expired or used" and changes nothing. An address on a
    /// domain an organization verified and claims automatically makes the account managed by
    /// it, and that organization's log records the sign-up; otherwise no organization hears.
    pub async fn complete_signup(
        &self,
        token: &str,
        display_name: &str,
        password: &str,
        meta: &RequestMeta,
    ) -> Result<Account> {
        let now = self.clock.now();
        let admission = self
            .admit(vec![(ThrottleKeys::client(meta), self.policy.ip_ceiling)], now)
            .await?;
        let Some(digest) = link_digest(token, LinkPurpose::Signup) else {
            return Err(link_expired());
        };
        let mut r = self.store.reader().await?;
        let link = r
            .find_email_link(&digest, LinkPurpose::Signup, now)
            .await?
            .ok_or_else(link_expired)?;
        drop(r);
        let mut v = Validator::default();
        let name = v.check(Name::parse(display_name, "display_name", 100));
        v.check(check_password(password));
        v.finish()?;
        let hash = match self.hash_password(password).await {
            Err(e @ CoreError::Overloaded { .. }) => {
                self.refund(&admission).await?;
                return Err(e);
            }
            other => other?,
        };
        let email = Email::parse(&link.email)?;
        let account = Account {
            id: AccountId::new(),
            email: email.to_string(),
            display_name: name.expect("validated").to_string(),
            status: AccountStatus::Active,
            created_at: now,
            last_active_at: None,
            delete_after: None,
        };
        // Measured before the transaction: zxcvbn takes milliseconds, never under the write lock.
        let facts = PasswordFacts::measure(password, &[&account.email, &account.display_name], now);
        let mut tx = self.store.begin().await?;
        // Taken inside the transaction: of two racing posts, one gets it.
        if tx.take_email_link(&digest, LinkPurpose::Signup, now).await?.is_none()
            || !tx.insert_account(&account).await?
        {
            return Err(link_expired());
        }
        if !tx.replace_password(account.id, &hash, &facts, 0).await? {
            return Err(CoreError::internal("a new account's password generation is not 0"));
        }
        tx.mark_email_verified(account.id, now).await?;
        refund_in(&mut tx, &admission).await?;
        if let Some(d) = verified_domain_of(&mut tx, &email).await?
            && d.claim_mode == ClaimMode::Automatic
        {
            tx.claim_accounts(d.org_id, &[account.id], now, ManagedVia::Domain)
                .await?;
            let ev = AuditEvent::new(d.org_id, &account_actor(&account), meta, AuditAction::AuthSignedUp, now)
                .target("account", account.id, Some(&account.email))
                .target("domain", d.id, Some(&d.name))
                .after(&account);
            tx.insert_event(&ev).await?;
        }
        tx.commit().await?;
        Ok(account)
    }
}
