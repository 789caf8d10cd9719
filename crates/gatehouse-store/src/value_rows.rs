//! The value index of a provisioned user: the rows a SCIM resource flattens to. Its own file
//! so the JSON row writers and the SCIM statements both use it without importing each other.

use gatehouse_core::value_index;

/// One indexed value of a user: where it is (lower-cased path, element: its position in a
/// multi-valued attribute), its text, and typed copies so numbers and dateTimes order as such.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ValueRow {
    pub path: String,
    pub element: i64,
    pub value: String,
    /// A JSON number's value.
    pub num: Option<f64>,
    /// A string that is an RFC 3339 instant (RFC 7643 §2.3.5), in epoch milliseconds (UTC).
    pub time: Option<i64>,
}

/// The instant a string names, if it is an RFC 3339 date-time. A cheap shape check first: most
/// values are names and addresses.
fn instant(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    gatehouse_core::Timestamp::parse_rfc3339(s, "value")
        .ok()
        .map(gatehouse_core::Timestamp::millis)
}

/// The rows indexing a user's resource: each string, number and boolean with its path (named
/// as `gatehouse_core::value_index` says) and element. Capped, so a huge resource cannot flood
/// the index.
pub(crate) fn flatten(resource: &str) -> Vec<ValueRow> {
    fn leaf(prefix: &str, element: i64, v: &serde_json::Value) -> Option<ValueRow> {
        let (value, num, time) = match v {
            serde_json::Value::String(s) => (s.chars().take(512).collect(), None, instant(s)),
            serde_json::Value::Bool(b) => (b.to_string(), None, None),
            serde_json::Value::Number(n) => (n.to_string(), n.as_f64(), None),
            _ => return None,
        };
        Some(ValueRow {
            path: prefix.to_owned(),
            element,
            value,
            num,
            time,
        })
    }
    fn walk(prefix: &str, v: &serde_json::Value, element: i64, out: &mut Vec<ValueRow>, depth: u8) {
        if out.len() >= 300 || depth > 3 {
            return;
        }
        match v {
            serde_json::Value::Object(o) => {
                for (k, x) in o {
                    walk(&value_index::sub_path(prefix, k), x, element, out, depth + 1);
                }
            }
            serde_json::Value::Array(a) if depth <= 1 => {
                for (i, x) in a.iter().enumerate() {
                    walk(prefix, x, i as i64, out, depth + 1);
                }
            }
            other => out.extend(leaf(prefix, element, other)),
        }
    }
    let mut out = Vec::new();
    let Ok(serde_json::Value::Object(top)) = serde_json::from_str::<serde_json::Value>(resource) else {
        return out;
    };
    for (k, v) in &top {
        let key = value_index::attr_path(None, k);
        match v {
            serde_json::Value::Object(inner) if key.starts_with("urn:") => {
                for (ik, x) in inner {
                    walk(&value_index::attr_path(Some(k), ik), x, 0, &mut out, 1);
                }
            }
            // Their own columns answer these; indexing them again would only cost writes.
            _ if matches!(key.as_str(), "username" | "externalid" | "active" | "id") => {}
            _ => walk(&key, v, 0, &mut out, 0),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_flatten_to_paths_elements_and_values() {
        let rows = flatten(
            r#"{"schemas":["x"],"userName":"Ada","emails":[{"type":"work","value":"A@x.org"},{"type":"home","value":"b@y.org"}],
            "name":{"familyName":"Lovelace"},"active":true,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"7","manager":{"value":"m1"}}}"#,
        );
        let has = |p: &str, e: i64, v: &str| rows.iter().any(|r| r.path == p && r.element == e && r.value == v);
        assert!(
            !rows.iter().any(|r| r.path == "username"),
            "userName has its own column"
        );
        assert!(
            has("emails.type", 1, "home") && has("emails.value", 1, "b@y.org") && has("emails.value", 0, "A@x.org")
        );
        assert!(has("name.familyname", 0, "Lovelace"));
        assert!(!rows.iter().any(|r| r.path == "active"), "active has its own column");
        assert!(has(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:employeenumber",
            0,
            "7"
        ));
        assert!(has(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:manager.value",
            0,
            "m1"
        ));
        assert!(has("schemas", 0, "x"), "schemas can be filtered on");
    }

    #[test]
    fn numbers_and_instants_get_typed_copies_and_nothing_else_does() {
        let rows = flatten(
            r#"{"n":{"int":42,"dec":-1.5,"numeric_text":"42"},
            "dates":[{"z":"2011-05-13T04:42:34Z","offset":"2011-05-13T06:42:34.250+02:00","day":"2011-05-13",
            "nonsense":"2011-13-45T99:00:00Z","flag":true}]}"#,
        );
        let row = |p: &str| {
            rows.iter()
                .find(|r| r.path == p)
                .unwrap_or_else(|| panic!("{p}: {rows:?}"))
        };
        assert_eq!((row("n.int").num, row("n.int").value.as_str()), (Some(42.0), "42"));
        assert_eq!(row("n.dec").num, Some(-1.5));
        assert_eq!(row("n.numeric_text").num, None, "a string is not a number");
        assert_eq!(row("n.int").time, None);
        let z = 1_305_261_754_000;
        assert_eq!(row("dates.z").time, Some(z));
        assert_eq!(row("dates.offset").time, Some(z + 250), "same instant, another offset");
        assert_eq!(row("dates.day").time, None, "a date is not an instant");
        assert_eq!(row("dates.nonsense").time, None);
        assert_eq!((row("dates.flag").num, row("dates.flag").time), (None, None));
        assert!(rows.iter().all(|r| r.num.is_none() || r.time.is_none()));
    }
}
