//! The parsed shape of a PATCH request and what applying it changed (RFC 7644 §3.5.2).

use std::collections::BTreeSet;

use serde_json::Value;

use crate::path::PatchPath;

/// The operation of a PATCH operation (RFC 7644 §3.5.2); names are matched case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatchOpKind {
    /// `add` (RFC 7644 §3.5.2.1).
    Add,
    /// `remove` (RFC 7644 §3.5.2.2).
    Remove,
    /// `replace` (RFC 7644 §3.5.2.3).
    Replace,
}

/// One validated entry of `Operations`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOperation {
    /// What to do.
    pub op: PatchOpKind,
    /// Where; `None` means the resource itself (allowed for `add` and `replace` only).
    pub path: Option<PatchPath>,
    /// The value, when one was sent.
    pub value: Option<Value>,
}

/// What a PATCH did to Group membership, so that membership rows can be updated without diffing the lists.
///
/// To bring a store up to date: if `cleared`, delete all memberships of the group; then delete those in `removed`
/// and insert those in `added` (ignoring ones already present). The sets are disjoint.
///
/// If the Group given to [`apply_patch`] has a `members` key, the changes are exact: re-adding a member or
/// removing a non-member reports nothing, and `replace` reports the difference. A caller may instead leave
/// `members` out of a large Group; then the ids the request names are reported as they are (`add` values, `remove`
/// values, `members[value eq "…"]` filters, possibly joined by `or`), `replace` and `remove` of `members` report
/// `cleared`, and filters on other sub-attributes (`members[type eq "Group"]`) cannot be resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberChanges {
    /// Every previous member was removed (`remove` or `replace` of `members` without a filter).
    pub cleared: bool,
    /// Ids that are members after the PATCH.
    pub added: BTreeSet<String>,
    /// Ids that are no longer members after the PATCH.
    pub removed: BTreeSet<String>,
}

impl MemberChanges {
    pub(super) fn clear(&mut self) {
        self.cleared = true;
        self.added.clear();
        self.removed.clear();
    }

    pub(super) fn add(&mut self, id: &str) {
        self.removed.remove(id);
        self.added.insert(id.to_owned());
    }

    pub(super) fn remove(&mut self, id: &str) {
        self.added.remove(id);
        if !self.cleared {
            self.removed.insert(id.to_owned());
        }
    }

    /// Whether membership is untouched.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        !self.cleared && self.added.is_empty() && self.removed.is_empty()
    }
}

/// The result of a successful PATCH.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatchOutcome {
    /// Top-level attributes whose value differs afterwards: canonical names (`name`, `emails`, `active`), and
    /// `urn:…:attribute` for extension attributes (e.g.
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`); `schemas` when it was adjusted.
    pub changed: BTreeSet<String>,
    /// Group membership changes (empty for Users).
    pub members: MemberChanges,
    /// Paths in extension schemas the server does not advertise, whose operations were skipped (Entra ID and
    /// Okta send the custom extensions an administrator mapped); the caller logs them.
    pub ignored: Vec<String>,
}

impl PatchOutcome {
    /// Whether the PATCH left the resource and its membership unchanged (RFC 7644 §3.5.2.1: then the
    /// modification timestamp and version must not change).
    #[must_use]
    pub fn is_noop(&self) -> bool {
        self.changed.is_empty() && self.members.is_empty()
    }
}
