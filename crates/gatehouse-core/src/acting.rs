//! Who acts, for which organization, from where: the triple every audited change carries.

use crate::Timestamp;
use crate::audit::{Actor, AuditEvent, RequestMeta};
use crate::ids::OrgId;

/// One caller acting on one organization: the organization, the party (an admin's account, an
/// API key, a directory, the system) and where the request came from.
///
/// It is a plain record, not a permission: capabilities such as [`crate::authz::OrgAdmin`]
/// wrap one once their check has passed, and services read it to write their audit events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acting {
    org: OrgId,
    actor: Actor,
    meta: RequestMeta,
}

impl Acting {
    /// The triple, as a capability check has established it.
    pub fn new(org: OrgId, actor: Actor, meta: RequestMeta) -> Self {
        Self { org, actor, meta }
    }

    /// The organization acted on.
    pub fn org(&self) -> OrgId {
        self.org
    }

    /// The party acting, as the audit log names it.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Where the request came from.
    pub fn meta(&self) -> &RequestMeta {
        &self.meta
    }

    /// An audit event of this caller in this organization, ready for its targets and changes.
    pub fn event(&self, action: crate::audit::AuditAction, at: Timestamp) -> AuditEvent {
        AuditEvent::new(self.org, &self.actor, &self.meta, action, at)
    }
}
