//! The policy in force: what every enforcement path reads of an account's policy and of an
//! organization's external-users policy, so that sign-in, sessions, new passwords, single
//! sign-on and the provider's authorize always agree.
//!
//! An operator who sells Gatehouse as a service requires a subscription
//! (`--require-subscription`). Then, while an organization has no active trial or
//! subscription, what it enforces on others pauses: its members follow its default policy
//! with single sign-on enforcement and required two-step verification switched off (its
//! password and session rules stay), its other policies and its external-users policy are not
//! applied. Nothing stored changes, so enforcement resumes as it was on subscribing. What a
//! person does for their own account (two-step, passkeys) is never paused. The policies as
//! stored are what the admin-lockout guard protects: they are what applies again on
//! subscribing.

use super::model::{ExternalPolicy, Policy, SsoRule, TwoStepRule};
use crate::Timestamp;
use crate::error::{CoreError, Result};
use crate::ids::{AccountId, OrgId};
use crate::ports::{PolicyReads, SubscriptionReads};

/// Whether organizations' policies are enforced always or only while they are subscribed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Enforcement {
    /// Every policy applies as stored: a self-hosted installation computes its bill and gates
    /// nothing (the default).
    #[default]
    Always,
    /// An organization's policies apply while it has an active trial or subscription.
    WhileSubscribed,
}

impl Enforcement {
    /// The operator's `--require-subscription`.
    pub fn requiring_subscription(required: bool) -> Self {
        if required { Self::WhileSubscribed } else { Self::Always }
    }

    pub fn requires_subscription(self) -> bool {
        self == Self::WhileSubscribed
    }

    /// Whether the organization's enforcement is paused at `now`: a subscription is required
    /// and it has no active trial or subscription.
    pub async fn is_paused<T: SubscriptionReads + Send>(self, r: &mut T, org: OrgId, now: Timestamp) -> Result<bool> {
        if self == Self::Always {
            return Ok(false);
        }
        let found = r.find_subscription(org).await?;
        Ok(!found.is_some_and(|s| s.is_entitled(now)))
    }

    /// The policy the account's sign-ins, sessions and passwords follow: the policy of the
    /// organization that manages it, or while that organization's enforcement is paused, its
    /// default policy as [`paused`] makes it. `None`: no organization manages the account.
    pub async fn policy_of<T: PolicyReads + SubscriptionReads + Send>(
        self,
        r: &mut T,
        account: AccountId,
        now: Timestamp,
    ) -> Result<Option<Policy>> {
        let Some(policy) = r.find_policy_of(account).await? else {
            return Ok(None);
        };
        if !self.is_paused(r, policy.org_id, now).await? {
            return Ok(Some(policy));
        }
        let default = if policy.is_default {
            policy
        } else {
            r.find_default_policy(policy.org_id)
                .await?
                .ok_or_else(|| CoreError::internal("the organization has no default policy"))?
        };
        Ok(Some(paused(default)))
    }

    /// The organization's external-users policy, unless its enforcement is paused.
    pub async fn external_policy_of<T: PolicyReads + SubscriptionReads + Send>(
        self,
        r: &mut T,
        org: OrgId,
        now: Timestamp,
    ) -> Result<Option<ExternalPolicy>> {
        if self.is_paused(r, org, now).await? {
            return Ok(None);
        }
        r.find_external_policy(org).await
    }
}

/// A default policy as it applies while enforcement is paused: no single sign-on enforcement,
/// two-step verification optional; its password and session rules as they are.
pub fn paused(mut default: Policy) -> Policy {
    default.settings.sso = SsoRule::default();
    default.settings.two_step_verification = TwoStepRule::Optional;
    default
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{IdpId, PolicyId};
    use serde_json::json;

    #[test]
    fn a_paused_policy_keeps_its_password_and_session_rules_only() {
        let org = OrgId::new();
        let mut p = Policy::default_for(
            org,
            SsoRule {
                enforced: true,
                identity_provider_id: Some(IdpId::new()),
            },
            Timestamp::from_millis(0),
        );
        p.settings = p
            .settings
            .patched(
                &json!({"two_step_verification": "required", "password": {"min_length": 20},
                "session": {"idle_minutes": 30}}),
            )
            .unwrap();
        let id: PolicyId = p.id;
        let q = paused(p.clone());
        assert_eq!(q.id, id);
        assert!(!q.settings.sso_enforced());
        assert_eq!(q.settings.sso, SsoRule::default());
        assert_eq!(q.settings.two_step_verification, TwoStepRule::Optional);
        assert_eq!(q.settings.password, p.settings.password);
        assert_eq!(q.settings.session, p.settings.session);
    }

    #[test]
    fn the_flag_picks_the_enforcement() {
        assert_eq!(Enforcement::default(), Enforcement::Always);
        assert!(Enforcement::requiring_subscription(true).requires_subscription());
        assert!(!Enforcement::requiring_subscription(false).requires_subscription());
    }
}
