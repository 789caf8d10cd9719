//! SCIM error responses (RFC 7644 §3.12).
//!
//! Every fallible function in this crate returns a [`ScimError`] that already carries the HTTP status and the
//! `scimType` the RFC assigns to the failure, so a handler only has to serialise it with [`ScimError::to_json`].

use serde_json::{Value, json};

/// The `urn:ietf:params:scim:api:messages:2.0:Error` message schema (RFC 7644 §3.12).
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The `scimType` detail error keywords of RFC 7644 §3.12, Table 9.
pub mod scim_type {
    /// The filter syntax was invalid, or the attribute and comparison combination is not supported.
    pub const INVALID_FILTER: &str = "invalidFilter";
    /// The filter yields too many results for the server to process.
    pub const TOO_MANY: &str = "tooMany";
    /// One or more attribute values are already in use or reserved.
    pub const UNIQUENESS: &str = "uniqueness";
    /// The attempted modification is not compatible with the target attribute's mutability or current state.
    pub const MUTABILITY: &str = "mutability";
    /// The request body structure was invalid or did not conform to the request schema.
    pub const INVALID_SYNTAX: &str = "invalidSyntax";
    /// The `path` attribute was invalid or malformed.
    pub const INVALID_PATH: &str = "invalidPath";
    /// The `path` did not yield an attribute or attribute value that could be operated on.
    pub const NO_TARGET: &str = "noTarget";
    /// A required value was missing, or the value was not compatible with the operation or attribute type.
    pub const INVALID_VALUE: &str = "invalidValue";
    /// The specified SCIM protocol version is not supported.
    pub const INVALID_VERS: &str = "invalidVers";
    /// The request cannot be completed because of sensitive information in the request URI.
    pub const SENSITIVE: &str = "sensitive";
}

/// A SCIM error: HTTP status, optional `scimType` keyword and a human-readable detail (RFC 7644 §3.12).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status}{}: {detail}", scim_type.map(|t| format!(" {t}")).unwrap_or_default())]
pub struct ScimError {
    /// The HTTP status code, e.g. 400.
    pub status: u16,
    /// The `scimType` keyword from RFC 7644 §3.12 Table 9, when one applies.
    pub scim_type: Option<&'static str>,
    /// A human-readable message for the client.
    pub detail: String,
}

impl ScimError {
    /// An error with an arbitrary status and no `scimType` (e.g. 404 for an unknown resource).
    pub fn new(status: u16, detail: impl Into<String>) -> Self {
        Self {
            status,
            scim_type: None,
            detail: detail.into(),
        }
    }

    fn typed(status: u16, scim_type: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            scim_type: Some(scim_type),
            detail: detail.into(),
        }
    }

    /// 400 `invalidFilter`: the filter syntax was invalid or names an unsupported comparison.
    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        Self::typed(400, scim_type::INVALID_FILTER, detail)
    }

    /// 400 `tooMany`: the filter matches more results than the server will process.
    pub fn too_many(detail: impl Into<String>) -> Self {
        Self::typed(400, scim_type::TOO_MANY, detail)
    }

    /// 409 `uniqueness`: a value is already in use (e.g. a duplicate `userName`).
    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self::typed(409, scim_type::UNIQUENESS, detail)
    }

    /// 400 `mutability`: the change conflicts with a `readOnly`, `immutable` or required attribute.
    pub fn mutability(detail: impl Into<String>) -> Self {
        Self::typed(400, scim_type::MUTABILITY, detail)
    }

    /// 400 `invalidSyntax`: the request body does not follow the message schema.
    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::typed(400, scim_type::INVALID_SYNTAX, detail)
    }

    /// 400 `invalidPath`: a PATCH `path` is malformed or names an unknown attribute.
    pub fn invalid_path(detail: impl Into<String>) -> Self {
        Self::typed(400, scim_type::INVALID_PATH, detail)
    }

    /// 400 `noTarget`: the `path` selected nothing that the operation could act on.
    pub fn no_target(detail: impl Into<String>) -> Self {
        Self::typed(400, scim_type::NO_TARGET, detail)
    }

    /// 400 `invalidValue`: a value is missing or does not fit the attribute's type.
    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::typed(400, scim_type::INVALID_VALUE, detail)
    }

    /// 400 `invalidVers`: the requested SCIM protocol version is not supported.
    pub fn invalid_vers(detail: impl Into<String>) -> Self {
        Self::typed(400, scim_type::INVALID_VERS, detail)
    }

    /// 403 `sensitive`: sensitive information (e.g. a password) was sent in the request URI.
    pub fn sensitive(detail: impl Into<String>) -> Self {
        Self::typed(403, scim_type::SENSITIVE, detail)
    }

    /// The same error with another `scimType` (used when a lower layer's error surfaces in a different context,
    /// e.g. an unknown attribute inside a filter is `invalidFilter`, inside a PATCH path `invalidPath`).
    pub(crate) fn retyped(mut self, scim_type: &'static str) -> Self {
        self.scim_type = Some(scim_type);
        self
    }

    /// The RFC 7644 §3.12 error body: `schemas`, `status` as a string, `scimType` when set, and `detail`.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let (Some(t), Some(map)) = (self.scim_type, body.as_object_mut()) {
            map.insert("scimType".to_owned(), Value::String(t.to_owned()));
        }
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_constructor_uses_the_status_and_keyword_of_rfc7644_table_9() {
        let cases = [
            (ScimError::invalid_filter("x"), 400, "invalidFilter"),
            (ScimError::too_many("x"), 400, "tooMany"),
            (ScimError::uniqueness("x"), 409, "uniqueness"),
            (ScimError::mutability("x"), 400, "mutability"),
            (ScimError::invalid_syntax("x"), 400, "invalidSyntax"),
            (ScimError::invalid_path("x"), 400, "invalidPath"),
            (ScimError::no_target("x"), 400, "noTarget"),
            (ScimError::invalid_value("x"), 400, "invalidValue"),
            (ScimError::invalid_vers("x"), 400, "invalidVers"),
            (ScimError::sensitive("x"), 403, "sensitive"),
        ];
        for (err, status, keyword) in cases {
            assert_eq!(err.status, status);
            assert_eq!(err.scim_type, Some(keyword));
        }
    }

    #[test]
    fn the_error_body_has_the_error_schema_and_the_status_as_a_string() {
        let body = ScimError::uniqueness("userName bjensen is taken").to_json();
        assert_eq!(
            body,
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": "409",
                "scimType": "uniqueness",
                "detail": "userName bjensen is taken",
            })
        );
    }

    #[test]
    fn an_untyped_error_omits_scim_type() {
        let body = ScimError::new(404, "Resource 2819c223 not found").to_json();
        assert!(body.get("scimType").is_none());
        assert_eq!(body["status"], "404");
    }

    #[test]
    fn display_shows_status_keyword_and_detail() {
        assert_eq!(
            ScimError::no_target("nothing matched").to_string(),
            "400 noTarget: nothing matched"
        );
        assert_eq!(ScimError::new(404, "gone").to_string(), "404: gone");
    }
}
