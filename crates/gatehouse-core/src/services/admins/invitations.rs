//! Admin invitations: how an organization asks a person whose account it does not manage to
//! become one of its admins. The organization lists and cancels its pending invitations; the
//! person lists theirs and accepts or declines each (on their account page). Until they
//! accept they hold no role, and the organization hears nothing of their sign-ins.
//!
//! Every answer takes the invitation row with one conditional delete inside its transaction,
//! so an accept racing a cancel (or a second accept) resolves to exactly one outcome.

use super::Admins;
use crate::Timestamp;
use crate::audit::{Actor, AuditAction, AuditEvent, RequestMeta};
use crate::authz::{OrgAdmin, SignedIn};
use crate::error::{CoreError, Result};
use crate::ids::{AccountId, AdminInvitationId, OrgId};
use crate::model::{Account, AdminInvitation, Org, PendingInvitation};
use crate::ports::{Mail, prelude::*};

/// How long a person has to accept an invitation.
pub const INVITATION_SECS: i64 = 14 * 86_400;

const NOT_FOUND: CoreError = CoreError::NotFound {
    entity: "admin invitation",
};

/// Cancels the organization's pending invitation of an account leaving it (removed by an
/// admin or by its directory), with its `admin.invitation_cancelled` event, in the caller's
/// transaction. Call it before the account is unlinked.
pub(crate) async fn cancel_on_removal<T: InvitationTx + AuditTx + Send>(
    tx: &mut T,
    org: OrgId,
    actor: &Actor,
    meta: &RequestMeta,
    account: &Account,
    now: Timestamp,
) -> Result<()> {
    if let Some(invitation) = tx.take_invitation_of(org, account.id).await? {
        let ev = AuditEvent::new(org, actor, meta, AuditAction::AdminInvitationCancelled, now)
            .target("account", account.id, Some(&account.email))
            .target("admin_invitation", invitation.id, None)
            .before(&invitation)
            .after(&serde_json::json!({ "reason": "removed_from_organization" }));
        tx.insert_event(&ev).await?;
    }
    Ok(())
}

impl<S: Store> Admins<S> {
    /// Invites `account` to administer the acting organization, in the caller's transaction:
    /// the invitation (refused with `invitation_pending` while one is pending) and its
    /// `admin.invited` event. Answers the invitation and the organization's name.
    pub(super) async fn invite(
        &self,
        tx: &mut S::Tx,
        admin: &OrgAdmin,
        account: &Account,
        now: Timestamp,
    ) -> Result<(AdminInvitation, String)> {
        let org = tx
            .find_org(admin.org())
            .await?
            .ok_or(CoreError::NotFound { entity: "organization" })?;
        let invitation = AdminInvitation {
            id: AdminInvitationId::new(),
            org_id: admin.org(),
            account_id: account.id,
            email: account.email.clone(),
            invited_by: admin.actor().label.clone(),
            created_at: now,
            expires_at: now.plus_secs(INVITATION_SECS),
        };
        if !tx.insert_admin_invitation(&invitation, now).await? {
            return Err(CoreError::conflict(
                "invitation_pending",
                Some("account_id"),
                "This person has a pending invitation to be an admin already.",
            ));
        }
        let ev = admin
            .acting()
            .event(AuditAction::AdminInvited, now)
            .target("account", account.id, Some(&account.email))
            .target("admin_invitation", invitation.id, None)
            .after(&invitation);
        tx.insert_event(&ev).await?;
        Ok((invitation, org.name))
    }

    /// Mails the invited person: who invited them to which organization, and where to answer.
    pub(super) async fn announce(&self, invitation: &AdminInvitation, org_name: &str) -> Result<()> {
        let body = format!(
            "{who} invited you ({email}) to be an admin of the organization \"{org_name}\" in Gatehouse.\n\n\
             Accept or decline on your account page:\n\n{url}/account\n\n\
             The invitation expires at {expires}. Until you accept you have no role in this \
             organization, and it sees nothing of your sign-ins.\n",
            who = invitation.invited_by,
            email = invitation.email,
            url = self.mail.public_url,
            expires = invitation.expires_at.to_rfc3339(),
        );
        self.mail
            .mailer
            .send(Mail {
                to: invitation.email.clone(),
                subject: "You are invited to be an organization admin in Gatehouse".into(),
                body,
            })
            .await
    }

    /// The organization's pending invitations (not expired), the oldest first.
    pub async fn list_invitations(&self, admin: &OrgAdmin) -> Result<Vec<AdminInvitation>> {
        let now = self.clock.now();
        self.store
            .reader()
            .await?
            .list_admin_invitations(admin.org(), now)
            .await
    }

    /// Cancels one of the organization's invitations; another organization's is not found.
    pub async fn cancel_invitation(&self, admin: &OrgAdmin, id: AdminInvitationId) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let invitation = tx.take_org_invitation(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        let ev = admin
            .acting()
            .event(AuditAction::AdminInvitationCancelled, now)
            .target("account", invitation.account_id, Some(&invitation.email))
            .target("admin_invitation", invitation.id, None)
            .before(&invitation);
        tx.insert_event(&ev).await?;
        tx.commit().await
    }

    /// For the person's account page: the invitations waiting for their answer (not
    /// expired), each with the inviting organization's name, who invited and when.
    pub async fn list_my_invitations(&self, signed_in: &SignedIn) -> Result<Vec<PendingInvitation>> {
        let now = self.clock.now();
        self.store
            .reader()
            .await?
            .list_invitations_for(signed_in.account().id, now)
            .await
    }

    /// For the person's account page: accepts one of their invitations and makes them an
    /// admin of the inviting organization, with `admin.invitation_accepted` and
    /// `org_admin.granted` in its log, all in one transaction. Refused (nothing changed) when
    /// the invitation is not theirs or no longer pending (`NotFound`), has expired
    /// (`invitation_expired`), or the account has left the organization (`NotFound`).
    /// Answers the organization.
    pub async fn accept_invitation(
        &self,
        signed_in: &SignedIn,
        id: AdminInvitationId,
        meta: &RequestMeta,
    ) -> Result<Org> {
        let now = self.clock.now();
        let person = signed_in.account();
        let mut tx = self.store.begin().await?;
        let invitation = take_live(&mut tx, person.id, id, now).await?;
        let org = tx.find_org(invitation.org_id).await?.ok_or(NOT_FOUND)?;
        if tx.find_org_account(org.id, person.id).await?.is_none() {
            return Err(NOT_FOUND);
        }
        if !tx.insert_org_admin(org.id, person.id, now).await? {
            return Err(CoreError::conflict(
                "already_admin",
                None,
                "You are an admin of this organization already.",
            ));
        }
        for action in [AuditAction::AdminInvitationAccepted, AuditAction::OrgAdminGranted] {
            let ev = AuditEvent::new(org.id, &signed_in.actor(), meta, action, now)
                .target("account", person.id, Some(&person.email))
                .target("admin_invitation", invitation.id, None);
            tx.insert_event(&ev).await?;
        }
        tx.commit().await?;
        Ok(org)
    }

    /// For the person's account page: declines one of their invitations (recorded in the
    /// inviting organization's log). Refused like [`Admins::accept_invitation`].
    pub async fn decline_invitation(
        &self,
        signed_in: &SignedIn,
        id: AdminInvitationId,
        meta: &RequestMeta,
    ) -> Result<()> {
        let now = self.clock.now();
        let person = signed_in.account();
        let mut tx = self.store.begin().await?;
        let invitation = take_live(&mut tx, person.id, id, now).await?;
        let ev = AuditEvent::new(
            invitation.org_id,
            &signed_in.actor(),
            meta,
            AuditAction::AdminInvitationDeclined,
            now,
        )
        .target("account", person.id, Some(&person.email))
        .target("admin_invitation", invitation.id, None);
        tx.insert_event(&ev).await?;
        tx.commit().await
    }
}

/// Takes the person's invitation `id` if it is still pending; an expired one is refused
/// (and stays, for the caller's transaction rolls back).
async fn take_live<T: InvitationTx + Send>(
    tx: &mut T,
    account: AccountId,
    id: AdminInvitationId,
    now: Timestamp,
) -> Result<AdminInvitation> {
    let invitation = tx.take_account_invitation(account, id).await?.ok_or(NOT_FOUND)?;
    if now >= invitation.expires_at {
        return Err(CoreError::conflict(
            "invitation_expired",
            None,
            "This invitation has expired; ask the organization to invite you again.",
        ));
    }
    Ok(invitation)
}
