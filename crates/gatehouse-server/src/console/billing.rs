//! The console's billing page: the subscription, this cycle's count with its breakdown by rule
//! and its amount, the runs of past cycles, and the way to the estimate.

use super::common::{Chrome, Console};
use crate::state::AppState;
use crate::web::pages::{PageResult, render};
use askama::Template;
use axum::extract::State;
use gatehouse_core::billing::BillingRule;

#[derive(Template)]
#[template(path = "billing.html")]
struct BillingPage {
    c: Chrome,
    notice: Option<&'static str>,
    errors: Vec<String>,
    status: &'static str,
    trial_ends_at: Option<String>,
    renews_at: Option<String>,
    cancel_at: Option<String>,
    cycle: &'static str,
    annual_tier: Option<u64>,
    billable_users: i64,
    amount: String,
    charged: bool,
    next_tier_quote: Option<String>,
    by_rule: Vec<(&'static str, i64, &'static str)>,
    runs: Vec<(String, String, i64, String)>,
}

/// `12345` cents in `USD` as people read it: `USD 123.45`.
fn money(cents: u128, currency: &str) -> String {
    format!("{currency} {}.{:02}", cents / 100, cents % 100)
}

fn meaning(r: BillingRule) -> &'static str {
    match r {
        BillingRule::Deactivated => "deactivated accounts",
        BillingRule::Unmanaged => "accounts the organization does not manage (their people's own)",
        BillingRule::FreeOrg => "a community or academic organization",
        BillingRule::EnterprisePlan => "the organization's Enterprise plan includes Gatehouse",
        BillingRule::NonBillablePolicy => "members of a non-billable policy",
        BillingRule::StatuspagePaid => "access to a paid Statuspage includes Gatehouse",
        BillingRule::JsmPortalOnly => "Jira Service Management portal customers only",
        BillingRule::EnterpriseEditionsOnly => "access on Enterprise-edition instances only",
        BillingRule::NoProductAccess => "no product access",
        BillingRule::Billable => "billed",
    }
}

pub async fn page(State(st): State<AppState>, console: Console) -> PageResult {
    let (counts, bill) = st.services.billing.bill(&console.admin, &st.pricing).await?;
    let view = st.services.subscriptions.get(&console.admin).await?;
    let runs = st.services.billing.runs(&console.admin, 24).await?;
    let day = |t: gatehouse_core::Timestamp| t.to_rfc3339().chars().take(10).collect::<String>();
    let paid = view.subscription.paid;
    render(&BillingPage {
        c: console.chrome("billing"),
        notice: None,
        errors: Vec::new(),
        status: view.status.as_str(),
        trial_ends_at: view.subscription.trial.map(|t| day(t.ends_at)),
        renews_at: view.renews_at.map(day),
        cancel_at: paid.and_then(|p| p.cancel_at).map(day),
        cycle: bill.cycle.as_str(),
        annual_tier: bill.annual_tier,
        billable_users: bill.billable_users,
        amount: money(bill.amount_cents, &bill.currency),
        charged: bill.charged,
        next_tier_quote: bill.next_tier_quote.map(|q| {
            let tier = q
                .tier
                .map_or_else(|| "above the last tier".to_owned(), |t| format!("the {t}-user tier"));
            format!("{tier} costs {} a year", money(q.total_cents, &bill.currency))
        }),
        by_rule: counts
            .by_rule
            .0
            .iter()
            .map(|(r, n)| (r.as_str(), *n, meaning(*r)))
            .collect(),
        runs: runs
            .into_iter()
            .map(|r| {
                let period = format!("{} – {}", day(r.period.start), day(r.period.end));
                let amount = money(u128::try_from(r.amount_cents).unwrap_or(0), &r.currency);
                (r.invoice_number, period, r.billable_users, amount)
            })
            .collect(),
    })
}
