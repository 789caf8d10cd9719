//! Attribute metadata for the SCIM core schemas (RFC 7643 §2, §3.1, §4, §8.7.1) and attribute-path resolution.
//!
//! The definitions are static Rust data; [`discovery`] turns them into the `/Schemas`, `/ResourceTypes` and
//! `/ServiceProviderConfig` documents of RFC 7643 §5–§7.

mod catalog;
mod defs;
pub mod discovery;
mod group;
mod user;

pub use catalog::{
    ENTERPRISE_USER, GROUP, ResolvedAttr, ResourceKind, USER, common_attributes, resolve, resolve_path, schema_by_id,
};
use defs::attr;
pub use defs::{
    AttrType, AttributeDef, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, Mutability, Returned, SchemaDef, USER_SCHEMA,
    Uniqueness,
};
pub use discovery::{
    ServiceProviderOptions, resource_types_json, schemas_json, schemas_json_with_base, service_provider_config_json,
};

#[cfg(test)]
mod tests;
