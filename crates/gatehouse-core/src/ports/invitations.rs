//! Invitations to become an organization admin, for accounts the organization does not
//! manage. An organization has at most one invitation per account.

use crate::Timestamp;
use crate::error::Result;
use crate::ids::{AccountId, AdminInvitationId, OrgId};
use crate::model::{AdminInvitation, PendingInvitation};
use std::future::Future;

/// Invitation queries.
pub trait InvitationReads {
    /// The organization's invitations not expired at `now`, the oldest first.
    fn list_admin_invitations(
        &mut self,
        org: OrgId,
        now: Timestamp,
    ) -> impl Future<Output = Result<Vec<AdminInvitation>>> + Send;
    /// The invitations waiting for this account's answer (not expired at `now`), with the
    /// inviting organizations' names, the oldest first.
    fn list_invitations_for(
        &mut self,
        account: AccountId,
        now: Timestamp,
    ) -> impl Future<Output = Result<Vec<PendingInvitation>>> + Send;
}

/// Invitation changes, only inside a transaction.
pub trait InvitationTx {
    /// Stores the invitation unless the organization has one for the account already that has
    /// not expired at `now` (an expired one is replaced): whether it was stored.
    fn insert_admin_invitation(
        &mut self,
        invitation: &AdminInvitation,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Takes (deletes and returns) the invitation `id` if it is the organization's. One
    /// conditional statement: of a cancel and an accept at once, exactly one gets it.
    fn take_org_invitation(
        &mut self,
        org: OrgId,
        id: AdminInvitationId,
    ) -> impl Future<Output = Result<Option<AdminInvitation>>> + Send;
    /// Takes (deletes and returns) the invitation `id` if it was made for `account`; one
    /// conditional statement, like [`InvitationTx::take_org_invitation`].
    fn take_account_invitation(
        &mut self,
        account: AccountId,
        id: AdminInvitationId,
    ) -> impl Future<Output = Result<Option<AdminInvitation>>> + Send;
    /// Takes the organization's invitation for the account, if it has one (expired or not).
    fn take_invitation_of(
        &mut self,
        org: OrgId,
        account: AccountId,
    ) -> impl Future<Output = Result<Option<AdminInvitation>>> + Send;
}
