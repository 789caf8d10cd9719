//! Identity providers, their domains, started sign-ins, the assertion replay cache, the links
//! from an identity provider's subjects to accounts, break-glass admins and default groups.

use crate::Timestamp;
use crate::error::Result;
use crate::ids::SessionId;
use crate::ids::{AccountId, GroupId, IdpId, OrgId};
use crate::model::Group;
use crate::sso::model::{IdentityProvider, SsoRequest, SsoSession};
use std::future::Future;

/// Identity-provider queries.
pub trait SsoReads {
    fn find_idp(&mut self, org: OrgId, id: IdpId) -> impl Future<Output = Result<Option<IdentityProvider>>> + Send;
    /// The provider of this id, whatever its organization (its public endpoints know no org).
    fn find_idp_by_id(&mut self, id: IdpId) -> impl Future<Output = Result<Option<IdentityProvider>>> + Send;
    /// The organization's providers, oldest first.
    fn list_idps(&mut self, org: OrgId) -> impl Future<Output = Result<Vec<IdentityProvider>>> + Send;
    /// The provider linked to `domain`, while its organization has the domain verified.
    fn find_idp_for_domain(&mut self, domain: &str) -> impl Future<Output = Result<Option<IdentityProvider>>> + Send;
    /// The account a provider's subject is linked to.
    fn find_sso_link(&mut self, idp: IdpId, subject: &str) -> impl Future<Output = Result<Option<AccountId>>> + Send;
    /// The organization's break-glass admins.
    fn list_break_glass(&mut self, org: OrgId) -> impl Future<Output = Result<Vec<AccountId>>> + Send;
    /// The groups every account the organization's SSO creates joins.
    fn list_default_groups(&mut self, org: OrgId) -> impl Future<Output = Result<Vec<GroupId>>> + Send;
    /// The organization's groups of these names (case-insensitive) that no directory owns.
    fn find_local_groups(&mut self, org: OrgId, names: &[String]) -> impl Future<Output = Result<Vec<Group>>> + Send;
}

/// Identity-provider changes, only inside a transaction.
pub trait SsoTx {
    fn insert_idp(&mut self, idp: &IdentityProvider) -> impl Future<Output = Result<()>> + Send;
    fn update_idp(&mut self, idp: &IdentityProvider) -> impl Future<Output = Result<()>> + Send;
    /// Deletes the provider with its domains, links and started sign-ins; whether there was one.
    fn delete_idp(&mut self, org: OrgId, id: IdpId) -> impl Future<Output = Result<bool>> + Send;
    /// Makes `domains` the provider's. A domain another provider has answers a conflict
    /// (`unique_violation`).
    fn set_idp_domains(&mut self, idp: &IdentityProvider) -> impl Future<Output = Result<()>> + Send;
    fn insert_sso_request(&mut self, request: &SsoRequest) -> impl Future<Output = Result<()>> + Send;
    /// Takes (deletes and returns) the provider's unexpired started sign-in of this id: of two
    /// answers racing with one id, one gets it.
    fn take_sso_request(
        &mut self,
        idp: IdpId,
        id: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<SsoRequest>>> + Send;
    /// Records an assertion id as used until `until`: `false` when it was used already.
    fn remember_assertion(
        &mut self,
        idp: IdpId,
        id: &str,
        until: Timestamp,
    ) -> impl Future<Output = Result<bool>> + Send;
    fn insert_sso_link(
        &mut self,
        idp: IdpId,
        subject: &str,
        account: AccountId,
        at: Timestamp,
    ) -> impl Future<Output = Result<()>> + Send;
    fn set_break_glass(&mut self, org: OrgId, accounts: &[AccountId]) -> impl Future<Output = Result<()>> + Send;
    fn set_default_groups(&mut self, org: OrgId, groups: &[GroupId]) -> impl Future<Output = Result<()>> + Send;
    fn insert_sso_session(&mut self, session: &SsoSession) -> impl Future<Output = Result<()>> + Send;
    /// Takes (deletes and returns) what single logout needs of a session that is ending.
    fn take_sso_session(&mut self, session: SessionId) -> impl Future<Output = Result<Option<SsoSession>>> + Send;
    /// Deletes expired started sign-ins and remembered assertions; how many.
    fn prune_sso(&mut self, now: Timestamp) -> impl Future<Output = Result<u64>> + Send;
}
