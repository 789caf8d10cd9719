//! `cargo +nightly fuzz run patch_path`: the PATCH path parser must never panic, and accepted paths must print
//! to text that parses back to the same path.
#![no_main]

use gatehouse_scim::parse_path;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(path) = parse_path(text) else { return };
    let printed = path.to_string();
    match parse_path(&printed) {
        Ok(reparsed) => assert_eq!(reparsed, path, "{text:?} printed as {printed:?}"),
        Err(e) => assert!(
            e.detail.contains("longer than") || e.detail.contains("nested deeper"),
            "{text:?} printed as {printed:?}, which fails: {e}"
        ),
    }
});
