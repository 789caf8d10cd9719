//! A hand-written fake of the narrow storage traits provisioning uses, for its unit tests: it
//! keeps what the rules read and records what they write. Whatever provisioning never calls
//! is `unreachable!`, so a rule that starts needing more shows up here.

use crate::Timestamp;
use crate::audit::{AuditEvent, RequestMeta};
use crate::directory::{
    Directory, DirectoryToken, GroupPredicate, GroupSort, HeldOperation, ScimGroup, ScimUser, UserPredicate, UserSort,
};
use crate::domain::{ClaimMode, Domain, DomainCheck, DomainStatus};
use crate::error::{CoreError, Result};
use crate::ids::{AccountId, AdminInvitationId, DirectoryId, DomainId, GroupId, OrgId, SessionId, UserApiTokenId};
use crate::model::{Account, AccountFilter, AdminInvitation, ApiKey, OrgAccount, Session, UserApiToken};
use crate::page::{Page, PageRequest};
use crate::ports::{
    AccountReads, AccountTx, AuditTx, DirectoryReads, DirectoryTokenMatch, DirectoryTx, DomainReads, DomainTx,
    DueDeletion, InvitationTx, KeyTx, ManagedVia, OrgLink, ScimGroupMember, ScimGroupRef, ScimListQuery, ScimPage,
    ScimUserAccount, SigninTx,
};
use std::collections::HashMap;

macro_rules! unused {
    () => {
        unreachable!("provisioning does not use this")
    };
}

/// One transaction's view of a tiny world.
#[derive(Default)]
pub struct FakeTx {
    pub accounts: Vec<Account>,
    pub managers: HashMap<AccountId, OrgId>,
    /// Links of accounts to organizations, with when each was suspended there (if it is).
    pub links: HashMap<(OrgId, AccountId), Option<Timestamp>>,
    /// Verified domains: name and the organization that verified it.
    pub verified: Vec<(String, OrgId)>,
    /// What `count_directory_deactivations` answers.
    pub deactivations: i64,
    pub scim_users: Vec<ScimUser>,
    pub held: Vec<HeldOperation>,
    pub events: Vec<AuditEvent>,
    /// Accounts whose sessions were ended.
    pub sessions_ended: Vec<AccountId>,
    /// Accounts whose product sessions (grants) were ended.
    pub grants_ended: Vec<AccountId>,
    /// Live API tokens per account.
    pub tokens: HashMap<AccountId, u64>,
    /// When set, `update_scim_user` answers that someone else wrote first.
    pub lose_races: bool,
}

impl FakeTx {
    /// The actions recorded, in order.
    pub fn actions(&self) -> Vec<&str> {
        self.events.iter().map(|e| e.action.as_str()).collect()
    }
}

fn unique_violation() -> CoreError {
    CoreError::conflict("unique_violation", None, "taken")
}

impl AccountReads for FakeTx {
    async fn list_account_orgs(&mut self, _: AccountId) -> Result<Vec<crate::ports::AccountOrg>> {
        unused!()
    }
    async fn find_account_by_email(&mut self, email: &str) -> Result<Option<Account>> {
        Ok(self.accounts.iter().find(|a| a.email == email).cloned())
    }
    async fn find_account(&mut self, id: AccountId) -> Result<Option<Account>> {
        Ok(self.accounts.iter().find(|a| a.id == id).cloned())
    }
    async fn find_org_account(&mut self, _: OrgId, _: AccountId) -> Result<Option<OrgAccount>> {
        unused!()
    }
    async fn list_org_accounts(&mut self, _: OrgId, _: &AccountFilter, _: &PageRequest) -> Result<Page<OrgAccount>> {
        unused!()
    }
    async fn find_account_manager(&mut self, account: AccountId) -> Result<Option<OrgId>> {
        Ok(self.managers.get(&account).copied())
    }
    async fn list_accounts_due_for_deletion(&mut self, _: Timestamp, _: u32) -> Result<Vec<DueDeletion>> {
        unused!()
    }
}

impl AccountTx for FakeTx {
    async fn insert_account(&mut self, account: &Account) -> Result<bool> {
        if self.accounts.iter().any(|a| a.email == account.email) {
            return Ok(false);
        }
        self.accounts.push(account.clone());
        Ok(true)
    }
    async fn update_account(&mut self, account: &Account) -> Result<()> {
        if self
            .accounts
            .iter()
            .any(|a| a.email == account.email && a.id != account.id)
        {
            return Err(unique_violation());
        }
        for a in &mut self.accounts {
            if a.id == account.id {
                *a = account.clone();
            }
        }
        Ok(())
    }
    async fn delete_account(&mut self, _: AccountId) -> Result<()> {
        unused!()
    }
    async fn link_org_accounts(&mut self, links: &[OrgLink], _: Timestamp) -> Result<u64> {
        let mut made = 0;
        for l in links {
            if self.links.contains_key(&(l.org, l.account)) {
                continue;
            }
            self.links.insert((l.org, l.account), l.suspended_at);
            if l.managed_via.is_some() {
                self.managers.insert(l.account, l.org);
            }
            made += 1;
        }
        Ok(made)
    }
    async fn unlink_org_account(&mut self, org: OrgId, account: AccountId) -> Result<()> {
        self.links.remove(&(org, account));
        if self.managers.get(&account) == Some(&org) {
            self.managers.remove(&account);
        }
        Ok(())
    }
    async fn unmanage_account(&mut self, org: OrgId, account: AccountId) -> Result<()> {
        if self.managers.get(&account) == Some(&org) {
            self.managers.remove(&account);
        }
        Ok(())
    }
    async fn set_org_suspension(&mut self, org: OrgId, account: AccountId, since: Option<Timestamp>) -> Result<()> {
        if let Some(s) = self.links.get_mut(&(org, account)) {
            *s = since.map(|t| s.unwrap_or(t));
        }
        Ok(())
    }
}

impl DomainReads for FakeTx {
    async fn find_domain(&mut self, _: OrgId, _: DomainId) -> Result<Option<Domain>> {
        unused!()
    }
    async fn list_domains(&mut self, _: OrgId) -> Result<Vec<Domain>> {
        unused!()
    }
    async fn list_domain_checks(&mut self, _: DomainId, _: u32) -> Result<Vec<DomainCheck>> {
        unused!()
    }
    async fn find_verified_domain(&mut self, name: &str) -> Result<Option<Domain>> {
        Ok(self
            .verified
            .iter()
            .find(|(n, _)| n == name)
            .map(|(n, org)| verified(n, *org)))
    }
    async fn list_due_domains(&mut self, _: Timestamp, _: Timestamp, _: u32) -> Result<Vec<Domain>> {
        unused!()
    }
    async fn list_claimable_accounts(&mut self, _: OrgId, _: &str, _: Option<&[AccountId]>) -> Result<Vec<AccountId>> {
        unused!()
    }
}

fn verified(name: &str, org: OrgId) -> Domain {
    let at = Timestamp::from_millis(0);
    Domain {
        id: DomainId::new(),
        org_id: org,
        name: name.to_owned(),
        token: String::new(),
        status: DomainStatus::Verified,
        claim_mode: ClaimMode::Manual,
        created_at: at,
        verify_by: at,
        verified_at: Some(at),
        verified_method: None,
        last_checked_at: None,
        last_check_detail: None,
        failing_since: None,
    }
}

impl DomainTx for FakeTx {
    async fn insert_domain(&mut self, _: &Domain) -> Result<bool> {
        unused!()
    }
    async fn update_domain(&mut self, _: &Domain) -> Result<()> {
        unused!()
    }
    async fn delete_domain(&mut self, _: OrgId, _: DomainId) -> Result<()> {
        unused!()
    }
    async fn insert_domain_check(&mut self, _: DomainId, _: &DomainCheck) -> Result<()> {
        unused!()
    }
    async fn claim_accounts(&mut self, org: OrgId, accounts: &[AccountId], _: Timestamp, _: ManagedVia) -> Result<()> {
        for a in accounts {
            self.managers.insert(*a, org);
            self.links.entry((org, *a)).or_insert(None);
        }
        Ok(())
    }
    async fn release_domain_accounts(&mut self, _: OrgId, _: &str) -> Result<Vec<AccountId>> {
        unused!()
    }
}

impl DirectoryReads for FakeTx {
    async fn find_directory(&mut self, _: OrgId, _: DirectoryId) -> Result<Option<Directory>> {
        unused!()
    }
    async fn list_directories(&mut self, _: OrgId) -> Result<Vec<Directory>> {
        unused!()
    }
    async fn list_directory_tokens(&mut self, _: DirectoryId) -> Result<Vec<DirectoryToken>> {
        unused!()
    }
    async fn find_directory_token(&mut self, _: &str) -> Result<Option<DirectoryTokenMatch>> {
        unused!()
    }
    async fn find_scim_user(&mut self, directory: DirectoryId, id: &str) -> Result<Option<ScimUser>> {
        Ok(self
            .scim_users
            .iter()
            .find(|u| u.directory_id == directory && u.id == id)
            .cloned())
    }
    async fn list_scim_users(
        &mut self,
        _: DirectoryId,
        _: &ScimListQuery<'_, UserPredicate, UserSort>,
    ) -> Result<ScimPage<ScimUser>> {
        unused!()
    }
    async fn find_scim_group(&mut self, _: DirectoryId, _: &str) -> Result<Option<ScimGroup>> {
        unused!()
    }
    async fn list_scim_groups(
        &mut self,
        _: DirectoryId,
        _: &ScimListQuery<'_, GroupPredicate, GroupSort>,
    ) -> Result<ScimPage<ScimGroup>> {
        unused!()
    }
    async fn list_scim_group_members(&mut self, _: DirectoryId, _: GroupId) -> Result<Vec<ScimGroupMember>> {
        unused!()
    }
    async fn find_scim_user_accounts(&mut self, _: DirectoryId, _: &[String]) -> Result<Vec<ScimUserAccount>> {
        unused!()
    }
    async fn list_scim_user_groups(
        &mut self,
        _: DirectoryId,
        _: &[AccountId],
    ) -> Result<Vec<(AccountId, ScimGroupRef)>> {
        unused!()
    }
    async fn list_scim_users_with_groups(
        &mut self,
        _: DirectoryId,
        _: &ScimListQuery<'_, UserPredicate, UserSort>,
        _: bool,
    ) -> Result<crate::ports::UsersWithGroups> {
        unused!()
    }
    async fn count_directory_deactivations(&mut self, _: OrgId, _: DirectoryId, _: Timestamp) -> Result<i64> {
        Ok(self.deactivations)
    }
    async fn list_held_operations(&mut self, _: DirectoryId) -> Result<Vec<HeldOperation>> {
        Ok(self.held.clone())
    }
}

impl DirectoryTx for FakeTx {
    async fn insert_directory(&mut self, _: &Directory) -> Result<()> {
        unused!()
    }
    async fn update_directory(&mut self, _: &Directory) -> Result<()> {
        unused!()
    }
    async fn delete_directory(&mut self, _: OrgId, _: DirectoryId) -> Result<()> {
        unused!()
    }
    async fn insert_directory_token(&mut self, _: &DirectoryToken, _: &str) -> Result<()> {
        unused!()
    }
    async fn update_directory_token(&mut self, _: &DirectoryToken) -> Result<()> {
        unused!()
    }
    async fn announce_directory_change(&mut self) -> Result<()> {
        unused!()
    }
    async fn insert_scim_user(&mut self, u: &ScimUser) -> Result<()> {
        if self.scim_users.iter().any(|x| x.user_name == u.user_name) {
            return Err(unique_violation());
        }
        self.scim_users.push(u.clone());
        Ok(())
    }
    async fn update_scim_user(&mut self, u: &ScimUser, expected_version: i64) -> Result<bool> {
        let Some(x) = self.scim_users.iter_mut().find(|x| x.id == u.id) else {
            return Ok(false);
        };
        if self.lose_races || x.version != expected_version {
            return Ok(false);
        }
        *x = u.clone();
        Ok(true)
    }
    async fn delete_scim_user(&mut self, _: DirectoryId, id: &str) -> Result<()> {
        self.scim_users.retain(|u| u.id != id);
        Ok(())
    }
    async fn insert_scim_group(&mut self, _: &ScimGroup) -> Result<()> {
        unused!()
    }
    async fn update_scim_group(&mut self, _: &ScimGroup, _: i64) -> Result<bool> {
        unused!()
    }
    async fn upsert_held_operation(&mut self, op: &HeldOperation) -> Result<()> {
        self.held.retain(|h| h.resource_id != op.resource_id);
        self.held.push(op.clone());
        Ok(())
    }
    async fn delete_held_operations(&mut self, _: DirectoryId) -> Result<u64> {
        unused!()
    }
}

impl SigninTx for FakeTx {
    async fn insert_session(&mut self, _: &str, _: &Session, _: &RequestMeta) -> Result<()> {
        unused!()
    }
    async fn touch_session(&mut self, _: &str, _: Timestamp) -> Result<()> {
        unused!()
    }
    async fn delete_session(&mut self, _: &str) -> Result<bool> {
        unused!()
    }
    async fn delete_other_sessions(&mut self, _: AccountId, _: &str) -> Result<u64> {
        unused!()
    }
    async fn delete_session_of(&mut self, _: AccountId, _: SessionId) -> Result<bool> {
        unused!()
    }
    async fn delete_sessions_of(&mut self, account: AccountId) -> Result<u64> {
        self.sessions_ended.push(account);
        Ok(1)
    }
}

impl InvitationTx for FakeTx {
    async fn insert_admin_invitation(&mut self, _: &AdminInvitation, _: Timestamp) -> Result<bool> {
        unused!()
    }
    async fn take_org_invitation(&mut self, _: OrgId, _: AdminInvitationId) -> Result<Option<AdminInvitation>> {
        unused!()
    }
    async fn take_account_invitation(&mut self, _: AccountId, _: AdminInvitationId) -> Result<Option<AdminInvitation>> {
        unused!()
    }
    async fn take_invitation_of(&mut self, _: OrgId, _: AccountId) -> Result<Option<AdminInvitation>> {
        Ok(None)
    }
}

impl KeyTx for FakeTx {
    async fn insert_api_key(&mut self, _: &ApiKey, _: &str) -> Result<()> {
        unused!()
    }
    async fn update_api_key(&mut self, _: &ApiKey) -> Result<()> {
        unused!()
    }
    async fn insert_user_api_token(&mut self, _: &UserApiToken, _: &str) -> Result<()> {
        unused!()
    }
    async fn revoke_user_api_token(&mut self, _: AccountId, _: &UserApiTokenId, _: Timestamp) -> Result<bool> {
        unused!()
    }
    async fn revoke_user_api_tokens(&mut self, account: AccountId, _: Timestamp) -> Result<u64> {
        Ok(self.tokens.remove(&account).unwrap_or(0))
    }
}

impl crate::ports::GrantEndTx for FakeTx {
    async fn revoke_account_grants(
        &mut self,
        account: AccountId,
        _: Timestamp,
    ) -> Result<Vec<crate::oauth::EndedGrant>> {
        self.grants_ended.push(account);
        Ok(Vec::new())
    }
    async fn revoke_session_grants(
        &mut self,
        _: crate::ids::SessionId,
        _: Timestamp,
    ) -> Result<Vec<crate::oauth::EndedGrant>> {
        unused!()
    }
    async fn queue_logout_notices(&mut self, _: &[crate::oauth::EndedGrant], _: Timestamp) -> Result<()> {
        Ok(())
    }
}

impl AuditTx for FakeTx {
    async fn insert_event(&mut self, event: &AuditEvent) -> Result<()> {
        self.events.push(event.clone());
        Ok(())
    }
    async fn insert_events(&mut self, _: &[AuditEvent]) -> Result<()> {
        unused!()
    }
}
