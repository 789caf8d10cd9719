//! PATCH operation paths (RFC 7644 §3.5.2, Figure 7; attribute notation §3.10):
//!
//! ```text
//! PATH = attrPath / valuePath [subAttr]
//! ```
//!
//! e.g. `name.familyName`, `members[value eq "2819c223-7f76-453a-919d-413861904646"]`,
//! `emails[type eq "work"].value` or
//! `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`.

use std::fmt;

use crate::error::ScimError;
use crate::filter::{AttrPath, Filter, parser};

/// A parsed PATCH `path`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PatchPath {
    /// The attribute; `sub_attr` is the sub-attribute either of `name.familyName` or after a value filter
    /// (`emails[type eq "work"].value`).
    pub attr: AttrPath,
    /// The value selection filter of a `valuePath`; its paths name sub-attributes of `attr`.
    pub filter: Option<Filter>,
}

/// Parses a PATCH path (RFC 7644 §3.5.2). Names and keywords are case-insensitive, as in filters.
///
/// # Errors
///
/// `invalidPath`, with a detail naming the character where parsing failed.
pub fn parse_path(input: &str) -> Result<PatchPath, ScimError> {
    parser::parse_path(input).map(|(attr, filter)| PatchPath { attr, filter })
}

impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(filter) = &self.filter else {
            return write!(f, "{}", self.attr);
        };
        if let Some(urn) = &self.attr.urn {
            write!(f, "{urn}:")?;
        }
        write!(f, "{}[{filter}]", self.attr.attr)?;
        if let Some(sub) = &self.attr.sub_attr {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::{CompValue, CompareOp};

    fn eq(attr: &str, value: &str) -> Filter {
        Filter::Compare {
            path: AttrPath::new(attr),
            op: CompareOp::Eq,
            value: CompValue::String(value.into()),
        }
    }

    #[test]
    fn a_simple_attribute_path_parses() {
        assert_eq!(
            parse_path("userName").unwrap(),
            PatchPath {
                attr: AttrPath::new("userName"),
                filter: None
            }
        );
    }

    #[test]
    fn a_sub_attribute_path_parses() {
        let p = parse_path("name.familyName").unwrap();
        assert_eq!(p.attr, AttrPath::with_sub("name", "familyName"));
        assert!(p.filter.is_none());
    }

    #[test]
    fn a_member_value_filter_parses() {
        let p = parse_path(r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#).unwrap();
        assert_eq!(p.attr, AttrPath::new("members"));
        assert_eq!(p.filter, Some(eq("value", "2819c223-7f76-453a-919d-413861904646")));
    }

    #[test]
    fn a_value_filter_followed_by_a_sub_attribute_parses() {
        let p = parse_path(r#"emails[type eq "work"].value"#).unwrap();
        assert_eq!(p.attr, AttrPath::with_sub("emails", "value"));
        assert_eq!(p.filter, Some(eq("type", "work")));
    }

    #[test]
    fn a_complex_value_filter_parses() {
        let p = parse_path(r#"emails[type eq "work" and value ew "example.com"]"#).unwrap();
        assert!(matches!(p.filter, Some(Filter::And(..))));
    }

    #[test]
    fn the_entra_manager_urn_path_parses() {
        let p = parse_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager").unwrap();
        assert_eq!(
            p.attr.urn.as_deref(),
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        );
        assert_eq!(p.attr.attr, "manager");
        assert_eq!(p.attr.sub_attr, None);
    }

    #[test]
    fn a_urn_path_with_a_sub_attribute_parses() {
        let p = parse_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value").unwrap();
        assert_eq!(p.attr.attr, "manager");
        assert_eq!(p.attr.sub_attr.as_deref(), Some("value"));
    }

    #[test]
    fn a_urn_path_with_a_value_filter_parses() {
        let p = parse_path(r#"urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value"#).unwrap();
        assert_eq!(
            p.attr.urn.as_deref(),
            Some("urn:ietf:params:scim:schemas:core:2.0:User")
        );
        assert_eq!(p.attr.sub_attr.as_deref(), Some("value"));
    }

    #[test]
    fn paths_print_in_a_form_that_parses_back() {
        for text in [
            "userName",
            "name.familyName",
            r#"members[value eq "x"]"#,
            r#"emails[type eq "work" and value ew "example.com"].display"#,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        ] {
            let p = parse_path(text).unwrap();
            assert_eq!(p.to_string(), text);
            assert_eq!(parse_path(&p.to_string()).unwrap(), p);
        }
    }

    #[test]
    fn malformed_paths_are_invalid_path_errors() {
        for text in [
            "",
            "emails[",
            r#"emails[type eq "work""#,
            r#"emails[type eq "work"]value"#,
            r#"emails[type eq "work"]."#,
            "name.familyName.x",
            "1abc",
            r#"name.givenName[value eq "x"]"#,
            r#"emails[type eq "work"] extra"#,
            ":userName",
        ] {
            let err = parse_path(text).unwrap_err();
            assert_eq!(err.scim_type, Some("invalidPath"), "{text}: {err}");
            assert_eq!(err.status, 400);
        }
    }

    #[test]
    fn the_path_error_says_where_parsing_stopped() {
        let err = parse_path(r#"emails[type eq "work""#).unwrap_err();
        assert!(err.detail.contains("expected ']'"), "{}", err.detail);
        assert!(err.detail.contains("character 22"), "{}", err.detail);
    }
}
