//! A bounded, expiring in-memory map: the demo's pending sign-ins, sessions and seen logout
//! tokens all live in one, so that no visitor can make the process grow without limit.
//!
//! Entries expire a fixed time after they were inserted. When the map is full, expired entries
//! go first, then the oldest one: a flood of new sign-ins pushes out old pending ones instead
//! of locking everyone out. Time is passed in by the caller, so tests need no sleeping.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

struct Entry<V> {
    value: V,
    inserted: Instant,
    seq: u64,
}

/// A map from random keys to values, holding at most `cap` entries, each for at most `ttl`.
pub struct BoundedStore<V> {
    cap: usize,
    ttl: Duration,
    entries: HashMap<String, Entry<V>>,
    // Insertion order, oldest first: with one fixed ttl it is also the order of expiry.
    order: BTreeMap<(Instant, u64), String>,
    next_seq: u64,
}

impl<V> BoundedStore<V> {
    /// An empty store; `cap` is at least 1.
    pub fn new(cap: usize, ttl: Duration) -> Self {
        Self {
            cap: cap.max(1),
            ttl,
            entries: HashMap::new(),
            order: BTreeMap::new(),
            next_seq: 0,
        }
    }

    /// The number of entries held, expired ones not yet purged included.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the store holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Inserts (or replaces) `key`, first dropping expired entries and, when still full, the
    /// oldest ones.
    pub fn insert(&mut self, key: String, value: V, now: Instant) {
        self.remove(&key);
        self.purge_expired(now);
        while self.entries.len() >= self.cap {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            self.entries.remove(&oldest);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.insert((now, seq), key.clone());
        self.entries.insert(
            key,
            Entry {
                value,
                inserted: now,
                seq,
            },
        );
    }

    /// The live value under `key`.
    pub fn get(&self, key: &str, now: Instant) -> Option<&V> {
        self.entries
            .get(key)
            .filter(|e| !self.is_expired(e, now))
            .map(|e| &e.value)
    }

    /// The live value under `key`, to change in place.
    pub fn get_mut(&mut self, key: &str, now: Instant) -> Option<&mut V> {
        let ttl = self.ttl;
        self.entries
            .get_mut(key)
            .filter(|e| !expired(e.inserted, ttl, now))
            .map(|e| &mut e.value)
    }

    /// Removes `key` and returns its value if it was still live: a one-time use.
    pub fn take(&mut self, key: &str, now: Instant) -> Option<V> {
        let entry = self.remove(key)?;
        (!self.is_expired(&entry, now)).then_some(entry.value)
    }

    /// Removes every entry whose value matches `pred`; returns how many went.
    pub fn remove_where(&mut self, mut pred: impl FnMut(&V) -> bool) -> usize {
        let keys: Vec<String> = self
            .entries
            .iter()
            .filter(|(_, e)| pred(&e.value))
            .map(|(k, _)| k.clone())
            .collect();
        for key in &keys {
            self.remove(key);
        }
        keys.len()
    }

    /// Drops every entry whose time is up.
    pub fn purge_expired(&mut self, now: Instant) {
        while let Some((&(inserted, _), _)) = self.order.first_key_value() {
            if !expired(inserted, self.ttl, now) {
                break;
            }
            if let Some((_, key)) = self.order.pop_first() {
                self.entries.remove(&key);
            }
        }
    }

    fn remove(&mut self, key: &str) -> Option<Entry<V>> {
        let entry = self.entries.remove(key)?;
        self.order.remove(&(entry.inserted, entry.seq));
        Some(entry)
    }

    fn is_expired(&self, entry: &Entry<V>, now: Instant) -> bool {
        expired(entry.inserted, self.ttl, now)
    }
}

fn expired(inserted: Instant, ttl: Duration, now: Instant) -> bool {
    now.saturating_duration_since(inserted) >= ttl
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_mins(1);

    #[test]
    fn an_entry_lives_until_its_ttl_and_not_after() {
        let t0 = Instant::now();
        let mut s = BoundedStore::new(10, 10 * MIN);
        s.insert("a".into(), 1, t0);
        assert_eq!(s.get("a", t0 + 9 * MIN), Some(&1));
        assert_eq!(s.get("a", t0 + 10 * MIN), None, "expired at exactly the ttl");
        assert_eq!(s.take("a", t0 + 11 * MIN), None, "an expired entry cannot be taken");
        assert!(s.is_empty(), "taking removes it even when expired");
    }

    #[test]
    fn take_is_one_time() {
        let t0 = Instant::now();
        let mut s = BoundedStore::new(10, MIN);
        s.insert("a".into(), "v", t0);
        assert_eq!(s.take("a", t0), Some("v"));
        assert_eq!(s.take("a", t0), None);
    }

    #[test]
    fn a_full_store_drops_expired_entries_first_then_the_oldest() {
        let t0 = Instant::now();
        let mut s = BoundedStore::new(3, 10 * MIN);
        s.insert("old".into(), 0, t0);
        s.insert("b".into(), 1, t0 + MIN);
        s.insert("c".into(), 2, t0 + 2 * MIN);
        // Full and nothing expired: the oldest goes.
        s.insert("d".into(), 3, t0 + 3 * MIN);
        assert_eq!(s.len(), 3);
        assert_eq!(s.get("old", t0 + 3 * MIN), None);
        assert_eq!(s.get("b", t0 + 3 * MIN), Some(&1));
        // Later, b and c have expired: both are purged, d stays.
        s.insert("e".into(), 4, t0 + 12 * MIN + Duration::from_secs(1));
        assert_eq!(s.len(), 2);
        assert_eq!(s.get("d", t0 + 12 * MIN), Some(&3));
    }

    #[test]
    fn the_cap_holds_under_many_inserts() {
        let t0 = Instant::now();
        let mut s = BoundedStore::new(100, MIN);
        for i in 0..10_000u32 {
            s.insert(format!("k{i}"), i, t0);
        }
        assert_eq!(s.len(), 100);
        assert_eq!(s.get("k9999", t0), Some(&9999));
        assert_eq!(s.get("k9899", t0), None);
        assert_eq!(s.order.len(), 100, "the order index does not grow apart from the map");
    }

    #[test]
    fn replacing_and_removing_keep_the_index_in_step() {
        let t0 = Instant::now();
        let mut s = BoundedStore::new(2, MIN);
        s.insert("a".into(), 1, t0);
        s.insert("a".into(), 2, t0 + Duration::from_secs(30));
        assert_eq!(s.len(), 1);
        // Replaced entries count from their new insertion.
        assert_eq!(s.get("a", t0 + Duration::from_secs(70)), Some(&2));
        s.insert("b".into(), 3, t0 + Duration::from_secs(31));
        assert_eq!(s.remove_where(|v| *v == 3), 1);
        assert_eq!((s.len(), s.order.len()), (1, 1));
        if let Some(v) = s.get_mut("a", t0 + Duration::from_secs(31)) {
            *v = 5;
        }
        assert_eq!(s.get("a", t0 + Duration::from_secs(31)), Some(&5));
    }
}
