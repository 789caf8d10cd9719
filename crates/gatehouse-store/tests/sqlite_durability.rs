//! SQLite durability: every pooled connection runs with the configured `synchronous` level,
//! FULL unless the operator chose NORMAL, so nothing acknowledged is lost on power loss.

use gatehouse_store::testing::{TestDatabase, on_every_connection};
use gatehouse_store::{Dialect, SqlStore, SqliteSynchronous, StoreOptions};

async fn synchronous_levels(options: &StoreOptions) -> Vec<i64> {
    let store = SqlStore::connect(options).await.expect("connect");
    let levels = on_every_connection(&store, "PRAGMA synchronous").await;
    store.close().await;
    levels
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_pooled_sqlite_connection_syncs_full_by_default() {
    let db = TestDatabase::create(Dialect::Sqlite).await;
    let options = StoreOptions {
        max_connections: 6,
        ..db.options.clone()
    };
    assert_eq!(
        options.sqlite_synchronous,
        SqliteSynchronous::Full,
        "FULL is the default"
    );
    let levels = synchronous_levels(&options).await;
    // Six readers held at once, and the writer.
    assert_eq!(levels.len(), 7, "{levels:?}");
    assert!(
        levels.iter().all(|l| *l == SqliteSynchronous::Full.pragma_value()),
        "every connection runs synchronous=FULL: {levels:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_pooled_sqlite_connection_takes_the_configured_normal_level() {
    let db = TestDatabase::create(Dialect::Sqlite).await;
    let options = StoreOptions {
        max_connections: 4,
        sqlite_synchronous: SqliteSynchronous::Normal,
        ..db.options.clone()
    };
    let levels = synchronous_levels(&options).await;
    assert_eq!(levels.len(), 5, "{levels:?}");
    assert!(
        levels.iter().all(|l| *l == SqliteSynchronous::Normal.pragma_value()),
        "{levels:?}"
    );
}

#[test]
fn the_synchronous_setting_reads_full_or_normal_and_nothing_else() {
    assert_eq!(SqliteSynchronous::parse("FULL").unwrap(), SqliteSynchronous::Full);
    assert_eq!(SqliteSynchronous::parse(" normal ").unwrap(), SqliteSynchronous::Normal);
    for bad in ["off", "extra", "", "2"] {
        assert!(SqliteSynchronous::parse(bad).is_err(), "{bad}");
    }
}
