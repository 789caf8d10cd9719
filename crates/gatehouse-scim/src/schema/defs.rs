//! The shapes of SCIM schema metadata (RFC 7643 §2, §7): attribute types and characteristics,
//! attribute and schema definitions.

use serde::Serialize;

/// `urn:ietf:params:scim:schemas:core:2.0:User` (RFC 7643 §4.1).
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// `urn:ietf:params:scim:schemas:core:2.0:Group` (RFC 7643 §4.2).
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User` (RFC 7643 §4.3).
pub const ENTERPRISE_USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The data type of an attribute (RFC 7643 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum AttrType {
    /// A sequence of characters (§2.3.1).
    String,
    /// `true` or `false` (§2.3.2).
    Boolean,
    /// A real number with at least one digit after the decimal point (§2.3.3).
    Decimal,
    /// A whole number (§2.3.4).
    Integer,
    /// An `xsd:dateTime` / RFC 3339 timestamp (§2.3.5).
    DateTime,
    /// Base64-encoded binary data (§2.3.6).
    Binary,
    /// A URI for a resource (§2.3.7).
    Reference,
    /// A singular or multi-valued structure of sub-attributes (§2.3.8).
    Complex,
}

/// Whether and how an attribute can be modified (RFC 7643 §7, `mutability`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Mutability {
    /// Set by the service provider only.
    ReadOnly,
    /// Can be updated and read at any time.
    ReadWrite,
    /// Can be set once (when it has no value) and never changed.
    Immutable,
    /// Can be set but is never returned (e.g. `password`).
    WriteOnly,
}

/// When an attribute is returned in a response (RFC 7643 §7, `returned`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Returned {
    /// Always returned, whatever `attributes`/`excludedAttributes` say.
    Always,
    /// Never returned.
    Never,
    /// Returned unless excluded or another list of `attributes` is requested.
    Default,
    /// Returned only when named in `attributes`.
    Request,
}

/// How the service provider enforces uniqueness of values (RFC 7643 §7, `uniqueness`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Uniqueness {
    /// No uniqueness enforced.
    None,
    /// Unique within the service provider's resources of this type.
    Server,
    /// Globally unique.
    Global,
}

/// One attribute or sub-attribute definition with the characteristics of RFC 7643 §2.2 / §7.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributeDef {
    /// The attribute name, in its canonical case (names compare case-insensitively, RFC 7643 §2.1).
    pub name: &'static str,
    /// The data type.
    pub attr_type: AttrType,
    /// Whether the value is a JSON array of values.
    pub multi_valued: bool,
    /// A human-readable description.
    pub description: &'static str,
    /// Whether the attribute must have a value.
    pub required: bool,
    /// Whether string comparisons are case-sensitive.
    pub case_exact: bool,
    /// Who may change the attribute, and when.
    pub mutability: Mutability,
    /// When the attribute appears in responses.
    pub returned: Returned,
    /// How uniqueness is enforced.
    pub uniqueness: Uniqueness,
    /// Suggested values, e.g. `work`, `home` for `emails.type`.
    pub canonical_values: &'static [&'static str],
    /// For `reference` attributes: the resource types that may be referenced (`User`, `Group`, `external`, `uri`).
    pub reference_types: &'static [&'static str],
    /// For `complex` attributes: the sub-attributes.
    pub sub_attributes: &'static [AttributeDef],
}

// Builder helpers for the static tables in `user.rs` / `group.rs`: the RFC 7643 §2.2 defaults are
// required=false, caseExact=false, mutability=readWrite, returned=default, uniqueness=none.
pub(super) const fn attr(name: &'static str, attr_type: AttrType, description: &'static str) -> AttributeDef {
    AttributeDef {
        name,
        attr_type,
        multi_valued: false,
        description,
        required: false,
        // RFC 7643 §2.3.6 / §2.3.7: binary values and references are case exact.
        case_exact: matches!(attr_type, AttrType::Binary | AttrType::Reference),
        mutability: Mutability::ReadWrite,
        returned: Returned::Default,
        uniqueness: Uniqueness::None,
        canonical_values: &[],
        reference_types: &[],
        sub_attributes: &[],
    }
}

impl AttributeDef {
    pub(super) const fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }
    pub(super) const fn req(mut self) -> Self {
        self.required = true;
        self
    }
    pub(super) const fn exact(mut self) -> Self {
        self.case_exact = true;
        self
    }
    pub(super) const fn mutab(mut self, m: Mutability) -> Self {
        self.mutability = m;
        self
    }
    pub(super) const fn ret(mut self, r: Returned) -> Self {
        self.returned = r;
        self
    }
    pub(super) const fn uniq(mut self, u: Uniqueness) -> Self {
        self.uniqueness = u;
        self
    }
    pub(super) const fn canon(mut self, values: &'static [&'static str]) -> Self {
        self.canonical_values = values;
        self
    }
    pub(super) const fn refs(mut self, types: &'static [&'static str]) -> Self {
        self.reference_types = types;
        self
    }
    pub(super) const fn subs(mut self, subs: &'static [AttributeDef]) -> Self {
        self.sub_attributes = subs;
        self
    }

    /// The sub-attribute named `name` (case-insensitively, RFC 7643 §2.1).
    #[must_use]
    pub fn sub_attribute(&self, name: &str) -> Option<&'static AttributeDef> {
        self.sub_attributes.iter().find(|s| s.name.eq_ignore_ascii_case(name))
    }

    /// Whether this is a complex attribute with a `primary` sub-attribute (RFC 7643 §2.4).
    #[must_use]
    pub fn has_primary(&self) -> bool {
        self.sub_attribute("primary").is_some()
    }
}

/// A schema: its URN, name, description and top-level attributes (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaDef {
    /// The schema URN, e.g. [`USER_SCHEMA`].
    pub id: &'static str,
    /// The schema's name, e.g. `User`.
    pub name: &'static str,
    /// A human-readable description.
    pub description: &'static str,
    /// The top-level attributes (without the common `id`, `externalId`, `meta` of RFC 7643 §3.1).
    pub attributes: &'static [AttributeDef],
}

impl SchemaDef {
    /// The top-level attribute named `name` (case-insensitively).
    #[must_use]
    pub fn attribute(&self, name: &str) -> Option<&'static AttributeDef> {
        self.attributes.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }
}
