//! Gatehouse core: the organization model, its rules and the services that change it.
//!
//! Nothing here knows about HTTP or SQL. Storage is reached through the [`ports::Store`]
//! trait; time through [`ports::Clock`]. Every service that changes state does it in one
//! store transaction together with the audit event that records it.

pub mod acting;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod billing;
pub mod directory;
pub mod domain;
pub mod error;
pub mod future;
pub mod ids;
pub mod model;
pub mod notices;
pub mod oauth;
pub mod page;
pub mod policy;
pub mod ports;
pub mod product;
pub mod sealing;
pub mod secret;
pub mod services;
pub mod sso;
pub mod timestamp;
pub mod two_step;
pub mod types;
pub mod value_index;

pub use error::{CoreError, FieldError, Result};
pub use timestamp::Timestamp;
