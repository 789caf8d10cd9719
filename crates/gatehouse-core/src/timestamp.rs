//! Instants in UTC, held as milliseconds since the Unix epoch (how both engines store them).

use crate::error::{CoreError, Result};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A UTC instant with millisecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    pub fn now() -> Self {
        let now = OffsetDateTime::now_utc();
        Self((now.unix_timestamp_nanos() / 1_000_000) as i64)
    }

    #[must_use]
    pub fn plus_secs(self, secs: i64) -> Self {
        Self(self.0.saturating_add(secs.saturating_mul(1000)))
    }

    #[must_use]
    pub fn plus_millis(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// Parses RFC 3339 (`2026-11-29T10:00:00Z`); `field` names the input in the error.
    pub fn parse_rfc3339(s: &str, field: &str) -> Result<Self> {
        let dt = OffsetDateTime::parse(s, &Rfc3339)
            .map_err(|_| CoreError::validation(field, "must be an RFC 3339 date-time such as 2026-01-31T09:00:00Z"))?;
        Ok(Self((dt.unix_timestamp_nanos() / 1_000_000) as i64))
    }

    pub fn to_rfc3339(self) -> String {
        let nanos = i128::from(self.0) * 1_000_000;
        OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .ok()
            .and_then(|d| d.format(&Rfc3339).ok())
            .unwrap_or_else(|| self.0.to_string())
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_at_millisecond_precision() {
        let t = Timestamp::parse_rfc3339("2026-11-29T10:11:12.345Z", "t").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-29T10:11:12.345Z");
    }

    #[test]
    fn a_date_without_time_is_rejected() {
        assert!(Timestamp::parse_rfc3339("2026-11-29", "since").is_err());
    }
}
