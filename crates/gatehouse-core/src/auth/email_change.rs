//! A person changes their account's email address, confirmed at the new address.
//!
//! The request is checked at once (the current password, counted like a sign-in attempt; for
//! a managed account, an address on a domain its organization verified) and then answered the
//! same whatever the new address is; the mail goes out after the answer
//! ([`Auth::send_email_change_mail`]): a link to the new address, or, when that address has an
//! account already, a notice instead. Following the link while signed in as the same account
//! moves the account to the address, proven; its other sessions end, and the old address is
//! told ([`Auth::notify_email_changed`]).

use super::mailed::{insert_link, link_digest, link_expired};
use super::service::Auth;
use crate::audit::{AuditAction, AuditEvent, RequestMeta};
use crate::authz::{SignedIn, account_actor};
use crate::error::{CoreError, Result};
use crate::ids::AccountId;
use crate::model::Account;
use crate::ports::{LinkPurpose, prelude::*};
use crate::services::management::refuse_unverified_email;
use crate::types::Email;

/// The path an email change link opens.
pub const EMAIL_CHANGE_CONFIRM_PATH: &str = "/account/email/confirm";

/// A working email change link, as the signed-in person sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeLink {
    /// The link is this account's: it moves it to `new_email`.
    Yours { new_email: String },
    /// The link is another account's: that account must be signed in to use it.
    AnotherAccount,
}

/// An address change just made: the account as it is now, and the address it left.
#[derive(Debug, Clone)]
pub struct EmailChanged {
    pub account: Account,
    pub old_email: String,
}

impl<S: Store> Auth<S> {
    /// Checks a signed-in person's request to move their account to `new_email`: a valid
    /// address other than the current one, the account's current password (counted like a
    /// sign-in attempt of its address from this client, so the form is no way around the
    /// lockout), and, for a managed account, a domain its organization verified. Answers the
    /// parsed address, to mail with [`Auth::send_email_change_mail`] after answering.
    pub async fn request_email_change(
        &self,
        who: &SignedIn,
        new_email: &str,
        password: &str,
        meta: &RequestMeta,
    ) -> Result<Email> {
        let account = who.account();
        let email = Email::parse_field(new_email, "new_email")?;
        if email.as_str() == account.email {
            return Err(CoreError::validation("new_email", "is already your address"));
        }
        // Checked and counted as the account page checks its current password (a wrong one
        // is a failed sign-in); this form answers it as "Incorrect password.".
        let (admission, _) = self.confirm_password(who, password, meta).await.map_err(|e| match e {
            CoreError::Validation { .. } => CoreError::Unauthenticated {
                code: "wrong_password",
                message: "Incorrect password.".into(),
            },
            other => other,
        })?;
        self.refund(&admission).await?;
        let mut r = self.store.reader().await?;
        if let Some(org) = r.find_account_manager(account.id).await? {
            refuse_unverified_email(&mut r, org, &email).await?;
        }
        Ok(email)
    }

    /// The mail of an email change request, sent after the form answered: a link to the new
    /// address (replacing any earlier link of the account), or a notice when the address has an
    /// account already (the form answered the same, so nobody learns which addresses do). The
    /// request is recorded either way in the logs of the organizations that hear about the
    /// account.
    pub async fn send_email_change_mail(&self, account: AccountId, new_email: Email, meta: RequestMeta) -> Result<()> {
        let mut r = self.store.reader().await?;
        let Some(account) = r.find_account(account).await? else {
            return Ok(());
        };
        let has_account = r.find_account_by_email(new_email.as_str()).await?.is_some();
        drop(r);
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let token = if has_account {
            None
        } else {
            tx.delete_email_links_of(account.id, LinkPurpose::EmailChange).await?;
            Some(
                insert_link(
                    &mut tx,
                    LinkPurpose::EmailChange,
                    new_email.as_str(),
                    Some(account.id),
                    now,
                )
                .await?,
            )
        };
        for org in super::audience::audience(&mut tx, account.id).await? {
            let ev = AuditEvent::new(
                org,
                &account_actor(&account),
                &meta,
                AuditAction::AccountEmailChangeRequested,
                now,
            )
            .target("account", account.id, Some(&account.email))
            .after(&serde_json::json!({ "new_email": new_email.as_str() }));
            tx.insert_event(&ev).await?;
        }
        tx.commit().await?;
        let (subject, body) = match token {
            Some(token) => (
                "Confirm your new Gatehouse email address",
                format!(
                    "Someone signed in to the Gatehouse account {} asked to change its email address to \
                     {new_email}.\n\nConfirm it here, signed in to that account (the link works once, for 24 \
                     hours):\n\n{}\n\nIf it was not you, ignore this message; nothing changes.\n",
                    account.email,
                    self.public_link(EMAIL_CHANGE_CONFIRM_PATH, &token)
                ),
            ),
            None => (
                "This address already has a Gatehouse account",
                format!(
                    "Someone asked to move another Gatehouse account to {new_email}, but this address already \
                     has an account, so nothing changed.\n\nIf it was you, sign in with this address as usual.\n"
                ),
            ),
        };
        self.mail(new_email.as_str(), subject, body).await
    }

    /// What an email change link names while it works: the new address, if the link is the
    /// signed-in account's. Nothing is changed.
    pub async fn find_email_change(&self, who: &SignedIn, token: &str) -> Result<Option<ChangeLink>> {
        let Some(digest) = link_digest(token, LinkPurpose::EmailChange) else {
            return Ok(None);
        };
        let mut r = self.store.reader().await?;
        let link = r
            .find_email_link(&digest, LinkPurpose::EmailChange, self.clock.now())
            .await?;
        Ok(link.map(|l| {
            if l.account == Some(who.account().id) {
                ChangeLink::Yours { new_email: l.email }
            } else {
                ChangeLink::AnotherAccount
            }
        }))
    }

    /// Moves the signed-in account to the address its link was mailed to, once: the address is
    /// proven, every other link and every other session of the account end, and the change is
    /// recorded (before and after) in the logs of the organizations that hear about the
    /// account. A link of another account, used or expired answers "expired or used"; an
    /// address another account took meanwhile, or (for a managed account) no longer on a
    /// domain its organization verified, is refused. Either way nothing changes.
    pub async fn confirm_email_change(&self, who: &SignedIn, token: &str, meta: &RequestMeta) -> Result<EmailChanged> {
        let digest = link_digest(token, LinkPurpose::EmailChange).ok_or_else(link_expired)?;
        let now = self.clock.now();
        let id = who.account().id;
        let mut tx = self.store.begin().await?;
        // Taken inside the transaction: of two racing posts, one gets it; a refusal below rolls
        // the taking back with everything else.
        let link = tx.take_email_link(&digest, LinkPurpose::EmailChange, now).await?;
        let link = link.filter(|l| l.account == Some(id)).ok_or_else(link_expired)?;
        let before = tx.find_account(id).await?.ok_or_else(link_expired)?;
        let email = Email::parse(&link.email)?;
        if let Some(org) = tx.find_account_manager(id).await? {
            refuse_unverified_email(&mut tx, org, &email).await?;
        }
        let after = Account {
            email: email.to_string(),
            ..before.clone()
        };
        tx.update_account(&after).await.map_err(|e| match e {
            CoreError::Conflict {
                code: "unique_violation",
                ..
            } => CoreError::conflict(
                "email_taken",
                Some("new_email"),
                "Another account has this address now; nothing was changed.",
            ),
            other => other,
        })?;
        tx.mark_email_verified(id, now).await?;
        tx.delete_email_links_of(id, LinkPurpose::EmailChange).await?;
        tx.delete_other_sessions(id, who.digest()).await?;
        for org in super::audience::audience(&mut tx, id).await? {
            let ev = AuditEvent::new(
                org,
                &account_actor(&before),
                meta,
                AuditAction::AccountEmailChanged,
                now,
            )
            .target("account", id, Some(&after.email))
            .before(&before)
            .after(&after);
            tx.insert_event(&ev).await?;
        }
        tx.commit().await?;
        Ok(EmailChanged {
            account: after,
            old_email: before.email,
        })
    }

    /// Tells the address an account left that it changed (whoever changed it, the old
    /// address's owner hears).
    pub async fn notify_email_changed(&self, changed: EmailChanged) -> Result<()> {
        let body = format!(
            "The email address of your Gatehouse account changed from {} to {}.\n\n\
             Sign in with the new address from now on. If you did not make this change, contact your \
             administrator at once.\n",
            changed.old_email, changed.account.email
        );
        self.mail(&changed.old_email, "Your Gatehouse email address changed", body)
            .await
    }
}
