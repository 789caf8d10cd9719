//! Single sign-on: the organization's identity providers (admin side, [`IdentityProviders`])
//! and the sign-ins they answer ([`SsoSignIns`]).

mod idps;
mod jit;
mod refusal;
mod settings;
mod signin;

pub use idps::IdentityProviders;
pub use refusal::SsoRefusal;
pub use signin::{Answer, Finished, SsoSignIns};
