//! An organization's subscription: a 30-day trial an admin starts once without payment
//! details, then monthly or annual cycles anchored at the subscription's start, cancelled at
//! any time with effect at the end of the cycle. Every rule is a pure function of the stored
//! record and the time; the service stores what these return.

use super::cycle::{Cycle, Period};
use crate::Timestamp;
use crate::error::{CoreError, Result};
use crate::ids::OrgId;

/// How long a trial lasts.
pub const TRIAL_DAYS: i64 = 30;

/// The user counts an annual subscription is bought for. The published price table
/// (`billing::pricing`) holds the same list; this one stands alone until the two are joined,
/// so a subscription does not depend on prices.
pub const ANNUAL_TIERS: [u32; 12] = [
    25, 50, 100, 250, 500, 1_000, 2_000, 5_000, 10_000, 25_000, 50_000, 100_000,
];

/// The number of users an annual subscription was bought for: one of [`ANNUAL_TIERS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct AnnualTier(u32);

impl AnnualTier {
    /// A tier from its user count; any other number is a validation error on `annual_tier`.
    pub fn parse(users: i64) -> Result<Self> {
        ANNUAL_TIERS
            .iter()
            .copied()
            .find(|&t| i64::from(t) == users)
            .map(Self)
            .ok_or_else(|| {
                let list: Vec<String> = ANNUAL_TIERS.iter().map(ToString::to_string).collect();
                CoreError::validation("annual_tier", format!("must be one of {}", list.join(", ")))
            })
    }

    pub fn users(self) -> u32 {
        self.0
    }
}

/// What an admin subscribes to: a cycle and, for an annual one, the tier bought.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offer {
    pub cycle: Cycle,
    pub annual_tier: Option<AnnualTier>,
}

impl Offer {
    /// Reads a request: an annual subscription names its tier, a monthly one none (it is
    /// billed for the users it has). Every field in error is named.
    pub fn parse(cycle: &str, annual_tier: Option<i64>) -> Result<Self> {
        let cycle = Cycle::parse(cycle)?;
        match (cycle, annual_tier) {
            (Cycle::Annual, Some(t)) => Ok(Self {
                cycle,
                annual_tier: Some(AnnualTier::parse(t)?),
            }),
            (Cycle::Annual, None) => Err(CoreError::validation(
                "annual_tier",
                "is required for an annual subscription: the number of users bought",
            )),
            (Cycle::Monthly, Some(_)) => Err(CoreError::validation(
                "annual_tier",
                "is for annual subscriptions only: a monthly one is billed for the users it has",
            )),
            (Cycle::Monthly, None) => Ok(Self {
                cycle,
                annual_tier: None,
            }),
        }
    }
}

/// The trial, once started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Trial {
    pub started_at: Timestamp,
    /// 30 days after the start, or the moment it converted into a subscription.
    pub ends_at: Timestamp,
}

/// The paid subscription, once taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Paid {
    pub cycle: Cycle,
    /// The anchor of every cycle.
    pub started_at: Timestamp,
    pub annual_tier: Option<AnnualTier>,
    /// When a cancellation takes effect: the end of the cycle in which it was made.
    pub cancel_at: Option<Timestamp>,
}

/// Where an organization stands at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Never had a trial or a subscription.
    None,
    Trial,
    TrialExpired,
    Active,
    /// Cancelled, and still active until `cancel_at`.
    Cancelled,
    /// Cancelled, and `cancel_at` has passed.
    Ended,
}

impl Status {
    /// The stable name, as served.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Trial => "trial",
            Self::TrialExpired => "trial_expired",
            Self::Active => "active",
            Self::Cancelled => "cancelled",
            Self::Ended => "ended",
        }
    }

    /// An active trial or subscription (a cancelled one until it ends).
    pub fn is_entitled(self) -> bool {
        matches!(self, Self::Trial | Self::Active | Self::Cancelled)
    }
}

/// An organization's subscription record. An organization without one is [`Subscription::none`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Subscription {
    pub org_id: OrgId,
    pub trial: Option<Trial>,
    pub paid: Option<Paid>,
    /// When pausing enforcement for want of a subscription was recorded (operators who
    /// require one); `None` while it applies.
    pub enforcement_paused_at: Option<Timestamp>,
    pub updated_at: Timestamp,
}

fn refused(code: &'static str, message: &str) -> CoreError {
    CoreError::conflict(code, None, message)
}

impl Subscription {
    /// The record of an organization that never had a trial or a subscription.
    pub fn none(org_id: OrgId, at: Timestamp) -> Self {
        Self {
            org_id,
            trial: None,
            paid: None,
            enforcement_paused_at: None,
            updated_at: at,
        }
    }

    /// Where the organization stands at `now`. A subscription outranks the trial it
    /// converted.
    pub fn status_at(&self, now: Timestamp) -> Status {
        match (&self.paid, &self.trial) {
            (Some(p), _) => match p.cancel_at {
                None => Status::Active,
                Some(end) if now < end => Status::Cancelled,
                Some(_) => Status::Ended,
            },
            (None, Some(t)) if now < t.ends_at => Status::Trial,
            (None, Some(_)) => Status::TrialExpired,
            (None, None) => Status::None,
        }
    }

    /// Whether the organization has an active trial or subscription at `now`.
    pub fn is_entitled(&self, now: Timestamp) -> bool {
        self.status_at(now).is_entitled()
    }

    /// The cycle `now` falls in, while the subscription runs.
    pub fn current_period(&self, now: Timestamp) -> Option<Period> {
        let p = self.paid.as_ref()?;
        if self.status_at(now) == Status::Ended {
            return None;
        }
        Some(Period::containing(p.cycle, p.started_at, now))
    }

    /// When the subscription renews next: the end of the current cycle, unless it was
    /// cancelled.
    pub fn renews_at(&self, now: Timestamp) -> Option<Timestamp> {
        if self.status_at(now) == Status::Active {
            self.current_period(now).map(|p| p.end)
        } else {
            None
        }
    }

    /// Starts the trial: once per organization, and only for one that never subscribed.
    pub fn start_trial(&self, now: Timestamp) -> Result<Self> {
        if self.trial.is_some() {
            return Err(refused(
                "trial_already_used",
                "The organization has had its trial: subscribe to continue.",
            ));
        }
        if self.paid.is_some() {
            return Err(refused(
                "trial_not_available",
                "The organization has had a subscription: a trial is for organizations that never had one.",
            ));
        }
        Ok(Self {
            trial: Some(Trial {
                started_at: now,
                ends_at: now.plus_secs(TRIAL_DAYS * 86_400),
            }),
            updated_at: now,
            ..self.clone()
        })
    }

    /// Subscribes from `now`, the anchor of its cycles: a running trial converts (it ends
    /// now), a trial that expired or a subscription that ended is followed by this one.
    pub fn subscribe(&self, offer: Offer, now: Timestamp) -> Result<Self> {
        match self.status_at(now) {
            Status::Active => {
                return Err(refused("already_subscribed", "The organization is subscribed already."));
            }
            Status::Cancelled => {
                return Err(refused(
                    "already_subscribed",
                    "The subscription is cancelled but runs until the end of its cycle: resume it instead.",
                ));
            }
            Status::None | Status::Trial | Status::TrialExpired | Status::Ended => {}
        }
        let trial = self.trial.map(|t| Trial {
            ends_at: t.ends_at.min(now),
            ..t
        });
        Ok(Self {
            trial,
            paid: Some(Paid {
                cycle: offer.cycle,
                started_at: now,
                annual_tier: offer.annual_tier,
                cancel_at: None,
            }),
            updated_at: now,
            ..self.clone()
        })
    }

    /// Cancels at the end of the current cycle; the subscription runs until then.
    pub fn cancel(&self, now: Timestamp) -> Result<Self> {
        match self.status_at(now) {
            Status::Active => {}
            Status::Cancelled => {
                return Err(refused(
                    "already_cancelled",
                    "The subscription is cancelled already; it ends at the end of its cycle.",
                ));
            }
            Status::None | Status::Trial | Status::TrialExpired | Status::Ended => {
                return Err(refused(
                    "nothing_to_cancel",
                    "The organization has no running subscription to cancel (a trial simply ends).",
                ));
            }
        }
        let end = self.current_period(now).map(|p| p.end);
        Ok(Self {
            paid: self.paid.map(|p| Paid { cancel_at: end, ..p }),
            updated_at: now,
            ..self.clone()
        })
    }

    /// Withdraws a cancellation before it takes effect: the subscription renews again.
    pub fn resume(&self, now: Timestamp) -> Result<Self> {
        if self.status_at(now) != Status::Cancelled {
            return Err(refused(
                "not_cancelled",
                "Only a cancelled subscription that has not ended yet can be resumed.",
            ));
        }
        Ok(Self {
            paid: self.paid.map(|p| Paid { cancel_at: None, ..p }),
            updated_at: now,
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s, "t").unwrap()
    }

    fn code(e: CoreError) -> &'static str {
        match e {
            CoreError::Conflict { code, .. } => code,
            other => panic!("not a conflict: {other:?}"),
        }
    }

    fn monthly() -> Offer {
        Offer::parse("monthly", None).unwrap()
    }

    #[test]
    fn a_trial_lasts_30_days_and_starts_once() {
        let start = t("2026-01-10T08:00:00Z");
        let s = Subscription::none(OrgId::new(), start);
        assert_eq!(s.status_at(start), Status::None);
        assert!(!s.is_entitled(start));
        let trial = s.start_trial(start).unwrap();
        assert_eq!(trial.trial.unwrap().ends_at, t("2026-02-09T08:00:00Z"));
        assert_eq!(trial.status_at(t("2026-02-09T07:59:59Z")), Status::Trial);
        assert!(trial.is_entitled(t("2026-02-09T07:59:59Z")));
        assert_eq!(trial.status_at(t("2026-02-09T08:00:00Z")), Status::TrialExpired);
        assert!(!trial.is_entitled(t("2026-02-09T08:00:00Z")));
        assert_eq!(
            code(trial.start_trial(t("2026-03-01T00:00:00Z")).unwrap_err()),
            "trial_already_used"
        );
        assert_eq!(trial.renews_at(start), None, "a trial does not renew");
    }

    #[test]
    fn subscribing_converts_a_trial_and_anchors_the_cycles_at_the_subscription() {
        let start = t("2026-01-10T08:00:00Z");
        let trial = Subscription::none(OrgId::new(), start).start_trial(start).unwrap();
        let at = t("2026-01-31T12:00:00Z");
        let paid = trial.subscribe(monthly(), at).unwrap();
        assert_eq!(paid.trial.unwrap().ends_at, at, "the trial ended when it converted");
        assert_eq!(paid.status_at(t("2026-06-01T00:00:00Z")), Status::Active);
        assert_eq!(
            paid.renews_at(t("2026-02-01T00:00:00Z")),
            Some(t("2026-02-28T12:00:00Z"))
        );
        assert_eq!(
            paid.renews_at(t("2026-03-05T00:00:00Z")),
            Some(t("2026-03-31T12:00:00Z"))
        );
        assert_eq!(code(paid.subscribe(monthly(), at).unwrap_err()), "already_subscribed");
        assert_eq!(code(paid.start_trial(at).unwrap_err()), "trial_already_used");
        let direct = Subscription::none(OrgId::new(), at).subscribe(monthly(), at).unwrap();
        assert_eq!(code(direct.start_trial(at).unwrap_err()), "trial_not_available");
    }

    #[test]
    fn a_cancellation_takes_effect_at_the_end_of_the_cycle_and_can_be_withdrawn_until_then() {
        let at = t("2026-01-31T12:00:00Z");
        let offer = Offer::parse("annual", Some(250)).unwrap();
        let paid = Subscription::none(OrgId::new(), at).subscribe(offer, at).unwrap();
        let asked = t("2026-07-01T00:00:00Z");
        let cancelled = paid.cancel(asked).unwrap();
        assert_eq!(cancelled.paid.unwrap().cancel_at, Some(t("2027-01-31T12:00:00Z")));
        assert_eq!(cancelled.status_at(t("2027-01-31T11:59:59Z")), Status::Cancelled);
        assert!(cancelled.is_entitled(t("2027-01-31T11:59:59Z")));
        assert_eq!(cancelled.renews_at(asked), None);
        assert_eq!(code(cancelled.cancel(asked).unwrap_err()), "already_cancelled");
        assert_eq!(
            code(cancelled.subscribe(monthly(), asked).unwrap_err()),
            "already_subscribed"
        );
        assert_eq!(
            cancelled.resume(asked).unwrap().status_at(t("2030-01-01T00:00:00Z")),
            Status::Active
        );
        let end = t("2027-01-31T12:00:00Z");
        assert_eq!(cancelled.status_at(end), Status::Ended);
        assert!(!cancelled.is_entitled(end));
        assert_eq!(cancelled.current_period(end), None);
        assert_eq!(code(cancelled.resume(end).unwrap_err()), "not_cancelled");
        assert_eq!(code(cancelled.cancel(end).unwrap_err()), "nothing_to_cancel");
        let again = cancelled.subscribe(monthly(), end.plus_secs(60)).unwrap();
        assert_eq!(
            again.status_at(end.plus_secs(60)),
            Status::Active,
            "an ended subscription can be taken anew"
        );
        assert_eq!(
            again.paid.unwrap().started_at,
            end.plus_secs(60),
            "anchored at the new start"
        );
    }

    #[test]
    fn nothing_to_cancel_without_a_subscription() {
        let at = t("2026-01-01T00:00:00Z");
        let none = Subscription::none(OrgId::new(), at);
        assert_eq!(code(none.cancel(at).unwrap_err()), "nothing_to_cancel");
        assert_eq!(
            code(none.start_trial(at).unwrap().cancel(at).unwrap_err()),
            "nothing_to_cancel"
        );
    }

    #[test]
    fn an_offer_names_a_tier_for_annual_only_and_only_a_sold_one() {
        assert_eq!(
            Offer::parse("annual", Some(100_000))
                .unwrap()
                .annual_tier
                .unwrap()
                .users(),
            100_000
        );
        for (cycle, tier, field) in [
            ("annual", None, "annual_tier"),
            ("annual", Some(251), "annual_tier"),
            ("annual", Some(-25), "annual_tier"),
            ("monthly", Some(25), "annual_tier"),
            ("weekly", None, "cycle"),
        ] {
            let Err(CoreError::Validation { fields }) = Offer::parse(cycle, tier) else {
                panic!("{cycle} {tier:?} is refused")
            };
            assert_eq!(fields[0].field, field, "{cycle} {tier:?}");
        }
    }
}
