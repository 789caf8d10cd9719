//! The boxed future type ports return. It lives in its own file so both the domain model
//! (e.g. `DomainProver`) and the ports can name it without importing each other.

use std::future::Future;

/// A boxed future, for ports used as trait objects.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>>;
