//! Free text through the engine's text index, read only through the needle's rare fragments.
//!
//! Both engines index the search text by 3-character fragments (SQLite's FTS5 trigram table,
//! PostgreSQL's trigram GIN index), and both read a fragment's every posting before they can
//! answer: a fragment held by millions of events costs hundreds of milliseconds, one held by
//! a hundred costs microseconds. So a search first asks how many events each fragment of its
//! needle is in — SQLite's index counts that itself, exactly; PostgreSQL's keeps no count, so
//! the `audit-text-statistics` job estimates them hourly from a sample of the log into
//! `audit_text_fragments` — and reads the index through the rarest few, checking each
//! candidate's whole text. Text whose every fragment is common is common enough for the
//! budgeted scan of the newest events, which goes on from where it stopped.

use crate::SqlTx;
use crate::db::Db;
use crate::dialect::{Dialect, fts_phrase};
use crate::rows;
use crate::sql::Sql;
use gatehouse_core::Result;
use sqlx::AnyConnection;
use std::ops::DerefMut;

/// Events a fragment may appear in, at most, for the text index to be read through it.
const RARE_FRAGMENT: i64 = 1_000;
/// Rare fragments a search reads the text index through, at most.
const FRAGMENT_TERMS: usize = 3;
/// Fragments of one search whose frequency is asked, at most (spread over a long text).
const FRAGMENT_PROBES: usize = 12;
/// PostgreSQL: events the statistics job samples, about; a log no larger is counted whole.
/// At 10,000,000 events that is 1 in 100, so a fragment in [`RARE_FRAGMENT`] events is
/// expected in 10 of the sample.
const SAMPLE_EVENTS: f64 = 100_000.0;
/// PostgreSQL: sampled events a fragment must be in to be kept (an absent fragment is rare).
const KEPT_FROM: i64 = 2;

impl<C: DerefMut<Target = AnyConnection> + Send> Db<C> {
    /// The needle's fragments that the text index holds for at most [`RARE_FRAGMENT`] events,
    /// rarest first and at most [`FRAGMENT_TERMS`] of them: reading those and checking each
    /// candidate's whole text is bounded whatever the log's size. `None` when every fragment
    /// is common, or the needle has none the index could be read by. On SQLite, a fragment
    /// that appears nowhere is the whole answer (nothing can match).
    pub(crate) async fn rare_fragments(&mut self, needle: &str) -> Result<Option<Vec<String>>> {
        let fragments = match self.dialect {
            Dialect::Sqlite => trigrams(needle),
            Dialect::Postgres => word_trigrams(needle),
        };
        if fragments.is_empty() {
            return Ok(None);
        }
        let mut counts = match self.dialect {
            Dialect::Sqlite => self.fts_counts(&fragments).await?,
            Dialect::Postgres => self.estimated_counts(&fragments).await?,
        };
        counts.sort_unstable();
        Ok(choose(&fragments, &counts, self.dialect == Dialect::Sqlite))
    }

    /// SQLite: how many events (up to one past [`RARE_FRAGMENT`]) hold each fragment, as
    /// (count, index in `fragments`). Counted from the newest rowid down: retention deletes
    /// the oldest events, and until FTS5 merges its segments their delete markers sit at the
    /// low end, which an ascending count walks through (after a pass of 1,000,000 at
    /// 10,000,000 events, five common fragments took 21-28 ms ascending, 1-4 ms descending).
    async fn fts_counts(&mut self, fragments: &[String]) -> Result<Vec<(i64, i64)>> {
        let mut q = Sql::new("");
        for (n, fragment) in fragments.iter().enumerate() {
            q.push(if n == 0 { "SELECT " } else { " UNION ALL SELECT " })
                .bind(n as i64)
                .push(" AS i, (SELECT COUNT(*) FROM (SELECT rowid FROM audit_search WHERE audit_search MATCH ")
                .bind(fts_phrase(fragment))
                .push(" ORDER BY rowid DESC LIMIT ")
                .bind(RARE_FRAGMENT + 1)
                .push(")) AS n");
        }
        self.all(&q, |r| Ok((rows::i(r, "n")?, rows::i(r, "i")?))).await
    }

    /// PostgreSQL: each fragment's estimated events from `audit_text_fragments`, 0 for one the
    /// statistics do not hold (rare, or new since they were taken).
    async fn estimated_counts(&mut self, fragments: &[String]) -> Result<Vec<(i64, i64)>> {
        let mut q = Sql::new("SELECT fragment, events FROM audit_text_fragments WHERE fragment IN (");
        for (n, fragment) in fragments.iter().enumerate() {
            q.push(if n == 0 { "" } else { ", " }).bind(fragment.clone());
        }
        q.push(")");
        let known = self
            .all(&q, |r| Ok((rows::s(r, "fragment")?, rows::i(r, "events")?)))
            .await?;
        Ok(fragments
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let n = known.iter().find(|(k, _)| k == f).map_or(0, |(_, n)| *n);
                (n, i as i64)
            })
            .collect())
    }
}

/// The fragments to read the index through, from `counts` (count, index into `fragments`)
/// sorted by count; see [`Db::rare_fragments`]. `zero_is_exact`: a count of 0 means the
/// fragment is in no event (SQLite), rather than not counted (PostgreSQL).
fn choose(fragments: &[String], counts: &[(i64, i64)], zero_is_exact: bool) -> Option<Vec<String>> {
    let pick = |i: i64| fragments[usize::try_from(i).unwrap_or_default()].clone();
    match counts.first() {
        None => None,
        Some((0, i)) if zero_is_exact => Some(vec![pick(*i)]),
        Some((n, _)) if *n > RARE_FRAGMENT => None,
        Some(_) => Some(
            counts
                .iter()
                .filter(|(n, _)| *n <= RARE_FRAGMENT)
                .take(FRAGMENT_TERMS)
                .map(|(_, i)| pick(*i))
                .collect(),
        ),
    }
}

impl SqlTx {
    /// PostgreSQL: replaces `audit_text_fragments` with counts from a sample of about
    /// [`SAMPLE_EVENTS`] events (pages taken at random, so it costs a few thousand page reads
    /// at any size), scaled to the whole log; the fragments kept. SQLite: nothing, 0.
    pub(crate) async fn sample_text_fragments(&mut self) -> Result<u64> {
        if self.dialect == Dialect::Sqlite {
            return Ok(0);
        }
        let q = Sql::new("SELECT CAST(reltuples AS BIGINT) AS n FROM pg_class WHERE oid = 'audit_events'::regclass");
        let mut total = self.one(&q, |r| rows::i(r, "n")).await?.unwrap_or(-1);
        if total < 0 {
            // Never analyzed (-1): taken for empty, a large log would be read whole. ANALYZE
            // reads a sample of its own, at most 30,000 rows, and says how many there are.
            self.exec(&Sql::new("ANALYZE audit_events")).await?;
            total = self.one(&q, |r| rows::i(r, "n")).await?.unwrap_or(0);
        }
        let percent = sample_percent(total);
        self.exec(&Sql::new("DELETE FROM audit_text_fragments")).await?;
        // show_trgm lists a text's distinct trigrams; the padded ones (word starts and ends)
        // and those of other scripts (shown as hashes) are not what a search reads by.
        let mut q =
            Sql::new("INSERT INTO audit_text_fragments (fragment, events) SELECT t, CAST(ROUND(COUNT(*) * 100.0 / ");
        q.bind(percent)
            .push(") AS BIGINT) FROM (SELECT unnest(show_trgm(search_text)) AS t FROM audit_events TABLESAMPLE SYSTEM (CAST(")
            .bind(percent)
            .push(" AS REAL))) s WHERE t ~ '^[a-z0-9]{3}$' GROUP BY t HAVING COUNT(*) >= ")
            .bind(KEPT_FROM)
            // Should two runs overlap (the job's lease makes that rare), the later one wins.
            .push(" ON CONFLICT (fragment) DO UPDATE SET events = excluded.events");
        self.exec(&q).await
    }
}

/// The percentage of the log's pages the statistics sample: about [`SAMPLE_EVENTS`] events
/// of `total` (the planner's estimate of the table's rows), the whole log when it is small.
fn sample_percent(total: i64) -> f64 {
    let total = total as f64;
    if total <= SAMPLE_EVENTS {
        100.0
    } else {
        (SAMPLE_EVENTS * 100.0 / total).max(0.01)
    }
}

/// SQLite: the distinct 3-character fragments of `needle`, in order, at most
/// [`FRAGMENT_PROBES`] of them (spread over it when there are more).
fn trigrams(needle: &str) -> Vec<String> {
    let chars: Vec<char> = needle.chars().collect();
    spread(chars.windows(3).map(|w| w.iter().collect()))
}

/// PostgreSQL: the distinct 3-character fragments of the runs of ASCII letters and digits in
/// `needle`, in order and bounded like [`trigrams`]. pg_trgm indexes the trigrams of words
/// (letters and digits), and a LIKE pattern of three such characters is read through exactly
/// that one trigram; text without such a run cannot be read through the index.
fn word_trigrams(needle: &str) -> Vec<String> {
    let mut all = Vec::new();
    for word in needle.split(|c: char| !c.is_ascii_alphanumeric()) {
        let w = word.as_bytes();
        all.extend(w.windows(3).map(|t| String::from_utf8_lossy(t).into_owned()));
    }
    spread(all.into_iter())
}

/// The distinct items of `all` in order, at most [`FRAGMENT_PROBES`] of them, spread evenly
/// when there are more.
fn spread(all: impl Iterator<Item = String>) -> Vec<String> {
    let mut distinct: Vec<String> = Vec::new();
    for t in all {
        if !distinct.contains(&t) {
            distinct.push(t);
        }
    }
    if distinct.len() <= FRAGMENT_PROBES {
        return distinct;
    }
    (0..FRAGMENT_PROBES)
        .map(|i| distinct[i * distinct.len() / FRAGMENT_PROBES].clone())
        .collect()
}

#[cfg(test)]
#[path = "audit_text_tests.rs"]
mod tests;
