//! Checking a parsed filter against the schema (RFC 7644 §3.4.2.2): every attribute must exist, every operator
//! must suit the attribute's type, every literal must have that type. The result records, per comparison, the
//! attribute's type and `caseExact` so a SQL translation can compare case-insensitively where it must.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{AttrPath, CompValue, CompareOp, Filter};
use crate::error::{ScimError, scim_type};
use crate::schema::{AttrType, AttributeDef, ResourceKind, Returned, resolve_path};

/// An attribute reference resolved against the schema.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedAttr {
    /// The canonical path: canonical case, URN exactly for extension attributes. Inside a value path
    /// (`emails[type eq "work"]`) paths are relative: `attr` is the sub-attribute's name. A comparison on a complex
    /// multi-valued attribute with a `value` sub-attribute (`emails co "x"`) targets `emails.value`.
    pub path: AttrPath,
    /// The definition of the attribute or sub-attribute compared.
    pub def: &'static AttributeDef,
    /// Whether the path crosses a multi-valued attribute, so a match means "some value matches".
    pub multi_valued: bool,
}

impl TypedAttr {
    /// The data type of the compared attribute.
    #[must_use]
    pub fn attr_type(&self) -> AttrType {
        self.def.attr_type
    }

    /// Whether string comparisons are case-sensitive (if not, compare case-folded).
    #[must_use]
    pub fn case_exact(&self) -> bool {
        self.def.case_exact
    }
}

/// A comparison literal converted to the attribute's type.
#[derive(Debug, Clone, PartialEq)]
pub enum TypedValue {
    /// For `string`, `reference` and `binary` attributes.
    String(String),
    /// For `boolean` attributes.
    Boolean(bool),
    /// For `integer` attributes.
    Integer(i64),
    /// For `decimal` attributes.
    Decimal(f64),
    /// For `dateTime` attributes: the literal parsed as RFC 3339.
    DateTime(OffsetDateTime),
    /// `null`, allowed with `eq` (absent) and `ne` (present) only.
    Null,
}

/// A filter whose attributes and literals have been checked against the schema.
#[derive(Debug, Clone, PartialEq)]
pub enum TypedFilter {
    /// Both match.
    And(Box<TypedFilter>, Box<TypedFilter>),
    /// Either matches.
    Or(Box<TypedFilter>, Box<TypedFilter>),
    /// The inner filter does not match.
    Not(Box<TypedFilter>),
    /// The attribute compared with a literal.
    Compare {
        /// The attribute.
        attr: TypedAttr,
        /// The operator.
        op: CompareOp,
        /// The literal, converted to the attribute's type.
        value: TypedValue,
    },
    /// The attribute has a non-empty value.
    Present {
        /// The attribute.
        attr: TypedAttr,
    },
    /// Some value of the complex attribute matches `filter`, whose attributes are relative to it.
    ValuePath {
        /// The complex attribute.
        attr: TypedAttr,
        /// The condition on one of its values.
        filter: Box<TypedFilter>,
    },
}

/// Where names in a filter are looked up.
#[derive(Clone, Copy)]
enum Scope {
    Resource(ResourceKind),
    Within(&'static AttributeDef),
}

/// Checks `filter` against the schemas of `kind` (RFC 7644 §3.4.2.2).
///
/// # Errors
///
/// `invalidFilter` when an attribute is unknown; when `gt`/`ge`/`lt`/`le` are used on a boolean, binary or complex
/// attribute; when `co`/`sw`/`ew` are used on a boolean, number or dateTime; when a complex attribute without a
/// `value` sub-attribute is compared; when a literal does not have the attribute's type (including a `dateTime`
/// literal that is not RFC 3339); or when a value path names a non-complex attribute.
pub fn validate(filter: &Filter, kind: ResourceKind) -> Result<TypedFilter, ScimError> {
    check(filter, Scope::Resource(kind))
}

/// Checks a value-selection filter whose paths name sub-attributes of the complex attribute `parent`, as in
/// `members[value eq "…"]` (RFC 7644 §3.5.2).
///
/// # Errors
///
/// As [`validate`].
pub fn validate_value_filter(filter: &Filter, parent: &'static AttributeDef) -> Result<TypedFilter, ScimError> {
    if parent.attr_type != AttrType::Complex {
        return Err(ScimError::invalid_filter(format!(
            "'{}' is not complex and cannot have a value filter",
            parent.name
        )));
    }
    check(filter, Scope::Within(parent))
}

fn check(filter: &Filter, scope: Scope) -> Result<TypedFilter, ScimError> {
    Ok(match filter {
        Filter::And(l, r) => TypedFilter::And(Box::new(check(l, scope)?), Box::new(check(r, scope)?)),
        Filter::Or(l, r) => TypedFilter::Or(Box::new(check(l, scope)?), Box::new(check(r, scope)?)),
        Filter::Not(inner) => TypedFilter::Not(Box::new(check(inner, scope)?)),
        Filter::Present { path } => TypedFilter::Present {
            attr: lookup(path, scope)?,
        },
        Filter::Compare { path, op, value } => {
            let attr = implied_value(lookup(path, scope)?, *op)?;
            let value = typed_value(&attr, *op, value)?;
            TypedFilter::Compare { attr, op: *op, value }
        }
        Filter::ValuePath { attr, filter } => {
            let Scope::Resource(_) = scope else {
                return Err(ScimError::invalid_filter("value filters cannot be nested"));
            };
            let attr = lookup(attr, scope)?;
            if attr.def.attr_type != AttrType::Complex || attr.path.sub_attr.is_some() {
                return Err(ScimError::invalid_filter(format!(
                    "'{}' is not a complex attribute and cannot have a value filter",
                    attr.path
                )));
            }
            let inner = check(filter, Scope::Within(attr.def))?;
            TypedFilter::ValuePath {
                attr,
                filter: Box::new(inner),
            }
        }
    })
}

fn lookup(path: &AttrPath, scope: Scope) -> Result<TypedAttr, ScimError> {
    match scope {
        Scope::Resource(kind) => {
            let resolved = resolve_path(kind, path).map_err(|e| e.retyped(scim_type::INVALID_FILTER))?;
            // An attribute that is never returned (`password`) must not be observable through filtering either.
            if resolved.attr.returned == Returned::Never || resolved.leaf().returned == Returned::Never {
                return Err(ScimError::invalid_filter(format!(
                    "'{path}' cannot be used in a filter"
                )));
            }
            Ok(TypedAttr {
                path: resolved.canonical_path(),
                def: resolved.leaf(),
                multi_valued: resolved.attr.multi_valued,
            })
        }
        Scope::Within(parent) => {
            if path.urn.is_some() || path.sub_attr.is_some() {
                return Err(ScimError::invalid_filter(format!(
                    "'{path}' inside a value filter on '{}' must be a plain sub-attribute name",
                    parent.name
                )));
            }
            let def = parent.sub_attribute(&path.attr).ok_or_else(|| {
                ScimError::invalid_filter(format!("unknown sub-attribute '{}' of '{}'", path.attr, parent.name))
            })?;
            Ok(TypedAttr {
                path: AttrPath::new(def.name),
                def,
                multi_valued: def.multi_valued,
            })
        }
    }
}

/// A complex attribute is compared through its `value` sub-attribute (`emails co "example.com"`, RFC 7644
/// §3.4.2.2 examples); ordering a complex attribute, or comparing one without `value`, is an error.
fn implied_value(attr: TypedAttr, op: CompareOp) -> Result<TypedAttr, ScimError> {
    if attr.def.attr_type != AttrType::Complex {
        return Ok(attr);
    }
    let value = attr.def.sub_attribute("value");
    match value {
        Some(def) if !op.is_ordering() => {
            let mut path = attr.path;
            path.sub_attr = Some(def.name.to_owned());
            Ok(TypedAttr {
                path,
                def,
                multi_valued: attr.multi_valued,
            })
        }
        _ => Err(ScimError::invalid_filter(format!(
            "'{}' is complex: '{op}' needs one of its sub-attributes, e.g. '{}.{}'",
            attr.path,
            attr.path,
            attr.def.sub_attributes.first().map_or("value", |s| s.name)
        ))),
    }
}

fn typed_value(attr: &TypedAttr, op: CompareOp, value: &CompValue) -> Result<TypedValue, ScimError> {
    let ty = attr.def.attr_type;
    let name = &attr.path;
    if op.is_ordering() && matches!(ty, AttrType::Boolean | AttrType::Binary) {
        return Err(ScimError::invalid_filter(format!(
            "'{op}' cannot compare '{name}', which is {}",
            type_name(ty)
        )));
    }
    if op.is_substring() && !matches!(ty, AttrType::String | AttrType::Reference | AttrType::Binary) {
        return Err(ScimError::invalid_filter(format!(
            "'{op}' needs a string attribute, '{name}' is {}",
            type_name(ty)
        )));
    }
    let mismatch = || {
        ScimError::invalid_filter(format!(
            "'{name}' is {}; {value} is not a valid value for it",
            type_name(ty)
        ))
    };
    Ok(match (ty, value) {
        (_, CompValue::Null) if matches!(op, CompareOp::Eq | CompareOp::Ne) => TypedValue::Null,
        (_, CompValue::Null) => return Err(ScimError::invalid_filter(format!("'{op}' cannot compare with null"))),
        (AttrType::String | AttrType::Reference | AttrType::Binary, CompValue::String(s)) => {
            TypedValue::String(s.clone())
        }
        (AttrType::Boolean, CompValue::Bool(b)) => TypedValue::Boolean(*b),
        (AttrType::Integer, CompValue::Number(n)) => TypedValue::Integer(n.as_i64().ok_or_else(mismatch)?),
        (AttrType::Decimal, CompValue::Number(n)) => {
            let f = n.as_f64();
            if !f.is_finite() {
                return Err(mismatch());
            }
            TypedValue::Decimal(f)
        }
        (AttrType::DateTime, CompValue::String(s)) => {
            TypedValue::DateTime(OffsetDateTime::parse(s, &Rfc3339).map_err(|e| {
                ScimError::invalid_filter(format!(
                    "'{name}' is a dateTime; \"{s}\" is not an RFC 3339 timestamp ({e})"
                ))
            })?)
        }
        _ => return Err(mismatch()),
    })
}

pub(crate) fn type_name(ty: AttrType) -> &'static str {
    match ty {
        AttrType::String => "a string",
        AttrType::Boolean => "a boolean",
        AttrType::Decimal => "a decimal",
        AttrType::Integer => "an integer",
        AttrType::DateTime => "a dateTime",
        AttrType::Binary => "binary",
        AttrType::Reference => "a reference",
        AttrType::Complex => "complex",
    }
}
