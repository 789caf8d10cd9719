//! SCIM filter expressions (RFC 7644 §3.4.2.2): the syntax tree, its canonical printed form, the parser
//! ([`parse_filter`]) and schema validation ([`validate`]) into a [`TypedFilter`] that knows each attribute's type.
//!
//! Grammar (RFC 7644 §3.4.2.2, Figure 1), with the extensions noted on [`parse_filter`]:
//!
//! ```text
//! FILTER    = attrExp / logExp / valuePath / *1"not" "(" FILTER ")"
//! valuePath = attrPath "[" valFilter "]"
//! valFilter = attrExp / logExp / *1"not" "(" valFilter ")"
//! attrExp   = (attrPath SP "pr") / (attrPath SP compareOp SP compValue)
//! logExp    = FILTER SP ("and" / "or") SP FILTER
//! compValue = false / null / true / number / string      ; JSON (RFC 7159)
//! attrPath  = [URI ":"] ATTRNAME *1subAttr
//! ```

mod ast;
pub(crate) mod eval;
mod number;
pub(crate) mod parser;
pub(crate) mod typed;

pub use ast::{AttrPath, CompValue, CompareOp, Filter, JsonNumber, MAX_FILTER_DEPTH, MAX_FILTER_LEN};
pub use typed::{TypedAttr, TypedFilter, TypedValue, validate, validate_value_filter};

use crate::error::ScimError;

/// Parses a filter expression (RFC 7644 §3.4.2.2).
///
/// Keywords (`and`, `or`, `not`, `pr`, the operators, `true`/`false`/`null`) and attribute names are
/// case-insensitive. Precedence is `not` > `and` > `or`; `and` and `or` group to the left. Beyond the RFC grammar,
/// runs of whitespace are accepted wherever a space is, `$ref`-style names are accepted, and a value path may be
/// followed by a sub-attribute and a comparison (`emails[type eq "work"].value eq "x"`, as Microsoft Entra ID
/// sends), which is read as `emails[type eq "work" and value eq "x"]`.
///
/// # Errors
///
/// `invalidFilter`, with a detail naming the character where parsing failed, for malformed input, input longer
/// than [`MAX_FILTER_LEN`] bytes or nested deeper than [`MAX_FILTER_DEPTH`].
pub fn parse_filter(input: &str) -> Result<Filter, ScimError> {
    parser::parse_filter(input)
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
