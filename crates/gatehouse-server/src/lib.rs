//! The gatehouse server: HTTP edge, configuration, jobs and the command line.

pub mod api;
pub mod app;
pub mod cli;
pub mod config;
pub mod conn;
pub mod console;
pub mod domains;
pub mod error;
pub mod export;
pub mod extract;
pub mod hashing;
pub mod jobs;
pub mod limits;
pub mod nul;
pub mod oidc;
pub mod ops;
pub mod outbound;
pub mod scim;
pub mod secret_key;
pub mod security;
pub mod sso;
pub mod state;
pub mod web;
