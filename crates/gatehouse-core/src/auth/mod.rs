//! Authentication: who a person is, proven once, then remembered by a session.
//!
//! A sign-in is a flow of [`Step`]s whose outcome is an [`Authenticated`] account; any active
//! account with a password can complete it, and [`Auth::open_session`] gives it a session.
//! Whether the place the person then goes admits them (the console wants an organization
//! admin; a product will ask its own question) is that place's check.
//!
//! One file per concern: passwords (the length rule, hashing, the dummy-hash path), sessions
//! (open, find and touch, sign out, sign out everywhere), throttle (attempts counted before
//! they are checked, lockout with backoff), reset (single-use links bound to the password they
//! replace), password facts (what a new password measures, for later policies), form tokens (the
//! sign-in forms' CSRF tokens, made and checked by the server), upkeep (deleting what has
//! expired) and the flow (the steps of a sign-in). Mailed links prove an address: sign-up,
//! email change (both over `mailed`), and the invitation mail of an account an admin added.

mod account;
pub(crate) mod audience;
mod demands;
mod email_change;
mod email_code;
mod flow;
mod form_key;
mod form_token;
mod invitation;
mod mailed;
mod passkey;
mod password_facts;
mod passwords;
mod reset;
mod second_step;
mod service;
mod session_email;
mod sessions;
mod signup;
mod stages;
mod throttle;
mod two_step;
mod upkeep;

pub use email_change::{ChangeLink, EMAIL_CHANGE_CONFIRM_PATH, EmailChanged};
pub use email_code::EMAIL_CODE_SECS;
pub use flow::{Authenticated, FailureReason, Progress, SecondStepDue, Step, sso_required};
pub use form_token::FORM_TOKEN_SECS;
pub use invitation::{INVITATION_LINK_SECS, Invitation};
pub use mailed::EMAIL_LINK_SECS;
pub use passkey::{CEREMONY_SECS, PasswordlessCeremony};
pub use password_facts::{PasswordFacts, PasswordState, is_common};
pub use passwords::{MAX_PASSWORD, MIN_PASSWORD, check_password};
pub use second_step::{PENDING_ATTEMPTS, PENDING_SECS, PendingView, SecondStepAttempt, VerifiedKey};
pub use service::{Auth, SignInPolicy};
pub use sessions::OpenedSession;
pub use signup::SIGNUP_CONFIRM_PATH;
pub use throttle::backoff_secs;
pub use two_step::{FRESH_SIGN_IN_SECS, MAX_KEYS, RecoveryCodes, TotpSetup};
