//! Directories (identity providers that provision accounts over SCIM) and what they store.

use crate::Timestamp;
use crate::error::{CoreError, Result};
use crate::ids::{AccountId, DirectoryId, OrgId};
use crate::types::{Email, Name};

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
#[derive(Debug, Clone, PartialEq)]
pub struct HeldOperation {
    pub id: String,
    pub directory_id: DirectoryId,
    /// The SCIM user the change is for.
    pub resource_id: String,
    /// What releasing it does.
    pub change: HeldChange,
    pub created_at: Timestamp,
}

/// What a provisioned user says about its account: the fields Gatehouse uses, read from the
/// directory's resource by the protocol edge.
#[derive(Debug, Clone, PartialEq)]
pub struct ProvisionedUser {
    pub user_name: String,
    pub external_id: Option<String>,
    pub email: Email,
    pub display_name: Name,
    pub active: bool,
}

/// A user as a directory wrote it: its fields and the resource kept to serve it back.
#[derive(Debug, Clone, PartialEq)]
pub struct UserResource {
    pub user: ProvisionedUser,
    /// The resource as stored (no id, meta or password).
    pub resource: serde_json::Value,
}

impl UserResource {
    /// The first version of the SCIM user this resource makes in `directory`, on `account`.
    pub fn first_version(
        &self,
        directory: crate::ids::DirectoryId,
        account: crate::ids::AccountId,
        now: crate::Timestamp,
    ) -> ScimUser {
        let f = &self.user;
        ScimUser {
            id: uuid::Uuid::now_v7().to_string(),
            directory_id: directory,
            account_id: account,
            user_name: f.user_name.clone(),
            external_id: f.external_id.clone(),
            email: Some(f.email.to_string()),
            active: f.active,
            resource: self.resource.to_string(),
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }
}

/// A change the safety valve held, typed: releasing it applies it through provisioning, the
/// same way as when the directory sent it.
#[derive(Debug, Clone, PartialEq)]
pub enum HeldChange {
    /// The user becomes this resource (a replacement, or an edit as it applied when held).
    Replace(UserResource),
    /// The user is deprovisioned.
    Delete,
    /// Held before changes were typed: the change as the directory sent it, which only the
    /// protocol edge can read (it turns it into a replacement at release).
    AsSent(SentChange),
}

/// A change held before changes were typed (see [`HeldChange::AsSent`]).
#[derive(Debug, Clone, PartialEq)]
pub enum SentChange {
    /// A whole resource.
    Replace(serde_json::Value),
    /// Edit operations, to apply to the user as it is at release.
    Edit(serde_json::Value),
}

/// A replacement as stored: the fields are parsed again on the way back in.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredReplace {
    resource: serde_json::Value,
    user_name: String,
    external_id: Option<String>,
    email: String,
    display_name: String,
    active: bool,
}

impl HeldChange {
    /// The stored kind: `replace` or `delete` (rows written before changes were typed keep
    /// the `PUT` or `PATCH` they came with).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Replace(_) => "replace",
            Self::Delete => "delete",
            Self::AsSent(SentChange::Replace(_)) => "PUT",
            Self::AsSent(SentChange::Edit(_)) => "PATCH",
        }
    }

    /// The change as stored next to its kind (JSON).
    pub fn to_stored(&self) -> String {
        match self {
            Self::Replace(r) => serde_json::json!(StoredReplace {
                resource: r.resource.clone(),
                user_name: r.user.user_name.clone(),
                external_id: r.user.external_id.clone(),
                email: r.user.email.to_string(),
                display_name: r.user.display_name.to_string(),
                active: r.user.active,
            })
            .to_string(),
            Self::Delete => "{}".to_owned(),
            Self::AsSent(SentChange::Replace(v) | SentChange::Edit(v)) => v.to_string(),
        }
    }

    /// Reads a stored change back. Stored text that does not parse is an internal error:
    /// nothing but this type writes it.
    pub fn from_stored(kind: &str, text: &str) -> Result<Self> {
        let json = |t: &str| serde_json::from_str::<serde_json::Value>(t).map_err(CoreError::internal);
        match kind {
            "replace" => {
                let s: StoredReplace = serde_json::from_str(text).map_err(CoreError::internal)?;
                let user = ProvisionedUser {
                    user_name: s.user_name,
                    external_id: s.external_id,
                    email: Email::parse(&s.email).map_err(CoreError::internal)?,
                    display_name: Name::parse(&s.display_name, "displayName", 100).map_err(CoreError::internal)?,
                    active: s.active,
                };
                Ok(Self::Replace(UserResource {
                    user,
                    resource: s.resource,
                }))
            }
            // `DELETE` rows written before changes were typed carry no body.
            "delete" | "DELETE" => Ok(Self::Delete),
            "PUT" => Ok(Self::AsSent(SentChange::Replace(json(text)?))),
            "PATCH" => Ok(Self::AsSent(SentChange::Edit(json(text)?))),
            other => Err(CoreError::internal(format!("unknown held change kind {other:?}"))),
        }
    }
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

/// A comparison on a `meta` sub-attribute of a user or group. `meta` is computed when the
/// resource is served, so it compares on the columns behind it.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaCondition {
    /// `meta.created` against an instant.
    Created(TextOp, Timestamp),
    /// `meta.lastModified` against an instant.
    LastModified(TextOp, Timestamp),
    /// `meta.version` as served: the weak entity tag `W/"<version>"` (RFC 7644 §3.14), caseExact.
    Version(TextOp, String),
    /// `meta.location` as served: `<base>/Users/<id>` or `<base>/Groups/<id>`, caseExact.
    Location { base: String, op: TextOp, value: String },
}

/// A SCIM filter (RFC 7644 §3.4.2.2) as the store answers it: every filter the schema accepts
/// has a form here, so listing never falls back to reading resources.
#[derive(Debug, Clone, PartialEq)]
pub enum UserPredicate {
    All,
    /// userName, case-insensitive (RFC 7643 §4.1.1: caseExact false).
    UserName(TextOp, String),
    ExternalId(TextOp, String),
    /// externalId has a non-empty value.
    ExternalIdPresent,
    /// The SCIM `id` (caseExact).
    Id(TextOp, String),
    /// emails.value, case-insensitive.
    Email(TextOp, String),
    Active(bool),
    /// A `meta` sub-attribute.
    Meta(MetaCondition),
    /// Some indexed value at the condition's path meets it (any element of a multi-valued
    /// attribute); `ne` matches users with no equal value, an absent value included.
    Value(ElementCondition),
    /// The attribute has a non-empty value; a complex one (`name`, `emails`) through any of its
    /// sub-attributes.
    Present {
        path: String,
        complex: bool,
    },
    /// Some element of the complex attribute at `attr` (its lower-cased index path, `emails`)
    /// meets `filter`: a value path such as `emails[type eq "work" and not (value ew ".org")]`.
    Element {
        attr: String,
        filter: ElementPredicate,
    },
    And(Box<UserPredicate>, Box<UserPredicate>),
    Or(Box<UserPredicate>, Box<UserPredicate>),
    Not(Box<UserPredicate>),
}

impl UserPredicate {
    /// Matches no user (`userName eq null`: a required attribute is never absent).
    pub fn none() -> Self {
        Self::Not(Box::new(Self::All))
    }
}

/// A filter on one element of a complex attribute (the inside of a value path). A sub-attribute
/// the element lacks never compares equal, so `not (type eq "work")` holds for an element
/// without a type (RFC 7644 §3.4.2.2).
#[derive(Debug, Clone, PartialEq)]
pub enum ElementPredicate {
    /// Every element (a comparison decided without its value; `Not(Any)`: none).
    Any,
    Compare(ElementCondition),
    /// The sub-attribute at this path has a non-empty value in the element.
    Present(String),
    And(Box<ElementPredicate>, Box<ElementPredicate>),
    Or(Box<ElementPredicate>, Box<ElementPredicate>),
    Not(Box<ElementPredicate>),
}

/// One comparison with an indexed value: its lower-cased path (`emails.type`,
/// `urn:…:user:employeenumber`), the operator and the literal, typed as the attribute is.
#[derive(Debug, Clone, PartialEq)]
pub struct ElementCondition {
    pub path: String,
    pub op: TextOp,
    pub value: Literal,
}

/// A comparison literal, typed by the attribute's schema (RFC 7643 §2.3).
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// Strings, references and binary: compared folded unless the attribute is case-exact.
    Text {
        value: String,
        case_exact: bool,
    },
    Bool(bool),
    /// Integers and decimals, compared numerically.
    Number(f64),
    /// dateTimes, compared as instants (millisecond precision).
    Instant(Timestamp),
}

/// Comparison operators (RFC 7644 §3.4.2.2, Table 3; `pr` is a predicate of its own). The
/// substring operators apply to text only; the ordering ones to text, numbers and instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextOp {
    Eq,
    Ne,
    StartsWith,
    EndsWith,
    Contains,
    Gt,
    Ge,
    Lt,
    Le,
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

/// A SCIM group filter (RFC 7644 §3.4.2.2) as the store answers it, in SQL: the columns answer
/// displayName, externalId, id and meta; the memberships answer `members`.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupPredicate {
    All,
    /// displayName, case-insensitive (RFC 7643 §4.2: caseExact false).
    DisplayName(TextOp, String),
    /// externalId, case-exact (RFC 7643 §3.1).
    ExternalId(TextOp, String),
    /// externalId has a non-empty value.
    ExternalIdPresent,
    /// The SCIM `id` (caseExact).
    Id(TextOp, String),
    /// A `meta` sub-attribute.
    Meta(MetaCondition),
    /// Some member, as `members` serves it, meets the filter: `members[value eq "…"]`,
    /// `members.value eq "…"`; `Member(MemberPredicate::Any)` is `members pr`.
    Member(MemberPredicate),
    And(Box<GroupPredicate>, Box<GroupPredicate>),
    Or(Box<GroupPredicate>, Box<GroupPredicate>),
    Not(Box<GroupPredicate>),
}

impl GroupPredicate {
    /// Matches no group.
    pub fn none() -> Self {
        Self::Not(Box::new(Self::All))
    }
}

/// A filter on one member of a group (the inside of `members[...]`). Members are the directory's
/// users, served as `value` (the SCIM user id), `display` (the account's display name), `type`
/// (always `User`) and `$ref`. A sub-attribute the member lacks never compares equal, so `ne`
/// holds for it (RFC 7644 §3.4.2.2).
#[derive(Debug, Clone, PartialEq)]
pub enum MemberPredicate {
    /// Every member (a condition decided without looking, such as `type eq "User"`;
    /// `Not(Any)`: none).
    Any,
    /// `value`: the member's SCIM user id, caseExact.
    Value(TextOp, String),
    /// `display`: the member account's display name, case-insensitive.
    Display(TextOp, String),
    /// `display` has a non-empty value.
    DisplayPresent,
    /// `$ref` as served: `<base>/Users/<value>`, caseExact.
    Ref {
        base: String,
        op: TextOp,
        value: String,
    },
    And(Box<MemberPredicate>, Box<MemberPredicate>),
    Or(Box<MemberPredicate>, Box<MemberPredicate>),
    Not(Box<MemberPredicate>),
}

/// How a user listing is ordered (`sortBy`, RFC 7644 §3.4.2.3): by a column, or by any other
/// attribute's indexed value. Users without the value come last in both orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserSort {
    Id,
    UserName,
    ExternalId,
    Email,
    Active,
    Created,
    LastModified,
    /// `meta.version`: the write count.
    Version,
    /// The value at `path` (lower-cased index path); for a multi-valued attribute, that of the
    /// element whose `primary` (at `primary`) is true, else of the first element.
    Value {
        path: String,
        primary: Option<String>,
        key: SortKey,
    },
}

/// How values of a sort attribute compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// Text, case-insensitively (caseExact false).
    Folded,
    /// Text as stored (caseExact, and booleans: false before true).
    Exact,
    Number,
    Instant,
}

/// Orders a group listing may use, for `sortBy` (RFC 7644 §3.4.2.3). Groups without the value
/// (externalId) come last in both orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupSort {
    Id,
    /// Case-insensitive (caseExact false).
    DisplayName,
    ExternalId,
    Created,
    LastModified,
    /// `meta.version`: the write count.
    Version,
}
