//! Limits shared by the router and the extractors that read bodies themselves. Its own file so
//! the console's form extractor can use them without importing the app that routes to it.

/// Largest JSON body the API accepts.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
