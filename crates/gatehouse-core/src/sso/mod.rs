//! Single sign-on: an organization's identity providers (SAML 2.0 or OpenID Connect), the
//! domains each one signs in, and the rule that decides how an account may sign in.
//!
//! The protocol work (XML signatures, ID tokens) is the protocol crates' and the server's;
//! here are the settings they are configured with, what they report back
//! ([`ExternalIdentity`]) and the rules that turn that into a Gatehouse account.

pub mod model;
mod rules;
mod spec;

pub use model::{ExternalIdentity, IdentityProvider, REQUEST_SECS, SsoRequest, SsoSession, secret_context};
pub use rules::{PasswordRule, password_rule, refuse_losing_last_break_glass};
pub use spec::{AttributeMap, IdpSpec, OidcSettings, Protocol, SamlSettings, Settings};
