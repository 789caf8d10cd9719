//! The audit trail: who did what, when, from where, to what, and what it changed.

use crate::Timestamp;
use crate::error::{CoreError, Result};
use crate::ids::{EventId, OrgId};
use serde_json::Value;

/// What kind of party acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    Account,
    ApiKey,
    Directory,
    System,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Account => "account",
            ActorKind::ApiKey => "api_key",
            ActorKind::Directory => "directory",
            ActorKind::System => "system",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "account" => Ok(ActorKind::Account),
            "api_key" => Ok(ActorKind::ApiKey),
            "directory" => Ok(ActorKind::Directory),
            "system" => Ok(ActorKind::System),
            _ => Err(CoreError::validation(
                "actor_type",
                "must be one of: account, api_key, directory, system",
            )),
        }
    }
}

/// Who acted: a kind, the id of the party (none for the system) and a label to show.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Actor {
    #[serde(rename = "type")]
    pub kind: ActorKind,
    pub id: Option<String>,
    pub label: String,
}

impl Actor {
    pub fn system(label: &str) -> Self {
        Self {
            kind: ActorKind::System,
            id: None,
            label: label.to_owned(),
        }
    }
}

/// Something an event acted on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Target {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub label: Option<String>,
}

/// Where a request came from, as far as the edge could tell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The state of what changed, before and after (either side absent for creations and deletions).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Changes {
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// One audit event.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AuditEvent {
    pub id: EventId,
    pub org_id: OrgId,
    pub occurred_at: Timestamp,
    pub actor: Actor,
    pub action: String,
    pub targets: Vec<Target>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub changes: Changes,
}

impl AuditEvent {
    /// Starts an event; `action` must be one of [`ACTIONS`].
    pub fn new(org_id: OrgId, actor: &Actor, meta: &RequestMeta, action: &'static str, at: Timestamp) -> Self {
        debug_assert!(
            ACTIONS.iter().any(|(a, _)| *a == action),
            "unregistered action {action}"
        );
        Self {
            id: EventId::at(at),
            org_id,
            occurred_at: at,
            actor: actor.clone(),
            action: action.to_owned(),
            targets: Vec::new(),
            ip: meta.ip.clone(),
            user_agent: meta.user_agent.clone(),
            changes: Changes {
                before: None,
                after: None,
            },
        }
    }

    #[must_use]
    pub fn target(mut self, kind: &str, id: impl std::fmt::Display, label: Option<&str>) -> Self {
        self.targets.push(Target {
            kind: kind.to_owned(),
            id: id.to_string(),
            label: label.map(str::to_owned),
        });
        self
    }

    #[must_use]
    pub fn before(mut self, v: &impl serde::Serialize) -> Self {
        self.changes.before = serde_json::to_value(v).ok();
        self
    }

    #[must_use]
    pub fn after(mut self, v: &impl serde::Serialize) -> Self {
        self.changes.after = serde_json::to_value(v).ok();
        self
    }

    /// The lower-cased text that free-text search matches: the action, the actor's and targets'
    /// names, and the IP. Ids are left out (the actor and target filters find them exactly, by
    /// index), and so is the user agent: long, near-unique strings cost the trigram index most
    /// and are not what people type.
    pub fn search_text(&self) -> String {
        let mut s = format!("{} {}", self.action, self.actor.label);
        for t in &self.targets {
            if let Some(l) = &t.label {
                s.push(' ');
                s.push_str(l);
            }
        }
        if let Some(ip) = &self.ip {
            s.push(' ');
            s.push_str(ip);
        }
        s.to_lowercase()
    }
}

/// An event as stored, with its targets and changes still as JSON text: the shape exports
/// stream, so a million events are not parsed and re-serialized on the way out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    pub id: String,
    pub occurred_at: Timestamp,
    pub actor_type: String,
    pub actor_id: Option<String>,
    pub actor_label: String,
    pub action: String,
    /// JSON array of `{type, id, label}`.
    pub targets_json: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// JSON object `{before, after}`.
    pub changes_json: String,
}

/// Filters for reading the audit log. All given filters must match.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub actor_type: Option<ActorKind>,
    pub actor_id: Option<String>,
    /// Exact action names; any of them matches.
    pub actions: Vec<String>,
    pub target_id: Option<String>,
    pub ip: Option<String>,
    /// Case-insensitive substring of the event's search text.
    pub text: Option<String>,
}

impl AuditFilter {
    /// Checks the filter's own consistency (known actions, a sane range, bounded text).
    pub fn validate(&self) -> Result<()> {
        let mut fields = Vec::new();
        for a in &self.actions {
            if !ACTIONS.iter().any(|(n, _)| n == a) {
                fields.push(crate::FieldError::new(
                    "action",
                    format!("unknown action {a:?}; see event-actions"),
                ));
            }
        }
        if let (Some(s), Some(u)) = (self.since, self.until)
            && s > u
        {
            fields.push(crate::FieldError::new("since", "must not be after until"));
        }
        if self.text.as_ref().is_some_and(|t| t.chars().count() > 200) {
            fields.push(crate::FieldError::new("q", "must be at most 200 characters"));
        }
        if fields.is_empty() {
            Ok(())
        } else {
            Err(CoreError::Validation { fields })
        }
    }
}

/// Every action the audit log records, with what it means. Names are stable: integrations
/// (SIEM rules, exports) depend on them.
pub const ACTIONS: &[(&str, &str)] = &[
    ("org.created", "An organization was created"),
    ("org.updated", "The organization's name or plan changed"),
    ("account.created", "An account was created"),
    ("account.added", "An existing account was added to the organization"),
    ("account.updated", "An account's profile changed"),
    (
        "account.deactivated",
        "An account was deactivated and can no longer sign in",
    ),
    ("account.reactivated", "A deactivated account was reactivated"),
    (
        "account.api_tokens_revoked",
        "An account's API tokens were revoked because it was deactivated",
    ),
    (
        "user_api_token.revoked",
        "An admin revoked one of a managed account's API tokens",
    ),
    ("account.removed", "An account was removed from the organization"),
    ("account.deleted", "A managed account was deleted"),
    ("instance.created", "A product instance was added"),
    ("instance.updated", "A product instance's name or edition changed"),
    ("instance.deleted", "A product instance was removed"),
    ("group.created", "A group was created"),
    ("group.updated", "A group's name or description changed"),
    ("group.deleted", "A group was deleted"),
    ("group.member_added", "An account was added to a group"),
    ("group.member_removed", "An account was removed from a group"),
    ("product_access.granted", "Access to a product instance was granted"),
    ("product_access.updated", "The role of a product access grant changed"),
    ("product_access.revoked", "Access to a product instance was revoked"),
    ("org_admin.granted", "An account was made an organization admin"),
    ("org_admin.revoked", "An account's organization admin role was removed"),
    ("api_key.created", "An organization API key was created"),
    ("api_key.revoked", "An organization API key was revoked"),
    (
        "audit.pruned",
        "Audit events older than the retention period were deleted",
    ),
    ("auth.signed_in", "An admin signed in to the console"),
    ("directory.created", "An identity-provider directory was connected"),
    ("directory.removed", "An identity-provider directory was removed"),
    (
        "directory.token_created",
        "A directory's SCIM token was created or rotated",
    ),
    ("directory.token_revoked", "A directory's SCIM token was revoked"),
    ("scim.user_created", "A directory provisioned a user"),
    ("scim.user_updated", "A directory changed a user"),
    ("scim.user_deactivated", "A directory deactivated a user"),
    ("scim.user_reactivated", "A directory reactivated a user"),
    ("scim.user_deleted", "A directory deprovisioned a user"),
    ("scim.group_created", "A directory provisioned a group"),
    (
        "scim.change_held",
        "A directory's deactivation was held by the safety valve",
    ),
    (
        "directory.held_released",
        "An admin released a directory's held changes",
    ),
    (
        "directory.held_discarded",
        "An admin discarded a directory's held changes",
    ),
    ("directory.updated", "A directory's settings changed"),
    ("scim.group_updated", "A directory changed a group or its members"),
    ("scim.group_deleted", "A directory deleted a group"),
    ("domain.added", "A domain was added for verification"),
    ("domain.updated", "A domain's settings changed"),
    ("domain.verified", "A domain's ownership was verified"),
    (
        "domain.verification_failed",
        "A domain was not verified within its window",
    ),
    ("domain.proof_missing", "A verified domain's proof could not be found"),
    ("domain.proof_restored", "A verified domain's proof was found again"),
    (
        "domain.unverified",
        "A domain lost its verification and its accounts were released",
    ),
    ("domain.removed", "A domain was removed"),
    (
        "domain.accounts_claimed",
        "Accounts on a verified domain became managed",
    ),
    ("account.email_changed", "A managed account's email address changed"),
    (
        "account.deletion_scheduled",
        "A managed account was scheduled for deletion",
    ),
    ("account.deletion_canceled", "A scheduled account deletion was canceled"),
    ("auth.sign_in_failed", "A console sign-in failed"),
    ("auth.locked_out", "Console sign-in was locked after repeated failures"),
    ("auth.signed_out", "An admin signed out of the console"),
    ("auth.password_reset_requested", "A password reset link was sent"),
    (
        "auth.password_set",
        "An account's password was set through a reset link",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_are_unique_and_dotted() {
        let mut seen = std::collections::HashSet::new();
        for (a, _) in ACTIONS {
            assert!(seen.insert(a), "duplicate {a}");
            assert!(a.contains('.') && a.chars().all(|c| c.is_ascii_lowercase() || c == '.' || c == '_'));
        }
    }

    #[test]
    fn an_unknown_action_filter_is_rejected() {
        let f = AuditFilter {
            actions: vec!["account.exploded".into()],
            ..Default::default()
        };
        assert!(f.validate().is_err());
    }

    #[test]
    fn search_text_covers_targets_and_ip() {
        let ev = AuditEvent::new(
            OrgId::new(),
            &Actor::system("System"),
            &RequestMeta {
                ip: Some("10.0.0.7".into()),
                user_agent: None,
            },
            "account.created",
            Timestamp::from_millis(0),
        )
        .target("account", "0190f0aa-ids-stay-out", Some("Ada@Example.com"));
        let t = ev.search_text();
        assert!(t.contains("ada@example.com") && t.contains("10.0.0.7") && t.contains("account.created"));
        assert!(
            !t.contains("ids-stay-out"),
            "ids are found by the target filter, not free text"
        );
    }
}
