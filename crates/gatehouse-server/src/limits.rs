//! Limits on what a client may ask of the server: body sizes (shared by the router and the
//! extractors that read bodies themselves, so the console's form extractor can use them
//! without importing the app that routes to it), request rates, and how long a body may take.

mod deadline;
mod edge;
mod rate;

pub use deadline::{BodyTimedOut, body_deadline};
pub use edge::{EdgeLimits, Surface, enforce};
pub use rate::{RateLimit, RateLimiter, RetryAfter};

/// Largest JSON body the API accepts.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Largest body of the API's bulk requests: a policy move or simulation of up to 10,000
/// account ids (about 390 KiB).
pub const MAX_BULK_BODY: usize = 512 * 1024;

/// Whether `path` is one of the API's bulk requests (see [`MAX_BULK_BODY`]).
pub fn is_bulk_path(path: &str) -> bool {
    path.starts_with("/api/v1/orgs/")
        && path.contains("/policies/")
        && (path.ends_with("/members") || path.ends_with("/simulate"))
}

/// Largest console post that carries a list of accounts: a policy move of up to 10,000 rows
/// (ids or emails, a CSV file's worth), as a form, a JSON list or an uploaded file.
pub const MAX_LIST_BYTES: usize = 3 * 1024 * 1024;
