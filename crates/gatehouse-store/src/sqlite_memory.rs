//! How much memory each SQLite connection may hold: its page cache and its memory-mapped window.
//!
//! Both are per connection, and a store holds its reading pool plus one writer, so the page
//! caches together reach `(max_connections + 1) × cache_size_kib`. SQLite's own default
//! (2,000 KiB of cache, no mapping) would be 34 MiB over the default pool of 16; the default
//! here is 1 MiB per reader, enough for the hot index pages a reader walks, and the same for
//! the writer. Mapped pages are the file's own (the kernel can drop them), but they count in
//! the process's resident memory, so mapping is off unless the operator turns it on.

use gatehouse_core::{CoreError, Result};

/// SQLite's page cache and memory-mapping limits, applied as PRAGMAs to every connection.
/// PostgreSQL ignores them. Built only through [`SqliteMemory::new`], so the values are in range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqliteMemory {
    cache_size_kib: u32,
    mmap_size_mib: u32,
}

impl SqliteMemory {
    /// The default page cache per connection, KiB.
    pub const DEFAULT_CACHE_SIZE_KIB: u32 = 1024;
    /// The default memory-mapped window per connection, MiB (0: off).
    pub const DEFAULT_MMAP_SIZE_MIB: u32 = 0;
    /// The smallest cache: below it SQLite rereads the same index pages for every statement.
    pub const MIN_CACHE_SIZE_KIB: u32 = 64;
    /// The largest cache per connection (1 GiB).
    pub const MAX_CACHE_SIZE_KIB: u32 = 1_048_576;
    /// SQLite caps a mapping at 2 GiB minus 64 KiB on this build (`SQLITE_MAX_MMAP_SIZE`)
    /// and silently ignores the rest, so a larger value is refused rather than shrunk.
    pub const MAX_MMAP_SIZE_MIB: u32 = 2047;

    /// The limits, each checked against its range; an error names the setting.
    pub fn new(cache_size_kib: u32, mmap_size_mib: u32) -> Result<Self> {
        let mut fields = Vec::new();
        if !(Self::MIN_CACHE_SIZE_KIB..=Self::MAX_CACHE_SIZE_KIB).contains(&cache_size_kib) {
            fields.push(gatehouse_core::error::FieldError::new(
                "sqlite_cache_size_kib",
                format!(
                    "must be between {} and {} (KiB per connection), not {cache_size_kib}",
                    Self::MIN_CACHE_SIZE_KIB,
                    Self::MAX_CACHE_SIZE_KIB
                ),
            ));
        }
        if mmap_size_mib > Self::MAX_MMAP_SIZE_MIB {
            fields.push(gatehouse_core::error::FieldError::new(
                "sqlite_mmap_size_mib",
                format!(
                    "must be between 0 (off) and {} (MiB per connection), not {mmap_size_mib}",
                    Self::MAX_MMAP_SIZE_MIB
                ),
            ));
        }
        if !fields.is_empty() {
            return Err(CoreError::Validation { fields });
        }
        Ok(Self {
            cache_size_kib,
            mmap_size_mib,
        })
    }

    pub fn cache_size_kib(self) -> u32 {
        self.cache_size_kib
    }

    pub fn mmap_size_mib(self) -> u32 {
        self.mmap_size_mib
    }

    /// What `PRAGMA cache_size` reads back: negative, a size in KiB rather than in pages.
    pub fn cache_size_pragma_value(self) -> i64 {
        -i64::from(self.cache_size_kib)
    }

    /// What `PRAGMA mmap_size` reads back, in bytes.
    pub fn mmap_size_pragma_value(self) -> i64 {
        i64::from(self.mmap_size_mib) * 1024 * 1024
    }

    /// The two PRAGMAs, with the checked integers written in (a PRAGMA takes no parameters).
    pub(crate) fn pragmas(self) -> [String; 2] {
        [
            format!("PRAGMA cache_size = {}", self.cache_size_pragma_value()),
            format!("PRAGMA mmap_size = {}", self.mmap_size_pragma_value()),
        ]
    }
}

impl Default for SqliteMemory {
    fn default() -> Self {
        Self {
            cache_size_kib: Self::DEFAULT_CACHE_SIZE_KIB,
            mmap_size_mib: Self::DEFAULT_MMAP_SIZE_MIB,
        }
    }
}
