//! Directories (identity providers that provision accounts over SCIM) and what they store.

use crate::Timestamp;
use crate::ids::{AccountId, DirectoryId, OrgId};

/// An identity-provider directory connected to an organization.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Directory {
    pub id: DirectoryId,
    pub org_id: OrgId,
    pub name: String,
    pub created_at: Timestamp,
    /// Deactivations (and deletions) per hour beyond which further ones are held.
    pub deactivation_limit_per_hour: i64,
}

/// A destructive change held by the safety valve until an admin releases or discards it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HeldOperation {
    pub id: String,
    pub directory_id: DirectoryId,
    /// The SCIM user the change is for.
    pub resource_id: String,
    /// PUT, PATCH or DELETE.
    pub method: String,
    /// The request body as sent (empty for DELETE).
    pub body: String,
    pub created_at: Timestamp,
}

/// A directory's bearer token (the secret is shown once; only its digest is kept).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DirectoryToken {
    pub id: String,
    pub directory_id: DirectoryId,
    pub prefix: String,
    pub created_at: Timestamp,
    /// Set when the token was rotated out: it keeps working until then.
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl DirectoryToken {
    pub fn is_usable_at(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| now < e)
    }

    /// active, expiring (rotated out, still working until `expires_at`), expired or revoked.
    pub fn status(&self, now: Timestamp) -> &'static str {
        match (self.revoked_at, self.expires_at) {
            (Some(_), _) => "revoked",
            (None, Some(e)) if now >= e => "expired",
            (None, Some(_)) => "expiring",
            (None, None) => "active",
        }
    }
}

/// A provisioned user: the SCIM resource as last written, and the account it stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct ScimUser {
    /// The SCIM `id`, scoped to the directory.
    pub id: String,
    pub directory_id: DirectoryId,
    pub account_id: AccountId,
    pub user_name: String,
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub active: bool,
    /// The resource JSON (without `meta`, which is computed).
    pub resource: String,
    /// Bumped on every write; `meta.version` is `W/"<version>"`.
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The part of a SCIM filter the store answers with SQL (on indexed columns). Anything else is
/// evaluated on the resources themselves.
#[derive(Debug, Clone, PartialEq)]
pub enum UserPredicate {
    All,
    /// userName, case-insensitive (RFC 7643 §4.1.1: caseExact false).
    UserName(TextOp, String),
    ExternalId(TextOp, String),
    Id(String),
    /// emails.value, case-insensitive.
    Email(TextOp, String),
    Active(bool),
    /// Any other attribute, by its lower-cased path (`emails.value`, `name.familyname`,
    /// `urn:…:user:employeenumber`), compared folded unless the attribute is case-exact.
    Value {
        path: String,
        op: TextOp,
        value: String,
        case_exact: bool,
    },
    /// The attribute has a value.
    Present(String),
    /// One element of a multi-valued attribute meets every condition (a value path such as
    /// `emails[type eq "work" and value co "@example.com"]`).
    Element(Vec<ElementCondition>),
    And(Box<UserPredicate>, Box<UserPredicate>),
    Or(Box<UserPredicate>, Box<UserPredicate>),
    Not(Box<UserPredicate>),
}

/// One condition inside a value path.
#[derive(Debug, Clone, PartialEq)]
pub struct ElementCondition {
    pub path: String,
    pub op: TextOp,
    pub value: String,
    pub case_exact: bool,
}

/// Text comparisons the store can do with an index or a LIKE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextOp {
    Eq,
    Ne,
    StartsWith,
    EndsWith,
    Contains,
}

/// A provisioned group: an org group the directory owns, and its SCIM resource (members are
/// kept as group memberships, not in the resource).
#[derive(Debug, Clone, PartialEq)]
pub struct ScimGroup {
    pub id: String,
    pub directory_id: DirectoryId,
    pub group_id: crate::ids::GroupId,
    pub display_name: String,
    pub external_id: Option<String>,
    pub resource: String,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The part of a group filter the store answers with SQL.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupPredicate {
    All,
    /// displayName, case-insensitive.
    DisplayName(TextOp, String),
    ExternalId(TextOp, String),
    Id(String),
    And(Box<GroupPredicate>, Box<GroupPredicate>),
    Or(Box<GroupPredicate>, Box<GroupPredicate>),
    Not(Box<GroupPredicate>),
}

/// Orders a user listing may use directly (each backed by a column), for `sortBy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserSort {
    Id,
    UserName,
    ExternalId,
    Email,
    Active,
    Created,
    LastModified,
}

/// Orders a group listing may use, for `sortBy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupSort {
    Id,
    DisplayName,
    ExternalId,
    Created,
    LastModified,
}
