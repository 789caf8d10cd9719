#![forbid(unsafe_code)]
#![warn(missing_docs)]
//! Pure SCIM 2.0 building blocks for Gatehouse: no I/O, no async, just functions on data.
//!
//! - [`schema`]: the User, Enterprise User and Group schemas of RFC 7643 §4 as static data, attribute path
//!   resolution, and the discovery documents (`/Schemas`, `/ResourceTypes`, `/ServiceProviderConfig`).
//! - [`filter`]: the RFC 7644 §3.4.2.2 filter language: parser, canonical printer, schema validation and
//!   evaluation against JSON.
//! - [`path`]: PATCH paths (RFC 7644 §3.5.2, §3.10).
//! - [`patch`]: PATCH requests (RFC 7644 §3.5.2) applied to a resource held as `serde_json::Value`.
//! - [`projection`]: `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9).
//! - [`check`]: a resource as a client writes it, checked against the advertised schemas (unknown attributes,
//!   control characters, oversize text; extensions the server does not advertise set aside).
//! - [`error`]: SCIM errors with the status and `scimType` of RFC 7644 §3.12.
//!
//! ```
//! use gatehouse_scim::{ResourceKind, apply_patch, parse_filter, project, validate};
//! use serde_json::json;
//!
//! let mut user = json!({
//!     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
//!     "id": "2819c223",
//!     "userName": "bjensen",
//!     "emails": [{"value": "bjensen@example.com", "type": "work"}]
//! });
//!
//! // GET /Users?filter=... as Microsoft Entra ID sends it.
//! let filter = parse_filter(r#"emails[type eq "work"].value eq "BJensen@example.com""#)?;
//! let typed = validate(&filter, ResourceKind::User)?;
//! assert!(typed.matches(&user)); // emails.value is caseExact=false
//!
//! // PATCH /Users/2819c223 from Entra ID without `aadOptscim062020`.
//! let outcome = apply_patch(&mut user, ResourceKind::User, &json!({
//!     "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
//!     "Operations": [{"op": "Replace", "path": "active", "value": "False"}]
//! }))?;
//! assert_eq!(user["active"], false);
//! assert!(outcome.changed.contains("active"));
//!
//! // ?attributes=userName
//! let shown = project(&user, ResourceKind::User, Some("userName"), None)?;
//! assert_eq!(shown, json!({"schemas": user["schemas"], "id": "2819c223", "userName": "bjensen"}));
//! # Ok::<(), gatehouse_scim::ScimError>(())
//! ```

pub mod check;
pub mod error;
pub mod filter;
pub mod patch;
pub mod path;
pub mod projection;
pub mod schema;

pub use check::check_resource;
pub use error::ScimError;
pub use filter::{AttrPath, CompValue, CompareOp, Filter, JsonNumber, TypedFilter, parse_filter, validate};
pub use patch::{MemberChanges, PatchOutcome, apply_patch};
pub use path::{PatchPath, parse_path};
pub use projection::{Projection, project};
pub use schema::{AttributeDef, ResourceKind, resolve};
