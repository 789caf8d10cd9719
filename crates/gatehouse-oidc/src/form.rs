//! The parameters of a query or form body, checked once for the rules every endpoint shares.
//!
//! RFC 6749 §3.1 and §3.2: parameters sent without a value are treated as omitted, unrecognized
//! ones are ignored, and none may be included more than once. On top of that, this crate bounds
//! the number of pairs and the length of every name and value, so no endpoint works on absurd input.

use crate::error::{OAuthError, invalid_request};

/// Most pairs a request may carry, known or not.
pub(crate) const MAX_PAIRS: usize = 64;
/// Longest value (bytes) of any parameter; longer ones are refused, never truncated.
pub(crate) const MAX_VALUE: usize = 4096;
/// Longest parameter name (bytes).
const MAX_NAME: usize = 128;

/// The known parameters of one request, each at most once.
#[derive(Debug)]
pub(crate) struct Form<'a> {
    found: Vec<(&'static str, &'a str)>,
}

impl<'a> Form<'a> {
    /// Collects the parameters named in `known` from `pairs`.
    pub(crate) fn collect(pairs: &'a [(String, String)], known: &[&'static str]) -> Result<Self, OAuthError> {
        if pairs.len() > MAX_PAIRS {
            return Err(invalid_request("The request has too many parameters."));
        }
        let mut found: Vec<(&'static str, &'a str)> = Vec::with_capacity(known.len());
        for (name, value) in pairs {
            let known_name = known.iter().copied().find(|k| *k == name);
            if name.len() > MAX_NAME || value.len() > MAX_VALUE {
                return Err(match known_name {
                    Some(k) => OAuthError::new(
                        crate::ErrorCode::InvalidRequest,
                        format!("The {k} parameter is too long."),
                    ),
                    None => invalid_request("A parameter of the request is too long."),
                });
            }
            // RFC 6749 §3.1: "Parameters sent without a value MUST be treated as if they were
            // omitted from the request."
            let Some(k) = known_name else { continue };
            if value.is_empty() {
                continue;
            }
            if found.iter().any(|(seen, _)| *seen == k) {
                return Err(OAuthError::new(
                    crate::ErrorCode::InvalidRequest,
                    format!("The {k} parameter is included more than once."),
                ));
            }
            found.push((k, value.as_str()));
        }
        Ok(Self { found })
    }

    /// The value of a known parameter, if it was sent with a value.
    pub(crate) fn get(&self, name: &str) -> Option<&'a str> {
        self.found.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }

    /// The value as an owned string.
    pub(crate) fn owned(&self, name: &str) -> Option<String> {
        self.get(name).map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
    }

    #[test]
    fn empty_values_count_as_absent_and_unknown_names_are_ignored() {
        let p = pairs(&[("a", ""), ("a", "1"), ("zzz", "x"), ("zzz", "y")]);
        let form = Form::collect(&p, &["a", "b"]).unwrap();
        assert_eq!(form.get("a"), Some("1"));
        assert_eq!(form.get("b"), None);
    }

    #[test]
    fn duplicates_are_refused_by_name() {
        let p = pairs(&[("a", "1"), ("a", "2")]);
        let err = Form::collect(&p, &["a"]).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidRequest);
        assert_eq!(err.description, "The a parameter is included more than once.");
    }

    #[test]
    fn bounds_hold_for_unknown_parameters_too() {
        let long = "x".repeat(MAX_VALUE + 1);
        let p = pairs(&[("other", long.as_str())]);
        assert!(Form::collect(&p, &["a"]).is_err());
        let many: Vec<(String, String)> = (0..=MAX_PAIRS).map(|i| (format!("p{i}"), "v".to_owned())).collect();
        assert!(Form::collect(&many, &["a"]).is_err());
    }
}
