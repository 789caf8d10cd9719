//! SAML instants: `xs:dateTime` in UTC (saml-core §1.3.3), to and from unix milliseconds.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Formats unix milliseconds as `2026-12-06T14:45:34Z` (saml-core §1.3.3: UTC, no time zone
/// offset other than `Z`; second precision is what IdPs expect).
pub fn format(unix_ms: i64) -> String {
    let secs = unix_ms.div_euclid(1000);
    let dt = OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

/// Parses an `xs:dateTime` with a time zone (`Z` or an offset) into unix milliseconds.
/// A value without a zone is refused: saml-core §1.3.3 requires UTC.
pub fn parse(text: &str) -> Option<i64> {
    let dt = OffsetDateTime::parse(text.trim(), &Rfc3339).ok()?;
    i64::try_from(dt.unix_timestamp_nanos() / 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_round_trip_at_second_precision() {
        let ms = 1_796_568_334_000;
        assert_eq!(format(ms), "2026-12-06T14:45:34Z");
        assert_eq!(parse("2026-12-06T14:45:34Z"), Some(ms));
        assert_eq!(parse("2026-12-06T14:45:34.250Z"), Some(ms + 250));
        assert_eq!(parse("2026-12-06T15:45:34+01:00"), Some(ms));
    }

    #[test]
    fn an_instant_without_a_zone_is_refused() {
        assert_eq!(parse("2026-12-06T14:45:34"), None);
        assert_eq!(parse("yesterday"), None);
    }
}
