//! Billing: who the organization pays for, and why. Every figure comes from the one
//! classifier (`crate::billing::classify`) over the facts the store keeps per account.

use super::capability::capability;
use crate::Timestamp;
use crate::audit::{Actor, AuditAction, AuditEvent, RequestMeta};
use crate::authz::OrgAdmin;
use crate::billing::bill::Bill;
use crate::billing::cycle::Period;
use crate::billing::pricing::PriceTable;
use crate::billing::run::{BillingRun, due_period};
use crate::billing::subscription::Subscription;
use crate::billing::{BillingRule, FactsCount, RuleCounts, keys_for};
use crate::error::{CoreError, Result};
use crate::model::{Org, OrgAccount};
use crate::page::{Page, PageRequest};
use crate::ports::prelude::*;

/// Which accounts a billing listing shows: by flag, by rule, or both (both must hold).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BilledFilter {
    pub billable: Option<bool>,
    pub rule: Option<BillingRule>,
}

impl BilledFilter {
    /// The rules whose accounts the filter shows.
    pub fn rules(self) -> Vec<BillingRule> {
        BillingRule::ALL
            .into_iter()
            .filter(|r| self.billable.is_none_or(|b| r.is_billable() == b))
            .filter(|r| self.rule.is_none_or(|want| *r == want))
            .collect()
    }
}

/// An organization and its accounts counted per rule, read together.
#[derive(Debug, Clone)]
pub struct BillingCounts {
    pub org: Org,
    pub by_rule: RuleCounts,
}

capability!(
    Billing,
    "Billing: who the organization pays for, each account's rule, the counts."
);

impl<S: Store> Billing<S> {
    /// The counts and the bill of the current cycle, priced by `prices`.
    pub async fn bill(&self, admin: &OrgAdmin, prices: &PriceTable) -> Result<(BillingCounts, Bill)> {
        let now = self.clock.now();
        let mut r = self.store.reader().await?;
        let (org, groups) = org_and_tallies(&mut r, admin).await?;
        let subscription = r
            .find_subscription(org.id)
            .await?
            .unwrap_or_else(|| Subscription::none(org.id, now));
        let by_rule = RuleCounts::of(org.terms(), &groups);
        let bill = crate::billing::bill::bill(by_rule.billable(), &subscription, prices, now);
        Ok((BillingCounts { org, by_rule }, bill))
    }

    /// One page of the organization's accounts that the filter shows, in id order.
    pub async fn accounts(
        &self,
        admin: &OrgAdmin,
        filter: BilledFilter,
        page: &PageRequest,
    ) -> Result<Page<OrgAccount>> {
        let mut r = self.store.reader().await?;
        let (org, groups) = org_and_tallies(&mut r, admin).await?;
        let keys = keys_for(org.terms(), &groups, &filter.rules());
        r.billing_accounts(org.id, &keys, page).await
    }

    /// Accounts whose stored billing facts differ from the facts computed from scratch (0
    /// unless a write failed to keep them): the operator's consistency check.
    pub async fn drift(&self, org: crate::ids::OrgId) -> Result<i64> {
        self.store.reader().await?.billing_drift(org).await
    }
}

impl<S: Store> Billing<S> {
    /// Makes the run of every paid subscription's cycle that ended and has none yet: the
    /// counts per rule and the amount at the end of the cycle, and the invoice record, each in
    /// its own transaction with its `billing.run_completed` event. Answers how many were made.
    pub async fn run_due(&self, prices: &PriceTable) -> Result<usize> {
        let now = self.clock.now();
        let (mut after, mut made) = (None, 0);
        loop {
            let page = self.store.reader().await?.list_paid_subscriptions(after, 200).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.org_id);
            for s in &page {
                if let Some(period) = due_period(s, now) {
                    made += usize::from(self.run_one(s, period, prices, now).await?);
                }
            }
        }
        Ok(made)
    }

    async fn run_one(&self, s: &Subscription, period: Period, prices: &PriceTable, now: Timestamp) -> Result<bool> {
        let mut tx = self.store.begin().await?;
        tx.lock_org(s.org_id).await?;
        let Some(org) = tx.find_org(s.org_id).await? else {
            return Ok(false);
        };
        let counts = RuleCounts::of(org.terms(), &tx.billing_tallies(org.id).await?);
        // Priced as the subscription stood during the cycle (a cancelled one has ended by now).
        let bill = crate::billing::bill::bill(counts.billable(), s, prices, period.start);
        let run = BillingRun::new(org.id, period, &counts, &bill, now);
        if !tx.insert_billing_run(&run).await? {
            return Ok(false);
        }
        let after = serde_json::json!({
            "invoice_number": run.invoice_number,
            "cycle": run.cycle.as_str(),
            "period_start": period.start.to_rfc3339(),
            "period_end": period.end.to_rfc3339(),
            "billable_users": run.billable_users,
            "amount_cents": run.amount_cents,
            "currency": run.currency,
        });
        let actor = Actor::system("billing run");
        tx.insert_event(
            &AuditEvent::new(
                org.id,
                &actor,
                &RequestMeta::default(),
                AuditAction::BillingRunCompleted,
                now,
            )
            .target("billing_run", &run.id, Some(&run.invoice_number))
            .after(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The organization's runs, newest first.
    pub async fn runs(&self, admin: &OrgAdmin, limit: u32) -> Result<Vec<BillingRun>> {
        self.store.reader().await?.list_billing_runs(admin.org(), limit).await
    }
}

/// The admin's organization and its tallies, read on one connection.
async fn org_and_tallies(r: &mut (impl OrgReads + BillingReads), admin: &OrgAdmin) -> Result<(Org, Vec<FactsCount>)> {
    let org = r
        .find_org(admin.org())
        .await?
        .ok_or(CoreError::NotFound { entity: "organization" })?;
    let groups = r.billing_tallies(org.id).await?;
    Ok((org, groups))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_shows_the_rules_it_names() {
        let all = BilledFilter::default().rules();
        assert_eq!(all.len(), BillingRule::ALL.len());
        assert_eq!(
            BilledFilter {
                billable: Some(true),
                rule: None
            }
            .rules(),
            vec![BillingRule::Billable]
        );
        let not = BilledFilter {
            billable: Some(false),
            rule: None,
        }
        .rules();
        assert_eq!(not.len(), BillingRule::ALL.len() - 1);
        assert!(!not.contains(&BillingRule::Billable));
        let contradiction = BilledFilter {
            billable: Some(true),
            rule: Some(BillingRule::Deactivated),
        };
        assert!(contradiction.rules().is_empty());
    }
}
