//! A billing run: at the end of each cycle of a paid subscription, a snapshot of the
//! organization's counts per rule and the cycle's amount, with the invoice record made of it
//! (no payment processor). Pure: which cycle is due, and the record.

use super::RuleCounts;
use super::bill::Bill;
use super::cycle::{Cycle, Period};
use super::subscription::Subscription;
use crate::Timestamp;
use crate::ids::OrgId;

/// One cycle's run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingRun {
    pub id: String,
    pub org_id: OrgId,
    pub cycle: Cycle,
    pub period: Period,
    pub billable_users: i64,
    /// Every rule's count, by name, when the run was made.
    pub by_rule: Vec<(String, i64)>,
    pub amount_cents: i64,
    pub currency: String,
    /// The invoice record's number: unique, derived from the run.
    pub invoice_number: String,
    pub created_at: Timestamp,
}

/// The last cycle of the subscription that ended by `now` and ran while it was paid, if any:
/// the one a run is due for.
pub fn due_period(s: &Subscription, now: Timestamp) -> Option<Period> {
    let paid = s.paid?;
    let current = Period::containing(paid.cycle, paid.started_at, now);
    if current.start <= paid.started_at {
        return None;
    }
    let last = Period::containing(
        paid.cycle,
        paid.started_at,
        Timestamp::from_millis(current.start.millis() - 1),
    );
    match paid.cancel_at {
        Some(end) if end <= last.start => None,
        _ => Some(last),
    }
}

impl BillingRun {
    /// The run of `period`, from the counts and the bill read now.
    pub fn new(org_id: OrgId, period: Period, counts: &RuleCounts, bill: &Bill, now: Timestamp) -> Self {
        let id = uuid::Uuid::now_v7();
        Self {
            invoice_number: format!("GH-{}", id.simple()).to_uppercase(),
            id: id.to_string(),
            org_id,
            cycle: bill.cycle,
            period,
            billable_users: counts.billable(),
            by_rule: counts.0.iter().map(|(r, n)| (r.as_str().to_owned(), *n)).collect(),
            amount_cents: i64::try_from(bill.amount_cents).unwrap_or(i64::MAX),
            currency: bill.currency.clone(),
            created_at: now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::subscription::Offer;

    fn day(d: i64) -> Timestamp {
        // 2027-01-31T00:00:00Z plus d days.
        Timestamp::from_millis(1_801_353_600_000 + d * 86_400_000)
    }

    #[test]
    fn a_run_is_due_for_each_cycle_that_ended_while_paid() {
        let none = Subscription::none(OrgId::new(), day(0));
        assert_eq!(due_period(&none, day(90)), None, "no paid subscription, no run");
        let s = none.subscribe(Offer::parse("monthly", None).unwrap(), day(0)).unwrap();
        assert_eq!(due_period(&s, day(10)), None, "the first cycle has not ended");
        // Jan 31 → Feb 28 (2027 is not a leap year) → Mar 31.
        let first = due_period(&s, day(29)).expect("the first cycle ended");
        assert_eq!((first.start, first.end), (day(0), day(28)));
        let second = due_period(&s, day(60)).unwrap();
        assert_eq!((second.start, second.end), (day(28), day(59)));
        let cancelled = s.cancel(day(40)).unwrap();
        assert_eq!(due_period(&cancelled, day(60)).map(|p| p.start), Some(day(28)));
        assert_eq!(
            due_period(&cancelled, day(100)),
            None,
            "nothing after the cancellation took effect"
        );
    }
}
