//! The audit trail: who did what, when, from where, to what, and what it changed.

use crate::Timestamp;
use crate::error::{CoreError, Result};
use crate::ids::{EventId, OrgId};
use serde_json::Value;

mod catalog;

pub use catalog::{AuditAction, Category, Severity};

/// What kind of party acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    Account,
    ApiKey,
    Directory,
    /// A product client (OpenID Connect), acting with its own credentials.
    Client,
    System,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Account => "account",
            ActorKind::ApiKey => "api_key",
            ActorKind::Directory => "directory",
            ActorKind::Client => "client",
            ActorKind::System => "system",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "account" => Ok(ActorKind::Account),
            "api_key" => Ok(ActorKind::ApiKey),
            "directory" => Ok(ActorKind::Directory),
            "client" => Ok(ActorKind::Client),
            "system" => Ok(ActorKind::System),
            _ => Err(CoreError::validation(
                "actor_type",
                "must be one of: account, api_key, directory, client, system",
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
    /// Starts an event of one of the catalog's actions.
    pub fn new(org_id: OrgId, actor: &Actor, meta: &RequestMeta, action: AuditAction, at: Timestamp) -> Self {
        Self {
            id: EventId::at(at),
            org_id,
            occurred_at: at,
            actor: actor.clone(),
            action: action.name().to_owned(),
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

/// A page of events, newest first. A request reads a bounded number of index entries (its
/// scan budget); when the budget runs out before the page is full, the page holds what was
/// found, `after` says where to go on, and `searched_until` how far back the search reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventPage<T> {
    pub items: Vec<T>,
    /// The event id (exclusive) the next page starts below; `None` when nothing older matches.
    pub after: Option<String>,
    /// Set only when the budget ran out first: no matching event at or after this time was
    /// left out.
    pub searched_until: Option<Timestamp>,
}

impl<T> EventPage<T> {
    /// A complete page from `limit + 1` fetched rows (the extra one says whether more exist).
    pub fn from_overfetch(mut rows: Vec<T>, limit: u32, id_of: impl Fn(&T) -> String) -> Self {
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let after = if more { rows.last().map(id_of) } else { None };
        Self {
            items: rows,
            after,
            searched_until: None,
        }
    }

    /// The opaque cursor of the next page.
    pub fn next_cursor(&self) -> Option<String> {
        self.after.as_deref().map(crate::page::encode_cursor)
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> EventPage<U> {
        EventPage {
            items: self.items.into_iter().map(f).collect(),
            after: self.after,
            searched_until: self.searched_until,
        }
    }
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
            if AuditAction::from_name(a).is_none() {
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

#[cfg(test)]
mod tests {
    use super::*;

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
            AuditAction::AccountCreated,
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
