//! `cargo +nightly fuzz run filter`: the filter parser must never panic, and whatever it accepts must print to
//! text that parses back to the same tree (unless printing pushed it over the length or depth limit).
#![no_main]

use gatehouse_scim::schema::ResourceKind;
use gatehouse_scim::{parse_filter, validate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(filter) = parse_filter(text) else { return };
    let printed = filter.to_string();
    match parse_filter(&printed) {
        Ok(reparsed) => assert_eq!(reparsed, filter, "{text:?} printed as {printed:?}"),
        Err(e) => assert!(
            e.detail.contains("longer than") || e.detail.contains("nested deeper"),
            "{text:?} printed as {printed:?}, which fails: {e}"
        ),
    }
    for kind in [ResourceKind::User, ResourceKind::Group] {
        if let Ok(typed) = validate(&filter, kind) {
            let _ = typed.matches(&serde_json::json!({"userName": "x", "emails": [{"value": "a@b"}]}));
        }
    }
});
