//! What the authentication policy pages share: the edit form (its text fields as posted, read
//! into a name and a merge patch of every setting, and written back from a policy), a short
//! summary of a policy's rules, and the pages' notices.

use super::common::notice_text;
use gatehouse_core::CoreError;
use gatehouse_core::error::FieldError;
use gatehouse_core::policy::{Policy, PolicySettings, TwoStepRule};
use gatehouse_core::types::Name;
use serde::Deserialize;
use serde_json::{Value, json};
use std::fmt::Write as _;

/// The edit form as posted (and as shown): text as typed, checkboxes `Some` when ticked.
/// Empty optional numbers mean "the default" (null in the patch).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct PolicyForm {
    pub name: String,
    pub sso_enforced: Option<String>,
    pub identity_provider_id: String,
    pub two_step: String,
    pub min_length: String,
    pub min_strength: String,
    pub expiry_days: String,
    pub history: String,
    pub refuse_common: Option<String>,
    pub idle_minutes: String,
    pub absolute_minutes: String,
    pub non_billable: Option<String>,
    pub end_sessions: Option<String>,
    /// Set by the review page's confirm button: save, do not review again.
    pub confirm: Option<String>,
}

fn opt_text(v: Option<u32>) -> String {
    v.map(|n| n.to_string()).unwrap_or_default()
}

fn tick(on: bool) -> Option<String> {
    on.then(|| "on".to_owned())
}

/// A whole number field: `None` in `out` when empty and `optional`, an error otherwise.
fn number(errors: &mut Vec<FieldError>, field: &str, raw: &str, optional: bool) -> Value {
    let t = raw.trim();
    if t.is_empty() {
        if !optional {
            errors.push(FieldError::new(field, "is required"));
        }
        return Value::Null;
    }
    if let Ok(n) = t.parse::<u32>() {
        json!(n)
    } else {
        errors.push(FieldError::new(field, "must be a whole number"));
        Value::Null
    }
}

impl PolicyForm {
    /// The form filled with the policy as it is.
    pub fn of(p: &Policy) -> Self {
        let s = &p.settings;
        Self {
            name: p.name.clone(),
            sso_enforced: tick(s.sso.enforced),
            identity_provider_id: s.sso.identity_provider_id.map(|i| i.to_string()).unwrap_or_default(),
            two_step: two_step_str(s.two_step_verification).to_owned(),
            min_length: s.password.min_length.to_string(),
            min_strength: s.password.min_strength.to_string(),
            expiry_days: opt_text(s.password.expiry_days),
            history: s.password.history.to_string(),
            refuse_common: tick(s.password.refuse_common),
            idle_minutes: opt_text(s.session.idle_minutes),
            absolute_minutes: opt_text(s.session.absolute_minutes),
            non_billable: tick(s.non_billable),
            end_sessions: None,
            confirm: None,
        }
    }

    /// The name and every setting as one merge patch; what does not read is named by its
    /// field, as the core names the fields it refuses (`password.min_length`).
    pub fn read(&self) -> Result<(Name, Value), CoreError> {
        let mut errors = Vec::new();
        let name = Name::parse(&self.name, "name", 100).map_err(|e| {
            if let CoreError::Validation { fields } = e {
                errors.extend(fields);
            }
        });
        let two_step = match self.two_step.as_str() {
            "optional" | "required" => json!(self.two_step),
            _ => {
                errors.push(FieldError::new("two_step_verification", "is optional or required"));
                Value::Null
            }
        };
        let idp = self.identity_provider_id.trim();
        let patch = json!({
            "sso": {
                "enforced": self.sso_enforced.is_some(),
                "identity_provider_id": if idp.is_empty() { Value::Null } else { json!(idp) },
            },
            "two_step_verification": two_step,
            "password": {
                "min_length": number(&mut errors, "password.min_length", &self.min_length, false),
                "min_strength": number(&mut errors, "password.min_strength", &self.min_strength, false),
                "expiry_days": number(&mut errors, "password.expiry_days", &self.expiry_days, true),
                "history": number(&mut errors, "password.history", &self.history, false),
                "refuse_common": self.refuse_common.is_some(),
            },
            "session": {
                "idle_minutes": number(&mut errors, "session.idle_minutes", &self.idle_minutes, true),
                "absolute_minutes": number(&mut errors, "session.absolute_minutes", &self.absolute_minutes, true),
            },
            "non_billable": self.non_billable.is_some(),
        });
        match name {
            Ok(name) if errors.is_empty() => Ok((name, patch)),
            _ => Err(CoreError::Validation { fields: errors }),
        }
    }

    /// The fields the review page posts again, unchanged (a checkbox only when ticked).
    pub fn hidden(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![
            ("name", self.name.clone()),
            ("identity_provider_id", self.identity_provider_id.clone()),
            ("two_step", self.two_step.clone()),
            ("min_length", self.min_length.clone()),
            ("min_strength", self.min_strength.clone()),
            ("expiry_days", self.expiry_days.clone()),
            ("history", self.history.clone()),
            ("idle_minutes", self.idle_minutes.clone()),
            ("absolute_minutes", self.absolute_minutes.clone()),
        ];
        for (k, v) in [
            ("sso_enforced", &self.sso_enforced),
            ("refuse_common", &self.refuse_common),
            ("non_billable", &self.non_billable),
            ("end_sessions", &self.end_sessions),
        ] {
            if v.is_some() {
                out.push((k, "on".to_owned()));
            }
        }
        out
    }
}

pub fn two_step_str(r: TwoStepRule) -> &'static str {
    match r {
        TwoStepRule::Optional => "optional",
        TwoStepRule::Required => "required",
    }
}

fn minutes(v: Option<u32>) -> String {
    v.map_or_else(|| "server default".to_owned(), |m| format!("{m} min"))
}

/// A policy's rules in a few words each, for the list and the review.
pub fn summary(s: &PolicySettings) -> Vec<String> {
    let mut out = Vec::new();
    if s.sso.enforced {
        out.push(
            if s.sso.identity_provider_id.is_some() {
                "SSO enforced (one provider)"
            } else {
                "SSO enforced (the provider of each domain)"
            }
            .to_owned(),
        );
    }
    out.push(format!("Two-step {}", two_step_str(s.two_step_verification)));
    let p = &s.password;
    let mut pw = format!(
        "Passwords: at least {} characters, strength {}",
        p.min_length, p.min_strength
    );
    if let Some(d) = p.expiry_days {
        let _ = write!(pw, ", expire after {d} days");
    }
    if p.history > 0 {
        let _ = write!(pw, ", no reuse of the last {}", p.history);
    }
    if p.refuse_common {
        pw.push_str(", common ones refused");
    }
    out.push(pw);
    out.push(format!(
        "Sessions: idle {}, absolute {}",
        minutes(s.session.idle_minutes),
        minutes(s.session.absolute_minutes)
    ));
    if s.non_billable {
        out.push("Non-billable".to_owned());
    }
    out
}

/// The notices of the policy pages, by code (then the console's common ones), so no request
/// can put its own words on a page.
pub fn policy_notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "policy_created" => "Policy added. Its settings are the defaults until you change them below.",
        "policy_saved" => "Policy saved.",
        "policy_default" => "This policy is the default now: new managed accounts join it.",
        "policy_deleted" => "Policy deleted; its members joined the default policy.",
        "external_saved" => "External users policy saved.",
        other => return notice_text(Some(other)),
    })
}
