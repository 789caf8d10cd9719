//! A small product that signs its users in through an OpenID Connect provider (Gatehouse), as
//! any standards-following product would: discovery, the code flow with PKCE, `state` and
//! `nonce`, verified ID and access tokens, userinfo, refresh, RP-initiated logout and
//! back-channel logout. The only thing it knows about Gatehouse is the `org_id` claim.
//!
//! The binary (`src/main.rs`) reads [`config::Args`], discovers the [`provider::Provider`] and
//! serves [`router`]. Tests build the same pieces against a provider of their own.

pub mod config;
pub mod flow;
pub mod html;
pub mod http;
pub mod jwt;
pub mod provider;
mod routes;
pub mod session;
pub mod store;

use std::sync::Arc;

pub use routes::router;

use crate::config::Config;
use crate::provider::Provider;
use crate::session::Stores;

/// What every request shares: the configuration, the provider and the in-memory stores.
pub struct App {
    /// The parsed configuration.
    pub config: Config,
    /// The discovered provider.
    pub provider: Provider,
    /// Pending sign-ins, sessions, seen logout tokens.
    pub stores: Stores,
}

/// The router's state: one [`App`], shared.
pub type AppState = Arc<App>;

impl App {
    /// A new app with empty stores.
    pub fn new(config: Config, provider: Provider) -> AppState {
        Arc::new(Self {
            config,
            provider,
            stores: Stores::default(),
        })
    }
}
