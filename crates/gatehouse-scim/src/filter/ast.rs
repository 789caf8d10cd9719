//! The filter syntax tree (RFC 7644 §3.4.2.2) and its canonical printed form.

use std::fmt;

use crate::error::ScimError;

/// Longest filter or path accepted, in bytes; longer input is rejected before parsing.
pub const MAX_FILTER_LEN: usize = 4096;
/// Deepest nesting of parentheses, `not (…)` and value filters `[…]` accepted.
pub const MAX_FILTER_DEPTH: usize = 50;

/// An attribute path (RFC 7644 §3.10): optional schema URN, attribute name, optional sub-attribute.
///
/// Names keep the case they were written in; [`crate::schema::resolve_path`] matches them case-insensitively and
/// gives the canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath {
    /// The schema URN prefix, e.g. `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`.
    pub urn: Option<String>,
    /// The attribute name, e.g. `name`.
    pub attr: String,
    /// The sub-attribute name, e.g. `familyName`.
    pub sub_attr: Option<String>,
}

impl AttrPath {
    /// A path to a top-level attribute without URN.
    pub fn new(attr: impl Into<String>) -> Self {
        Self {
            urn: None,
            attr: attr.into(),
            sub_attr: None,
        }
    }

    /// A path to a sub-attribute without URN.
    pub fn with_sub(attr: impl Into<String>, sub_attr: impl Into<String>) -> Self {
        Self {
            urn: None,
            attr: attr.into(),
            sub_attr: Some(sub_attr.into()),
        }
    }

    /// Parses `[URI ":"] ATTRNAME ["." ATTRNAME]`, e.g. `name.familyName` or
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`.
    ///
    /// # Errors
    ///
    /// `invalidPath` when the text is not an attribute path.
    pub fn parse(text: &str) -> Result<Self, ScimError> {
        split_attr_path(text.trim()).map_err(|msg| ScimError::invalid_path(format!("{msg} in '{text}'")))
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.attr)?;
        if let Some(sub) = &self.sub_attr {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// An attribute operator (RFC 7644 §3.4.2.2, Table 3); `pr` is [`Filter::Present`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `eq`: equal.
    Eq,
    /// `ne`: not equal.
    Ne,
    /// `co`: contains.
    Co,
    /// `sw`: starts with.
    Sw,
    /// `ew`: ends with.
    Ew,
    /// `gt`: greater than.
    Gt,
    /// `ge`: greater than or equal to.
    Ge,
    /// `lt`: less than.
    Lt,
    /// `le`: less than or equal to.
    Le,
}

impl CompareOp {
    /// All operators, in the order of RFC 7644 Table 3.
    pub const ALL: [CompareOp; 9] = [
        Self::Eq,
        Self::Ne,
        Self::Co,
        Self::Sw,
        Self::Ew,
        Self::Gt,
        Self::Ge,
        Self::Lt,
        Self::Le,
    ];

    /// The lower-case keyword, e.g. `eq`.
    #[must_use]
    pub fn keyword(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Co => "co",
            Self::Sw => "sw",
            Self::Ew => "ew",
            Self::Gt => "gt",
            Self::Ge => "ge",
            Self::Lt => "lt",
            Self::Le => "le",
        }
    }

    /// The operator for a keyword, case-insensitively (operators are case-insensitive, RFC 7644 §3.4.2.2).
    #[must_use]
    pub fn from_keyword(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.keyword().eq_ignore_ascii_case(word))
    }

    /// Whether this is one of the ordering operators `gt`, `ge`, `lt`, `le`.
    #[must_use]
    pub fn is_ordering(self) -> bool {
        matches!(self, Self::Gt | Self::Ge | Self::Lt | Self::Le)
    }

    /// Whether this is one of the substring operators `co`, `sw`, `ew`.
    #[must_use]
    pub fn is_substring(self) -> bool {
        matches!(self, Self::Co | Self::Sw | Self::Ew)
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}

/// A JSON number literal (RFC 7159 §6), kept as its exact text so that printing and re-parsing is lossless.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JsonNumber(pub(super) String);

impl JsonNumber {
    /// The number if `text` is a valid JSON number (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        super::number::is_json_number(text).then(|| Self(text.to_owned()))
    }

    /// The number's text as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value as an `i64`, if it is written as an integer (no fraction or exponent) that fits.
    #[must_use]
    pub fn as_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }

    /// The value as an `f64` (possibly rounded).
    #[must_use]
    pub fn as_f64(&self) -> f64 {
        self.0.parse().unwrap_or(f64::NAN)
    }
}

impl fmt::Display for JsonNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A comparison value: a JSON literal (RFC 7644 §3.4.2.2 `compValue`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CompValue {
    /// A JSON string, unescaped.
    String(String),
    /// A JSON number, as written.
    Number(JsonNumber),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

impl fmt::Display for CompValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::String(s) => f.write_str(&serde_json::Value::String(s.clone()).to_string()),
            Self::Number(n) => write!(f, "{n}"),
            Self::Bool(b) => write!(f, "{b}"),
            Self::Null => f.write_str("null"),
        }
    }
}

/// A filter expression (RFC 7644 §3.4.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Filter {
    /// `left and right`.
    And(Box<Filter>, Box<Filter>),
    /// `left or right`.
    Or(Box<Filter>, Box<Filter>),
    /// `not (inner)`.
    Not(Box<Filter>),
    /// `path op value`.
    Compare {
        /// The attribute compared.
        path: AttrPath,
        /// The operator.
        op: CompareOp,
        /// The literal compared against.
        value: CompValue,
    },
    /// `path pr`: the attribute has a non-empty value.
    Present {
        /// The attribute tested.
        path: AttrPath,
    },
    /// `attr[filter]`: some value of the complex attribute `attr` matches `filter`, whose paths name
    /// sub-attributes of `attr`. The input form `attr[filter].sub op value` is parsed as
    /// `attr[filter and sub op value]`, which means the same.
    ValuePath {
        /// The complex (usually multi-valued) attribute; never has a sub-attribute.
        attr: AttrPath,
        /// The condition on one value of `attr`.
        filter: Box<Filter>,
    },
}

impl fmt::Display for Filter {
    /// The canonical form: single spaces, lower-case keywords, JSON-escaped strings, and parentheses exactly where
    /// needed for the text to parse back to this tree.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Or(l, r) => {
                write!(f, "{l} or ")?;
                wrap(f, r, matches!(**r, Self::Or(..)))
            }
            Self::And(l, r) => {
                wrap(f, l, matches!(**l, Self::Or(..)))?;
                f.write_str(" and ")?;
                wrap(f, r, matches!(**r, Self::Or(..) | Self::And(..)))
            }
            Self::Not(inner) => write!(f, "not ({inner})"),
            Self::Compare { path, op, value } => write!(f, "{path} {op} {value}"),
            Self::Present { path } => write!(f, "{path} pr"),
            Self::ValuePath { attr, filter } => write!(f, "{attr}[{filter}]"),
        }
    }
}

fn wrap(f: &mut fmt::Formatter<'_>, filter: &Filter, parens: bool) -> fmt::Result {
    if parens {
        write!(f, "({filter})")
    } else {
        write!(f, "{filter}")
    }
}

/// Splits `[URI ":"] ATTRNAME ["." ATTRNAME]` at the last `:` (URNs contain `:` and `.`, attribute names neither).
pub(crate) fn split_attr_path(token: &str) -> Result<AttrPath, String> {
    let (urn, names) = match token.rfind(':') {
        Some(i) => (Some(&token[..i]), &token[i + 1..]),
        None => (None, token),
    };
    if urn.is_some_and(str::is_empty) {
        return Err("empty schema URN".to_owned());
    }
    let mut parts = names.split('.');
    let attr = parts.next().unwrap_or_default();
    let sub = parts.next();
    if parts.next().is_some() {
        return Err(format!("'{names}' has more than one sub-attribute level"));
    }
    check_name(attr)?;
    if let Some(sub) = sub {
        check_name(sub)?;
    }
    Ok(AttrPath {
        urn: urn.map(str::to_owned),
        attr: attr.to_owned(),
        sub_attr: sub.map(str::to_owned),
    })
}

/// `ATTRNAME = ALPHA *(nameChar)`, also allowing a leading `$` for `$ref` (RFC 7643 §2.1).
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    match chars.next() {
        None => Err("missing attribute name".to_owned()),
        Some(c) if !(c.is_ascii_alphabetic() || c == '$') => {
            Err(format!("attribute name '{name}' must start with a letter"))
        }
        Some(_) if !chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') => Err(format!(
            "attribute name '{name}' may contain only letters, digits, '-' and '_'"
        )),
        Some(_) => Ok(()),
    }
}
