//! The public price estimate: `GET /api/v1/billing/estimate?users=N&cycle=monthly|annual`.
//! No sign-in (a prospect asks it before there is an organization); it only multiplies the
//! price list in force, so the per-address limit of the API is all it needs.

use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::ApiQuery;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use gatehouse_core::CoreError;
use gatehouse_core::billing::pricing::{Cycle, Estimate, TierLine, parse_user_count};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The query as sent: strings, so that a wrong value is answered with its own message.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EstimateQuery {
    users: Option<String>,
    cycle: Option<String>,
}

/// One tier's share of a monthly total.
#[derive(Serialize, ToSchema)]
pub struct EstimateTier {
    /// The first user the tier prices.
    pub from: u64,
    /// The last user the tier prices; null: unbounded.
    pub to: Option<u64>,
    /// How many of the users fall in this tier.
    pub users: u64,
    /// Price per user per month, in cents.
    pub unit_cents: u32,
    pub subtotal_cents: u128,
}

impl From<TierLine> for EstimateTier {
    fn from(l: TierLine) -> Self {
        Self {
            from: l.from,
            to: l.to,
            users: l.users,
            unit_cents: l.unit_cents,
            subtotal_cents: l.subtotal_cents,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct EstimateResponse {
    pub users: u64,
    /// `monthly` or `annual`.
    pub cycle: &'static str,
    /// ISO 4217 code of the amounts, which are in its minor unit (cents).
    pub currency: String,
    /// Monthly: the month's total. Annual: the year's price (10 × the monthly total of the
    /// annual tier's user count, or of `users` above the last tier).
    pub total_cents: u128,
    /// `total_cents / users` rounded half up (per user per month, or per user per year); 0 for
    /// 0 users.
    pub average_cents_per_user: u128,
    /// The graduated monthly breakdown, lowest tier first: of `users`, or annually of the
    /// annual tier's user count. Only tiers holding at least one user are listed.
    pub tiers: Vec<EstimateTier>,
    /// Annual only: the tier bought, in users (the smallest that holds `users`, 25 for 0);
    /// null above the last tier, and for a monthly estimate.
    pub annual_tier: Option<u64>,
}

impl EstimateResponse {
    fn new(currency: &str, e: Estimate) -> Self {
        Self {
            users: e.users,
            cycle: e.cycle.as_str(),
            currency: currency.to_owned(),
            total_cents: e.total_cents,
            average_cents_per_user: e.average_cents_per_user,
            tiers: e.tiers.into_iter().map(EstimateTier::from).collect(),
            annual_tier: e.annual_tier,
        }
    }
}

/// A query value that does not parse: 400, like any malformed query, naming the parameter.
fn bad_query(e: CoreError) -> ApiError {
    match e {
        CoreError::Validation { fields } => ApiError {
            detail: gatehouse_core::FieldError::describe_all(&fields),
            errors: fields,
            ..ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", "")
        },
        other => ApiError::from(other),
    }
}

/// What `users` users would pay, monthly or on an annual plan, at the price list in force.
#[utoipa::path(get, path = "/api/v1/billing/estimate", tag = "billing",
    params(
        ("users" = u64, Query, description = "Users to price: 0 to 10,000,000,000."),
        ("cycle" = Option<String>, Query, description = "`monthly` (default) or `annual`."),
    ),
    responses((status = 200, body = EstimateResponse), (status = 400, body = Problem, description = "invalid_query: users missing, negative, not a whole number or above 10,000,000,000; cycle not monthly or annual; an unknown parameter")))]
pub async fn estimate(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<EstimateQuery>,
) -> ApiResult<Json<EstimateResponse>> {
    let users = parse_user_count(q.users.as_deref(), "users").map_err(bad_query)?;
    let cycle = match q.cycle.as_deref() {
        Some(raw) => Cycle::parse(raw).map_err(bad_query)?,
        None => Cycle::Monthly,
    };
    let estimate = st.pricing.estimate(users, cycle);
    Ok(Json(EstimateResponse::new(st.pricing.currency().as_str(), estimate)))
}
