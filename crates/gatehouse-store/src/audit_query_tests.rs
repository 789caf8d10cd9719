//! The audit query planner's own parts: PostgreSQL's bounded lookup.

use super::*;

/// PostgreSQL's bounded lookup: a statement past the bound is cancelled and answers `None`
/// (the page goes on with its budget); one within it answers its rows; either way the
/// connection is left without the bound, so the next statement on it is not cut short.
#[tokio::test]
async fn a_text_lookup_past_its_bound_is_cancelled_and_leaves_the_connection_unbounded() {
    use sqlx::Connection;
    let db = crate::testing::TestDatabase::create(crate::Dialect::Postgres).await;
    let url = crate::Dialect::Postgres.normalize_url(&db.options.url);
    let mut conn = AnyConnection::connect(&url).await.unwrap();
    let bound = crate::Dialect::Postgres
        .text_index_bound()
        .expect("PostgreSQL bounds its lookups");
    let slow = Sql::new("SELECT pg_sleep(0.2) IS NULL AS slept");
    assert!(bounded(&mut conn, bound, &slow).await.unwrap().is_none(), "cancelled");
    let quick = Sql::new("SELECT 'x' AS id");
    let rows = bounded(&mut conn, bound, &quick)
        .await
        .unwrap()
        .expect("within the bound");
    assert_eq!(rows::s(&rows[0], "id").unwrap(), "x");
    let after = Sql::new("SELECT pg_sleep(0.05) IS NULL AS slept, current_setting('statement_timeout') AS t");
    let row = after.fetch_all(&mut conn).await.unwrap();
    assert_eq!(
        rows::s(&row[0], "t").unwrap(),
        "0",
        "the bound ended with its transaction"
    );
    // Inside a transaction of the caller's, the bound is a savepoint's and ends with it too.
    let mut tx = conn.begin().await.unwrap();
    assert!(bounded(&mut tx, bound, &slow).await.unwrap().is_none());
    let row = after.fetch_all(&mut tx).await.unwrap();
    assert_eq!(rows::s(&row[0], "t").unwrap(), "0");
    tx.rollback().await.unwrap();
}
