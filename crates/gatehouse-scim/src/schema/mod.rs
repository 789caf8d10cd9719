//! Attribute metadata for the SCIM core schemas (RFC 7643 §2, §3.1, §4, §8.7.1) and attribute-path resolution.
//!
//! The definitions are static Rust data; [`discovery`] turns them into the `/Schemas`, `/ResourceTypes` and
//! `/ServiceProviderConfig` documents of RFC 7643 §5–§7.

pub mod discovery;
mod group;
mod user;

use serde::Serialize;

use crate::error::ScimError;
use crate::filter::AttrPath;

pub use discovery::{
    ServiceProviderOptions, resource_types_json, schemas_json, schemas_json_with_base, service_provider_config_json,
};

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
const fn attr(name: &'static str, attr_type: AttrType, description: &'static str) -> AttributeDef {
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
    const fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }
    const fn req(mut self) -> Self {
        self.required = true;
        self
    }
    const fn exact(mut self) -> Self {
        self.case_exact = true;
        self
    }
    const fn mutab(mut self, m: Mutability) -> Self {
        self.mutability = m;
        self
    }
    const fn ret(mut self, r: Returned) -> Self {
        self.returned = r;
        self
    }
    const fn uniq(mut self, u: Uniqueness) -> Self {
        self.uniqueness = u;
        self
    }
    const fn canon(mut self, values: &'static [&'static str]) -> Self {
        self.canonical_values = values;
        self
    }
    const fn refs(mut self, types: &'static [&'static str]) -> Self {
        self.reference_types = types;
        self
    }
    const fn subs(mut self, subs: &'static [AttributeDef]) -> Self {
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

/// The core User schema (RFC 7643 §4.1, §8.7.1).
pub static USER: SchemaDef = user::USER;
/// The Enterprise User extension (RFC 7643 §4.3, §8.7.1).
pub static ENTERPRISE_USER: SchemaDef = group::ENTERPRISE_USER;
/// The core Group schema (RFC 7643 §4.2, §8.7.1).
pub static GROUP: SchemaDef = group::GROUP;

/// The common attributes of every resource (RFC 7643 §3.1) plus `schemas` (§3).
#[must_use]
pub fn common_attributes() -> &'static [AttributeDef] {
    group::COMMON
}

/// The resource types this crate knows (RFC 7643 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    /// `/Users`: core User schema plus the Enterprise User extension.
    User,
    /// `/Groups`: core Group schema.
    Group,
}

impl ResourceKind {
    /// The resource type name (`User` / `Group`), also used as `meta.resourceType`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Group => "Group",
        }
    }

    /// The endpoint relative to the base URL (`/Users` / `/Groups`).
    #[must_use]
    pub fn endpoint(self) -> &'static str {
        match self {
            Self::User => "/Users",
            Self::Group => "/Groups",
        }
    }

    /// The core schema of this resource type.
    #[must_use]
    pub fn core_schema(self) -> &'static SchemaDef {
        match self {
            Self::User => &USER,
            Self::Group => &GROUP,
        }
    }

    /// The schema extensions of this resource type (RFC 7643 §6 `schemaExtensions`).
    #[must_use]
    pub fn extensions(self) -> &'static [&'static SchemaDef] {
        static USER_EXTENSIONS: [&SchemaDef; 1] = [&ENTERPRISE_USER];
        match self {
            Self::User => &USER_EXTENSIONS,
            Self::Group => &[],
        }
    }

    /// The extension whose URN is `urn` (case-insensitively).
    #[must_use]
    pub fn extension(self, urn: &str) -> Option<&'static SchemaDef> {
        self.extensions()
            .iter()
            .copied()
            .find(|s| s.id.eq_ignore_ascii_case(urn))
    }
}

/// An attribute path resolved against a resource type's schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvedAttr {
    /// `Some(urn)` when the attribute belongs to a schema extension, and so lives under the `urn` key of the
    /// resource (RFC 7643 §3.3); `None` for core and common attributes, which are top-level keys.
    pub extension: Option<&'static str>,
    /// The top-level attribute.
    pub attr: &'static AttributeDef,
    /// The sub-attribute, when the path names one.
    pub sub: Option<&'static AttributeDef>,
}

impl ResolvedAttr {
    /// The definition of what the path points at: the sub-attribute if there is one, else the attribute.
    #[must_use]
    pub fn leaf(&self) -> &'static AttributeDef {
        self.sub.unwrap_or(self.attr)
    }

    /// The path in canonical form: canonical case, and the URN present exactly for extension attributes.
    pub fn canonical_path(&self) -> AttrPath {
        AttrPath {
            urn: self.extension.map(str::to_owned),
            attr: self.attr.name.to_owned(),
            sub_attr: self.sub.map(|s| s.name.to_owned()),
        }
    }

    /// The top-level attribute's name as reported in [`crate::patch::PatchOutcome::changed`]: the bare name for
    /// core attributes, `urn:name` for extension attributes.
    #[must_use]
    pub fn top_level_name(&self) -> String {
        match self.extension {
            Some(urn) => format!("{urn}:{}", self.attr.name),
            None => self.attr.name.to_owned(),
        }
    }
}

/// Resolves `path` against `kind`'s schemas and returns the definition it points at.
///
/// Attribute names and schema URNs match case-insensitively (RFC 7643 §2.1). A URN prefix selects the core schema
/// or an extension (RFC 7644 §3.10); without one, common and core attributes are tried first, then extension
/// attributes (clients SHOULD but need not qualify extension attributes, RFC 7644 §3.10).
///
/// # Errors
///
/// `invalidPath` when the schema URN, the attribute or the sub-attribute is unknown, or a sub-attribute is named on
/// an attribute that is not complex.
pub fn resolve(kind: ResourceKind, path: &AttrPath) -> Result<&'static AttributeDef, ScimError> {
    resolve_path(kind, path).map(|r| r.leaf())
}

/// Like [`resolve`], but also tells where the attribute lives and which top-level attribute it belongs to.
///
/// # Errors
///
/// As [`resolve`].
pub fn resolve_path(kind: ResourceKind, path: &AttrPath) -> Result<ResolvedAttr, ScimError> {
    let core = kind.core_schema();
    let (extension, attr) = match &path.urn {
        Some(urn) if urn.eq_ignore_ascii_case(core.id) => (None, find_core(core, &path.attr)),
        Some(urn) => {
            let ext = kind.extension(urn).ok_or_else(|| {
                ScimError::invalid_path(format!("unknown schema '{urn}' for {} resources", kind.name()))
            })?;
            (Some(ext.id), ext.attribute(&path.attr))
        }
        None => match find_core(core, &path.attr) {
            Some(a) => (None, Some(a)),
            None => kind
                .extensions()
                .iter()
                .find_map(|ext| ext.attribute(&path.attr).map(|a| (Some(ext.id), Some(a))))
                .unwrap_or((None, None)),
        },
    };
    let attr = attr.ok_or_else(|| ScimError::invalid_path(format!("unknown attribute '{path}'")))?;
    let sub = match &path.sub_attr {
        None => None,
        Some(name) if attr.attr_type == AttrType::Complex => Some(
            attr.sub_attribute(name)
                .ok_or_else(|| ScimError::invalid_path(format!("unknown sub-attribute '{name}' of '{}'", attr.name)))?,
        ),
        Some(_) => {
            return Err(ScimError::invalid_path(format!(
                "'{}' is not complex and has no sub-attributes",
                attr.name
            )));
        }
    };
    Ok(ResolvedAttr { extension, attr, sub })
}

fn find_core(core: &'static SchemaDef, name: &str) -> Option<&'static AttributeDef> {
    common_attributes()
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(name))
        .or_else(|| core.attribute(name))
}

/// The schema (core or extension of either resource type) whose URN is `id`, case-insensitively.
#[must_use]
pub fn schema_by_id(id: &str) -> Option<&'static SchemaDef> {
    [&USER, &ENTERPRISE_USER, &GROUP]
        .into_iter()
        .find(|s| s.id.eq_ignore_ascii_case(id))
}

#[cfg(test)]
mod tests;
