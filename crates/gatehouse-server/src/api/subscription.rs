//! The organization's subscription: `/api/v1/orgs/{org_id}/billing/...`. A 30-day trial an
//! admin starts without payment details (once), then monthly or annual cycles anchored at the
//! subscription's start (UTC), cancelled at any time with effect at the end of the cycle.
//! Refusals are 409 with a code; bad input 422 with the field.

use crate::error::{ApiResult, Problem};
use crate::extract::{Admin, ApiJson};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use gatehouse_core::Timestamp;
use gatehouse_core::billing::subscription::{AnnualTier, Offer};
use gatehouse_core::services::SubscriptionView;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The subscription as it stands now.
#[derive(Serialize, ToSchema)]
pub struct SubscriptionResponse {
    /// `none`, `trial`, `trial_expired`, `active`, `cancelled` (active until `cancel_at`) or
    /// `ended`.
    pub status: String,
    /// `monthly` or `annual`; null before subscribing.
    pub cycle: Option<String>,
    pub trial_started_at: Option<String>,
    /// 30 days after the trial's start, or when it converted into a subscription.
    pub trial_ends_at: Option<String>,
    /// The subscription's start: every cycle is anchored at its day of the month and time
    /// (UTC); a month without that day ends its cycle on its last day.
    pub started_at: Option<String>,
    /// The cycle now running (while a subscription runs).
    pub current_cycle_start: Option<String>,
    pub current_cycle_end: Option<String>,
    /// When it renews next; null when it does not (no subscription, or cancelled).
    pub renews_at: Option<String>,
    /// When a cancellation takes effect: the end of the cycle it was made in.
    pub cancel_at: Option<String>,
    /// Annual subscriptions: the number of users bought.
    pub annual_tier: Option<u32>,
    /// The operator requires a subscription and there is none running: enforcement of single
    /// sign-on, required two-step verification and non-default policies is paused.
    pub enforcement_paused: bool,
}

fn time(t: Option<Timestamp>) -> Option<String> {
    t.map(Timestamp::to_rfc3339)
}

impl From<SubscriptionView> for SubscriptionResponse {
    fn from(v: SubscriptionView) -> Self {
        let s = v.subscription;
        let paid = s.paid.as_ref();
        Self {
            status: v.status.as_str().to_owned(),
            cycle: paid.map(|p| p.cycle.as_str().to_owned()),
            trial_started_at: time(s.trial.map(|t| t.started_at)),
            trial_ends_at: time(s.trial.map(|t| t.ends_at)),
            started_at: time(paid.map(|p| p.started_at)),
            current_cycle_start: time(v.period.map(|p| p.start)),
            current_cycle_end: time(v.period.map(|p| p.end)),
            renews_at: time(v.renews_at),
            cancel_at: time(paid.and_then(|p| p.cancel_at)),
            annual_tier: paid.and_then(|p| p.annual_tier).map(AnnualTier::users),
            enforcement_paused: v.enforcement_paused,
        }
    }
}

/// What to subscribe to.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscribeRequest {
    /// `monthly` or `annual`.
    pub cycle: String,
    /// Annual only, and then required: the users bought, one of 25, 50, 100, 250, 500, 1000,
    /// 2000, 5000, 10000, 25000, 50000, 100000.
    pub annual_tier: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/billing/subscription", tag = "billing", security(("api_key" = [])),
    params(("org_id" = String, Path)),
    responses((status = 200, body = SubscriptionResponse), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get(State(st): State<AppState>, Admin(admin): Admin) -> ApiResult<Json<SubscriptionResponse>> {
    Ok(Json(st.services.subscriptions.get(&admin).await?.into()))
}

/// Starts the 30-day trial (`billing.trial_started`), without payment details.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/billing/trial", tag = "billing", security(("api_key" = [])),
    params(("org_id" = String, Path)),
    responses((status = 201, body = SubscriptionResponse),
        (status = 409, body = Problem, description = "trial_already_used, trial_not_available (the organization had a subscription)")))]
pub async fn start_trial(
    State(st): State<AppState>,
    Admin(admin): Admin,
) -> ApiResult<(StatusCode, Json<SubscriptionResponse>)> {
    let view = st.services.subscriptions.start_trial(&admin).await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// Subscribes from now (`billing.subscribed`); a running trial converts.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/billing/subscription", tag = "billing", security(("api_key" = [])),
    params(("org_id" = String, Path)), request_body = SubscribeRequest,
    responses((status = 201, body = SubscriptionResponse),
        (status = 409, body = Problem, description = "already_subscribed"),
        (status = 422, body = Problem, description = "cycle, annual_tier")))]
pub async fn subscribe(
    State(st): State<AppState>,
    Admin(admin): Admin,
    ApiJson(body): ApiJson<SubscribeRequest>,
) -> ApiResult<(StatusCode, Json<SubscriptionResponse>)> {
    let offer = Offer::parse(&body.cycle, body.annual_tier)?;
    let view = st.services.subscriptions.subscribe(&admin, offer).await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// Cancels at the end of the current cycle (`billing.cancelled`); it runs until then.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/billing/subscription", tag = "billing", security(("api_key" = [])),
    params(("org_id" = String, Path)),
    responses((status = 200, body = SubscriptionResponse, description = "cancelled; `cancel_at` says when it ends"),
        (status = 409, body = Problem, description = "nothing_to_cancel, already_cancelled")))]
pub async fn cancel(State(st): State<AppState>, Admin(admin): Admin) -> ApiResult<Json<SubscriptionResponse>> {
    Ok(Json(st.services.subscriptions.cancel(&admin).await?.into()))
}

/// Withdraws a cancellation before it takes effect (`billing.resumed`).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/billing/subscription/resume", tag = "billing", security(("api_key" = [])),
    params(("org_id" = String, Path)),
    responses((status = 200, body = SubscriptionResponse), (status = 409, body = Problem, description = "not_cancelled")))]
pub async fn resume(State(st): State<AppState>, Admin(admin): Admin) -> ApiResult<Json<SubscriptionResponse>> {
    Ok(Json(st.services.subscriptions.resume(&admin).await?.into()))
}
