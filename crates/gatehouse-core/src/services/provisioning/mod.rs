//! Provisioning: what it means for an account to be provisioned by an identity provider.
//!
//! A provisioned user is an account: created, or the existing account with that email (never a
//! duplicate, never one on a domain another organization verified). The organization manages
//! it only when it verified its email domain (see `management`). For a managed account,
//! `active` is the account's status and deprovisioning deactivates it, cuts it off and gives
//! up managing it. For any other account the directory's writes stay on its SCIM resource:
//! `active=false` suspends it in this organization only and DELETE removes it from the
//! organization; the account itself never changes. Past a directory's hourly limit,
//! deactivations and suspensions are held for an admin. Every change is one transaction with
//! its audit event.
//!
//! The rules are functions over the caller's transaction ([`rules`]), so single sign-on and
//! policies can apply them without a SCIM request in hand; [`Provisioning`] opens the
//! transactions for a directory's requests. Reading resources (JSON) is the protocol edge's
//! work: it hands in [`crate::directory::UserResource`]s, and for an edit, a function that
//! computes the new resource from the current one inside the same transaction.

mod batch;
mod domain_cache;
#[cfg(test)]
mod fake;
mod groups;
mod held;
pub mod rules;
mod service;
mod types;
mod unmanaged;
mod users;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod unmanaged_tests;

pub use service::Provisioning;
pub use types::{ExpectedVersion, GroupResource, GroupWrite, MemberChange, QueuedCreate, Release, Valve, Written};
