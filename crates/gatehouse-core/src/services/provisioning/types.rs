//! The inputs and answers of provisioning.

use super::super::directories::DirectoryCaller;
use crate::audit::RequestMeta;
use crate::directory::{HeldOperation, ScimUser, UserResource};
use crate::types::Name;

/// Whether the deactivation safety valve applies to a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Valve {
    /// A directory's own request: past its hourly limit, deactivations are held.
    Enforce,
    /// An admin releasing held changes.
    Bypass,
}

/// What a write did.
#[derive(Debug, Clone, PartialEq)]
pub enum Written {
    Applied(ScimUser),
    /// Held by the safety valve; the user is as it was.
    Held(ScimUser),
}

/// The versions a write accepts the resource at (the protocol's `If-Match`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// Whatever the current version is.
    Any,
    /// One of these; none matching refuses the write.
    OneOf(Vec<i64>),
}

/// A group as a directory wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupResource {
    pub display_name: Name,
    pub external_id: Option<String>,
    /// The resource as stored (no id, meta or members).
    pub resource: serde_json::Value,
}

/// How a write changes a group's members (named by their SCIM user ids).
#[derive(Debug, Clone, PartialEq)]
pub enum MemberChange {
    /// Exactly these.
    Set(Vec<String>),
    /// Emptied first when `cleared`, then these removed and these added.
    Delta {
        cleared: bool,
        added: Vec<String>,
        removed: Vec<String>,
    },
}

/// A group write: the new resource and the change to its members.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupWrite {
    pub group: GroupResource,
    pub members: MemberChange,
}

/// A create waiting to be written with others (see [`super::Provisioning::create_users`]).
#[derive(Debug, Clone)]
pub struct QueuedCreate {
    pub caller: DirectoryCaller,
    pub meta: RequestMeta,
    pub user: UserResource,
}

/// What releasing held changes did: how many applied, and each one that failed with why.
#[derive(Debug)]
pub struct Release<E> {
    pub released: usize,
    pub failed: Vec<(HeldOperation, E)>,
}
