//! The schemas this crate knows, and attribute-path resolution against them (RFC 7643 §3.10).

use super::defs::{AttrType, AttributeDef, SchemaDef};
use super::{group, user};
use crate::error::ScimError;
use crate::filter::AttrPath;

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
