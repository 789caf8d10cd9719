//! A keyed rate limiter whose memory stays bounded under hostile load.
//!
//! Each key (an API key, a token, a client address) has a GCRA bucket: one timestamp, the
//! "theoretical arrival time" of its next request. A rate of `n` per `period` admits `n`
//! requests at once and one more every `period / n`. Checking and counting are one step under
//! a lock, so N requests in flight at once never get more than the limit through.
//!
//! Keys live in two generations per shard: a key not seen for a whole generation is dropped,
//! and a generation is retired when it fills, so a flood of new keys (every IPv6 address of a
//! /48, random bearer tokens) costs at most `capacity` entries. A dropped key starts again
//! with a full bucket, which is as good as forgotten: its limit still holds per generation.
//! Counts are per node; nodes sharing a database do not share them.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// `requests` per `period`, all of them at once if they come together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub period: Duration,
}

impl RateLimit {
    /// `n` requests a minute; 0 is no limit.
    pub fn per_minute(n: u32) -> Option<Self> {
        (n > 0).then_some(Self {
            requests: n,
            period: Duration::from_mins(1),
        })
    }
}

/// Seconds to wait before the key's next request is admitted (at least 1), for `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

/// How many keys one limiter remembers at most.
pub const DEFAULT_CAPACITY: usize = 65_536;
const SHARDS: usize = 16;

pub struct RateLimiter {
    /// Nanoseconds between two admitted requests once the burst is spent.
    interval: u64,
    /// How far ahead of now a key's arrival time may run: the burst.
    tolerance: u64,
    hasher: RandomState,
    shards: Box<[Mutex<Generations>]>,
    per_shard: usize,
    start: Instant,
}

#[derive(Default)]
struct Generations {
    current: HashMap<u64, u64>,
    previous: HashMap<u64, u64>,
}

impl RateLimiter {
    pub fn new(limit: RateLimit, capacity: usize) -> Self {
        let period = u64::try_from(limit.period.as_nanos()).unwrap_or(u64::MAX);
        let interval = (period / u64::from(limit.requests.max(1))).max(1);
        Self {
            interval,
            tolerance: interval * u64::from(limit.requests.max(1) - 1),
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            per_shard: (capacity / SHARDS).max(2),
            start: Instant::now(),
        }
    }

    /// Counts a request for `key`, or says how long to wait if its limit is spent.
    pub fn check(&self, key: impl Hash) -> Result<(), RetryAfter> {
        let now = u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.check_at(self.hasher.hash_one(key), now)
    }

    /// The check at `now` nanoseconds after the limiter started (tests drive time here).
    fn check_at(&self, key: u64, now: u64) -> Result<(), RetryAfter> {
        let shard = &self.shards[(key % SHARDS as u64) as usize];
        let mut g = shard.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let stored = match g.current.get(&key) {
            Some(t) => Some(*t),
            None => g.previous.remove(&key),
        };
        let tat = stored.unwrap_or(now).max(now);
        if tat - now > self.tolerance {
            let wait = tat - now - self.tolerance;
            if let Some(t) = stored {
                g.current.insert(key, t);
            }
            return Err(RetryAfter(wait.div_ceil(1_000_000_000).max(1)));
        }
        if !g.current.contains_key(&key) && g.current.len() >= self.per_shard / 2 {
            // The generation is full: it becomes the previous one, and the keys nobody used
            // since the one before it are forgotten.
            g.previous = std::mem::take(&mut g.current);
        }
        g.current.insert(key, tat + self.interval);
        Ok(())
    }

    /// Keys remembered now (for tests and the curious).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                let g = s.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                g.current.len() + g.previous.len()
            })
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: u64 = 1_000_000_000;

    fn limiter(requests: u32, period_secs: u64, capacity: usize) -> RateLimiter {
        RateLimiter::new(
            RateLimit {
                requests,
                period: Duration::from_secs(period_secs),
            },
            capacity,
        )
    }

    #[test]
    fn a_burst_up_to_the_limit_passes_then_one_request_per_interval() {
        let l = limiter(3, 60, 1024);
        for _ in 0..3 {
            assert_eq!(l.check_at(7, 0), Ok(()));
        }
        assert_eq!(l.check_at(7, 0), Err(RetryAfter(20)), "one more every 20 s");
        assert_eq!(l.check_at(7, 19 * SEC), Err(RetryAfter(1)));
        assert_eq!(l.check_at(7, 20 * SEC), Ok(()));
        assert!(l.check_at(7, 20 * SEC).is_err());
        assert_eq!(l.check_at(8, 20 * SEC), Ok(()), "another key has its own bucket");
    }

    #[test]
    fn refused_requests_do_not_push_the_wait_further() {
        let l = limiter(1, 10, 1024);
        assert!(l.check_at(1, 0).is_ok());
        for _ in 0..100 {
            assert_eq!(l.check_at(1, SEC), Err(RetryAfter(9)));
        }
        assert!(l.check_at(1, 10 * SEC).is_ok());
    }

    #[test]
    fn many_threads_at_once_never_get_more_than_the_limit() {
        let l = std::sync::Arc::new(limiter(25, 3600, 1024));
        let admitted = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..50 {
                        if l.check("one key").is_ok() {
                            admitted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                    }
                });
            }
        });
        assert_eq!(admitted.into_inner(), 25);
    }

    #[test]
    fn a_flood_of_new_keys_stays_within_the_capacity() {
        let l = limiter(5, 60, 1024);
        for key in 0..200_000u64 {
            let _ = l.check_at(key, key);
        }
        assert!(l.len() <= 1024, "{} keys remembered", l.len());
        assert!(l.len() >= 512, "recent keys are kept: {}", l.len());
    }

    #[test]
    fn a_busy_key_survives_a_flood_of_new_ones_when_it_keeps_coming_back() {
        let l = limiter(2, 3600, 64 * SHARDS);
        assert!(l.check_at(42, 0).is_ok());
        assert!(l.check_at(42, 0).is_ok());
        // Keys of the busy key's own shard, enough to retire its generation several times.
        for key in (100..300u64).map(|i| 42 + SHARDS as u64 * i) {
            let _ = l.check_at(key, 1);
            // The busy key is asked about all along, so it stays in the current generation.
            assert!(l.check_at(42, 1).is_err(), "key 42 was forgotten after {key}");
        }
    }
}
