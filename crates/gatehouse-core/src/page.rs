//! Cursor pagination. A cursor is the opaque, encoded id of the last item of the previous
//! page; ids are time-ordered UUIDv7 so keyset pages are stable while rows are added.

use crate::error::{CoreError, Result};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// Which page to read.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    /// Items strictly after this key (in the listing's order).
    pub after: Option<String>,
    pub limit: u32,
}

impl PageRequest {
    /// Builds a request from the query's `cursor` and `limit`.
    pub fn parse(cursor: Option<&str>, limit: Option<u32>) -> Result<Self> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(CoreError::validation(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let after = match cursor {
            None | Some("") => None,
            Some(c) => Some(decode_cursor(c)?),
        };
        Ok(Self { after, limit })
    }

    pub fn first(limit: u32) -> Self {
        Self { after: None, limit }
    }
}

/// One page of results and the cursor for the next, if there is one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows: the extra row only says whether more exist.
    pub fn from_overfetch(mut rows: Vec<T>, limit: u32, key: impl Fn(&T) -> String) -> Self {
        let next_cursor = if rows.len() > limit as usize {
            rows.truncate(limit as usize);
            rows.last().map(|r| encode_cursor(&key(r)))
        } else {
            None
        };
        Self {
            items: rows,
            next_cursor,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

pub fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key.as_bytes())
}

fn decode_cursor(c: &str) -> Result<String> {
    let bad = || CoreError::validation("cursor", "is not a cursor returned by this listing");
    let bytes = URL_SAFE_NO_PAD.decode(c).map_err(|_| bad())?;
    let s = String::from_utf8(bytes).map_err(|_| bad())?;
    // Keys are ids: reject anything else so a cursor can never smuggle arbitrary text.
    if s.len() > 64 || !s.chars().all(|ch| ch.is_ascii_hexdigit() || ch == '-') {
        return Err(bad());
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips() {
        let id = "01938c5e-7a2b-7c3d-8e4f-0123456789ab";
        let p = PageRequest::parse(Some(&encode_cursor(id)), None).unwrap();
        assert_eq!(p.after.as_deref(), Some(id));
        assert_eq!(p.limit, DEFAULT_LIMIT);
    }

    #[test]
    fn forged_cursors_and_bad_limits_are_rejected() {
        assert!(PageRequest::parse(Some(&encode_cursor("x' OR 1=1")), None).is_err());
        assert!(PageRequest::parse(Some("%%%"), None).is_err());
        assert!(PageRequest::parse(None, Some(0)).is_err());
        assert!(PageRequest::parse(None, Some(MAX_LIMIT + 1)).is_err());
    }

    #[test]
    fn overfetching_one_row_yields_a_next_cursor() {
        let p = Page::from_overfetch(vec!["a", "b", "c"], 2, |s| (*s).to_string());
        assert_eq!(p.items, vec!["a", "b"]);
        assert_eq!(p.next_cursor, Some(encode_cursor("b")));
        let last = Page::from_overfetch(vec!["a"], 2, |s| (*s).to_string());
        assert!(last.next_cursor.is_none());
    }
}
