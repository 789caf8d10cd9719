//! Subscriptions as an organization's admins manage them (the trial, subscribing, cancelling
//! and withdrawing a cancellation), the operator's plan and free status, and the record of
//! enforcement paused and resumed for want of a subscription. The rules themselves are
//! `billing::subscription`'s; each change here is one transaction, locked per organization,
//! with its audit event.

use crate::Timestamp;
use crate::audit::{AuditAction, AuditEvent, RequestMeta};
use crate::authz::{Operator, OrgAdmin};
use crate::billing::cycle::Period;
use crate::billing::subscription::{Offer, Status, Subscription};
use crate::error::{CoreError, Result};
use crate::ids::OrgId;
use crate::model::Org;
use crate::policy::Enforcement;
use crate::ports::prelude::*;
use crate::product::{FreeKind, Plan};
use std::sync::Arc;

/// How many organizations one pass of the enforcement record reads at a time.
const BATCH: u32 = 200;

/// An organization's subscription at one moment, as admins see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionView {
    pub subscription: Subscription,
    pub status: Status,
    /// The cycle now runs in, while a subscription runs.
    pub period: Option<Period>,
    /// When it renews next (not while cancelled).
    pub renews_at: Option<Timestamp>,
    /// Enforcement of the organization's policies is paused (the operator requires a
    /// subscription and it has none running).
    pub enforcement_paused: bool,
}

/// What a pass of the enforcement record did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EnforcementPass {
    /// Organizations whose pause was recorded.
    pub paused: usize,
    /// Organizations whose recorded pause ended because the operator stopped requiring a
    /// subscription.
    pub resumed: usize,
}

/// Subscriptions, plans and free status.
pub struct Subscriptions<S: Store> {
    store: S,
    clock: Arc<dyn crate::ports::Clock>,
    enforcement: Enforcement,
}

impl<S: Store> Clone for Subscriptions<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            clock: Arc::clone(&self.clock),
            enforcement: self.enforcement,
        }
    }
}

impl<S: Store> Subscriptions<S> {
    pub(crate) fn new(store: S, clock: Arc<dyn crate::ports::Clock>) -> Self {
        Self {
            store,
            clock,
            enforcement: Enforcement::Always,
        }
    }

    /// Pauses and resumes enforcement as `enforcement` says.
    #[must_use]
    pub(crate) fn with_enforcement(mut self, enforcement: Enforcement) -> Self {
        self.enforcement = enforcement;
        self
    }

    /// The organization's subscription now.
    pub async fn get(&self, admin: &OrgAdmin) -> Result<SubscriptionView> {
        let now = self.clock.now();
        let found = self.store.reader().await?.find_subscription(admin.org()).await?;
        Ok(self.view(found.unwrap_or_else(|| Subscription::none(admin.org(), now)), now))
    }

    /// Whether enforcement of the organization's policies is paused now (for the console's
    /// banner); reads nothing when no subscription is required.
    pub async fn is_enforcement_paused(&self, admin: &OrgAdmin) -> Result<bool> {
        if !self.enforcement.requires_subscription() {
            return Ok(false);
        }
        let mut r = self.store.reader().await?;
        self.enforcement.is_paused(&mut r, admin.org(), self.clock.now()).await
    }

    /// Starts the 30-day trial, without payment details: once per organization, 409
    /// `trial_already_used` (or `trial_not_available` after a subscription) otherwise.
    pub async fn start_trial(&self, admin: &OrgAdmin) -> Result<SubscriptionView> {
        self.change(admin, AuditAction::BillingTrialStarted, Subscription::start_trial)
            .await
    }

    /// Subscribes now (the anchor of its cycles); a running trial converts. 409
    /// `already_subscribed` while a subscription runs.
    pub async fn subscribe(&self, admin: &OrgAdmin, offer: Offer) -> Result<SubscriptionView> {
        self.change(admin, AuditAction::BillingSubscribed, |s, now| s.subscribe(offer, now))
            .await
    }

    /// Cancels at the end of the current cycle. 409 `nothing_to_cancel` or
    /// `already_cancelled`.
    pub async fn cancel(&self, admin: &OrgAdmin) -> Result<SubscriptionView> {
        self.change(admin, AuditAction::BillingCancelled, Subscription::cancel)
            .await
    }

    /// Withdraws a cancellation that has not taken effect. 409 `not_cancelled`.
    pub async fn resume(&self, admin: &OrgAdmin) -> Result<SubscriptionView> {
        self.change(admin, AuditAction::BillingResumed, Subscription::resume)
            .await
    }

    /// One change by an admin: the rule applied to the record under the organization's lock,
    /// the record and its event written together. A change that gives the organization a
    /// running trial or subscription ends a recorded pause, with its own event.
    async fn change(
        &self,
        admin: &OrgAdmin,
        action: AuditAction,
        rule: impl FnOnce(&Subscription, Timestamp) -> Result<Subscription>,
    ) -> Result<SubscriptionView> {
        let (org, now) = (admin.org(), self.clock.now());
        let mut tx = self.store.begin().await?;
        tx.lock_org(org).await?;
        let before = tx
            .find_subscription(org)
            .await?
            .unwrap_or_else(|| Subscription::none(org, now));
        let mut after = rule(&before, now)?;
        let resumes = before.enforcement_paused_at.is_some() && after.is_entitled(now);
        if resumes {
            after.enforcement_paused_at = None;
        }
        tx.put_subscription(&after).await?;
        let ev = admin
            .acting()
            .event(action, now)
            .target("org", org, None)
            .before(&before)
            .after(&after);
        tx.insert_event(&ev).await?;
        if resumes {
            let ev = admin
                .acting()
                .event(AuditAction::BillingEnforcementResumed, now)
                .target("org", org, None)
                .after(&serde_json::json!({ "reason": action.name(), "paused_since": before.enforcement_paused_at }));
            tx.insert_event(&ev).await?;
        }
        tx.commit().await?;
        Ok(self.view(after, now))
    }

    fn view(&self, subscription: Subscription, now: Timestamp) -> SubscriptionView {
        let status = subscription.status_at(now);
        SubscriptionView {
            period: subscription.current_period(now),
            renews_at: subscription.renews_at(now),
            enforcement_paused: self.enforcement.requires_subscription() && !status.is_entitled(),
            status,
            subscription,
        }
    }

    /// The operator sets the organization's plan. Unknown organization: `NotFound`.
    pub async fn set_plan(&self, operator: &Operator, org: OrgId, plan: Plan) -> Result<Org> {
        self.change_org(operator, org, AuditAction::OrgPlanChanged, |o| Org {
            plan,
            ..o.clone()
        })
        .await
    }

    /// The operator makes the organization free (community or academic), or ends that with
    /// `None`. Unknown organization: `NotFound`.
    pub async fn set_free(&self, operator: &Operator, org: OrgId, free: Option<FreeKind>) -> Result<Org> {
        self.change_org(operator, org, AuditAction::OrgFreeChanged, |o| Org {
            free,
            ..o.clone()
        })
        .await
    }

    /// An operator's change of the organization's row, with its event; no change, no event.
    async fn change_org(
        &self,
        operator: &Operator,
        org: OrgId,
        action: AuditAction,
        change: impl FnOnce(&Org) -> Org,
    ) -> Result<Org> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.lock_org(org).await?;
        let before = tx
            .find_org(org)
            .await?
            .ok_or(CoreError::NotFound { entity: "organization" })?;
        let after = change(&before);
        if after == before {
            return Ok(before);
        }
        tx.update_org(&after).await?;
        let ev = AuditEvent::new(org, operator.actor(), &RequestMeta::default(), action, now)
            .target("org", org, Some(&after.name))
            .before(&serde_json::json!({ "plan": before.plan.as_str(), "free": before.free.map(FreeKind::as_str) }))
            .after(&serde_json::json!({ "plan": after.plan.as_str(), "free": after.free.map(FreeKind::as_str) }));
        tx.insert_event(&ev).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The enforcement record, as a periodic job runs it. While a subscription is required,
    /// each organization whose trial or subscription ended, or that never had one, gets
    /// `billing.enforcement_paused` once (`subscriptions.enforcement_paused_at`); starting a
    /// trial or subscribing ends it. While none is required, each recorded pause ends with
    /// `billing.enforcement_resumed`.
    pub async fn record_enforcement(&self) -> Result<EnforcementPass> {
        let mut pass = EnforcementPass::default();
        let required = self.enforcement.requires_subscription();
        loop {
            let now = self.clock.now();
            let batch = {
                let mut r = self.store.reader().await?;
                if required {
                    r.list_lapsed_unpaused(now, BATCH).await?
                } else {
                    r.list_paused(BATCH).await?
                }
            };
            let mut done = 0;
            for s in &batch {
                if self.record_one(s.org_id, required, now).await? {
                    done += 1;
                }
            }
            if required {
                pass.paused += done;
            } else {
                pass.resumed += done;
            }
            // A short batch was the last; one where nothing was recorded would come back the same.
            if batch.len() < BATCH as usize || done == 0 {
                return Ok(pass);
            }
        }
    }

    /// Records the pause (`pause`) or its end for one organization, checked again under its
    /// lock; whether it recorded.
    async fn record_one(&self, org: OrgId, pause: bool, now: Timestamp) -> Result<bool> {
        let mut tx = self.store.begin().await?;
        tx.lock_org(org).await?;
        let before = tx
            .find_subscription(org)
            .await?
            .unwrap_or_else(|| Subscription::none(org, now));
        let due = if pause {
            before.enforcement_paused_at.is_none() && !before.is_entitled(now)
        } else {
            before.enforcement_paused_at.is_some()
        };
        if !due {
            return Ok(false);
        }
        let (action, detail) = if pause {
            let status = before.status_at(now).as_str();
            (
                AuditAction::BillingEnforcementPaused,
                serde_json::json!({ "status": status }),
            )
        } else {
            let since = before.enforcement_paused_at;
            let detail = serde_json::json!({ "reason": "subscription_not_required", "paused_since": since });
            (AuditAction::BillingEnforcementResumed, detail)
        };
        let after = Subscription {
            enforcement_paused_at: pause.then_some(now),
            updated_at: now,
            ..before
        };
        tx.put_subscription(&after).await?;
        let actor = crate::audit::Actor::system("billing");
        let ev = AuditEvent::new(org, &actor, &RequestMeta::default(), action, now)
            .target("org", org, None)
            .after(&detail);
        tx.insert_event(&ev).await?;
        tx.commit().await?;
        Ok(true)
    }
}
