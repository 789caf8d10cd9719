//! The discovery documents of RFC 7643 §5 (`/ServiceProviderConfig`), §6 (`/ResourceTypes`) and §7 (`/Schemas`),
//! generated from the static schema definitions.

use serde_json::{Map, Value, json};

use super::{AttrType, AttributeDef, ENTERPRISE_USER, GROUP, ResourceKind, SchemaDef, USER};

/// `urn:ietf:params:scim:schemas:core:2.0:Schema` (RFC 7643 §7).
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
/// `urn:ietf:params:scim:schemas:core:2.0:ResourceType` (RFC 7643 §6).
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
/// `urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig` (RFC 7643 §5).
pub const SERVICE_PROVIDER_CONFIG_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";

impl AttributeDef {
    /// This attribute in the RFC 7643 §7 attribute-definition shape. `caseExact` and `uniqueness` are always
    /// present; `canonicalValues` when non-empty; `referenceTypes` for references; `subAttributes` for complex.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("name".into(), json!(self.name));
        m.insert("type".into(), json!(self.attr_type));
        m.insert("multiValued".into(), json!(self.multi_valued));
        m.insert("description".into(), json!(self.description));
        m.insert("required".into(), json!(self.required));
        m.insert("caseExact".into(), json!(self.case_exact));
        if !self.canonical_values.is_empty() {
            m.insert("canonicalValues".into(), json!(self.canonical_values));
        }
        if self.attr_type == AttrType::Reference {
            m.insert("referenceTypes".into(), json!(self.reference_types));
        }
        if self.attr_type == AttrType::Complex {
            let subs: Vec<Value> = self.sub_attributes.iter().map(AttributeDef::to_json).collect();
            m.insert("subAttributes".into(), Value::Array(subs));
        }
        m.insert("mutability".into(), json!(self.mutability));
        m.insert("returned".into(), json!(self.returned));
        m.insert("uniqueness".into(), json!(self.uniqueness));
        Value::Object(m)
    }
}

impl SchemaDef {
    /// This schema as a `/Schemas` resource (RFC 7643 §7, §8.7.1). With a base URL (e.g.
    /// `https://id.example.com/scim/v2`), `meta.location` is `{base}/Schemas/{id}`.
    pub fn to_json(&self, base_url: Option<&str>) -> Value {
        let attributes: Vec<Value> = self.attributes.iter().map(AttributeDef::to_json).collect();
        let mut meta = json!({ "resourceType": "Schema" });
        if let Some(base) = base_url {
            meta["location"] = json!(format!("{}/Schemas/{}", trim(base), self.id));
        }
        json!({
            "schemas": [SCHEMA_SCHEMA],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": attributes,
            "meta": meta,
        })
    }
}

fn trim(base_url: &str) -> &str {
    base_url.trim_end_matches('/')
}

/// The `Resources` array of the `/Schemas` `ListResponse`: User, Enterprise User and Group, without `meta.location`.
#[must_use]
pub fn schemas_json() -> Value {
    Value::Array(
        [&USER, &ENTERPRISE_USER, &GROUP]
            .iter()
            .map(|s| s.to_json(None))
            .collect(),
    )
}

/// As [`schemas_json`], with `meta.location` under `base_url`.
#[must_use]
pub fn schemas_json_with_base(base_url: &str) -> Value {
    Value::Array(
        [&USER, &ENTERPRISE_USER, &GROUP]
            .iter()
            .map(|s| s.to_json(Some(base_url)))
            .collect(),
    )
}

impl ResourceKind {
    /// This resource type as a `/ResourceTypes` resource (RFC 7643 §6, §8.6).
    #[must_use]
    pub fn resource_type_json(self, base_url: &str) -> Value {
        let extensions: Vec<Value> = self
            .extensions()
            .iter()
            .map(|s| json!({ "schema": s.id, "required": false }))
            .collect();
        let mut v = json!({
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": self.name(),
            "name": self.name(),
            "endpoint": self.endpoint(),
            "description": self.core_schema().description,
            "schema": self.core_schema().id,
            "meta": {
                "location": format!("{}/ResourceTypes/{}", trim(base_url), self.name()),
                "resourceType": "ResourceType",
            },
        });
        if !extensions.is_empty() {
            v["schemaExtensions"] = Value::Array(extensions);
        }
        v
    }
}

/// The `Resources` array of the `/ResourceTypes` `ListResponse`: User (with the Enterprise extension) and Group.
#[must_use]
pub fn resource_types_json(base_url: &str) -> Value {
    Value::Array(vec![
        ResourceKind::User.resource_type_json(base_url),
        ResourceKind::Group.resource_type_json(base_url),
    ])
}

/// The service provider's tunable limits, advertised in `/ServiceProviderConfig` (RFC 7643 §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceProviderOptions {
    /// An HTTP-addressable URL of human-readable help, if any.
    pub documentation_uri: Option<String>,
    /// Whether `/Bulk` is supported.
    pub bulk_supported: bool,
    /// The maximum number of operations in one bulk request.
    pub bulk_max_operations: u32,
    /// The maximum bulk request payload size in bytes.
    pub bulk_max_payload_size: u64,
    /// The maximum number of resources returned in one response to a filtered query.
    pub filter_max_results: u32,
}

impl Default for ServiceProviderOptions {
    fn default() -> Self {
        Self {
            documentation_uri: None,
            bulk_supported: true,
            bulk_max_operations: 1000,
            bulk_max_payload_size: 1_048_576,
            filter_max_results: 200,
        }
    }
}

/// The `/ServiceProviderConfig` resource (RFC 7643 §5, §8.5): PATCH, filtering, sorting and `ETags` supported;
/// password change not; OAuth bearer token authentication (RFC 6750).
#[must_use]
pub fn service_provider_config_json(base_url: &str, options: &ServiceProviderOptions) -> Value {
    let mut v = json!({
        "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
        "patch": { "supported": true },
        "bulk": {
            "supported": options.bulk_supported,
            "maxOperations": options.bulk_max_operations,
            "maxPayloadSize": options.bulk_max_payload_size,
        },
        "filter": { "supported": true, "maxResults": options.filter_max_results },
        "changePassword": { "supported": false },
        "sort": { "supported": true },
        "etag": { "supported": true },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication scheme using the OAuth Bearer Token Standard",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "primary": true,
        }],
        "meta": {
            "location": format!("{}/ServiceProviderConfig", trim(base_url)),
            "resourceType": "ServiceProviderConfig",
        },
    });
    if let Some(doc) = &options.documentation_uri {
        v["documentationUri"] = json!(doc);
    }
    v
}
