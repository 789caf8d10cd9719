//! The bill of the current cycle: the billable count priced by the price list, by the
//! subscription's cycle. Pure: the counts, the subscription and the list come in.

use super::cycle::Cycle;
use super::pricing::{AnnualQuote, PriceTable};
use super::subscription::{Status, Subscription};
use crate::Timestamp;

/// What the organization owes for the cycle it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bill {
    pub billable_users: i64,
    /// `monthly` without a paid subscription: what a month costs at today's count.
    pub cycle: Cycle,
    /// The cycle's price: a monthly subscription (or none) pays the graduated monthly total
    /// of today's count; an annual one pays the price of the tier it bought.
    pub amount_cents: u128,
    pub currency: String,
    /// The annual tier bought (annual subscriptions).
    pub annual_tier: Option<u64>,
    /// An annual subscription whose organization grew past its tier: the quote for the tier
    /// that holds it now. Nothing stops working meanwhile.
    pub next_tier_quote: Option<AnnualQuote>,
    /// Whether the amount is charged: a paid subscription runs (not a trial, not none).
    pub charged: bool,
}

/// Prices `billable_users` for the organization's subscription at `now`.
pub fn bill(billable_users: i64, subscription: &Subscription, prices: &PriceTable, now: Timestamp) -> Bill {
    let users = u64::try_from(billable_users).unwrap_or(0);
    let status = subscription.status_at(now);
    let running = matches!(status, Status::Active | Status::Cancelled);
    let paid = subscription.paid.filter(|_| running);
    let tier = paid.and_then(|p| p.annual_tier).map(|t| u64::from(t.users()));
    let (cycle, amount, next) = match (paid.map(|p| p.cycle), tier) {
        (Some(Cycle::Annual), Some(t)) => (
            Cycle::Annual,
            prices.annual_for(t).total_cents,
            prices.next_tier_quote(t, users),
        ),
        _ => (Cycle::Monthly, prices.monthly_total(users).total_cents, None),
    };
    Bill {
        billable_users,
        cycle,
        amount_cents: amount,
        currency: prices.currency().as_str().to_owned(),
        annual_tier: tier,
        next_tier_quote: next,
        charged: running,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::subscription::Offer;
    use crate::ids::OrgId;

    fn at(days: i64) -> Timestamp {
        Timestamp::from_millis(1_800_000_000_000 + days * 86_400_000)
    }

    #[test]
    fn without_a_subscription_a_month_of_the_count_is_what_it_would_cost() {
        let none = Subscription::none(OrgId::new(), at(0));
        let b = bill(150, &none, &PriceTable::default(), at(0));
        assert_eq!((b.cycle, b.amount_cents, b.charged), (Cycle::Monthly, 57_500, false));
        assert_eq!(b.currency, "USD");
        assert_eq!(bill(0, &none, &PriceTable::default(), at(0)).amount_cents, 0);
    }

    #[test]
    fn an_annual_subscription_pays_its_tier_and_is_quoted_the_next_when_it_grows() {
        let s = Subscription::none(OrgId::new(), at(0))
            .subscribe(Offer::parse("annual", Some(250)).unwrap(), at(0))
            .unwrap();
        let b = bill(200, &s, &PriceTable::default(), at(1));
        assert_eq!(
            (b.cycle, b.amount_cents, b.annual_tier),
            (Cycle::Annual, 925_000, Some(250))
        );
        assert_eq!(b.next_tier_quote, None);
        assert!(b.charged);
        let grown = bill(251, &s, &PriceTable::default(), at(1));
        assert_eq!(grown.amount_cents, 925_000, "the tier bought is what this cycle costs");
        let q = grown.next_tier_quote.expect("a quote");
        // The 500 tier: 10 × (100 × 400 + 400 × 350) = 1,800,000.
        assert_eq!((q.tier, q.total_cents), (Some(500), 1_800_000));
    }

    #[test]
    fn a_monthly_subscription_pays_the_graduated_total() {
        let s = Subscription::none(OrgId::new(), at(0))
            .subscribe(Offer::parse("monthly", None).unwrap(), at(0))
            .unwrap();
        let b = bill(101, &s, &PriceTable::default(), at(3));
        assert_eq!((b.cycle, b.amount_cents, b.charged), (Cycle::Monthly, 40_350, true));
    }
}
