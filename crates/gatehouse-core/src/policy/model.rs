//! A policy's settings, each with its default, and how a change to them is read and checked.
//!
//! A change is a JSON merge patch (RFC 7386) over the settings as they are: an absent field
//! stays as it is, `null` returns an optional field to its default. The merged object must
//! read back into [`PolicySettings`] with no unknown field, and then pass [`PolicySettings::check`].

use crate::Timestamp;
use crate::error::{CoreError, FieldError, Result};
use crate::ids::{IdpId, OrgId, PolicyId};
use serde::{Deserialize, Serialize};

/// The shortest session lifetime a policy may set, in minutes.
pub const MIN_SESSION_MINUTES: u32 = 15;
/// The longest: 30 days.
pub const MAX_SESSION_MINUTES: u32 = 30 * 24 * 60;
/// The password lengths a policy may ask for.
pub const PASSWORD_LENGTHS: std::ops::RangeInclusive<u32> = 8..=128;
/// At most this many earlier passwords are remembered (each costs a hash check when a new
/// password is set).
pub const MAX_HISTORY: u32 = 24;
/// The longest expiry a policy may set: ten years.
pub const MAX_EXPIRY_DAYS: u32 = 3650;

/// Single sign-on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsoRule {
    /// Members sign in through an identity provider only (break-glass admins excepted).
    #[serde(default)]
    pub enforced: bool,
    /// The provider they sign in with; `None` while enforced is the provider linked to each
    /// member's email domain.
    #[serde(default)]
    pub identity_provider_id: Option<IdpId>,
}

/// Two-step verification.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TwoStepRule {
    /// Members may enrol.
    #[default]
    Optional,
    /// A member signing in with a password takes a second step; one without a method enrols
    /// at that sign-in. Nobody is signed out when this is switched on.
    Required,
}

/// Password rules: checked when a password is set, and against the facts recorded of the
/// password a member has at each sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordRules {
    /// In characters, 8 to 128.
    pub min_length: u32,
    /// zxcvbn's score, 0 (any) to 4.
    pub min_strength: u8,
    /// A password older than this many days must be changed at the next sign-in.
    pub expiry_days: Option<u32>,
    /// A new password may not be any of the last N (0 to 24).
    pub history: u32,
    /// Refuse the bundled list of common passwords (and the operator's, if configured).
    pub refuse_common: bool,
}

impl Default for PasswordRules {
    fn default() -> Self {
        Self {
            min_length: 12,
            min_strength: 0,
            expiry_days: None,
            history: 0,
            refuse_common: true,
        }
    }
}

/// Session lifetimes, in minutes; `None` is the server's configured default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionRules {
    /// A session unused this long ends.
    pub idle_minutes: Option<u32>,
    /// A session ends this long after its sign-in, however active.
    pub absolute_minutes: Option<u32>,
}

/// Everything a policy sets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicySettings {
    pub sso: SsoRule,
    pub two_step_verification: TwoStepRule,
    pub password: PasswordRules,
    pub session: SessionRules,
    /// Members are not billed, and get basic protection only: no SSO enforcement and no
    /// required two-step verification.
    pub non_billable: bool,
}

fn range_error(fields: &mut Vec<FieldError>, field: &str, message: String) {
    fields.push(FieldError::new(field, message));
}

impl PolicySettings {
    /// The settings with `patch` merged in (RFC 7386), checked.
    pub fn patched(&self, patch: &serde_json::Value) -> Result<Self> {
        let settings: Self = merged(self, patch)?;
        settings.check()?;
        Ok(settings)
    }

    /// Checks every bound; every field in error is named.
    pub fn check(&self) -> Result<()> {
        let mut f = Vec::new();
        let p = &self.password;
        if !PASSWORD_LENGTHS.contains(&p.min_length) {
            range_error(&mut f, "password.min_length", "must be from 8 to 128".into());
        }
        if p.min_strength > 4 {
            range_error(&mut f, "password.min_strength", "must be from 0 to 4".into());
        }
        if p.expiry_days.is_some_and(|d| d == 0 || d > MAX_EXPIRY_DAYS) {
            range_error(
                &mut f,
                "password.expiry_days",
                format!("must be from 1 to {MAX_EXPIRY_DAYS}, or null"),
            );
        }
        if p.history > MAX_HISTORY {
            range_error(&mut f, "password.history", format!("must be from 0 to {MAX_HISTORY}"));
        }
        let bounds = MIN_SESSION_MINUTES..=MAX_SESSION_MINUTES;
        let s = &self.session;
        for (field, v) in [
            ("session.idle_minutes", s.idle_minutes),
            ("session.absolute_minutes", s.absolute_minutes),
        ] {
            if v.is_some_and(|m| !bounds.contains(&m)) {
                range_error(
                    &mut f,
                    field,
                    format!("must be from {MIN_SESSION_MINUTES} minutes to 30 days ({MAX_SESSION_MINUTES}), or null"),
                );
            }
        }
        if let (Some(idle), Some(absolute)) = (s.idle_minutes, s.absolute_minutes)
            && idle > absolute
        {
            range_error(
                &mut f,
                "session.idle_minutes",
                "must not be longer than session.absolute_minutes".into(),
            );
        }
        if self.non_billable && self.sso.enforced {
            range_error(
                &mut f,
                "sso.enforced",
                "a non-billable policy cannot enforce single sign-on".into(),
            );
        }
        if self.non_billable && self.two_step_verification == TwoStepRule::Required {
            range_error(
                &mut f,
                "two_step_verification",
                "a non-billable policy cannot require two-step verification".into(),
            );
        }
        if !self.sso.enforced && self.sso.identity_provider_id.is_some() {
            range_error(
                &mut f,
                "sso.identity_provider_id",
                "names the provider of enforced single sign-on: set sso.enforced too, or leave it null".into(),
            );
        }
        if f.is_empty() {
            Ok(())
        } else {
            Err(CoreError::Validation { fields: f })
        }
    }

    /// Whether members sign in through an identity provider only.
    pub fn sso_enforced(&self) -> bool {
        self.sso.enforced && !self.non_billable
    }

    /// The session's idle timeout and absolute lifetime in seconds, each falling back to the
    /// server's.
    pub fn session_secs(&self, server_idle: i64, server_absolute: i64) -> (i64, i64) {
        let idle = self.session.idle_minutes.map_or(server_idle, |m| i64::from(m) * 60);
        let absolute = self
            .session
            .absolute_minutes
            .map_or(server_absolute, |m| i64::from(m) * 60);
        (idle.min(absolute), absolute)
    }
}

/// `current` with the merge patch applied, read back with unknown fields refused.
fn merged<T: Serialize + serde::de::DeserializeOwned>(current: &T, patch: &serde_json::Value) -> Result<T> {
    if !patch.is_object() {
        return Err(CoreError::validation("settings", "must be a JSON object"));
    }
    let mut value = serde_json::to_value(current).map_err(CoreError::internal)?;
    merge(&mut value, patch);
    serde_json::from_value(value).map_err(|e| CoreError::validation("settings", e.to_string()))
}

/// RFC 7386: objects merge key by key, `null` removes, anything else replaces.
fn merge(target: &mut serde_json::Value, patch: &serde_json::Value) {
    let serde_json::Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = serde_json::Value::Object(serde_json::Map::new());
    }
    let t = target.as_object_mut().expect("made an object");
    for (k, v) in p {
        if v.is_null() {
            t.remove(k);
        } else {
            merge(t.entry(k.clone()).or_insert(serde_json::Value::Null), v);
        }
    }
}

/// An organization's authentication policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub id: PolicyId,
    pub org_id: OrgId,
    pub name: String,
    /// New managed accounts join it; it cannot be deleted while it is the default.
    pub is_default: bool,
    pub settings: PolicySettings,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Policy {
    /// An organization's first policy, its default, named "Default", with this SSO rule and
    /// every other setting at its default.
    pub fn default_for(org: OrgId, sso: SsoRule, at: Timestamp) -> Self {
        Self {
            id: PolicyId::new(),
            org_id: org,
            name: "Default".to_owned(),
            is_default: true,
            settings: PolicySettings {
                sso,
                ..PolicySettings::default()
            },
            created_at: at,
            updated_at: at,
        }
    }
}

/// The rules for people who have access to the organization's instances but whose accounts it
/// does not manage, when they sign in to its clients.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExternalSettings {
    /// They prove they hold their mailbox with a code mailed to it, once per session.
    pub require_email_code: bool,
    /// Their session may be at most this old (minutes) to sign in to the organization's clients.
    pub session_max_minutes: Option<u32>,
}

impl ExternalSettings {
    /// The settings with `patch` merged in (RFC 7386), checked.
    pub fn patched(&self, patch: &serde_json::Value) -> Result<Self> {
        let s: Self = merged(self, patch)?;
        if s.session_max_minutes
            .is_some_and(|m| !(MIN_SESSION_MINUTES..=MAX_SESSION_MINUTES).contains(&m))
        {
            return Err(CoreError::validation(
                "session_max_minutes",
                format!("must be from {MIN_SESSION_MINUTES} minutes to 30 days ({MAX_SESSION_MINUTES}), or null"),
            ));
        }
        Ok(s)
    }
}

/// What an external-users policy asks of a session before its person signs in to the
/// organization's products.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExternalDemand {
    /// The session is older than the policy allows: sign in again.
    SignInAgain,
    /// The session has not proved its mailbox with a mailed code.
    EmailCode,
}

/// An organization's external-users policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExternalPolicy {
    pub org_id: OrgId,
    pub settings: ExternalSettings,
    pub updated_at: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_are_the_documented_ones() {
        let d = PolicySettings::default();
        assert_eq!(d.password.min_length, 12);
        assert!(d.password.refuse_common && !d.sso.enforced && !d.non_billable);
        assert_eq!(d.two_step_verification, TwoStepRule::Optional);
        assert_eq!(d.session_secs(1800, 43_200), (1800, 43_200));
        d.check().unwrap();
    }

    #[test]
    fn a_patch_merges_and_null_returns_to_the_default() {
        let d = PolicySettings::default();
        let p = d
            .patched(&json!({"password": {"min_length": 16, "expiry_days": 90}, "session": {"idle_minutes": 60}}))
            .unwrap();
        assert_eq!((p.password.min_length, p.password.expiry_days), (16, Some(90)));
        assert!(p.password.refuse_common, "untouched fields stay");
        assert_eq!(p.session_secs(1800, 43_200), (3600, 43_200));
        let back = p
            .patched(&json!({"password": {"min_length": null, "expiry_days": null}}))
            .unwrap();
        assert_eq!(back.password, PasswordRules::default());
    }

    #[test]
    fn bad_values_name_their_fields() {
        let d = PolicySettings::default();
        let err = d
            .patched(&json!({"password": {"min_length": 7, "history": 25, "expiry_days": 0},
                "session": {"idle_minutes": 14, "absolute_minutes": 43_201}}))
            .unwrap_err();
        let CoreError::Validation { fields } = err else {
            panic!()
        };
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        for f in [
            "password.min_length",
            "password.history",
            "password.expiry_days",
            "session.idle_minutes",
            "session.absolute_minutes",
        ] {
            assert!(names.contains(&f), "{f} in {names:?}");
        }
        for bad in [
            json!({"sso": {"enforce": true}}),
            json!({"two_step_verification": "sometimes"}),
            json!([1]),
            json!({"x": 1}),
        ] {
            assert!(d.patched(&bad).is_err(), "{bad}");
        }
        let idle_over = d.patched(&json!({"session": {"idle_minutes": 120, "absolute_minutes": 60}}));
        assert!(idle_over.is_err());
    }

    #[test]
    fn a_non_billable_policy_cannot_enforce_sso_or_require_two_step() {
        let d = PolicySettings::default();
        assert!(
            d.patched(&json!({"non_billable": true, "sso": {"enforced": true}}))
                .is_err()
        );
        assert!(
            d.patched(&json!({"non_billable": true, "two_step_verification": "required"}))
                .is_err()
        );
        assert!(
            d.patched(&json!({"non_billable": true, "session": {"absolute_minutes": 60}}))
                .is_ok()
        );
    }
}
