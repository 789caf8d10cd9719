//! `/api/v1/orgs/{org_id}/billing`: who the organization pays for, and why.

use super::common::list_type;
use crate::error::{ApiResult, Problem};
use crate::export::neutralize;
use crate::extract::{Admin, ApiQuery};
use crate::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use gatehouse_core::authz::OrgAdmin;
use gatehouse_core::billing::{BillingRule, RuleCounts};
use gatehouse_core::error::Validator;
use gatehouse_core::model::OrgAccount;
use gatehouse_core::page::PageRequest;
use gatehouse_core::services::BilledFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The accounts of the organization counted per billing rule. Every rule is present, and the
/// counts sum to all the organization's accounts.
#[derive(Serialize, ToSchema)]
pub struct ByRule {
    pub deactivated: i64,
    pub unmanaged: i64,
    pub free_org: i64,
    pub enterprise_plan: i64,
    pub non_billable_policy: i64,
    pub statuspage_paid: i64,
    pub jsm_portal_only: i64,
    pub enterprise_editions_only: i64,
    pub no_product_access: i64,
    pub billable: i64,
}

impl ByRule {
    pub fn new(c: &RuleCounts) -> Self {
        use BillingRule as R;
        Self {
            deactivated: c.get(R::Deactivated),
            unmanaged: c.get(R::Unmanaged),
            free_org: c.get(R::FreeOrg),
            enterprise_plan: c.get(R::EnterprisePlan),
            non_billable_policy: c.get(R::NonBillablePolicy),
            statuspage_paid: c.get(R::StatuspagePaid),
            jsm_portal_only: c.get(R::JsmPortalOnly),
            enterprise_editions_only: c.get(R::EnterpriseEditionsOnly),
            no_product_access: c.get(R::NoProductAccess),
            billable: c.get(R::Billable),
        }
    }
}

/// The quote for the annual tier that holds the organization now.
#[derive(Serialize, ToSchema)]
pub struct TierQuote {
    /// The tier's users; null above the last tier (a year of the organization's own count).
    pub annual_tier: Option<u64>,
    pub amount_cents: u64,
}

#[derive(Serialize, ToSchema)]
pub struct BillingResponse {
    /// Unique users the organization pays for, across every product, counted once each.
    pub billable_users: i64,
    /// The current cycle's amount: a monthly subscription (or none) the graduated monthly
    /// total of `billable_users`; an annual one the price of the tier it bought.
    pub amount_cents: u64,
    /// Whether the amount is charged: a paid subscription runs (false during a trial or
    /// without one, when the amount is what a month would cost).
    pub charged: bool,
    /// The price list's currency (ISO 4217).
    pub currency: String,
    /// `monthly` or `annual`.
    pub cycle: String,
    /// Annual subscriptions: the tier bought.
    pub annual_tier: Option<u64>,
    /// An annual subscription that grew past its tier: the updated quote for the tier that
    /// holds it. Everything keeps working meanwhile.
    pub next_tier_quote: Option<TierQuote>,
    /// The subscription: status, trial end, renewal.
    pub subscription: super::subscription::SubscriptionResponse,
    /// Every account of the organization counted under the one rule that decides its bill.
    pub by_rule: ByRule,
    /// All the organization's accounts (the sum of `by_rule`).
    pub accounts: i64,
}

/// The organization's bill: how many users it pays for and why each account is or is not one.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/billing", tag = "billing", security(("api_key" = [])),
    params(("org_id" = String, Path)),
    responses((status = 200, body = BillingResponse), (status = 401, body = Problem)))]
pub async fn summary(State(st): State<AppState>, Admin(admin): Admin) -> ApiResult<Json<BillingResponse>> {
    let (c, bill) = st.services.billing.bill(&admin, &st.pricing).await?;
    let subscription = st.services.subscriptions.get(&admin).await?.into();
    let cents = |v: u128| u64::try_from(v).unwrap_or(u64::MAX);
    Ok(Json(BillingResponse {
        amount_cents: cents(bill.amount_cents),
        charged: bill.charged,
        currency: bill.currency,
        cycle: bill.cycle.as_str().to_owned(),
        annual_tier: bill.annual_tier,
        next_tier_quote: bill.next_tier_quote.map(|q| TierQuote {
            annual_tier: q.tier,
            amount_cents: cents(q.total_cents),
        }),
        subscription,
        billable_users: c.by_rule.billable(),
        accounts: c.by_rule.total(),
        by_rule: ByRule::new(&c.by_rule),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct BilledAccount {
    pub id: String,
    pub email: String,
    pub display_name: String,
    /// active or deactivated.
    pub status: String,
    pub is_managed: bool,
    pub has_product_access: bool,
    /// Whether the organization pays for the account.
    pub billable: bool,
    /// The one rule that decides: deactivated, unmanaged, free_org, enterprise_plan,
    /// non_billable_policy, statuspage_paid, jsm_portal_only, enterprise_editions_only,
    /// no_product_access or billable.
    pub rule: String,
}

impl From<OrgAccount> for BilledAccount {
    fn from(a: OrgAccount) -> Self {
        let rule = a.billing_rule();
        Self {
            has_product_access: a.has_product_access(),
            id: a.account.id.to_string(),
            email: a.account.email,
            display_name: a.account.display_name,
            status: a.account.status.to_string(),
            is_managed: a.is_managed,
            billable: rule.is_billable(),
            rule: rule.to_string(),
        }
    }
}

list_type!(BilledAccountList, BilledAccount);

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct BilledQuery {
    /// true: the accounts the organization pays for; false: the others.
    pub billable: Option<String>,
    /// One rule's accounts (see `rule` in the answer).
    pub rule: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

impl BilledQuery {
    fn filter(&self) -> gatehouse_core::Result<BilledFilter> {
        let mut v = Validator::default();
        let billable = self.billable.as_deref().and_then(|b| match b {
            "true" => Some(true),
            "false" => Some(false),
            _ => {
                v.check::<()>(Err(gatehouse_core::CoreError::validation(
                    "billable",
                    "must be true or false",
                )));
                None
            }
        });
        let rule = self
            .rule
            .as_deref()
            .and_then(|r| v.check(BillingRule::parse(r, "rule")));
        v.finish()?;
        Ok(BilledFilter { billable, rule })
    }
}

/// Each account of the organization with its billing flag and rule, in id order.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/billing/accounts", tag = "billing", security(("api_key" = [])),
    params(("org_id" = String, Path), BilledQuery),
    responses((status = 200, body = BilledAccountList), (status = 422, body = Problem)))]
pub async fn accounts(
    State(st): State<AppState>,
    Admin(admin): Admin,
    ApiQuery(q): ApiQuery<BilledQuery>,
) -> ApiResult<Json<BilledAccountList>> {
    let filter = q.filter()?;
    let page = PageRequest::parse(q.cursor.as_deref(), q.limit)?;
    let p = st.services.billing.accounts(&admin, filter, &page).await?;
    Ok(Json(BilledAccountList::from_page(p, BilledAccount::from)))
}

/// Accounts per page of the export.
const EXPORT_CHUNK: u32 = 1000;

/// The same accounts as CSV (id, email, display_name, status, is_managed, has_product_access,
/// billable, rule), streamed page by page.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/billing/accounts/export", tag = "billing", security(("api_key" = [])),
    params(("org_id" = String, Path), BilledQuery),
    responses((status = 200, content_type = "text/csv", description = "CSV with a header row"), (status = 422, body = Problem)))]
pub async fn export(
    State(st): State<AppState>,
    Admin(admin): Admin,
    ApiQuery(q): ApiQuery<BilledQuery>,
) -> ApiResult<Response> {
    let filter = q.filter()?;
    // The first page is read before answering, so a refusal gets its status.
    let first = st
        .services
        .billing
        .accounts(&admin, filter, &PageRequest::first(EXPORT_CHUNK))
        .await?;
    let stream = futures::stream::unfold(
        (Some(first), true, st, admin),
        move |(page, head, st, admin): (Option<gatehouse_core::page::Page<OrgAccount>>, bool, AppState, OrgAdmin)| async move {
            let page = page?;
            let bytes = csv_rows(page.items, head);
            let next = match page.next_cursor {
                None => None,
                Some(c) => {
                    let req = PageRequest::parse(Some(&c), Some(EXPORT_CHUNK)).ok()?;
                    match st.services.billing.accounts(&admin, filter, &req).await {
                        Ok(p) => Some(p),
                        Err(e) => return Some((Err(std::io::Error::other(e.to_string())), (None, false, st, admin))),
                    }
                }
            };
            Some((bytes, (next, false, st, admin)))
        },
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"billing-accounts.csv\"".to_owned(),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

fn csv_rows(items: Vec<OrgAccount>, header: bool) -> Result<Bytes, std::io::Error> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(items.len() * 120));
    if header {
        w.write_record([
            "id",
            "email",
            "display_name",
            "status",
            "is_managed",
            "has_product_access",
            "billable",
            "rule",
        ])?;
    }
    for a in items.into_iter().map(BilledAccount::from) {
        let flags = [a.is_managed, a.has_product_access, a.billable].map(|b| if b { "true" } else { "false" });
        let cells = [
            a.id.as_str(),
            a.email.as_str(),
            a.display_name.as_str(),
            a.status.as_str(),
            flags[0],
            flags[1],
            flags[2],
            a.rule.as_str(),
        ];
        for c in cells {
            w.write_field(neutralize(c).as_bytes())?;
        }
        w.write_record(None::<&[u8]>)?;
    }
    w.into_inner()
        .map(Bytes::from)
        .map_err(|e| std::io::Error::other(e.to_string()))
}

/// One cycle's run: the counts and amount stored when the cycle ended, and its invoice record.
#[derive(Serialize, ToSchema)]
pub struct RunResponse {
    pub id: String,
    pub invoice_number: String,
    /// `monthly` or `annual`.
    pub cycle: String,
    pub period_start: String,
    pub period_end: String,
    pub billable_users: i64,
    /// Every rule's count when the run was made.
    pub by_rule: std::collections::BTreeMap<String, i64>,
    pub amount_cents: i64,
    pub currency: String,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct RunList {
    pub items: Vec<RunResponse>,
}

/// The organization's billing runs (one per cycle of a paid subscription), newest first; the
/// last 120.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/billing/runs", tag = "billing", security(("api_key" = [])),
    params(("org_id" = String, Path)),
    responses((status = 200, body = RunList), (status = 401, body = Problem)))]
pub async fn runs(State(st): State<AppState>, Admin(admin): Admin) -> ApiResult<Json<RunList>> {
    let items = st
        .services
        .billing
        .runs(&admin, 120)
        .await?
        .into_iter()
        .map(|r| RunResponse {
            id: r.id,
            invoice_number: r.invoice_number,
            cycle: r.cycle.as_str().to_owned(),
            period_start: r.period.start.to_rfc3339(),
            period_end: r.period.end.to_rfc3339(),
            billable_users: r.billable_users,
            by_rule: r.by_rule.into_iter().collect(),
            amount_cents: r.amount_cents,
            currency: r.currency,
            created_at: r.created_at.to_rfc3339(),
        })
        .collect();
    Ok(Json(RunList { items }))
}
