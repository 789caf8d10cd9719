//! Invitation mail: when an admin adds an account to an organization, the person hears of it.
//! An account that cannot sign in yet gets a link to set its password; any other account gets
//! a notice, and its password is left alone (a link would let whoever reads the mailbox replace
//! a password the person already has).

use super::service::Auth;
use crate::audit::{Actor, AuditAction, AuditEvent, RequestMeta};
use crate::error::Result;
use crate::ids::{AccountId, OrgId};
use crate::ports::{Mail, prelude::*};
use crate::product::AccountStatus;

/// How long an invitation's set-password link works.
pub const INVITATION_LINK_SECS: i64 = 7 * 86_400;

/// What an invitation mail carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invitation {
    /// A link to set the password of an account that has none.
    SetPasswordLink,
    /// A notice to an account that can sign in already.
    Notice,
}

impl Invitation {
    /// The stable name recorded in the event.
    pub fn as_str(self) -> &'static str {
        match self {
            Invitation::SetPasswordLink => "set_password_link",
            Invitation::Notice => "notice",
        }
    }
}

impl<S: Store> Auth<S> {
    /// The invitation of the person an organization's admin (`inviter`) just added to it, once
    /// the addition is committed: records what is sent (`auth.invitation_sent`) in that
    /// organization's log and answers the mail, for the caller to send with [`Auth::deliver`]
    /// (after its answer: a mail server's delay or failure does not undo the addition). An
    /// account with no password gets a set-password link valid for 7 days; an account with a
    /// password gets a notice. (An account linked to an identity provider will get the notice
    /// too; no such link exists yet.) A deactivated account gets nothing: it could not sign in.
    pub async fn invitation(
        &self,
        org: OrgId,
        account: AccountId,
        inviter: &Actor,
        meta: &RequestMeta,
    ) -> Result<Option<(Invitation, Mail)>> {
        let mut r = self.store.reader().await?;
        let (Some(o), Some(a)) = (r.find_org(org).await?, r.find_account(account).await?) else {
            return Ok(None);
        };
        if a.status != AccountStatus::Active {
            return Ok(None);
        }
        let has_password = r
            .find_credentials(&a.email)
            .await?
            .is_some_and(|c| c.password_hash.is_some());
        drop(r);
        let kind = if has_password {
            Invitation::Notice
        } else {
            Invitation::SetPasswordLink
        };
        let link = match kind {
            Invitation::SetPasswordLink => Some(self.issue_reset_link(&a, INVITATION_LINK_SECS, inviter, meta).await?),
            Invitation::Notice => None,
        };
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let ev = AuditEvent::new(org, inviter, meta, AuditAction::AuthInvitationSent, now)
            .target("account", a.id, Some(&a.email))
            .after(&serde_json::json!({ "sent": kind.as_str() }));
        tx.insert_event(&ev).await?;
        tx.commit().await?;
        let body = match &link {
            Some(link) => format!(
                "{org} added you to Gatehouse, its sign-in for its products, as {email}.\n\n\
                 Choose your password here (the link works once, for 7 days):\n\n{link}\n\n\
                 Then sign in at {base}/login with {email}.\n",
                org = o.name,
                email = a.email,
                base = self.public_url,
            ),
            None => format!(
                "{org} added your Gatehouse account {email} to its organization.\n\n\
                 Sign in as usual at {base}/login; your password has not changed.\n",
                org = o.name,
                email = a.email,
                base = self.public_url,
            ),
        };
        let mail = Mail {
            to: a.email.clone(),
            subject: format!("{} added you on Gatehouse", o.name),
            body,
        };
        Ok(Some((kind, mail)))
    }

    /// Sends a message this service wrote (an invitation).
    pub async fn deliver(&self, mail: Mail) -> Result<()> {
        self.mailer.send(mail).await
    }
}
