//! The rules that read a policy's settings: whether a new password may be set, whether the
//! password an account has still passes (from the facts recorded when it was set), and why an
//! account could not sign in under a policy (the simulator's reasons).

use super::model::{PasswordRules, PolicySettings, TwoStepRule};
use crate::Timestamp;
use crate::auth::{PasswordFacts, PasswordState};
use crate::error::{CoreError, Result};
use crate::ids::IdpId;

const DAY_MILLIS: i64 = 24 * 3600 * 1000;

/// What the rules say of a stored password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordVerdict {
    /// It passes (or there is no password to judge).
    Accepted,
    /// It was set before Gatehouse recorded facts: nothing to judge it by until its next use.
    Unknown,
    /// It fails, for this reason: `too_short`, `too_weak`, `common` or `expired`.
    Refused(&'static str),
}

/// Judges a stored password by its recorded facts.
pub fn judge_password(rules: &PasswordRules, state: &PasswordState, now: Timestamp) -> PasswordVerdict {
    match state {
        PasswordState::None => PasswordVerdict::Accepted,
        PasswordState::Unknown => PasswordVerdict::Unknown,
        PasswordState::Set(f) => match facts_refusal(rules, f, now) {
            Some(reason) => PasswordVerdict::Refused(reason),
            None => PasswordVerdict::Accepted,
        },
    }
}

fn facts_refusal(rules: &PasswordRules, f: &PasswordFacts, now: Timestamp) -> Option<&'static str> {
    if f.length < rules.min_length {
        Some("too_short")
    } else if f.score < rules.min_strength {
        Some("too_weak")
    } else if rules.refuse_common && f.common {
        Some("common")
    } else if rules
        .expiry_days
        .is_some_and(|d| now.millis() >= f.set_at.millis() + i64::from(d) * DAY_MILLIS)
    {
        Some("expired")
    } else {
        None
    }
}

/// Checks a new password (measured into `facts`, whose `common` covers the operator's list too)
/// against the rules. The history rule needs the earlier hashes and is checked by the caller.
pub fn judge_new_password(rules: &PasswordRules, facts: &PasswordFacts) -> Result<()> {
    let refusal = if facts.length < rules.min_length {
        Some(format!("must be at least {} characters", rules.min_length))
    } else if facts.score < rules.min_strength {
        Some(format!(
            "is too easy to guess (strength {} of 4, your organization asks for {}): use a longer passphrase of unrelated words",
            facts.score, rules.min_strength
        ))
    } else if rules.refuse_common && facts.common {
        Some("is on a list of commonly used passwords: choose another".to_owned())
    } else {
        None
    };
    match refusal {
        Some(message) => Err(CoreError::validation("password", message)),
        None => Ok(()),
    }
}

/// Why an account could not sign in under a policy, as the simulator reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lockout {
    /// SSO is enforced through a named identity provider that does not sign in the account's
    /// email domain: the sign-in page cannot send the person there.
    SsoWithoutIdentityProvider,
    /// Two-step verification is required and the account has no app or key: it must enrol at
    /// its next sign-in.
    TwoStepWithoutMethod,
    /// Its password's recorded facts fail the rules: it must choose a new one at its next sign-in.
    PasswordRefused(&'static str),
    /// Its password was set before facts were recorded: the rules cannot tell until it is used.
    PasswordUnknown,
}

impl Lockout {
    /// The stable name.
    pub fn code(self) -> &'static str {
        match self {
            Self::SsoWithoutIdentityProvider => "sso_without_identity_provider",
            Self::TwoStepWithoutMethod => "two_step_without_method",
            Self::PasswordRefused(_) => "password_refused",
            Self::PasswordUnknown => "password_unknown",
        }
    }
}

/// What the simulator knows of one account.
#[derive(Debug, Clone)]
pub struct MemberFacts {
    pub password: PasswordState,
    /// An app or a key is enrolled.
    pub enrolled: bool,
    /// The organization's provider linked to the account's email domain.
    pub domain_idp: Option<IdpId>,
}

/// Every reason the account could not sign in under `settings` (empty: it can).
pub fn lockouts(settings: &PolicySettings, m: &MemberFacts, now: Timestamp) -> Vec<Lockout> {
    let mut out = Vec::new();
    // Enforced through each member's domain's provider, a member whose domain has none keeps
    // its password (as the sign-in does).
    let enforced = settings.sso_enforced() && (settings.sso.identity_provider_id.is_some() || m.domain_idp.is_some());
    if enforced {
        if settings
            .sso
            .identity_provider_id
            .is_some_and(|id| m.domain_idp != Some(id))
        {
            out.push(Lockout::SsoWithoutIdentityProvider);
        }
        // Passwords and second steps are the identity provider's business.
        return out;
    }
    if settings.two_step_verification == TwoStepRule::Required && !m.enrolled {
        out.push(Lockout::TwoStepWithoutMethod);
    }
    match judge_password(&settings.password, &m.password, now) {
        PasswordVerdict::Accepted => {}
        PasswordVerdict::Unknown => out.push(Lockout::PasswordUnknown),
        PasswordVerdict::Refused(r) => out.push(Lockout::PasswordRefused(r)),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn facts(length: u32, score: u8, common: bool, set_at: i64) -> PasswordState {
        PasswordState::Set(PasswordFacts {
            length,
            score,
            common,
            set_at: Timestamp::from_millis(set_at),
        })
    }

    #[test]
    fn stored_passwords_are_judged_by_their_facts() {
        let rules = PolicySettings::default()
            .patched(&json!({"password": {"min_length": 14, "min_strength": 3, "expiry_days": 1}}))
            .unwrap()
            .password;
        let now = Timestamp::from_millis(DAY_MILLIS);
        let judge = |s| judge_password(&rules, &s, now);
        assert_eq!(judge(facts(20, 4, false, 1)), PasswordVerdict::Accepted);
        assert_eq!(judge(facts(13, 4, false, 1)), PasswordVerdict::Refused("too_short"));
        assert_eq!(judge(facts(20, 2, false, 1)), PasswordVerdict::Refused("too_weak"));
        assert_eq!(judge(facts(20, 4, true, 1)), PasswordVerdict::Refused("common"));
        assert_eq!(judge(facts(20, 4, false, 0)), PasswordVerdict::Refused("expired"));
        assert_eq!(judge(PasswordState::Unknown), PasswordVerdict::Unknown);
        assert_eq!(judge(PasswordState::None), PasswordVerdict::Accepted);
    }

    #[test]
    fn new_passwords_meet_length_strength_and_the_lists() {
        let rules = PasswordRules {
            min_length: 14,
            min_strength: 3,
            ..PasswordRules::default()
        };
        let f = |p: &str| PasswordFacts::measure(p, &[], Timestamp::from_millis(0));
        // As `Auth::measure` marks a password on the operator's list.
        let on_operators_list = |facts: PasswordFacts| PasswordFacts { common: true, ..facts };
        assert!(judge_new_password(&rules, &f("v8#Qm2!zR7kL@w4Tn9xE")).is_ok());
        assert!(
            judge_new_password(&rules, &f("v8#Qm2!zR7kL@")).is_err(),
            "13 characters"
        );
        assert!(judge_new_password(&rules, &f("aaaaaaaaaaaaaaaaaaaa")).is_err(), "weak");
        assert!(
            judge_new_password(&rules, &on_operators_list(f("v8#Qm2!zR7kL@w4Tn9xE"))).is_err(),
            "operator's list"
        );
        let lax = PasswordRules {
            refuse_common: false,
            min_length: 8,
            ..PasswordRules::default()
        };
        assert!(judge_new_password(&lax, &on_operators_list(f("password1234"))).is_ok());
    }

    #[test]
    fn the_simulator_reasons() {
        let member = |enrolled, idp| MemberFacts {
            password: PasswordState::Unknown,
            enrolled,
            domain_idp: idp,
        };
        let now = Timestamp::from_millis(0);
        let idp = IdpId::new();
        let sso = PolicySettings::default()
            .patched(&json!({"sso": {"enforced": true, "identity_provider_id": idp.to_string()}}))
            .unwrap();
        assert!(lockouts(&sso, &member(false, Some(idp)), now).is_empty());
        assert_eq!(
            lockouts(&sso, &member(false, None), now),
            [Lockout::SsoWithoutIdentityProvider]
        );
        assert_eq!(
            lockouts(&sso, &member(false, Some(IdpId::new())), now),
            [Lockout::SsoWithoutIdentityProvider]
        );
        let two = PolicySettings::default()
            .patched(&json!({"two_step_verification": "required"}))
            .unwrap();
        assert_eq!(
            lockouts(&two, &member(false, None), now),
            [Lockout::TwoStepWithoutMethod, Lockout::PasswordUnknown]
        );
        assert_eq!(lockouts(&two, &member(true, None), now), [Lockout::PasswordUnknown]);
    }
}
