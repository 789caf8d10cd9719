//! Fragments of a needle, and which of them the text index is read through.

use super::*;

#[test]
fn trigrams_are_distinct_in_order_and_bounded() {
    assert_eq!(trigrams("ab"), Vec::<String>::new());
    assert_eq!(trigrams("aaaa"), vec!["aaa"]);
    assert_eq!(trigrams("ada@acme"), vec!["ada", "da@", "a@a", "@ac", "acm", "cme"]);
    assert_eq!(trigrams("élan"), vec!["éla", "lan"]);
    let long: String = ('a'..='z').collect();
    let t = trigrams(&long);
    assert_eq!(t.len(), FRAGMENT_PROBES);
    assert_eq!(t[0], "abc");
    assert!(
        t.windows(2).all(|w| w[0] < w[1]),
        "spread over the text in order: {t:?}"
    );
}

#[test]
fn fts_phrases_escape_quotes() {
    assert_eq!(fts_phrase("a\"b"), "\"a\"\"b\"");
}

#[test]
fn word_trigrams_are_those_of_letter_and_digit_runs() {
    assert_eq!(word_trigrams("ada@acme"), vec!["ada", "acm", "cme"]);
    assert_eq!(
        word_trigrams("person9999@"),
        vec!["per", "ers", "rso", "son", "on9", "n99", "999"]
    );
    // pg_trgm reads no trigram of text without three letters or digits in a row.
    assert!(word_trigrams("10.0.0.1").is_empty());
    assert!(word_trigrams("a@b c").is_empty());
    // Other scripts are left out (pg_trgm hashes their trigrams); ASCII runs beside them stay.
    assert_eq!(word_trigrams("élan"), vec!["lan"]);
    let long = "abcdefghij klmnopqrst uvwxyz";
    assert_eq!(word_trigrams(long).len(), FRAGMENT_PROBES);
}

fn frags(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn the_rarest_fragments_are_read_and_common_text_is_left_to_the_budget() {
    let f = frags(&["aaa", "bbb", "ccc", "ddd", "eee"]);
    // (count, index), sorted by count as `rare_fragments` sorts them.
    let counts = [(0, 3), (5, 1), (900, 0), (1_000, 4), (5_000, 2)];
    assert_eq!(choose(&f, &counts, false), Some(frags(&["ddd", "bbb", "aaa"])));
    // SQLite's 0 is exact: a fragment in no event is the whole answer.
    assert_eq!(choose(&f, &counts, true), Some(frags(&["ddd"])));
    // One fragment at the limit is still rare; all past it is common text.
    assert_eq!(choose(&f, &[(1_000, 4), (5_000, 2)], false), Some(frags(&["eee"])));
    assert_eq!(choose(&f, &[(1_001, 4), (5_000, 2)], false), None);
    assert_eq!(choose(&f, &[], false), None);
}

#[test]
fn the_sample_is_the_whole_of_a_small_log_and_about_a_hundred_thousand_of_a_large_one() {
    assert!((sample_percent(0) - 100.0).abs() < f64::EPSILON);
    assert!((sample_percent(100_000) - 100.0).abs() < f64::EPSILON);
    assert!((sample_percent(10_000_000) - 1.0).abs() < 1e-9);
    assert!(
        (sample_percent(1_000_000_000_000) - 0.01).abs() < 1e-9,
        "never below a page in 10,000"
    );
}
