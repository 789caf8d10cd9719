//! Helpers shared by the integration tests.
#![allow(dead_code)]

use serde_json::Value;

/// Reads `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Decodes a form-encoded query into pairs, as the server's extractor does.
pub fn pairs(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

/// Pairs from literal names and values.
pub fn literal(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// RFC 6749 §5.2: `error_description` is limited to `%x20-21 / %x23-5B / %x5D-7E`.
pub fn assert_description_charset(description: &str) {
    assert!(
        description
            .bytes()
            .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E)),
        "description outside RFC 6749 charset: {description}"
    );
    assert!(!description.is_empty());
}
