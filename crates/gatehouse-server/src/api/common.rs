//! What the admin API's handlers share: path ids and list envelopes.

use crate::error::ApiError;

/// Parses an id from the path; a malformed id is simply not found.
pub(crate) fn path_id<T>(raw: &str, entity: &str, parse: fn(&str) -> gatehouse_core::Result<T>) -> Result<T, ApiError> {
    parse(raw).map_err(|_| ApiError::not_found(entity))
}

/// Declares the list envelope for a DTO: `{ items, next_cursor }`.
macro_rules! list_type {
    ($name:ident, $item:ty) => {
        #[derive(serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            /// Pass as `cursor` to get the next page; absent on the last page.
            pub next_cursor: Option<String>,
        }
        impl $name {
            pub fn from_page<T>(p: gatehouse_core::page::Page<T>, f: impl Fn(T) -> $item) -> Self {
                Self {
                    items: p.items.into_iter().map(f).collect(),
                    next_cursor: p.next_cursor,
                }
            }
        }
    };
}
pub(crate) use list_type;
