//! Authentication policies: the security rules an organization applies to chosen sets of the
//! accounts it manages (single sign-on, two-step verification, passwords, session lifetimes,
//! billing), and its rules for the people it gives access to but does not manage.
//!
//! Every managed account is in exactly one policy: its managing organization's row in
//! `org_accounts` names it, or names none and the account is in the organization's default.
//! [`model`] holds the settings and their validation, [`judge`] the rules that read them (a
//! new password, a stored password's facts, who a change would lock out), [`in_force`] the
//! policy enforcement reads (paused while an operator requires a subscription the
//! organization does not have).

pub mod in_force;
pub mod judge;
pub mod model;

pub use in_force::Enforcement;
pub use judge::{PasswordVerdict, judge_new_password, judge_password};
pub use model::{
    ExternalDemand, ExternalPolicy, ExternalSettings, PasswordRules, Policy, PolicySettings, SessionRules, SsoRule,
    TwoStepRule,
};
