//! The policies themselves: create, read, change, delete, make default; the external-users
//! policy. Every change locks the organization, so changes and moves of one organization
//! happen one at a time, and each writes its event with the before and after.

use super::guard::{refuse_lockout, ways_in};
use super::members::{self, MAX_MOVE, MoveReport};
use super::simulate::{self, Proposal, SimulationReport};
use crate::audit::AuditAction;
use crate::authz::OrgAdmin;
use crate::authz::SignedIn;
use crate::error::{CoreError, Result};
use crate::ids::OrgId;
use crate::ids::{AccountId, PolicyId};
use crate::policy::{Enforcement, ExternalDemand, ExternalPolicy, ExternalSettings, Policy, PolicySettings};
use crate::ports::PolicyMember;
use crate::ports::prelude::*;
use crate::services::capability::name_conflict;
use crate::types::{Email, Name};

const NOT_FOUND: CoreError = CoreError::NotFound { entity: "policy" };
const TAKEN: &str = "A policy with this name already exists in the organization.";

/// A policy to add: its name and its settings as a merge patch over the defaults.
#[derive(Debug)]
pub struct NewPolicy {
    pub name: Name,
    pub settings: serde_json::Value,
}

/// A change: a new name, settings as a merge patch over the current ones, and whether to end
/// the members' sessions now so new session rules apply at once.
#[derive(Debug, Default)]
pub struct PolicyPatch {
    pub name: Option<Name>,
    pub settings: Option<serde_json::Value>,
    pub end_sessions: bool,
}

/// A policy with how many accounts it has.
#[derive(Debug, Clone)]
pub struct PolicySummary {
    pub policy: Policy,
    pub member_count: i64,
    /// The organization's enforcement is paused for want of a subscription (see
    /// [`crate::policy::in_force`]): the default policy applies without its single sign-on and
    /// two-step rules, any other policy not at all.
    pub paused: bool,
}

/// Authentication policies and their members.
pub struct Policies<S: Store> {
    store: S,
    clock: std::sync::Arc<dyn crate::ports::Clock>,
    enforcement: Enforcement,
}

impl<S: Store> Clone for Policies<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            clock: std::sync::Arc::clone(&self.clock),
            enforcement: self.enforcement,
        }
    }
}

/// Checks that a named identity provider is one of the organization's.
async fn check_idp<T: SsoReads + Send>(tx: &mut T, org: crate::ids::OrgId, s: &PolicySettings) -> Result<()> {
    if let Some(id) = s.sso.identity_provider_id
        && tx.find_idp(org, id).await?.is_none()
    {
        return Err(CoreError::validation(
            "sso.identity_provider_id",
            "is not an identity provider of this organization",
        ));
    }
    Ok(())
}

impl<S: Store> Policies<S> {
    pub(crate) fn new(store: S, clock: std::sync::Arc<dyn crate::ports::Clock>) -> Self {
        Self {
            store,
            clock,
            enforcement: Enforcement::Always,
        }
    }

    /// Enforces the external-users policy, and says policies are paused, as `enforcement`
    /// has it.
    #[must_use]
    pub(crate) fn with_enforcement(mut self, enforcement: Enforcement) -> Self {
        self.enforcement = enforcement;
        self
    }

    pub async fn create(&self, admin: &OrgAdmin, new: NewPolicy) -> Result<Policy> {
        let settings = PolicySettings::default().patched(&new.settings)?;
        let now = self.clock.now();
        let policy = Policy {
            id: PolicyId::new(),
            org_id: admin.org(),
            name: new.name.to_string(),
            is_default: false,
            settings,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store.begin().await?;
        tx.lock_org(admin.org()).await?;
        check_idp(&mut tx, admin.org(), &policy.settings).await?;
        tx.insert_policy(&policy)
            .await
            .map_err(name_conflict("policy_name_taken", "name", TAKEN))?;
        let ev = admin
            .acting()
            .event(AuditAction::PolicyCreated, now)
            .target("policy", policy.id, Some(&policy.name))
            .after(&policy);
        tx.insert_event(&ev).await?;
        tx.commit().await?;
        Ok(policy)
    }

    /// The organization's policies, the default first, each with its member count.
    pub async fn list(&self, admin: &OrgAdmin) -> Result<Vec<PolicySummary>> {
        let mut r = self.store.reader().await?;
        let counts = r.count_policy_members(admin.org()).await?;
        let policies = r.list_policies(admin.org()).await?;
        let paused = self
            .enforcement
            .is_paused(&mut r, admin.org(), self.clock.now())
            .await?;
        Ok(policies
            .into_iter()
            .map(|p| {
                let member_count = counts.iter().find(|(id, _)| *id == p.id).map_or(0, |(_, n)| *n);
                PolicySummary {
                    policy: p,
                    member_count,
                    paused,
                }
            })
            .collect())
    }

    pub async fn get(&self, admin: &OrgAdmin, id: PolicyId) -> Result<PolicySummary> {
        self.list(admin)
            .await?
            .into_iter()
            .find(|s| s.policy.id == id)
            .ok_or(NOT_FOUND)
    }

    /// Applies a change; refused (nothing changes) when it would lock every admin out.
    pub async fn update(&self, admin: &OrgAdmin, id: PolicyId, patch: PolicyPatch) -> Result<Policy> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.lock_org(admin.org()).await?;
        let before = tx.find_policy(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        let mut after = before.clone();
        if let Some(n) = patch.name {
            after.name = n.to_string();
        }
        if let Some(s) = &patch.settings {
            after.settings = before.settings.patched(s)?;
            check_idp(&mut tx, admin.org(), &after.settings).await?;
        }
        if after != before {
            after.updated_at = now;
            let ways = ways_in(&mut tx, admin.org()).await?;
            tx.update_policy(&after)
                .await
                .map_err(name_conflict("policy_name_taken", "name", TAKEN))?;
            refuse_lockout(&mut tx, admin.org(), ways).await?;
            let ev = admin
                .acting()
                .event(AuditAction::PolicyUpdated, now)
                .target("policy", id, Some(&after.name))
                .before(&before)
                .after(&after);
            tx.insert_event(&ev).await?;
        }
        if patch.end_sessions {
            members::end_sessions(&mut tx, admin.acting(), &after, now).await?;
        }
        tx.commit().await?;
        Ok(after)
    }

    /// Deletes a policy that is not the default; its members join the default.
    pub async fn delete(&self, admin: &OrgAdmin, id: PolicyId) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.lock_org(admin.org()).await?;
        let before = tx.find_policy(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        if before.is_default {
            return Err(CoreError::conflict(
                "default_policy",
                None,
                "The default policy cannot be deleted: make another policy the default first.",
            ));
        }
        let ways = ways_in(&mut tx, admin.org()).await?;
        tx.delete_policy(admin.org(), id).await?;
        refuse_lockout(&mut tx, admin.org(), ways).await?;
        let ev = admin
            .acting()
            .event(AuditAction::PolicyDeleted, now)
            .target("policy", id, Some(&before.name))
            .before(&before);
        tx.insert_event(&ev).await?;
        tx.commit().await
    }

    /// Makes the policy the default new managed accounts join. The members of the old default
    /// stay in it.
    pub async fn make_default(&self, admin: &OrgAdmin, id: PolicyId) -> Result<Policy> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.lock_org(admin.org()).await?;
        let target = tx.find_policy(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        if target.is_default {
            return Ok(target);
        }
        let old = tx.find_default_policy(admin.org()).await?;
        tx.set_default_policy(admin.org(), id, now).await?;
        let after = tx.find_policy(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        let mut ev =
            admin
                .acting()
                .event(AuditAction::PolicyDefaultChanged, now)
                .target("policy", id, Some(&after.name));
        if let Some(old) = &old {
            ev = ev
                .target("policy", old.id, Some(&old.name))
                .before(&serde_json::json!({ "default_policy_id": old.id }));
        }
        tx.insert_event(&ev.after(&serde_json::json!({ "default_policy_id": id })))
            .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Moves these accounts into the policy: one event per account that moved; the others are
    /// reported (already there, or not managed by the organization).
    pub async fn move_members(&self, admin: &OrgAdmin, id: PolicyId, accounts: &[AccountId]) -> Result<MoveReport> {
        members::check_move(accounts)?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.lock_org(admin.org()).await?;
        let target = tx.find_policy(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        let ways = ways_in(&mut tx, admin.org()).await?;
        let report = members::move_in(&mut tx, admin.acting(), &target, accounts, now).await?;
        refuse_lockout(&mut tx, admin.org(), ways).await?;
        tx.commit().await?;
        Ok(report)
    }

    /// A page of the policy's members in account-id order.
    pub async fn members(
        &self,
        admin: &OrgAdmin,
        id: PolicyId,
        after: Option<AccountId>,
        limit: u32,
    ) -> Result<Vec<PolicyMember>> {
        let mut r = self.store.reader().await?;
        let policy = r.find_policy(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        r.list_policy_members(&policy, after, limit.clamp(1, 1000)).await
    }

    /// The managed accounts of these emails, each as (its email, its id); an email the
    /// organization manages no account of is absent. At most [`MAX_MOVE`] emails, as a move.
    pub async fn find_managed_by_email(&self, admin: &OrgAdmin, emails: &[Email]) -> Result<Vec<(Email, AccountId)>> {
        if emails.len() > MAX_MOVE {
            return Err(CoreError::validation(
                "emails",
                format!("must name at most {MAX_MOVE} accounts"),
            ));
        }
        let mut r = self.store.reader().await?;
        let mut out = Vec::with_capacity(emails.len());
        for chunk in emails.chunks(members::CHUNK) {
            for (m, _) in r.find_managed_members_by_email(admin.org(), chunk).await? {
                out.push((Email::parse(&m.account.email)?, m.account.id));
            }
        }
        Ok(out)
    }

    /// Who could not sign in under the proposal; nothing changes.
    pub async fn simulate(&self, admin: &OrgAdmin, id: PolicyId, proposal: &Proposal) -> Result<SimulationReport> {
        let mut r = self.store.reader().await?;
        let policy = r.find_policy(admin.org(), id).await?.ok_or(NOT_FOUND)?;
        simulate::run(&mut r, &policy, proposal, self.clock.now()).await
    }

    /// What the organization's external-users policy asks of this session before its person
    /// signs in to one of the organization's products: nothing when the organization manages
    /// the account (its own policy governed the sign-in), has no such rule, or its enforcement
    /// is paused for want of a subscription.
    pub async fn external_demand(&self, org: OrgId, who: &SignedIn) -> Result<Option<ExternalDemand>> {
        let mut r = self.store.reader().await?;
        if r.find_account_manager(who.account().id).await? == Some(org) {
            return Ok(None);
        }
        let now = self.clock.now();
        let Some(p) = self.enforcement.external_policy_of(&mut r, org, now).await? else {
            return Ok(None);
        };
        let session = who.session();
        if let Some(m) = p.settings.session_max_minutes
            && now.millis() - session.created_at.millis() > i64::from(m) * 60_000
        {
            return Ok(Some(ExternalDemand::SignInAgain));
        }
        if p.settings.require_email_code && session.email_verified_at.is_none() {
            return Ok(Some(ExternalDemand::EmailCode));
        }
        Ok(None)
    }

    /// The rules for people the organization gives access but does not manage.
    pub async fn external(&self, admin: &OrgAdmin) -> Result<ExternalPolicy> {
        let found = self.store.reader().await?.find_external_policy(admin.org()).await?;
        Ok(found.unwrap_or(ExternalPolicy {
            org_id: admin.org(),
            settings: ExternalSettings::default(),
            updated_at: None,
        }))
    }

    pub async fn update_external(&self, admin: &OrgAdmin, patch: &serde_json::Value) -> Result<ExternalPolicy> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.lock_org(admin.org()).await?;
        let before = tx.find_external_policy(admin.org()).await?.unwrap_or(ExternalPolicy {
            org_id: admin.org(),
            settings: ExternalSettings::default(),
            updated_at: None,
        });
        let after = ExternalPolicy {
            settings: before.settings.patched(patch)?,
            updated_at: Some(now),
            ..before.clone()
        };
        if after.settings == before.settings {
            return Ok(before);
        }
        tx.put_external_policy(&after).await?;
        let ev = admin
            .acting()
            .event(AuditAction::PolicyExternalUpdated, now)
            .before(&before.settings)
            .after(&after.settings);
        tx.insert_event(&ev).await?;
        tx.commit().await?;
        Ok(after)
    }
}
