//! SQLite memory limits: every pooled connection (the readers and the writer) runs with the
//! configured page cache and memory-mapping size, so the pool's memory is bounded by
//! `(max_connections + 1) × cache` whatever SQLite's own defaults are.

use gatehouse_store::testing::{TestDatabase, on_every_connection};
use gatehouse_store::{Dialect, SqlStore, SqliteMemory, StoreOptions};

async fn read_back(options: &StoreOptions) -> (Vec<i64>, Vec<i64>) {
    let store = SqlStore::connect(options).await.expect("connect");
    let caches = on_every_connection(&store, "PRAGMA cache_size").await;
    let maps = on_every_connection(&store, "PRAGMA mmap_size").await;
    store.close().await;
    (caches, maps)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_pooled_sqlite_connection_takes_the_default_limits() {
    let db = TestDatabase::create(Dialect::Sqlite).await;
    let options = StoreOptions {
        max_connections: 5,
        ..db.options.clone()
    };
    assert_eq!(options.sqlite_memory, SqliteMemory::default());
    let (caches, maps) = read_back(&options).await;
    // Five readers held at once, and the writer.
    assert_eq!(caches.len(), 6, "{caches:?}");
    assert!(
        caches.iter().all(|c| *c == -1024),
        "1 MiB each, not SQLite's 2000 KiB: {caches:?}"
    );
    assert!(maps.iter().all(|m| *m == 0), "no mapping by default: {maps:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_pooled_sqlite_connection_takes_the_configured_limits() {
    let db = TestDatabase::create(Dialect::Sqlite).await;
    let memory = SqliteMemory::new(3000, 16).unwrap();
    let options = StoreOptions {
        max_connections: 3,
        sqlite_memory: memory,
        ..db.options.clone()
    };
    let (caches, maps) = read_back(&options).await;
    assert_eq!(caches, vec![memory.cache_size_pragma_value(); 4]);
    assert_eq!(caches[0], -3000);
    assert_eq!(maps, vec![16 * 1024 * 1024; 4]);
}

#[test]
fn limits_out_of_range_are_refused_with_the_setting_named() {
    assert!(SqliteMemory::new(64, 0).is_ok());
    assert!(SqliteMemory::new(1_048_576, 2047).is_ok());
    let Err(gatehouse_core::CoreError::Validation { fields }) = SqliteMemory::new(63, 2048) else {
        panic!("refused");
    };
    let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(named, ["sqlite_cache_size_kib", "sqlite_mmap_size_mib"]);
    assert!(fields[0].message.contains("not 63"), "{}", fields[0].message);
    assert!(SqliteMemory::new(1_048_577, 0).is_err());
}
