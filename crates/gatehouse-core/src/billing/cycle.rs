//! Billing cycles: monthly or annual, anchored at the subscription's start (UTC).
//!
//! Every cycle starts on the anchor's day of the month at the anchor's time of day. A month
//! too short for that day ends its cycle on its last day instead, and the next cycle goes back
//! to the anchor's day: a subscription started on January 31 renews on February 28 (29 in a
//! leap year), March 31, April 30, May 31... An annual one started on February 29 renews on
//! February 28 in the years that have no 29th, and on the 29th again in leap years.

use crate::Timestamp;
use crate::error::{CoreError, Result};
use time::{Date, Month, OffsetDateTime};

/// How often a subscription renews.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cycle {
    Monthly,
    Annual,
}

impl Cycle {
    /// Reads `monthly` or `annual`; anything else is a validation error on `cycle`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "monthly" => Ok(Self::Monthly),
            "annual" => Ok(Self::Annual),
            _ => Err(CoreError::validation("cycle", "must be monthly or annual")),
        }
    }

    /// The stable name, as stored and served.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Monthly => "monthly",
            Self::Annual => "annual",
        }
    }

    /// The cycle's length in calendar months.
    pub fn months(self) -> i64 {
        match self {
            Self::Monthly => 1,
            Self::Annual => 12,
        }
    }
}

impl std::fmt::Display for Cycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One cycle: from `start` (included) to `end` (excluded), when the next one starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl Period {
    /// The cycle of `cycle`, anchored at `anchor`, that contains `at`. Before the anchor there
    /// is no cycle yet: the answer is then the first one.
    pub fn containing(cycle: Cycle, anchor: Timestamp, at: Timestamp) -> Self {
        let anchor_dt = to_datetime(anchor);
        let at_dt = to_datetime(at);
        let months_apart = (i64::from(at_dt.year()) - i64::from(anchor_dt.year())) * 12
            + (i64::from(u8::from(at_dt.month())) - i64::from(u8::from(anchor_dt.month())));
        // A first guess from the calendar months between them, corrected by at most one cycle
        // either way (the anchor's day or time of day may not have come yet in `at`'s month).
        let mut n = months_apart.div_euclid(cycle.months()).max(0);
        while n > 0 && boundary(anchor_dt, cycle, n) > at {
            n -= 1;
        }
        while boundary(anchor_dt, cycle, n + 1) <= at {
            n += 1;
        }
        Self {
            start: boundary(anchor_dt, cycle, n),
            end: boundary(anchor_dt, cycle, n + 1),
        }
    }
}

/// The start of the `n`-th cycle after the anchor (the 0th is the anchor itself).
fn boundary(anchor: OffsetDateTime, cycle: Cycle, n: i64) -> Timestamp {
    let months = i64::from(u8::from(anchor.month())) - 1 + n * cycle.months();
    let year = i64::from(anchor.year()) + months.div_euclid(12);
    let month_index = u8::try_from(months.rem_euclid(12)).expect("a remainder of 12 fits in u8");
    let month = Month::January.nth_next(month_index);
    let year = i32::try_from(year).unwrap_or(i32::MAX);
    let day = anchor.day().min(month.length(year));
    let Ok(date) = Date::from_calendar_date(year, month, day) else {
        // Past the calendar's range (year 9999): no later cycle can start.
        return Timestamp::from_millis(i64::MAX);
    };
    from_datetime(anchor.replace_date(date))
}

fn to_datetime(t: Timestamp) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.millis()) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn from_datetime(d: OffsetDateTime) -> Timestamp {
    Timestamp::from_millis(i64::try_from(d.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s, "t").unwrap()
    }

    fn period(cycle: Cycle, anchor: &str, at: &str) -> (String, String) {
        let p = Period::containing(cycle, t(anchor), t(at));
        (p.start.to_rfc3339(), p.end.to_rfc3339())
    }

    fn pair(a: &str, b: &str) -> (String, String) {
        (a.to_owned(), b.to_owned())
    }

    #[test]
    fn names_round_trip_and_others_are_refused() {
        for c in [Cycle::Monthly, Cycle::Annual] {
            assert_eq!(Cycle::parse(c.as_str()).unwrap(), c);
        }
        let Err(CoreError::Validation { fields }) = Cycle::parse("weekly") else {
            panic!("weekly is no cycle")
        };
        assert_eq!(fields[0].field, "cycle");
    }

    #[test]
    fn a_monthly_cycle_runs_from_the_anchors_day_and_time_to_the_next_months() {
        let anchor = "2026-03-15T09:30:00Z";
        assert_eq!(
            period(Cycle::Monthly, anchor, anchor),
            pair("2026-03-15T09:30:00Z", "2026-04-15T09:30:00Z"),
            "the anchor starts the first cycle"
        );
        assert_eq!(
            period(Cycle::Monthly, anchor, "2026-04-15T09:29:59.999Z"),
            pair("2026-03-15T09:30:00Z", "2026-04-15T09:30:00Z"),
            "a millisecond before the renewal is still the first cycle"
        );
        assert_eq!(
            period(Cycle::Monthly, anchor, "2026-04-15T09:30:00Z"),
            pair("2026-04-15T09:30:00Z", "2026-05-15T09:30:00Z"),
        );
        assert_eq!(
            period(Cycle::Monthly, anchor, "2026-12-20T00:00:00Z"),
            pair("2026-12-15T09:30:00Z", "2027-01-15T09:30:00Z"),
            "across the year's end"
        );
        assert_eq!(
            period(Cycle::Monthly, anchor, "2027-01-15T08:00:00Z"),
            pair("2026-12-15T09:30:00Z", "2027-01-15T09:30:00Z"),
            "the anchor's time of day has not come yet"
        );
    }

    #[test]
    fn a_month_too_short_ends_on_its_last_day_and_the_next_goes_back_to_the_anchors_day() {
        let anchor = "2026-01-31T12:00:00Z";
        assert_eq!(
            period(Cycle::Monthly, anchor, "2026-02-10T00:00:00Z"),
            pair("2026-01-31T12:00:00Z", "2026-02-28T12:00:00Z"),
        );
        assert_eq!(
            period(Cycle::Monthly, anchor, "2026-03-01T00:00:00Z"),
            pair("2026-02-28T12:00:00Z", "2026-03-31T12:00:00Z"),
            "March goes back to the 31st"
        );
        assert_eq!(
            period(Cycle::Monthly, anchor, "2026-04-30T12:00:00Z"),
            pair("2026-04-30T12:00:00Z", "2026-05-31T12:00:00Z"),
        );
        let leap = "2028-01-31T12:00:00Z";
        assert_eq!(
            period(Cycle::Monthly, leap, "2028-02-15T00:00:00Z"),
            pair("2028-01-31T12:00:00Z", "2028-02-29T12:00:00Z"),
            "a leap year's February has its 29th"
        );
        assert_eq!(
            period(Cycle::Monthly, "2026-08-30T00:00:00Z", "2027-02-28T00:00:00Z"),
            pair("2027-02-28T00:00:00Z", "2027-03-30T00:00:00Z"),
            "the 30th clamps to the 28th in February"
        );
    }

    #[test]
    fn an_annual_cycle_from_february_29_renews_on_the_28th_in_other_years() {
        let anchor = "2028-02-29T06:00:00Z";
        assert_eq!(
            period(Cycle::Annual, anchor, "2028-12-31T23:59:59Z"),
            pair("2028-02-29T06:00:00Z", "2029-02-28T06:00:00Z"),
        );
        assert_eq!(
            period(Cycle::Annual, anchor, "2029-02-28T06:00:00Z"),
            pair("2029-02-28T06:00:00Z", "2030-02-28T06:00:00Z"),
        );
        assert_eq!(
            period(Cycle::Annual, anchor, "2031-06-01T00:00:00Z"),
            pair("2031-02-28T06:00:00Z", "2032-02-29T06:00:00Z"),
            "the next leap year has the 29th again"
        );
        assert_eq!(
            period(Cycle::Annual, "2026-07-04T00:00:00Z", "2027-07-03T23:59:59Z"),
            pair("2026-07-04T00:00:00Z", "2027-07-04T00:00:00Z"),
        );
    }

    #[test]
    fn before_the_anchor_the_answer_is_the_first_cycle() {
        assert_eq!(
            period(Cycle::Monthly, "2026-05-10T00:00:00Z", "2026-01-01T00:00:00Z"),
            pair("2026-05-10T00:00:00Z", "2026-06-10T00:00:00Z"),
        );
    }

    proptest::proptest! {
        /// Whatever the anchor and the time: the time falls in its cycle, the next cycle
        /// starts where this one ends, and a cycle starts at the anchor's time of day on the
        /// anchor's day of the month, or on the month's last day when it has no such day.
        #[test]
        fn every_time_falls_in_a_cycle_that_starts_on_the_anchors_day_or_the_months_last(
            anchor in 0i64..4_102_444_800_000,
            later in 0i64..(30 * 366 * 86_400_000),
            annual in proptest::bool::ANY,
        ) {
            let cycle = if annual { Cycle::Annual } else { Cycle::Monthly };
            let (anchor, at) = (Timestamp::from_millis(anchor), Timestamp::from_millis(anchor + later));
            let p = Period::containing(cycle, anchor, at);
            proptest::prop_assert!(p.start <= at && at < p.end, "{:?} {}", p, at.to_rfc3339());
            proptest::prop_assert_eq!(Period::containing(cycle, anchor, p.end).start, p.end);
            let (a, s) = (to_datetime(anchor), to_datetime(p.start));
            proptest::prop_assert_eq!(s.time(), a.time());
            proptest::prop_assert_eq!(s.day(), a.day().min(s.month().length(s.year())));
        }
    }
}
