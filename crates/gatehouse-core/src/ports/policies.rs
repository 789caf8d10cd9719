//! Authentication policies, the policy of each managed account, the external-users policy and
//! the password history a policy's "no reuse" rule reads.

use crate::Timestamp;
use crate::auth::PasswordState;
use crate::error::Result;
use crate::ids::{AccountId, OrgId, PolicyId};
use crate::model::Account;
use crate::policy::{ExternalPolicy, Policy};
use crate::types::Email;
use std::future::Future;

/// A managed account as a policy's member list and the simulator read it.
#[derive(Debug, Clone)]
pub struct PolicyMember {
    pub account: Account,
    pub password: PasswordState,
}

/// Policy queries.
pub trait PolicyReads {
    fn find_policy(&mut self, org: OrgId, id: PolicyId) -> impl Future<Output = Result<Option<Policy>>> + Send;
    /// The organization's policies, the default first, then by name.
    fn list_policies(&mut self, org: OrgId) -> impl Future<Output = Result<Vec<Policy>>> + Send;
    /// How many managed accounts each policy of the organization has.
    fn count_policy_members(&mut self, org: OrgId) -> impl Future<Output = Result<Vec<(PolicyId, i64)>>> + Send;
    fn find_default_policy(&mut self, org: OrgId) -> impl Future<Output = Result<Option<Policy>>> + Send;
    /// The policy of the organization that manages the account; `None` when none does.
    fn find_policy_of(&mut self, account: AccountId) -> impl Future<Output = Result<Option<Policy>>> + Send;
    /// A page of the policy's members in account-id order, after `after`.
    fn list_policy_members(
        &mut self,
        policy: &Policy,
        after: Option<AccountId>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<PolicyMember>>> + Send;
    /// These accounts, those the organization manages, with the policy each is in.
    fn find_managed_members(
        &mut self,
        org: OrgId,
        accounts: &[AccountId],
    ) -> impl Future<Output = Result<Vec<(PolicyMember, PolicyId)>>> + Send;
    /// The accounts of these (normalized) emails that the organization manages, with the
    /// policy each is in.
    fn find_managed_members_by_email(
        &mut self,
        org: OrgId,
        emails: &[Email],
    ) -> impl Future<Output = Result<Vec<(PolicyMember, PolicyId)>>> + Send;
    fn find_external_policy(&mut self, org: OrgId) -> impl Future<Output = Result<Option<ExternalPolicy>>> + Send;
    /// When the code last mailed for the session stops working (the time it was mailed, less
    /// its life).
    fn find_session_email_code(&mut self, session: &str) -> impl Future<Output = Result<Option<Timestamp>>> + Send;
    /// The hashes of the account's last `n` replaced passwords, newest first.
    fn list_password_history(&mut self, account: AccountId, n: u32)
    -> impl Future<Output = Result<Vec<String>>> + Send;
}

/// Policy changes, only inside a transaction.
pub trait PolicyTx {
    /// Adds a policy; a name the organization has (in any case) answers `unique_violation`.
    fn insert_policy(&mut self, policy: &Policy) -> impl Future<Output = Result<()>> + Send;
    /// Writes name and settings; a taken name answers `unique_violation`.
    fn update_policy(&mut self, policy: &Policy) -> impl Future<Output = Result<()>> + Send;
    /// Deletes a policy that is not the default; its members return to the default. Whether
    /// there was one.
    fn delete_policy(&mut self, org: OrgId, id: PolicyId) -> impl Future<Output = Result<bool>> + Send;
    /// Makes `id` the default: the members of the old default stay in it (they are pinned to
    /// it), and new managed accounts join `id`.
    fn set_default_policy(
        &mut self,
        org: OrgId,
        id: PolicyId,
        at: Timestamp,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Puts these managed accounts in a policy of their managing organization, in one
    /// statement; how many it moved.
    fn set_accounts_policy(
        &mut self,
        org: OrgId,
        accounts: &[AccountId],
        policy: PolicyId,
    ) -> impl Future<Output = Result<u64>> + Send;
    fn put_external_policy(&mut self, policy: &ExternalPolicy) -> impl Future<Output = Result<()>> + Send;
    /// Stores the digest of a code just mailed to the session's person, and when it stops
    /// working; whether the session is still there.
    fn set_session_email_code(
        &mut self,
        session: &str,
        code_digest: &str,
        expires_at: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Spends the session's mailed code when `code_digest` is it and it still works: the
    /// session has proved its mailbox from `now`. Whether it was.
    fn spend_session_email_code(
        &mut self,
        session: &str,
        code_digest: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Records the facts of a password set before facts were recorded (measured at its first
    /// use since); `false` when the account's password has facts already, or none.
    fn record_password_facts(
        &mut self,
        account: AccountId,
        facts: &crate::auth::PasswordFacts,
    ) -> impl Future<Output = Result<bool>> + Send;
}
